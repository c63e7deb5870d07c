// A multi-threaded workload for allocator comparisons, server-like: every
// thread allocates request-sized blocks, keeps a window of them alive, and
// hands a quarter of them to the next thread, which frees them (cross-thread
// frees). The total work is fixed, whatever the thread count. Mailboxes are
// bounded, and a thread that has done its share keeps emptying its mailbox
// until every thread is done, as a server's consumer would: otherwise blocks
// pile up in the mailbox of a thread that is descheduled or finished, and the
// peak RSS measures the scheduler, not the allocator (it did: 12-107 MB run
// to run on one allocator).
//   threaded_churn --threads=N [--ops=TOTAL]
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

// A thread that finds the next one's mailbox full waits (emptying its own):
// the blocks in flight stay bounded, so the live heap is the program's, not
// how far the scheduler let one thread run ahead of the next.
constexpr size_t kMailboxCapacity = 1024;

struct Mailbox {
  std::mutex mu;
  std::vector<void*> blocks;
};

long Flag(int argc, char** argv, const char* name, long fallback) {
  const size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return std::atol(argv[i] + n + 1);
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = static_cast<int>(Flag(argc, argv, "--threads", 2));
  const long total_ops = Flag(argc, argv, "--ops", 8000000);
  if (threads < 1 || total_ops < 1) {
    std::fprintf(stderr, "usage: threaded_churn --threads=N [--ops=TOTAL]\n");
    return 2;
  }
  std::vector<Mailbox> mail(static_cast<size_t>(threads));
  std::atomic<uint64_t> checksum{0};
  std::atomic<int> running{threads};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      std::mt19937_64 rng(static_cast<uint64_t>(t) + 1);
      std::deque<void*> window;
      std::vector<void*> outgoing;
      uint64_t sum = 0;
      const long ops = total_ops / threads;
      auto drain_own_mailbox = [&] {
        std::vector<void*> incoming;
        {
          std::lock_guard<std::mutex> l(mail[static_cast<size_t>(t)].mu);
          incoming.swap(mail[static_cast<size_t>(t)].blocks);
        }
        for (void* q : incoming) std::free(q);
      };
      for (long i = 0; i < ops; ++i) {
        const uint64_t r = rng();
        const size_t size = (r % 100) < 85 ? 16 + (r >> 8) % 240 : (r % 100) < 98 ? 256 + (r >> 8) % 4000 : 4096 + (r >> 8) % 60000;
        auto* p = static_cast<uint8_t*>(std::malloc(size));
        p[0] = static_cast<uint8_t>(i);
        p[size - 1] = static_cast<uint8_t>(t);
        sum += p[0];
        if ((r >> 40) % 4 == 0 && threads > 1) {
          outgoing.push_back(p);
        } else {
          window.push_back(p);
        }
        if (window.size() > 1000) {
          std::free(window.front());
          window.pop_front();
        }
        if (outgoing.size() == 64) {
          Mailbox& m = mail[static_cast<size_t>((t + 1) % threads)];
          for (;;) {
            {
              std::lock_guard<std::mutex> l(m.mu);
              if (m.blocks.size() < kMailboxCapacity) {
                m.blocks.insert(m.blocks.end(), outgoing.begin(), outgoing.end());
                break;
              }
            }
            drain_own_mailbox();  // the next thread may be waiting on us
            std::this_thread::yield();
          }
          outgoing.clear();
        }
        if (i % 256 == 0) drain_own_mailbox();
      }
      for (void* q : window) std::free(q);
      for (void* q : outgoing) std::free(q);
      checksum += sum;
      running.fetch_sub(1);
      while (running.load() > 0) {
        drain_own_mailbox();
        std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
    });
  }
  for (auto& th : pool) th.join();
  for (auto& m : mail) {
    for (void* q : m.blocks) std::free(q);
  }
  std::printf("%llu\n", static_cast<unsigned long long>(checksum.load()));
  return 0;
}
