// A program that makes known numbers of every allocation call (the C entry
// points and every form of C++ new and delete), from several threads, with
// blocks freed by other threads, then forks (the child makes
// calls of its own) and finally execs itself in "exec" mode. Marker sizes
// (1000003 + k) tell its calls apart from those of libc and the runtime.
//   call_counter            the full run
//   call_counter no-pvalloc the full run without pvalloc (jemalloc has none:
//                           glibc's would serve it, and jemalloc's free crash)
//   call_counter exec       what the exec'd image does
#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>
#include <vector>

namespace {

constexpr size_t kBase = 1000003;
constexpr int kThreads = 4;
constexpr int kPerThread = 500;
bool g_pvalloc = true;

// Per thread: kPerThread of each call; returns blocks for another thread.
std::vector<void*> Work(int t) {
  std::vector<void*> handoff;
  for (int i = 0; i < kPerThread; ++i) {
    void* m = malloc(kBase);
    void* c = calloc(1, kBase + 1);
    void* r = realloc(malloc(kBase + 2), kBase + 3);
    void* ra = reallocarray(nullptr, 1, kBase + 4);
    void* ma = memalign(64, kBase + 5);
    void* pm = nullptr;
    if (posix_memalign(&pm, 128, kBase + 6) != 0) std::abort();
    void* aa = aligned_alloc(256, kBase + 7);
    void* v = valloc(kBase + 8);
    void* pv = g_pvalloc ? pvalloc(kBase + 9) : nullptr;
    if (malloc_usable_size(m) < kBase) std::abort();
    free(c);
    free(r);
    free(ra);
    free(ma);
    free(pm);
    free(aa);
    free(v);
    free(pv);
    // kBase + 12 ... 15: operator new and delete, sized and aligned.
    void* n = operator new(kBase + 12);
    void* na = operator new(kBase + 13, std::align_val_t(64));
    void* nsa = operator new[](kBase + 14, std::align_val_t(128));
    void* nt = operator new[](kBase + 15, std::nothrow);
    operator delete(n, kBase + 12);
    operator delete(na, std::align_val_t(64));
    operator delete[](nsa, kBase + 14, std::align_val_t(128));
    operator delete[](nt);
    handoff.push_back(m);  // freed by the next thread
  }
  (void)t;
  return handoff;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::strcmp(argv[1], "exec") == 0) {
    for (int i = 0; i < 10; ++i) free(malloc(kBase + 10));
    return 0;
  }
  g_pvalloc = !(argc > 1 && std::strcmp(argv[1], "no-pvalloc") == 0);
  std::vector<std::vector<void*>> handoffs(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back([&, t] { handoffs[t] = Work(t); });
  for (auto& th : threads) th.join();
  threads.clear();
  // Cross-thread frees: thread t frees what thread t-1 allocated.
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (void* p : handoffs[(t + kThreads - 1) % kThreads]) free(p);
    });
  }
  for (auto& th : threads) th.join();

  const pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 20; ++i) free(malloc(kBase + 11));
    _exit(0);
  }
  int status = 0;
  waitpid(child, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return 1;
  std::fflush(stdout);
  char* const exec_argv[] = {argv[0], const_cast<char*>("exec"), nullptr};
  execv("/proc/self/exe", exec_argv);
  return 1;  // exec failed
}
