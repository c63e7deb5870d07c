// The allocator under several threads: private churn, blocks handed to other
// threads to free (producer/consumer), and many short-lived threads. Every
// block carries a pattern that is checked before it is freed.
#include <malloc.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace {

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

}  // namespace
