// Multi-threaded allocation patterns for allocator comparisons:
//   thread_patterns --pattern=producer-consumer --threads=N   half the threads
//       only allocate (blocks filled), half only free (contents checked);
//       every block crosses threads, through a bounded queue
//   thread_patterns --pattern=thread-churn --threads=N        thousands of
//       short-lived threads, N alive at a time, each allocating and freeing
//   thread_patterns --pattern=false-sharing --threads=N       each thread
//       allocates small objects and hammers them; an allocator that hands
//       neighbouring chunks of one cache line to different threads pays for
//       cache-line ping-pong
// The work is fixed whatever N; prints a checksum so nothing is optimised out.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

long Flag(int argc, char** argv, const char* name, long fallback) {
  const size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return std::atol(argv[i] + n + 1);
  }
  return fallback;
}

std::string StringFlag(int argc, char** argv, const char* name) {
  const size_t n = std::strlen(name);
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
  }
  return "";
}

uint64_t Mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  return x ^ (x >> 29);
}

// Batches of 256 blocks in flight at most: 64 (16384 blocks).
constexpr size_t kMaxQueuedBatches = 64;

struct Queue {
  std::mutex mu;
  std::condition_variable cv;     // a batch is there (or the producers are done)
  std::condition_variable space;  // the queue has room
  std::deque<std::vector<uint8_t*>> batches;
  int producers_left = 0;
};

uint64_t ProducerConsumer(int threads, long total) {
  const int producers = threads > 1 ? threads / 2 : 1;
  const int consumers = threads > 1 ? threads - producers : 1;
  Queue q;
  q.producers_left = producers;
  std::atomic<uint64_t> sum{0};
  std::atomic<long> bad{0};
  std::vector<std::thread> pool;
  for (int p = 0; p < producers; ++p) {
    pool.emplace_back([&, p] {
      std::vector<uint8_t*> batch;
      for (long i = 0; i < total / producers; ++i) {
        const uint64_t r = Mix(static_cast<uint64_t>(i) * 31 + static_cast<uint64_t>(p));
        const size_t size = 16 + r % (r % 64 == 0 ? 8000 : 400);
        auto* b = static_cast<uint8_t*>(std::malloc(size));
        std::memset(b, static_cast<int>(size & 0xff), size);
        batch.push_back(b);
        if (batch.size() == 256) {
          std::unique_lock<std::mutex> l(q.mu);
          // Bounded, as a real program's queue is: otherwise producers that
          // outrun the consumers pile blocks up, and peak RSS measures the
          // scheduler (glibc measured 126-788 MB), not the allocator.
          q.space.wait(l, [&] { return q.batches.size() < kMaxQueuedBatches; });
          q.batches.push_back(std::move(batch));
          batch.clear();
          q.cv.notify_one();
        }
      }
      std::lock_guard<std::mutex> l(q.mu);
      q.batches.push_back(std::move(batch));
      --q.producers_left;
      q.cv.notify_all();
    });
  }
  for (int c = 0; c < consumers; ++c) {
    pool.emplace_back([&] {
      for (;;) {
        std::vector<uint8_t*> batch;
        {
          std::unique_lock<std::mutex> l(q.mu);
          q.cv.wait(l, [&] { return !q.batches.empty() || q.producers_left == 0; });
          if (q.batches.empty()) return;
          batch = std::move(q.batches.front());
          q.batches.pop_front();
          q.space.notify_one();
        }
        for (uint8_t* b : batch) {
          sum += b[0];
          std::free(b);
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  if (bad.load() != 0) std::abort();
  return sum.load();
}

uint64_t ThreadChurn(int threads, long total) {
  // total operations over many threads of 1000 operations each.
  std::atomic<uint64_t> sum{0};
  const long per_thread = 1000;
  long started = 0;
  while (started < total) {
    std::vector<std::thread> wave;
    for (int t = 0; t < threads && started < total; ++t, started += per_thread) {
      wave.emplace_back([&, seed = started] {
        std::vector<void*> live;
        uint64_t s = 0;
        for (long i = 0; i < per_thread; ++i) {
          const uint64_t r = Mix(static_cast<uint64_t>(seed + i));
          if (live.size() < 64 || r % 3 != 0) {
            auto* b = static_cast<uint8_t*>(std::malloc(16 + r % 1000));
            b[0] = static_cast<uint8_t>(r);
            live.push_back(b);
          } else {
            const size_t k = r % live.size();
            s += static_cast<uint8_t*>(live[k])[0];
            std::free(live[k]);
            live[k] = live.back();
            live.pop_back();
          }
        }
        for (void* b : live) std::free(b);
        sum += s;
      });
    }
    for (auto& t : wave) t.join();
  }
  return sum.load();
}

uint64_t FalseSharing(int threads, long total) {
  // Threads allocate in lock step (a barrier per round), so an allocator
  // with one shared heap interleaves their small chunks; then each thread
  // increments its own objects many times.
  const long rounds = total / (threads * 50L) + 1;
  std::atomic<uint64_t> sum{0};
  std::atomic<int> arrived{0};
  std::atomic<long> generation{0};
  auto barrier = [&] {
    const long gen = generation.load();
    if (arrived.fetch_add(1) + 1 == threads) {
      arrived = 0;
      generation.fetch_add(1);
    } else {
      while (generation.load() == gen) std::this_thread::yield();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      uint64_t s = 0;
      for (long r = 0; r < rounds; ++r) {
        std::vector<volatile uint64_t*> mine;
        for (int i = 0; i < 8; ++i) {
          mine.push_back(static_cast<volatile uint64_t*>(std::malloc(16 + (i % 3) * 16)));
          *mine.back() = 0;
        }
        barrier();
        for (int k = 0; k < 1000; ++k) {
          for (volatile uint64_t* p : mine) *p = *p + 1;
        }
        for (volatile uint64_t* p : mine) {
          s += *p;
          std::free(const_cast<uint64_t*>(p));
        }
      }
      sum += s;
    });
  }
  for (auto& t : pool) t.join();
  return sum.load();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string pattern = StringFlag(argc, argv, "--pattern");
  const int threads = static_cast<int>(Flag(argc, argv, "--threads", 2));
  const long ops = Flag(argc, argv, "--ops", 4000000);
  if (threads < 1 || threads > 4096 || ops < 1) {
    std::fprintf(stderr, "thread_patterns: --threads must be 1..4096 and --ops positive\n");
    return 2;
  }
  uint64_t sum;
  if (pattern == "producer-consumer") {
    sum = ProducerConsumer(threads, ops);
  } else if (pattern == "thread-churn") {
    sum = ThreadChurn(threads, ops);
  } else if (pattern == "false-sharing") {
    sum = FalseSharing(threads, ops);
  } else {
    std::fprintf(stderr,
                 "usage: thread_patterns --pattern=producer-consumer|thread-churn|false-sharing "
                 "--threads=N [--ops=N]\n");
    return 2;
  }
  std::printf("%s threads=%d checksum=%llu\n", pattern.c_str(), threads, static_cast<unsigned long long>(sum));
  return 0;
}
