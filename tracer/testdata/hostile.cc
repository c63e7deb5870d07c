// Does to a traced process what real programs do that could break a tracer:
//   hostile closefds FILE   close every descriptor, then reuse the numbers for
//                           a file of its own, and check the file is intact
//   hostile chdir           change directory mid-run
//   hostile setuid          drop root privileges mid-run (when root)
//   hostile diskfull        a file size limit that stops the trace from growing
//   hostile busyexit        exit while another thread is still allocating
//   hostile slowexit        exit while another thread is inside a malloc that
//                           takes two seconds (under testdata:libslow_malloc.so)
// In every mode it allocates enough to need new trace slots afterwards, and
// prints "survived" at the end.
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

void Churn(int rounds) {
  std::vector<void*> keep;
  for (int i = 0; i < rounds; ++i) {
    keep.push_back(std::malloc(16 + i % 300));
    if (keep.size() > 100) {
      std::free(keep.front());
      keep.erase(keep.begin());
    }
  }
  for (void* p : keep) std::free(p);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const std::string mode = argv[1];
  Churn(10000);
  if (mode == "closefds" && argc == 3) {
    for (int fd = 3; fd < 1024; ++fd) close(fd);
    // Our own file now likely takes the tracer's old descriptor number.
    const int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
    const char text[] = "the program's own data\n";
    if (fd < 0 || write(fd, text, sizeof(text) - 1) != static_cast<ssize_t>(sizeof(text) - 1)) return 1;
    Churn(300000);  // needs new slots: the tracer must not touch fd
    char back[64] = {};
    if (pread(fd, back, sizeof(back) - 1, 0) != static_cast<ssize_t>(sizeof(text) - 1) ||
        std::strcmp(back, text) != 0) {
      std::fprintf(stderr, "the program's file was corrupted\n");
      return 1;
    }
  } else if (mode == "chdir") {
    if (chdir("/") != 0) return 1;
    Churn(300000);
  } else if (mode == "setuid") {
    if (getuid() == 0 && setuid(65534) != 0) return 1;
    Churn(300000);
  } else if (mode == "diskfull") {
    signal(SIGXFSZ, SIG_IGN);  // fail the write instead of killing us
    const struct rlimit limit = {256 << 10, 256 << 10};
    if (setrlimit(RLIMIT_FSIZE, &limit) != 0) return 1;
    Churn(400000);
  } else if (mode == "busyexit") {
    std::thread([] {
      for (;;) Churn(1000);
    }).detach();
    Churn(300000);
    std::printf("survived\n");
    std::fflush(stdout);
    std::exit(0);  // the other thread is still allocating
  } else if (mode == "slowexit") {
    std::thread([] { std::free(std::malloc(77777777)); }).detach();
    const struct timespec pause = {0, 100000000};
    nanosleep(&pause, nullptr);  // the thread is in its malloc now
    std::printf("survived\n");
    std::fflush(stdout);
    std::exit(0);
  } else {
    return 2;
  }
  std::printf("survived\n");
  return 0;
}
