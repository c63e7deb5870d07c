// HelperThread: starting, running and stopping the tracer's thread.
#include "tracer/helper_thread.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "base/futex.h"
#include "tracer/clock.h"

namespace alloclab::tracer {
namespace {

using base::FutexWait;
using base::FutexWake;

HelperThread* g_running = nullptr;  // the one whose thread runs, for WakeRunning

// Called by the first event that reads the clock after the tick stopped.
void WakeRunning() {
  if (g_running != nullptr) g_running->Notify();
}

}  // namespace

void HelperThread::TickBetweenPieces() {
  if (g_running != nullptr) g_running->MaybeTick();
}

void HelperThread::Open(const Work& work) {
  work_ = work;
  stop_.store(false);
  state_.store(0);
  done_.store(0);
}

void HelperThread::Notify() {
  if (work_.file == nullptr) return;
  wake_.fetch_add(1, std::memory_order_release);
  const int state = state_.load(std::memory_order_acquire);
  if (state == 1) {
    FutexWake(&wake_);
    return;
  }
  int expected = 0;
  if (state != 0 || !state_.compare_exchange_strong(expected, 1)) return;
  // Every signal blocked in it: the program's signals go to its own threads.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_attr_setstacksize(&attr, 256 << 10);
  pthread_t thread;
  const int rc = pthread_create(&thread, &attr, ThreadMain, this);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) {
    state_.store(2);  // Finish compresses everything itself; every event reads the clock
  } else {
    pid_ = getpid();
    pthread_setname_np(thread, "malloctrace");
  }
}

void* HelperThread::ThreadMain(void* self) {
  auto* b = static_cast<HelperThread*>(self);
  if (b->work_.thread_init != nullptr) b->work_.thread_init();
  b->Run();
  return nullptr;
}

void HelperThread::MaybeTick() {
  switch (tick_.Step(MonotonicNs(), work_.events->load(std::memory_order_relaxed))) {
    case TickPolicy::Action::kTick:
      Tick();
      break;
    case TickPolicy::Action::kStop:
      StopTicking(WakeRunning);  // the first event that reads the clock wakes us
      break;
    case TickPolicy::Action::kNone:
      break;
  }
}

void HelperThread::Run() {
  tick_.Reset(work_.events->load(std::memory_order_relaxed));
  g_running = this;
  while (!stop_.load(std::memory_order_acquire)) {
    const uint32_t seen = wake_.load(std::memory_order_acquire);
    MaybeTick();
    if (work_.each_turn != nullptr) work_.each_turn();
    work_.file->PrepareSlots();
    // One slot at a time, ticking between its pieces.
    if (work_.compressor != nullptr && work_.compressor->CompressNext(TickBetweenPieces)) continue;
    const uint64_t after = MonotonicNs();
    if (after < tick_.next_tick_ns()) FutexWait(&wake_, seen, tick_.next_tick_ns() - after);
  }
  StopTicking(nullptr);
  g_running = nullptr;
  done_.store(1, std::memory_order_release);
  FutexWake(&done_);
}

bool HelperThread::Stop() {
  // Not started, or started by the parent of a process forked without
  // atfork handlers (_Fork, clone): no thread to wait for.
  if (state_.load() != 1 || getpid() != pid_) return false;
  stop_.store(true, std::memory_order_release);
  wake_.fetch_add(1, std::memory_order_release);
  FutexWake(&wake_);
  // Bounded: the thread could be stuck behind a lock held by a thread that
  // a signal stopped. Then the trace stays raw.
  for (int i = 0; i < 50 && done_.load(std::memory_order_acquire) == 0; ++i) FutexWait(&done_, 0, 100000000);
  return done_.load(std::memory_order_acquire) != 0;
}

void HelperThread::Abandon() {
  Open({});  // Notify does nothing until the child opens its own trace
  g_running = nullptr;
  StopTicking(nullptr);
}

}  // namespace alloclab::tracer
