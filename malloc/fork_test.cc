// fork from a multi-threaded parent: threads allocate and free nonstop while
// the main thread forks thousands of times; every child must malloc, free
// and exit. A watchdog turns a hang into a failure instead of a stalled CI.
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "malloc/testing/api_under_test.h"

namespace {

ALLOCLAB_USE_API_UNDER_TEST;

// Exits 0 if a few allocations of every kind work in the child.
[[noreturn]] void Child() {
  alarm(20);  // a hung child dies; the parent sees the signal
  bool ok = true;
  std::vector<void*> blocks;
  for (size_t n : {16ul, 100ul, 3000ul, 70000ul, 5ul << 20}) {
    void* p = malloc(n);
    if (p == nullptr) ok = false;
    else memset(p, 7, n);
    blocks.push_back(p);
  }
  void* r = realloc(blocks[1], 50000);
  ok = ok && r != nullptr && static_cast<unsigned char*>(r)[99] == 7;
  blocks[1] = r;
  for (void* p : blocks) free(p);
  _exit(ok ? 0 : 1);
}

TEST(Fork, ThousandsOfForksWhileThreadsAllocate) {
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < 3; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      std::vector<std::pair<unsigned char*, size_t>> live;
      for (uint64_t op = 0; !stop.load(std::memory_order_relaxed); ++op) {
        // Yield now and then: on a small machine the children need the CPU.
        if (op % 256 == 0) std::this_thread::yield();
        if (live.size() < 300 && rng() % 2 == 0) {
          const size_t n = 1 + rng() % (rng() % 32 == 0 ? 200000 : 700);
          auto* p = static_cast<unsigned char*>(malloc(n));
          memset(p, static_cast<int>(n & 0xff), n);
          live.push_back({p, n});
        } else if (!live.empty()) {
          const size_t k = rng() % live.size();
          auto [p, n] = live[k];
          if (p[0] != (n & 0xff) || p[n - 1] != (n & 0xff)) ++bad;
          free(p);
          live[k] = live.back();
          live.pop_back();
        }
      }
      for (auto& b : live) free(b.first);
    });
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(240);
  int forks = 0, failed = 0, hung = 0;
  for (; forks < 2000 && std::chrono::steady_clock::now() < deadline; ++forks) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) Child();
    int status = 0;
    // Watchdog: a child that does not exit within 10 s is killed and counted.
    const auto child_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    pid_t got;
    while ((got = waitpid(pid, &status, WNOHANG)) == 0) {
      if (std::chrono::steady_clock::now() > child_deadline) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        ++hung;
        break;
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  stop = true;
  for (auto& w : workers) w.join();
  EXPECT_EQ(hung, 0) << "children hung after fork";
  EXPECT_EQ(failed, 0) << "children failed (or were killed) of " << forks;
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GE(forks, 1000) << "too few forks in the time allowed";
}

}  // namespace
