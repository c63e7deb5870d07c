// The allocator under several threads: private churn, blocks handed to other
// threads to free (producer/consumer), many short-lived threads, and every
// call on every kind of block across threads while statistics and trimming
// run. Every block carries a pattern that is checked before it is freed.
// Under asan and tsan the calls go to the internal API (api_under_test.h).
#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "malloc/testing/api_under_test.h"

namespace {

ALLOCLAB_USE_API_UNDER_TEST;

void Stamp(void* p, size_t n, uint64_t tag) {
  auto* w = static_cast<uint64_t*>(p);
  for (size_t i = 0; i < n / 8; ++i) w[i] = tag + i;
}
bool StampOk(const void* p, size_t n, uint64_t tag) {
  const auto* w = static_cast<const uint64_t*>(p);
  for (size_t i = 0; i < n / 8; ++i) {
    if (w[i] != tag + i) return false;
  }
  return true;
}

TEST(Threads, PrivateChurn) {
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([t, &bad] {
      std::mt19937_64 rng(t);
      std::vector<std::pair<void*, size_t>> live;
      for (int i = 0; i < 200000; ++i) {
        if (live.size() < 500 && rng() % 2 == 0) {
          const size_t n = 8 + rng() % (rng() % 8 == 0 ? 60000 : 500);
          void* p = malloc(n);
          Stamp(p, n, reinterpret_cast<uintptr_t>(p));
          live.push_back({p, n});
        } else if (!live.empty()) {
          const size_t k = rng() % live.size();
          if (!StampOk(live[k].first, live[k].second, reinterpret_cast<uintptr_t>(live[k].first))) ++bad;
          free(live[k].first);
          live[k] = live.back();
          live.pop_back();
        }
      }
      for (auto& b : live) free(b.first);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Threads, ProducerConsumer) {
  // Producers only allocate, consumers only free: every block crosses threads.
  constexpr int kPerProducer = 300000;
  std::mutex mu;
  std::vector<std::pair<void*, size_t>> queue;
  std::atomic<int> producers_left{2};
  std::atomic<int> bad{0};
  std::atomic<long> consumed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(100 + t);
      std::vector<std::pair<void*, size_t>> batch;
      for (int i = 0; i < kPerProducer; ++i) {
        const size_t n = 16 + rng() % 2000;
        void* p = malloc(n);
        Stamp(p, n, n);
        batch.push_back({p, n});
        if (batch.size() == 64) {
          std::lock_guard<std::mutex> l(mu);
          queue.insert(queue.end(), batch.begin(), batch.end());
          batch.clear();
        }
      }
      std::lock_guard<std::mutex> l(mu);
      queue.insert(queue.end(), batch.begin(), batch.end());
      --producers_left;
    });
  }
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (;;) {
        std::vector<std::pair<void*, size_t>> got;
        {
          std::lock_guard<std::mutex> l(mu);
          got.swap(queue);
        }
        for (auto& b : got) {
          if (!StampOk(b.first, b.second, b.second)) ++bad;
          free(b.first);
        }
        consumed += static_cast<long>(got.size());
        if (got.empty()) {
          if (producers_left.load() == 0) {
            std::lock_guard<std::mutex> l(mu);
            if (queue.empty()) return;
          }
          std::this_thread::yield();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_EQ(consumed.load(), 2L * kPerProducer);
}

TEST(Threads, ThousandsOfShortLivedThreads) {
  std::atomic<int> bad{0};
  for (int round = 0; round < 40; ++round) {
    std::vector<std::thread> threads;
    for (int t = 0; t < 50; ++t) {
      threads.emplace_back([&bad, t] {
        std::vector<void*> blocks;
        for (int i = 0; i < 200; ++i) {
          const size_t n = 16 * (1 + (i * 7 + t) % 64);
          void* p = malloc(n);
          Stamp(p, n, n);
          blocks.push_back(p);
        }
        for (size_t i = 0; i < blocks.size(); ++i) {
          const size_t n = 16 * (1 + (i * 7 + t) % 64);
          if (!StampOk(blocks[i], n, n)) ++bad;
          free(blocks[i]);
        }
      });
    }
    for (auto& th : threads) th.join();
  }
  EXPECT_EQ(bad.load(), 0);
}

TEST(Threads, EveryCallAcrossThreadsWhileStatsAndTrimRun) {
  // Four threads make blocks of every kind (pool chunks, page runs, huge
  // mappings; malloc, calloc, aligned_alloc, realloc) and mail each to a
  // random thread, which checks it, sometimes reallocates it, and frees it;
  // meanwhile another thread reads the statistics and trims the heap. Under
  // ThreadSanitizer this covers every lock and hand-off of the allocator.
  constexpr int kThreads = 4;
  constexpr int kBlocksPerThread = 6000;
  struct Block {
    uint64_t* p;
    size_t n;
  };
  struct Mailbox {
    std::mutex mu;
    std::vector<Block> blocks;
  };
  Mailbox boxes[kThreads];
  std::atomic<int> bad{0};
  std::atomic<int> working{kThreads};
  std::atomic<bool> stop_stats{false};
  auto size_for = [](std::mt19937_64& rng) -> size_t {
    const uint64_t r = rng() % 1000;
    if (r < 800) return 8 + rng() % 1000;             // pool chunks
    if (r < 990) return 33000 + rng() % 200000;       // page runs
    return (size_t{1} << 20) + rng() % (3 << 20);     // huge mappings
  };
  auto check_and_free = [&](std::mt19937_64& rng, Block b) {
    if (!StampOk(b.p, b.n, b.n)) ++bad;
    if (rng() % 4 == 0) {
      // Grow or shrink it here, in a thread that does not own it.
      const size_t m = size_for(rng);
      auto* q = static_cast<uint64_t*>(realloc(b.p, m));
      if (q == nullptr || !StampOk(q, m < b.n ? m : b.n, b.n)) ++bad;
      b.p = q;
    }
    free(b.p);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      auto drain = [&] {
        std::vector<Block> got;
        {
          std::lock_guard<std::mutex> l(boxes[t].mu);
          got.swap(boxes[t].blocks);
        }
        for (const Block& b : got) check_and_free(rng, b);
        return !got.empty();
      };
      for (int i = 0; i < kBlocksPerThread; ++i) {
        const size_t n = size_for(rng);
        void* p;
        switch (rng() % 3) {
          case 0:
            p = malloc(n);
            break;
          case 1:
            p = calloc(1, n);
            if (p != nullptr && static_cast<unsigned char*>(p)[n - 1] != 0) ++bad;
            break;
          default:
            p = aligned_alloc(size_t{64} << (rng() % 7), n);
            break;
        }
        if (p == nullptr) {
          ++bad;
          continue;
        }
        Stamp(p, n, n);
        const int to = static_cast<int>(rng() % kThreads);
        {
          std::lock_guard<std::mutex> l(boxes[to].mu);
          boxes[to].blocks.push_back({static_cast<uint64_t*>(p), n});
        }
        if (i % 64 == 0) drain();
      }
      --working;
      while (working.load() > 0) {
        if (!drain()) std::this_thread::yield();
      }
      while (drain()) {
      }
    });
  }
  std::thread stats([&] {
    while (!stop_stats.load()) {
      // Read, not checked: a snapshot taken while threads run need not add up.
      const struct mallinfo2 m = mallinfo2();
      volatile size_t sink = m.uordblks + m.arena + m.hblkhd;
      (void)sink;
      malloc_trim(0);
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (auto& th : threads) th.join();
  stop_stats = true;
  stats.join();
  EXPECT_EQ(bad.load(), 0);
}

}  // namespace
