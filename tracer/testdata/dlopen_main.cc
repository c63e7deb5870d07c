// Loads the library named by argv[1] and exits: its destructors run at exit.
#include <dlfcn.h>

#include <cstdio>

int main(int argc, char** argv) {
  if (argc != 2 || dlopen(argv[1], RTLD_NOW) == nullptr) {
    std::fprintf(stderr, "dlopen_main: %s\n", argc == 2 ? dlerror() : "usage: dlopen_main LIB");
    return 1;
  }
  return 0;
}
