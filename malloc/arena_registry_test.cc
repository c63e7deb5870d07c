// Arenas and threads: threads share the main arena until they contend and
// release their arenas at exit,
// per-CPU binding, blocks freed by other threads (all-to-all), and no memory
// growth from thread churn or producer/consumer hand-offs.
#include "malloc/arena_registry.h"

#include <malloc.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "malloc/testing/anon_rss.h"
#include "malloc/testing/api_under_test.h"
#include "malloc/thread_cache.h"

namespace {

ALLOCLAB_USE_API_UNDER_TEST;

using alloclab::malloc::Arena;
using alloclab::malloc::ThreadCache;
using alloclab::malloc::ActiveCache;
using alloclab::malloc::ArenaLimit;
using alloclab::malloc::SetArenaLimit;
using alloclab::malloc::ForEachArena;
using alloclab::malloc::SetPerCpu;
using alloclab::malloc::ArenaForOperation;
using alloclab::malloc::ArenaIsContended;
using alloclab::malloc::AttachedThreads;
using alloclab::malloc::kContentionWindow;
using alloclab::malloc::MainArena;


using alloclab::malloc::testing::AnonRss;

Arena* ArenaOfThisThread() {
  free(malloc(16));  // activates the cache
  ThreadCache* tc = ActiveCache();
  return tc != nullptr ? tc->arena : nullptr;
}

// Runs f in n threads that all exist at the same time.
template <typename F>
void RunTogether(int n, F f) {
  std::atomic<int> arrived{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) {
    threads.emplace_back([&, i] {
      ++arrived;
      while (!go.load()) std::this_thread::yield();
      f(i);
      // Stay alive until everyone is done, so no arena is released early.
      ++arrived;
      while (arrived.load() < 2 * n) std::this_thread::yield();
    });
  }
  while (arrived.load() < n) std::this_thread::yield();
  go = true;
  for (auto& t : threads) t.join();
}

TEST(Arenas, ThreadsShareTheMainArenaUntilTheyContend) {
  const int saved = ArenaLimit();
  SetArenaLimit(4);
  std::vector<Arena*> seen(3);
  RunTogether(3, [&](int i) {
    seen[i] = ArenaOfThisThread();
    for (int k = 0; k < 1000; ++k) free(malloc(16 + k));  // light work: no contention to speak of
    if (ArenaOfThisThread() != seen[i]) seen[i] = nullptr;
  });
  for (Arena* a : seen) EXPECT_EQ(a, MainArena());
  SetArenaLimit(saved);
}

TEST(Arenas, ContentionIsMoreThanHalfTheAcquisitionsOfAWindow) {
  EXPECT_FALSE(ArenaIsContended(kContentionWindow - 1, kContentionWindow - 1)) << "too few to judge";
  EXPECT_FALSE(ArenaIsContended(kContentionWindow, kContentionWindow / 2));
  EXPECT_TRUE(ArenaIsContended(kContentionWindow, kContentionWindow / 2 + 1));
  EXPECT_FALSE(ArenaIsContended(10 * kContentionWindow, kContentionWindow));
}

TEST(Arenas, AThreadWhoseArenaIsContendedMovesToAnotherAndBackAtExit) {
  const int saved = ArenaLimit();
  SetArenaLimit(2);
  Arena* main_arena = MainArena();
  // This thread shares the main arena with the worker: a thread alone on a
  // contended arena stays (what contends with it are frees of its own blocks
  // by other threads, which would follow it).
  ASSERT_EQ(ArenaOfThisThread(), main_arena);
  // In lock step: the holder takes the main arena's lock, the worker
  // allocates until it takes the lock (a refill), which it finds held; the
  // holder lets go once the worker waits. Every acquisition of the worker
  // waits, however the threads are scheduled.
  std::atomic<int> phase{0};  // 0: holder's turn to lock; 1: worker's turn; 2: stop
  std::thread holder([&] {
    for (;;) {
      while (phase.load() == 1) std::this_thread::yield();
      if (phase.load() == 2) return;
      main_arena->lock().Lock();
      const uint64_t waits = main_arena->lock_waits();
      if (int holder_turn = 0; !phase.compare_exchange_strong(holder_turn, 1)) {  // the worker stopped
        main_arena->lock().Unlock();
        return;
      }
      while (main_arena->lock_waits() == waits && phase.load() == 1) std::this_thread::yield();
      main_arena->lock().Unlock();
      while (phase.load() == 1) std::this_thread::yield();
    }
  });
  Arena* before = nullptr;
  Arena* after = nullptr;
  std::thread worker([&] {
    before = ArenaOfThisThread();
    std::vector<void*> blocks;
    for (uint64_t step = 0; step < 8 * kContentionWindow && ArenaOfThisThread() == before; ++step) {
      while (phase.load() != 1) std::this_thread::yield();
      const uint64_t acquisitions = before->lock_acquisitions();
      // (The refill that moves the thread takes the other arena's lock.)
      while (before->lock_acquisitions() == acquisitions && ActiveCache()->arena == before) {
        blocks.push_back(malloc(4096));
      }
      phase.store(0);
    }
    phase.store(2);
    after = ArenaOfThisThread();
    for (void* b : blocks) free(b);
  });
  worker.join();
  holder.join();
  EXPECT_EQ(before, main_arena);
  EXPECT_NE(after, main_arena);
  EXPECT_NE(after, nullptr);
  int count = 0;
  ForEachArena([&](Arena*) { ++count; });
  EXPECT_LE(count, 2);
  // Exited: no thread is attached to the arena it moved to.
  int index = -1, i = 0;
  ForEachArena([&](Arena* a) {
    if (a == after) index = i;
    ++i;
  });
  EXPECT_EQ(AttachedThreads(index), 0);
  SetArenaLimit(saved);
}

TEST(Arenas, PerCpuModeUsesTheArenaOfTheCpu) {
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  SetPerCpu(true);
  std::atomic<int> bad{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < cpus && c < 8; ++c) {
    threads.emplace_back([&, c] {
      cpu_set_t set;
      CPU_ZERO(&set);
      CPU_SET(c, &set);
      if (sched_setaffinity(0, sizeof set, &set) != 0) return;  // not allowed here: nothing to check
      std::vector<void*> blocks;
      for (int i = 0; i < 20000; ++i) {
        const size_t n = 16 + (i * 37) % 40000;
        void* p = malloc(n);
        memset(p, c, n < 64 ? n : 64);
        blocks.push_back(p);
        if (ArenaForOperation(nullptr) != ArenaForOperation(reinterpret_cast<Arena*>(1))) ++bad;
      }
      const int cpu = sched_getcpu();
      Arena* want = nullptr;
      int i = 0;
      ForEachArena([&](Arena* a) {
        if (i++ == cpu % ArenaLimit()) want = a;
      });
      if (ArenaForOperation(nullptr) != want) ++bad;
      for (void* p : blocks) {
        if (static_cast<unsigned char*>(p)[0] != c) ++bad;
        free(p);
      }
    });
  }
  for (auto& t : threads) t.join();
  SetPerCpu(false);
  EXPECT_EQ(bad.load(), 0);
}

TEST(Arenas, AllToAllFrees) {
  // Every thread allocates blocks for every other thread, which verifies and
  // frees them: every free crosses arenas.
  constexpr int kThreads = 4;
  constexpr int kRounds = 200;
  struct Mailbox {
    std::mutex mu;
    std::vector<std::pair<uint64_t*, size_t>> blocks;
  };
  Mailbox boxes[kThreads];
  std::atomic<int> bad{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(t);
      auto drain = [&] {
        std::vector<std::pair<uint64_t*, size_t>> got;
        {
          std::lock_guard<std::mutex> l(boxes[t].mu);
          got.swap(boxes[t].blocks);
        }
        for (auto [p, words] : got) {
          for (size_t w = 0; w < words; ++w) {
            if (p[w] != (uint64_t{static_cast<uint64_t>(t)} << 48 | w)) {
              ++bad;
              break;
            }
          }
          free(p);
        }
        return got.size();
      };
      for (int r = 0; r < kRounds; ++r) {
        for (int to = 0; to < kThreads; ++to) {
          if (to == t) continue;
          std::vector<std::pair<uint64_t*, size_t>> batch;
          for (int i = 0; i < 50; ++i) {
            const size_t words = 2 + rng() % (rng() % 16 == 0 ? 4096 : 64);
            auto* p = static_cast<uint64_t*>(malloc(words * 8));
            for (size_t w = 0; w < words; ++w) p[w] = uint64_t{static_cast<uint64_t>(to)} << 48 | w;
            batch.push_back({p, words});
          }
          std::lock_guard<std::mutex> l(boxes[to].mu);
          boxes[to].blocks.insert(boxes[to].blocks.end(), batch.begin(), batch.end());
        }
        drain();
      }
      ++done;
      while (done.load() < kThreads) drain();
      drain();
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST(Arenas, ProducerConsumerDoesNotLeak) {
  // One thread only allocates, another only frees; repeated, the memory in
  // use must come back down each time (nothing stranded in caches or lists).
  auto in_use = [] { return mallinfo2().uordblks; };
  malloc_trim(0);
  const size_t before = in_use();
  for (int round = 0; round < 5; ++round) {
    std::mutex mu;
    std::vector<void*> queue;
    std::atomic<bool> producing{true};
    std::thread producer([&] {
      for (int i = 0; i < 200000; ++i) {
        void* p = malloc(16 + i % 1000);
        std::lock_guard<std::mutex> l(mu);
        queue.push_back(p);
      }
      producing = false;
    });
    std::thread consumer([&] {
      for (;;) {
        std::vector<void*> got;
        {
          std::lock_guard<std::mutex> l(mu);
          got.swap(queue);
        }
        for (void* p : got) free(p);
        if (got.empty() && !producing.load()) {
          std::lock_guard<std::mutex> l(mu);
          if (queue.empty()) return;
        }
      }
    });
    producer.join();
    consumer.join();
  }
  malloc_trim(0);
  EXPECT_LT(in_use(), before + (4u << 20)) << "blocks handed between threads were not all returned";
}

TEST(Arenas, ThreadChurnDoesNotGrowRss) {
  // Thousands of short-lived threads, each leaving a full cache behind it.
  auto churn = [](int n) {
    for (int i = 0; i < n; ++i) {
      std::thread([] {
        std::vector<void*> blocks;
        for (int k = 0; k < 2000; ++k) blocks.push_back(malloc(16 + (k % 64) * 16));
        for (void* p : blocks) free(p);
      }).join();
    }
  };
  // Under a sanitizer the RSS is mostly the sanitizer's own (its heap, shadow
  // and per-thread state): there the allocator's count of the bytes in use,
  // thread caches included, shows whether exited threads' caches were kept.
  auto footprint = [] {
    return alloclab::malloc::api_under_test::kInternalApi ? mallinfo2().uordblks : AnonRss();
  };
  churn(200);  // warm up
  malloc_trim(0);
  const size_t before = footprint();
  churn(3000);
  malloc_trim(0);
  const size_t after = footprint();
  EXPECT_LT(after, before + (16u << 20)) << "RSS " << before << " -> " << after;
}

TEST(Arenas, ExitedThreadsHandTheirBinStorageOn) {
  // Each thread's cache bins live in one mapping; a thread that exits leaves
  // it to the next one instead of mapping another.
  auto one_thread = [] {
    std::thread([] {
      std::vector<void*> blocks;
      for (int k = 0; k < 3000; ++k) blocks.push_back(malloc(16 + (k % 128) * 16));
      for (void* p : blocks) free(p);
    }).join();
  };
  one_thread();
  const size_t mapped = alloclab::malloc::ThreadCacheStorageBytes();
  EXPECT_GT(mapped, 0u);
  for (int i = 0; i < 50; ++i) one_thread();
  EXPECT_EQ(alloclab::malloc::ThreadCacheStorageBytes(), mapped);
}

// n blocks of `size` bytes, from the calling thread.
std::vector<void*> MallocMany(int n, size_t size) {
  std::vector<void*> blocks;
  blocks.reserve(static_cast<size_t>(n));
  for (int k = 0; k < n; ++k) blocks.push_back(malloc(size));
  return blocks;
}

// A burst: n blocks of `size` bytes allocated, then all freed; returns their
// addresses.
std::vector<void*> Burst(int n, size_t size) {
  std::vector<void*> blocks = MallocMany(n, size);
  for (void* p : blocks) free(p);
  return blocks;
}

// Twenty rounds of 2000 blocks of four classes near 1 KiB allocated and
// freed: refills and flushes enough for many idle-bin sweeps.
void KeepOtherClassesBusy() {
  for (int round = 0; round < 20; ++round) {
    std::vector<void*> blocks;
    for (int k = 0; k < 2000; ++k) blocks.push_back(malloc(1024 + (k % 4) * 16));
    for (void* p : blocks) free(p);
  }
}

TEST(Arenas, FullBinsKeepTheNewestChunksAndReturnTheRest) {
  // A burst of frees overflows the bin (grown by the burst of mallocs
  // before, it returns its oldest half to the pool); every block must come
  // back exactly once.
  std::thread([] {
    std::vector<void*> blocks = MallocMany(100000, 32);
    std::set<void*> distinct(blocks.begin(), blocks.end());
    ASSERT_EQ(distinct.size(), blocks.size());
    for (void* p : blocks) free(p);
    // The most recently freed come back first: they are still cached.
    void* again = malloc(32);
    EXPECT_EQ(again, blocks.back());
    free(again);
    std::vector<void*> second = MallocMany(100000, 32);
    std::set<void*> distinct_again(second.begin(), second.end());
    EXPECT_EQ(distinct_again.size(), second.size());
    for (void* p : second) free(p);
  }).join();
}

TEST(Arenas, FreesOfBlocksOtherThreadsAllocatedDoNotGrowABin) {
  // A thread that allocates a class itself and frees a burst of blocks of it
  // that another thread allocated (a hand-over) keeps no more than its bin
  // held before: bins grow with what a thread allocates.
  const int cls = alloclab::malloc::SizeToClass(256);
  std::vector<void*> blocks = MallocMany(8192, 256);
  std::thread([&] {
    free(malloc(256));  // refills the bin once: the thread allocates the class
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    const ThreadCache::Bin& bin = tc->bins[cls];
    const size_t capacity = bin.capacity;
    const size_t grown = tc->grown_bytes;
    for (void* p : blocks) free(p);
    // Read before asserting: a failure's message allocates.
    const size_t capacity_after = bin.capacity, length_after = tc->Length(cls), grown_after = tc->grown_bytes;
    EXPECT_LE(capacity_after, capacity) << "the bin grew with the frees";
    EXPECT_LE(length_after, capacity);
    EXPECT_LE(grown_after, grown);
  }).join();
}

TEST(Arenas, ABinThatOverflowsWithoutRefillingGivesItsGrowthBack) {
  // A thread that grew a bin with a burst of its own mallocs, and then only
  // frees the class (blocks another thread allocated), needs less room: each
  // overflow with no refill since the last takes a quarter of the capacity,
  // down to the initial length, and returns it to the growth budget.
  const int cls = alloclab::malloc::SizeToClass(256);
  std::vector<void*> blocks = MallocMany(32768, 256);
  std::thread([&] {
    Burst(4096, 256);
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    const size_t grown_capacity = tc->bins[cls].capacity;
    const size_t initial = alloclab::malloc::ClassInfo(cls).cache_max;
    ASSERT_GT(grown_capacity, 4 * initial) << "the burst did not grow the bin";
    const size_t grown_bytes = tc->grown_bytes;
    for (void* p : blocks) free(p);
    const size_t capacity = tc->bins[cls].capacity, length = tc->Length(cls), grown_after = tc->grown_bytes;
    EXPECT_LE(capacity, grown_capacity / 2);
    EXPECT_LT(grown_after, grown_bytes);
    EXPECT_LE(length, capacity);
  }).join();
}

TEST(Arenas, BinsStartPackedAndMoveOutWhenTheyOutgrowTheirRoom) {
  std::thread([] {
    free(malloc(16));
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    using alloclab::malloc::ClassInfo;
    using alloclab::malloc::SizeToClass;
    // Packed: the next class's bin starts right after this one's initial
    // room, so a thread using a few chunks of many classes touches few pages.
    const int c16 = SizeToClass(16), c32 = SizeToClass(32);
    EXPECT_LE(tc->base[c32] - tc->base[c16], ClassInfo(c16).cache_max + 64);
    EXPECT_GT(tc->base[c32], tc->base[c16]);
    // A burst of mallocs grows the capacity; the frees overflow the packed
    // room and the bin moves to its own zone, keeping every chunk.
    const int cls = SizeToClass(256);
    void** const packed_base = tc->base[cls];
    std::vector<void*> blocks = Burst(4096, 256);
    EXPECT_NE(tc->base[cls], packed_base);
    // Copied without allocating: an allocation may sweep the (idle) bin.
    const size_t length = tc->Length(cls);
    ASSERT_GT(length, size_t{ClassInfo(cls).cache_max});
    ASSERT_LE(length, blocks.size());
    void* cached[4096];
    std::copy(tc->base[cls], tc->top[cls], cached);
    std::sort(cached, cached + length);
    EXPECT_EQ(std::adjacent_find(cached, cached + length), cached + length) << "a chunk cached twice";
    std::sort(blocks.begin(), blocks.end());
    for (size_t i = 0; i < length; ++i) EXPECT_TRUE(std::binary_search(blocks.begin(), blocks.end(), cached[i]));
  }).join();
}

TEST(Arenas, AnIdleBinGivesItsChunksBackWhenOtherClassesAreBusy) {
  // A burst of one size class fills (and grows) its bin; once the program
  // moves on to other sizes, the sweeps driven by their refills and flushes
  // return most of it, and its growth, so the pages can serve the new sizes.
  std::thread([] {
    const int idle_class = alloclab::malloc::SizeToClass(256);
    Burst(4096, 256);
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    const ThreadCache::Bin& bin = tc->bins[idle_class];
    const size_t burst = tc->Length(idle_class);
    const size_t grown = tc->grown_bytes;
    ASSERT_GE(burst, 2048u) << "the burst stayed in the cache";
    ASSERT_GT(grown, 0u);
    KeepOtherClassesBusy();
    const size_t left = tc->Length(idle_class);
    EXPECT_LE(left, burst / 16) << "of " << burst << " idle chunks";
    EXPECT_LE(size_t{bin.capacity}, burst / 2) << "capacity given back";
    // A bin in use is not swept: the busy class's chunks are all cached.
    EXPECT_GE(tc->Length(alloclab::malloc::SizeToClass(1024)), 400u);
  }).join();
}

// Resident pages among the whole pages of [from, to).
size_t ResidentPages(void** from, void** to) {
  const uintptr_t page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const uintptr_t start = (reinterpret_cast<uintptr_t>(from) + page - 1) & ~(page - 1);
  const uintptr_t end = reinterpret_cast<uintptr_t>(to) & ~(page - 1);
  if (start >= end) return 0;
  std::vector<unsigned char> in_core((end - start) / page);
  if (mincore(reinterpret_cast<void*>(start), end - start, in_core.data()) != 0) {
    if (errno != ENOMEM || end - start == page) return errno == ENOMEM ? 0 : SIZE_MAX;
    // Some page is unmapped (not resident): count page by page.
    size_t resident = 0;
    for (uintptr_t p = start; p < end; p += page) {
      resident += ResidentPages(reinterpret_cast<void**>(p), reinterpret_cast<void**>(p + page));
    }
    return resident;
  }
  return static_cast<size_t>(std::count_if(in_core.begin(), in_core.end(), [](unsigned char c) { return c & 1; }));
}

TEST(Arenas, AnIdleBinMovesBackToItsPackedRoomAndGivesItsStorageBack) {
  // A burst of 4096 small blocks writes 32 KiB of pointers into the bin's
  // own zone; once the class is idle and the sweeps shrink the bin to its
  // initial length, it moves back and those pages go back to the kernel.
  std::thread([] {
    const int cls = alloclab::malloc::SizeToClass(16);
    free(malloc(16));
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    void** const packed = tc->base[cls];
    Burst(4096, 16);
    void** const own = tc->base[cls];
    ASSERT_NE(own, packed) << "the burst did not move the bin out";
    ASSERT_GE(tc->Length(cls), 4000u);
    EXPECT_GE(ResidentPages(own, own + 4000), 6u);
    KeepOtherClassesBusy();
    EXPECT_EQ(tc->base[cls], packed);
    EXPECT_LE(tc->Length(cls), size_t{alloclab::malloc::ClassInfo(cls).cache_max});
    EXPECT_EQ(ResidentPages(own, own + 4000), 0u);
  }).join();
}

TEST(Arenas, AThreadThatOnlyFreesAClassKeepsNoneOfIt) {
  // A consumer frees what a producer allocated: its bin must neither grow
  // nor stay full (the chunks are the producer's to reuse), while the
  // producer's own bin, which refills, still grows with a burst.
  const int cls = alloclab::malloc::SizeToClass(256);
  std::vector<void*> blocks = MallocMany(8192, 256);
  std::thread([&] {
    for (void* p : blocks) free(p);
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    const ThreadCache::Bin& bin = tc->bins[cls];
    EXPECT_LE(size_t{bin.capacity}, size_t{alloclab::malloc::ClassInfo(cls).cache_max}) << "the consumer's bin grew";
    // Back a batch at a time: the chunks are the producer's to reuse.
    EXPECT_LE(size_t{tc->Length(cls)}, size_t{alloclab::malloc::ClassInfo(cls).batch}) << "chunks held";
    EXPECT_EQ(tc->grown_bytes, 0u);
  }).join();
  std::thread([] {
    Burst(4096, 256);
    ThreadCache* tc = ActiveCache();
    ASSERT_NE(tc, nullptr);
    EXPECT_GT(tc->grown_bytes, 0u) << "a thread that allocates the class keeps its burst";
  }).join();
}

TEST(Arenas, ThreadsBeyondTheCpusShareTheGrowthBudget) {
  // The bins' growth budget is kGrowthBudgetBytes per CPU, shared by the
  // threads with caches: four times as many threads as CPUs, each with a
  // burst that would grow its bins by 4 MiB, hold a fraction of that each.
  const int cpus = get_nprocs() > 0 ? get_nprocs() : 1;
  const int n = 4 * cpus + 4;
  const size_t share = ThreadCache::kGrowthBudgetBytes * static_cast<size_t>(cpus) / static_cast<size_t>(n);
  std::atomic<int> active{0};
  std::vector<size_t> grown(static_cast<size_t>(n));
  RunTogether(n, [&](int i) {
    free(malloc(16));  // every cache active before any burst
    ++active;
    while (active.load() < n) std::this_thread::yield();
    Burst(4096, 1024);
    ThreadCache* tc = ActiveCache();
    grown[static_cast<size_t>(i)] = tc != nullptr ? tc->grown_bytes : ~size_t{0};
  });
  for (int i = 0; i < n; ++i) EXPECT_LE(grown[static_cast<size_t>(i)], share) << "thread " << i;
  // Alone (with the main thread), a thread keeps more of the same burst.
  size_t alone = 0;
  std::thread([&] {
    Burst(4096, 1024);
    ThreadCache* tc = ActiveCache();
    alone = tc != nullptr ? tc->grown_bytes : 0;
  }).join();
  EXPECT_GT(alone, share);
  malloc_trim(0);  // the exited threads' chunks, in the arenas they spread to
}

size_t TransferBytes() {
  size_t total = 0;
  ForEachArena([&](Arena* a) { total += a->Stats().transfer_bytes; });
  return total;
}

// Sets the decay time for a scope (a failed assertion returns early: the
// tests after it keep the default).
class DecayFor {
 public:
  explicit DecayFor(uint64_t ms) { Arena::SetDecayMs(ms); }
  ~DecayFor() { Arena::SetDecayMs(Arena::kDefaultDecayMs); }
  DecayFor(const DecayFor&) = delete;
  DecayFor& operator=(const DecayFor&) = delete;
};

TEST(Arenas, TransferCachesKeepAtMostHalfTheHeapAndDecayWhenUnused) {
  // 32 MiB of 8 KiB blocks freed by a thread that did not allocate them:
  // the transfer caches keep some for the next refill, within the budget.
  // Other tests' chunks out of the way first: another arena's transfer
  // caches would count until their decay.
  malloc_trim(0);
  std::vector<void*> big = MallocMany(4096, 8192);
  std::thread([&] {
    for (void* p : big) free(p);
  }).join();
  // The budget (half the arena's heap in use) is checked as chunks arrive,
  // when the heap still holds most of the 32 MiB.
  const size_t kept = TransferBytes();
  EXPECT_GT(kept, size_t{1} << 20) << "chunks handed between threads were not kept";
  EXPECT_LE(kept, size_t{17} << 20) << "the transfer caches kept more than half the heap";

  // Nobody takes them for a decay period: the next frees flush them.
  DecayFor decay(20);
  std::vector<void*> small = MallocMany(8192, 64);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  std::thread([&] {
    for (void* p : small) free(p);
  }).join();
  EXPECT_LT(TransferBytes(), size_t{1} << 20) << "unused transfer caches were kept";
}

TEST(Arenas, AnIdleTransferCacheGoesBackToTheKernelAtTheNextFree) {
  // A program frees 32 MiB from another thread, then goes quiet: the chunks
  // the transfer caches kept are returned at the first free after a decay
  // period, and their pages with them, not a decay period later.
  DecayFor decay(20);
  std::vector<void*> big = MallocMany(4096, 8192);
  for (void* p : big) memset(p, 1, 8192);
  std::thread([&] {
    for (void* p : big) free(p);
  }).join();
  ASSERT_GT(TransferBytes(), size_t{1} << 20);
  auto resident = [&big] {
    size_t pages = 0;
    for (void* p : big) pages += ResidentPages(static_cast<void**>(p), static_cast<void**>(p) + 8192 / sizeof(void*));
    return pages;
  };
  const size_t before = resident();
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  // The next free reaches the arena that holds them (chunks go back to the
  // arena that owns them: this thread's), whichever arena the freeing
  // thread uses; its cache drains at exit.
  void* next = malloc(16);
  std::thread([next] { free(next); }).join();
  const size_t after = resident();
  EXPECT_LT(TransferBytes(), size_t{1} << 20) << "the idle transfer cache was kept";
  EXPECT_LE(after, before / 8) << "of " << before << " pages resident before";
}

TEST(Arenas, AnArenaNobodyFreesIntoStillDecays) {
  // Per CPU: blocks allocated on the last CPU belong to its arena; freed
  // from another thread, they wait in that arena's transfer caches. Then
  // only the main arena is used. Without frees into the other arena, only
  // other threads' decay work (DecayIdleArenas) gives its chunks back.
  const int cpus = static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  if (cpus < 2 || ArenaLimit() < 2) GTEST_SKIP() << "one arena per CPU needs two CPUs";
  const int last = (cpus < ArenaLimit() ? cpus : ArenaLimit()) - 1;
  Arena* idle = nullptr;
  int i = 0;
  malloc_trim(0);
  SetPerCpu(true);
  auto pin = [](int cpu) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
  };
  bool pinned = true;
  std::vector<void*> big;
  std::thread([&] {
    if (!(pinned = pin(last))) return;
    big = MallocMany(4096, 8192);
  }).join();
  std::thread([&] {
    if (!(pinned = pinned && pin(0))) return;
    for (void* p : big) free(p);
  }).join();
  // Per thread again: a new thread attaches to the main arena and holds no
  // chunk of the idle one (per CPU, a thread's first mallocs, before it is
  // pinned, may take chunks of any CPU's arena, and freeing them would be a
  // free into the idle arena).
  SetPerCpu(false);
  if (!pinned) GTEST_SKIP() << "threads cannot be pinned here";
  ForEachArena([&](Arena* a) {
    if (i++ == last) idle = a;
  });
  ASSERT_NE(idle, nullptr);
  ASSERT_GT(idle->Stats().transfer_bytes, size_t{1} << 20) << "the test's premise: chunks parked in the idle arena";
  ASSERT_NE(idle, MainArena());
  // The setup ran with the default decay (1 s): a late free there cannot
  // have flushed the chunks already.
  DecayFor decay(20);
  std::this_thread::sleep_for(std::chrono::milliseconds(60));
  // Refills and flushes of the main arena only (8 MiB a round, more than a
  // thread's bins hold), whose thread cache sweeps its bins every
  // kSweepInterval of them. The check is in the loop, outside the
  // allocator: a bound on the rounds, not on the time.
  std::thread([&] {
    for (int round = 0; round < 200 && idle->Stats().transfer_bytes >= size_t{1} << 20; ++round) {
      std::vector<void*> blocks = MallocMany(1024, 8192);
      for (void* p : blocks) free(p);
    }
  }).join();
  EXPECT_LT(idle->Stats().transfer_bytes, size_t{1} << 20) << "the idle arena kept its transfer caches";
}

}  // namespace
