// A fuzz target that misbehaves on purpose, for fuzz_driver_test.sh: by its
// first bytes, "crash" aborts, "segv" faults, "hang" never returns, "exit"
// calls exit(0); an input that starts with 'f' but is not "fine" (a mutation
// of the seed "fine") aborts. Anything else is fine.
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  if (in.rfind("crash", 0) == 0) std::abort();
  if (in.rfind("segv", 0) == 0) {
    volatile int* p = nullptr;
    *p = 1;
  }
  if (in.rfind("hang", 0) == 0) {
    for (;;) pause();
  }
  if (in.rfind("exit", 0) == 0) std::exit(0);
  if (!in.empty() && in[0] == 'f' && in != "fine") std::abort();
  return 0;
}
