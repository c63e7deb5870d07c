// The interposed entry points. Each forwards to the next allocator in the
// lookup order (glibc's, or one preloaded after us) and records the call as
// it returned. dlsym(RTLD_NEXT) itself calls calloc, so calls made while the
// real functions are being looked up are served from a static buffer, whose
// blocks are recognised (and ignored) when freed.
#include <alloca.h>
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "trace/event.h"
#include "tracer/interpose.h"
#include "tracer/recorder.h"

#define EXPORT extern "C" __attribute__((visibility("default")))

namespace alloclab::tracer {
namespace {

using trace::Event;
using trace::Kind;

struct RealFunctions {
  void* (*malloc)(size_t);
  void (*free)(void*);
  void* (*calloc)(size_t, size_t);
  void* (*realloc)(void*, size_t);
  void* (*reallocarray)(void*, size_t, size_t);
  void* (*memalign)(size_t, size_t);
  int (*posix_memalign)(void**, size_t, size_t);
  void* (*aligned_alloc)(size_t, size_t);
  void* (*valloc)(size_t);
  void* (*pvalloc)(size_t);
  size_t (*malloc_usable_size)(void*);
  pid_t (*fork)();
  int (*execve)(const char*, char* const[], char* const[]);
  int (*execvpe)(const char*, char* const[], char* const[]);
};
RealFunctions g_real;
std::atomic<int> g_resolve_state{0};  // 0 not yet, 1 under way, 2 done

// The bootstrap buffer for allocations made by dlsym while resolving.
alignas(64) char g_bootstrap[256 << 10];
std::atomic<size_t> g_bootstrap_used{0};

bool IsBootstrap(const void* p) {
  return p >= static_cast<const void*>(g_bootstrap) &&
         p < static_cast<const void*>(g_bootstrap + sizeof(g_bootstrap));
}

void* BootstrapAlloc(size_t size, size_t align = 16) {
  size_t at = g_bootstrap_used.load();
  size_t start;
  do {
    start = (at + align - 1) & ~(align - 1);
    if (start + size > sizeof(g_bootstrap)) return nullptr;
  } while (!g_bootstrap_used.compare_exchange_weak(at, start + size));
  return g_bootstrap + start;  // static storage: already zero
}

template <typename F>
void Lookup(F* slot, const char* name) {
  *slot = reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

void ChildHandler();

bool ResolveSlow();

// Returns true when the real functions can be called.
inline bool Resolve() {
  return __builtin_expect(g_resolve_state.load(std::memory_order_acquire) == 2, 1) || ResolveSlow();
}

// For fork and exec, which have no fallback: waits while another thread is
// still looking the real functions up (dlsym never forks or execs, so this
// thread is not the one doing it).
void ResolveNow() {
  while (!Resolve()) sched_yield();
}

__attribute__((noinline)) bool ResolveSlow() {
  int state = g_resolve_state.load(std::memory_order_acquire);
  if (state == 2) return true;
  if (state == 1) return false;  // inside dlsym: the caller uses the bootstrap buffer
  int expected = 0;
  if (!g_resolve_state.compare_exchange_strong(expected, 1)) {
    while (g_resolve_state.load() != 2) {
    }
    return true;
  }
  Lookup(&g_real.malloc, "malloc");
  Lookup(&g_real.free, "free");
  Lookup(&g_real.calloc, "calloc");
  Lookup(&g_real.realloc, "realloc");
  Lookup(&g_real.reallocarray, "reallocarray");
  Lookup(&g_real.memalign, "memalign");
  Lookup(&g_real.posix_memalign, "posix_memalign");
  Lookup(&g_real.aligned_alloc, "aligned_alloc");
  Lookup(&g_real.valloc, "valloc");
  Lookup(&g_real.pvalloc, "pvalloc");
  Lookup(&g_real.malloc_usable_size, "malloc_usable_size");
  Lookup(&g_real.fork, "fork");
  Lookup(&g_real.execve, "execve");
  Lookup(&g_real.execvpe, "execvpe");
  g_resolve_state.store(2, std::memory_order_release);
  StartTracing();
  pthread_atfork(nullptr, nullptr, ChildHandler);
  return true;
}

uint64_t g_fork_seq = 0;
void ChildHandler() { ChildAfterFork(g_fork_seq); }

// The trace opens when the library loads, not at the first call: a program
// (an exec'd image) that never allocates still leaves its trace. Usually the
// loader's or libc's first malloc has resolved everything already.
__attribute__((constructor)) void ResolveAtLoad() { ResolveNow(); }

inline uint64_t Addr(const void* p) { return reinterpret_cast<uint64_t>(p); }

// Records an allocation-like call (stamped after the real call returned).
void RecordResult(RecordingScope& scope, Event& e) {
  Stamp(&e);
  scope.Record(e);
}

// Records a call that returned block p for (alignment, size); returns p.
void* RecordAllocation(RecordingScope& scope, Kind kind, void* p, uint64_t size, uint64_t alignment = 0) {
  Event e;
  e.kind = kind;
  e.alignment = alignment;
  e.size = size;
  e.out = Addr(p);
  RecordResult(scope, e);
  return p;
}

// A plain free(p) of a block, in an entered scope: stamped before the real
// free (see recorder.h).
[[gnu::always_inline]] inline void FreeAndRecord(RecordingScope& scope, void* p) {
  const Stamped s = Now();
  g_real.free(p);
  scope.RecordFree(s, Addr(p));
}

}  // namespace

void TracedFree(void* p, Kind kind, uint64_t size, uint64_t alignment) {
  if (p == nullptr || IsBootstrap(p)) {
    if (p == nullptr && Resolve()) {
      RecordingScope scope;
      if (!scope.entered()) return;
      Event e;
      e.kind = kind;
      e.size = size;
      e.alignment = alignment;
      RecordResult(scope, e);
    }
    return;
  }
  if (!Resolve()) {
    if (g_real.free != nullptr) g_real.free(p);
    return;
  }
  RecordingScope scope;
  if (!scope.entered()) return g_real.free(p);
  if (kind == Kind::kFree) return FreeAndRecord(scope, p);
  Event e;
  e.kind = kind;
  e.in = Addr(p);
  e.size = size;
  e.alignment = alignment;
  Stamp(&e);
  g_real.free(p);
  scope.Record(e);
}

}  // namespace alloclab::tracer

using alloclab::tracer::Addr;
using alloclab::tracer::BootstrapAlloc;
using alloclab::tracer::FreeAndRecord;
using alloclab::tracer::g_real;
using alloclab::tracer::IsBootstrap;
using alloclab::tracer::RecordAllocation;
using alloclab::tracer::RecordingScope;
using alloclab::tracer::RecordResult;
using alloclab::tracer::Resolve;
using alloclab::trace::Event;
using alloclab::trace::Kind;

EXPORT void* malloc(size_t size) {
  if (!Resolve()) return BootstrapAlloc(size);
  RecordingScope scope;
  if (!scope.entered()) return g_real.malloc(size);
  void* p = g_real.malloc(size);
  scope.RecordMalloc(size, Addr(p));
  return p;
}

EXPORT void free(void* p) {
  // The common case inline; NULL, bootstrap blocks and untraced calls (inside
  // the tracer, before tracing starts) take TracedFree's full path.
  if (__builtin_expect(p != nullptr && !IsBootstrap(p) && Resolve(), 1)) {
    RecordingScope scope;
    if (__builtin_expect(scope.entered(), 1)) return FreeAndRecord(scope, p);
    return g_real.free(p);  // inside the tracer, or not tracing
  }
  alloclab::tracer::TracedFree(p, Kind::kFree, 0, 0);
}

EXPORT void* calloc(size_t count, size_t size) {
  if (!Resolve()) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) return nullptr;
    return BootstrapAlloc(total);
  }
  RecordingScope scope;
  if (!scope.entered()) return g_real.calloc(count, size);
  void* p = g_real.calloc(count, size);
  Event e;
  e.kind = Kind::kCalloc;
  e.count = count;
  e.size = size;
  e.out = Addr(p);
  RecordResult(scope, e);
  return p;
}

EXPORT void* realloc(void* p, size_t size) {
  if (!Resolve() || IsBootstrap(p)) {
    // A bootstrap block grows by copying into a new block.
    void* q = Resolve() ? g_real.malloc(size) : BootstrapAlloc(size);
    if (q != nullptr && p != nullptr) {
      const size_t room = static_cast<size_t>(alloclab::tracer::g_bootstrap + sizeof(alloclab::tracer::g_bootstrap) -
                                              static_cast<char*>(p));
      std::memcpy(q, p, size < room ? size : room);
    }
    return q;
  }
  RecordingScope scope;
  if (!scope.entered()) return g_real.realloc(p, size);
  void* q = g_real.realloc(p, size);
  Event e;
  e.kind = Kind::kRealloc;
  e.in = Addr(p);
  e.size = size;
  e.out = Addr(q);
  RecordResult(scope, e);
  return q;
}

EXPORT void* reallocarray(void* p, size_t count, size_t size) {
  if (!Resolve() || IsBootstrap(p) || g_real.reallocarray == nullptr) {
    size_t total;
    if (__builtin_mul_overflow(count, size, &total)) {
      errno = ENOMEM;
      return nullptr;
    }
    return realloc(p, total);
  }
  RecordingScope scope;
  if (!scope.entered()) return g_real.reallocarray(p, count, size);
  void* q = g_real.reallocarray(p, count, size);
  Event e;
  e.kind = Kind::kReallocArray;
  e.in = Addr(p);
  e.count = count;
  e.size = size;
  e.out = Addr(q);
  RecordResult(scope, e);
  return q;
}

EXPORT void* memalign(size_t align, size_t size) {
  if (!Resolve()) return BootstrapAlloc(size, align < 16 ? 16 : align);
  RecordingScope scope;
  if (!scope.entered()) return g_real.memalign(align, size);
  return RecordAllocation(scope, Kind::kMemalign, g_real.memalign(align, size), size, align);
}

EXPORT int posix_memalign(void** out, size_t align, size_t size) {
  if (!Resolve()) {
    *out = BootstrapAlloc(size, align < 16 ? 16 : align);
    return *out != nullptr ? 0 : ENOMEM;
  }
  RecordingScope scope;
  if (!scope.entered()) return g_real.posix_memalign(out, align, size);
  const int rc = g_real.posix_memalign(out, align, size);
  Event e;
  e.kind = Kind::kPosixMemalign;
  e.alignment = align;
  e.size = size;
  e.result = static_cast<uint64_t>(rc);
  e.out = rc == 0 ? Addr(*out) : 0;
  RecordResult(scope, e);
  return rc;
}

EXPORT void* aligned_alloc(size_t align, size_t size) {
  if (!Resolve()) return BootstrapAlloc(size, align < 16 ? 16 : align);
  RecordingScope scope;
  if (!scope.entered()) return g_real.aligned_alloc(align, size);
  return RecordAllocation(scope, Kind::kAlignedAlloc, g_real.aligned_alloc(align, size), size, align);
}

EXPORT void* valloc(size_t size) {
  if (!Resolve()) return BootstrapAlloc(size, 4096);
  RecordingScope scope;
  if (!scope.entered()) return g_real.valloc(size);
  return RecordAllocation(scope, Kind::kValloc, g_real.valloc(size), size);
}

EXPORT void* pvalloc(size_t size) {
  if (!Resolve()) return BootstrapAlloc((size + 4095) & ~size_t{4095}, 4096);
  RecordingScope scope;
  if (!scope.entered()) return g_real.pvalloc(size);
  return RecordAllocation(scope, Kind::kPvalloc, g_real.pvalloc(size), size);
}

EXPORT size_t malloc_usable_size(void* p) {
  if (IsBootstrap(p)) return 0;
  if (!Resolve()) return g_real.malloc_usable_size != nullptr ? g_real.malloc_usable_size(p) : 0;
  RecordingScope scope;
  if (!scope.entered()) return g_real.malloc_usable_size(p);
  const size_t n = g_real.malloc_usable_size(p);
  Event e;
  e.kind = Kind::kMallocUsableSize;
  e.in = Addr(p);
  e.result = n;
  RecordResult(scope, e);
  return n;
}

EXPORT pid_t fork() {
  alloclab::tracer::ResolveNow();
  // Inside the tracer for the duration of the fork, so that no event is
  // recorded between the FORK event's seq (taken first, for the child's
  // header) and the FORK event itself.
  Event e;
  e.kind = Kind::kFork;
  RecordingScope scope;
  if (scope.entered()) {
    alloclab::tracer::Stamp(&e);
    alloclab::tracer::g_fork_seq = e.seq;
  }
  const pid_t pid = g_real.fork();
  if (pid == 0) {
    // The child: its own trace file was opened by the atfork handler.
    scope.Leave();
    RecordingScope child_scope;
    if (child_scope.entered()) {
      Event child;
      child.kind = Kind::kFork;  // result 0, as fork returned here
      RecordResult(child_scope, child);
    }
    return 0;
  }
  if (scope.entered() && pid > 0) {
    e.result = static_cast<uint64_t>(pid);
    scope.Record(e);
  }
  return pid;  // a failed fork records nothing: the scope leaves
}

// exec: the EXEC event and its details are recorded first (a successful exec
// does not return); the new image traces itself into a file of its own. The
// execl family calls execve inside glibc, out of reach of interposition. A
// child that runs in its parent's memory (vfork) records nothing: its exec
// is not the parent's; it only passes the deeper exec depth on. The new
// environment is built on this frame (a vfork child shares the parent's
// memory, and two threads may exec at once).
namespace {
constexpr size_t kMaxExecEnv = 8192;

size_t EnvCount(char* const envp[]) {
  size_t n = 0;
  while (envp != nullptr && envp[n] != nullptr && n <= kMaxExecEnv) ++n;
  return n;
}

void BeforeExec(const char* path, char* const argv[]) {
  alloclab::tracer::ResolveNow();
  if (!alloclab::tracer::InTracedProcess()) return;
  RecordingScope scope;
  if (scope.entered()) alloclab::tracer::RecordExec(scope, path, argv);
}

// Calls exec(env) with the environment one exec deeper, built in this frame.
template <typename Exec>
int ExecOneDeeper(char* const envp[], Exec exec) {
  const size_t n = EnvCount(envp);
  if (n > kMaxExecEnv) return exec(envp);
  char** env = static_cast<char**>(alloca((n + 2) * sizeof(char*)));
  char depth_var[48];
  return exec(alloclab::tracer::ExecEnvironment(envp, env, n + 2, depth_var, sizeof depth_var) ? env : envp);
}
}  // namespace

EXPORT int execve(const char* path, char* const argv[], char* const envp[]) {
  BeforeExec(path, argv);
  return ExecOneDeeper(envp, [&](char* const* env) { return g_real.execve(path, argv, env); });
}

EXPORT int execv(const char* path, char* const argv[]) { return execve(path, argv, environ); }

EXPORT int execvpe(const char* file, char* const argv[], char* const envp[]) {
  BeforeExec(file, argv);
  return ExecOneDeeper(envp, [&](char* const* env) { return g_real.execvpe(file, argv, env); });
}

EXPORT int execvp(const char* file, char* const argv[]) { return execvpe(file, argv, environ); }
