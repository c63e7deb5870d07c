// A library that allocates and frees in its destructor. Loaded after the
// tracer (dlopen, or a program's own dependency), it is finalized after the
// tracer's destructor: the tracer must still record these calls.
#include <cstdlib>

namespace {

constexpr size_t kMarker = 2000003;
constexpr int kCalls = 100;

__attribute__((destructor)) void AllocateAtExit() {
  for (int i = 0; i < kCalls; ++i) free(malloc(kMarker));
}

}  // namespace
