// A C++ program whose operator new fails, for running under the preloaded
// allocator: std::bad_alloc must reach its catch, the new_handler must be
// called, and the nothrow form must return null even when the handler
// throws. The allocator's library reaches the C++ runtime only weakly
// (base/new_handler.h); this checks that it finds this program's. Prints ok.
#include <cstdint>
#include <cstdio>
#include <new>

namespace {

volatile size_t g_huge = SIZE_MAX / 4;  // opaque: no compile-time folding
int g_calls = 0;

void CountAndGiveUp() {
  ++g_calls;
  std::set_new_handler(nullptr);
}

void Throw() { throw std::bad_alloc(); }

bool Check(bool ok, const char* what) {
  if (!ok) std::fprintf(stderr, "FAIL: %s\n", what);
  return ok;
}

}  // namespace

int main() {
  bool ok = true;
  try {
    char* p = new char[g_huge];
    ok = Check(p == nullptr, "new of SIZE_MAX/4 bytes returned memory");
  } catch (const std::bad_alloc&) {
  }
  std::set_new_handler(CountAndGiveUp);
  try {
    static_cast<void>(::operator new(g_huge));
    ok = Check(false, "no std::bad_alloc after the handler gave up");
  } catch (const std::bad_alloc&) {
    ok = Check(g_calls == 1, "the new_handler was not called once") && ok;
  }
  std::set_new_handler(Throw);
  ok = Check(::operator new(g_huge, std::nothrow) == nullptr, "nothrow new with a throwing handler") && ok;
  std::set_new_handler(nullptr);
  if (!ok) return 1;
  std::puts("ok");
  return 0;
}
