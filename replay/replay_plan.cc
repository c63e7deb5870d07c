// MakeReplayPlan: traced threads onto workers, and the dry run of the waits.
#include "replay/replay_plan.h"

#include <sys/mman.h>

#include <cstdio>
#include <utility>

#include "replay/op_stream.h"

namespace alloclab::replay {
namespace {

void* MapZeroed(size_t n) {
  void* p = mmap(nullptr, n == 0 ? 1 : n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return p == MAP_FAILED ? nullptr : p;
}

// Carves typed arrays out of one mapping.
class Carver {
 public:
  explicit Carver(void* base) : next_(static_cast<char*>(base)) {}
  template <typename T>
  T* Take(size_t n) {
    T* p = reinterpret_cast<T*>(next_);
    next_ += (n * sizeof(T) + 7) & ~size_t{7};
    return p;
  }

 private:
  char* next_;
};

// A binary min-heap of worker indexes keyed by key[w], in caller memory.
class WorkerHeap {
 public:
  WorkerHeap(uint32_t* a, const uint64_t* key) : a_(a), key_(key) {}
  bool empty() const { return n_ == 0; }
  uint32_t top() const { return a_[0]; }
  void Push(uint32_t w) {
    size_t i = n_++;
    a_[i] = w;
    while (i > 0 && key_[a_[(i - 1) / 2]] > key_[a_[i]]) {
      std::swap(a_[(i - 1) / 2], a_[i]);
      i = (i - 1) / 2;
    }
  }
  void Pop() {
    a_[0] = a_[--n_];
    for (size_t i = 0;;) {
      size_t c = 2 * i + 1;
      if (c >= n_) break;
      if (c + 1 < n_ && key_[a_[c + 1]] < key_[a_[c]]) ++c;
      if (key_[a_[i]] <= key_[a_[c]]) break;
      std::swap(a_[i], a_[c]);
      i = c;
    }
  }

 private:
  uint32_t* a_;
  const uint64_t* key_;
  size_t n_ = 0;
};

// Sorts thread indexes by their first op (heap sort: no allocation).
void SortByFirstOp(uint32_t* a, size_t n, const ThreadEntry* threads) {
  auto less = [&](uint32_t x, uint32_t y) { return threads[x].first_op < threads[y].first_op; };
  auto sift = [&](size_t i, size_t end) {
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= end) return;
      if (c + 1 < end && less(a[c], a[c + 1])) ++c;
      if (!less(a[i], a[c])) return;
      std::swap(a[i], a[c]);
      i = c;
    }
  };
  for (size_t i = n / 2; i-- > 0;) sift(i, n);
  for (size_t end = n; end > 1; --end) {
    std::swap(a[0], a[end - 1]);
    sift(0, end - 1);
  }
}

// Where one worker stands in the dry run.
struct Cursor {
  uint32_t thread;
  uint32_t waiting_next;  // the next worker waiting on the same thread
  uint64_t block;
  uint64_t index;  // within the block
  uint64_t pos;    // within the thread
  uint64_t want;   // the op count it waits for
};

// Runs every worker over its threads' ops, honouring only the waits. Since a
// wait's condition only ever becomes true, any order of running the workers
// ends in the same state: all done, or some stuck for good.
bool DryRun(const PreparedView& v, uint32_t workers, const uint32_t* first, const uint32_t* next, void* scratch,
            char* error, size_t n) {
  const uint64_t threads = v.header->threads;
  Carver c(scratch);
  uint64_t* done = c.Take<uint64_t>(threads);
  uint32_t* waiters = c.Take<uint32_t>(threads);
  Cursor* cur = c.Take<Cursor>(workers);
  uint32_t* runnable = c.Take<uint32_t>(workers);
  size_t nrunnable = 0;
  for (uint64_t t = 0; t < threads; ++t) waiters[t] = kNoThread;
  if (v.header->prologue_thread != 0) done[v.header->prologue_thread - 1] = v.threads[v.header->prologue_thread - 1].ops;
  for (uint32_t w = 0; w < workers; ++w) {
    cur[w] = Cursor{first[w], kNoThread, 0, 0, 0, 0};
    runnable[nrunnable++] = w;
  }
  // Makes the workers waiting on thread t runnable once t got far enough.
  auto wake = [&](uint32_t t) {
    uint32_t* link = &waiters[t];
    while (*link != kNoThread) {
      const uint32_t w = *link;
      if (done[t] >= cur[w].want) {
        *link = cur[w].waiting_next;
        runnable[nrunnable++] = w;
      } else {
        link = &cur[w].waiting_next;
      }
    }
  };
  uint32_t finished = 0;
  while (nrunnable > 0) {
    Cursor& k = cur[runnable[--nrunnable]];
    const uint32_t self = static_cast<uint32_t>(&k - cur);
    while (k.thread != kNoThread) {
      const uint32_t t = k.thread;
      if (k.pos == v.threads[t].ops) {
        wake(t);
        k = Cursor{next[t], kNoThread, 0, 0, 0, 0};
        continue;
      }
      const BlockRef& b = v.Blocks(t)[k.block];
      const Op& o = v.BlockOps(b)[k.index];
      if (o.kind == OpKind::kWait && done[o.slot] < o.size) {
        wake(t);
        k.want = o.size;
        k.waiting_next = waiters[o.slot];
        waiters[o.slot] = self;
        break;
      }
      const uint64_t step = HasArg(o.kind) ? 2 : 1;  // MapPrepared: the argument is in the block
      k.index += step;
      k.pos += step;
      done[t] = k.pos;
      if (k.index == b.ops) {
        ++k.block;
        k.index = 0;
      }
    }
    if (k.thread == kNoThread) ++finished;
  }
  if (finished == workers) return true;
  for (uint32_t w = 0; w < workers; ++w) {
    if (cur[w].thread == kNoThread) continue;
    const Op& o = v.BlockOps(v.Blocks(cur[w].thread)[cur[w].block])[cur[w].index];
    snprintf(error, n,
             "corrupt prepared file: its waits deadlock (thread %u waits at op %llu for op %llu of thread %u, "
             "which never gets there)",
             cur[w].thread, static_cast<unsigned long long>(cur[w].pos), static_cast<unsigned long long>(o.size),
             o.slot);
    break;
  }
  return false;
}

}  // namespace

bool MakeReplayPlan(const PreparedView& v, ReplayPlan* plan, char* error, size_t n) {
  *plan = ReplayPlan();
  const PreparedHeader& h = *v.header;
  const uint64_t threads = h.threads;  // <= kMaxPreparedThreads: no product below overflows
  plan->slots_bytes = (h.slots == 0 ? 1 : h.slots) * sizeof(void*);
  plan->progress_bytes = (threads == 0 ? 1 : threads) * 64;
  plan->mapping_bytes = 2 * (threads + 1) * sizeof(uint32_t) + 8;
  plan->mapping = MapZeroed(plan->mapping_bytes);
  // Scratch: the order, the heap and the dry run's state, at most a worker per thread.
  const size_t scratch_bytes = (threads + 1) * (2 * sizeof(uint32_t) + sizeof(uint64_t) + 8) +
                               (threads + 1) * (3 * sizeof(uint32_t) + 2 * sizeof(uint64_t) + sizeof(Cursor) + 32);
  void* scratch = MapZeroed(scratch_bytes);
  if (plan->mapping == nullptr || scratch == nullptr) {
    if (scratch != nullptr) munmap(scratch, scratch_bytes);
    FreeReplayPlan(plan);
    snprintf(error, n, "out of memory planning the replay of %llu threads", static_cast<unsigned long long>(threads));
    return false;
  }
  Carver kept(plan->mapping);
  uint32_t* first = kept.Take<uint32_t>(threads + 1);
  uint32_t* next = kept.Take<uint32_t>(threads + 1);
  plan->first_thread = first;
  plan->next_thread = next;

  // Greedy interval partitioning, in order of first op: a thread goes to the
  // worker whose latest thread ended first, if that was before it starts.
  Carver c(scratch);
  uint32_t* order = c.Take<uint32_t>(threads);
  uint32_t* heap = c.Take<uint32_t>(threads);
  uint64_t* ends = c.Take<uint64_t>(threads);   // per worker: its latest thread's last op
  uint32_t* latest = c.Take<uint32_t>(threads);  // per worker: its latest thread
  size_t active = 0;
  for (uint64_t t = 0; t < threads; ++t) {
    next[t] = kNoThread;
    // The heap-rebuilding thread of a window runs before the workers start.
    if (v.threads[t].ops != 0 && t + 1 != v.header->prologue_thread) order[active++] = static_cast<uint32_t>(t);
  }
  SortByFirstOp(order, active, v.threads);
  WorkerHeap workers(heap, ends);
  uint32_t nworkers = 0;
  bool ok = true;
  for (size_t i = 0; i < active && ok; ++i) {
    const uint32_t t = order[i];
    uint32_t w;
    if (!workers.empty() && ends[workers.top()] < v.threads[t].first_op) {
      w = workers.top();
      workers.Pop();
      next[latest[w]] = t;
    } else if (nworkers == kMaxWorkers) {
      snprintf(error, n, "the trace has more than %u threads alive at once; the replay runs at most that many",
               kMaxWorkers);
      ok = false;
      break;
    } else {
      w = nworkers++;
      first[w] = t;
    }
    latest[w] = t;
    ends[w] = v.threads[t].last_op;
    workers.Push(w);
  }
  plan->workers = nworkers;
  if (ok) {
    // The dry run reuses the scratch from the start: the assignment is done.
    munmap(scratch, scratch_bytes);
    scratch = MapZeroed(scratch_bytes);
    ok = scratch != nullptr && DryRun(v, nworkers, first, next, scratch, error, n);
    if (scratch == nullptr) snprintf(error, n, "out of memory planning the replay");
  }
  if (scratch != nullptr) munmap(scratch, scratch_bytes);
  if (!ok) FreeReplayPlan(plan);
  return ok;
}

void FreeReplayPlan(ReplayPlan* plan) {
  if (plan->mapping != nullptr) munmap(plan->mapping, plan->mapping_bytes);
  *plan = ReplayPlan();
}

}  // namespace alloclab::replay
