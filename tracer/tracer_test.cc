// End-to-end tests of libmalloctrace.so on programs made for it: exact
// counts of every call across threads, fork and exec; event times across
// pauses; and SIGKILL in the middle of a busy multi-threaded program.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"
#include "tools/allocator_list.h"
#include "trace/io.h"
#include "trace/trace_reader.h"

namespace alloclab::tracer {
namespace {

using trace::Event;
using trace::Kind;
namespace fs = std::filesystem;

std::string Runfile(const std::string& path) {
  return std::string(getenv("TEST_SRCDIR")) + "/" + getenv("TEST_WORKSPACE") + "/" + path;
}

// Starts argv under the tracer (over the allocator `under`, a .so preloaded
// after it, or glibc's if empty), trace files in dir; returns the pid.
// stderr goes to err_file when one is given.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& dir,
            const std::string& extra_env = "MALLOC_TRACE_STACKS=0", const std::string& under = "",
            const std::string& err_file = "") {
  const std::string preload =
      "LD_PRELOAD=" + Runfile("tracer/libmalloctrace.so") + (under.empty() ? "" : " " + under);
  const std::string file = "MALLOC_TRACE_FILE=" + dir + "/trace.%p.pb";
  const pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> env = {const_cast<char*>(preload.c_str()), const_cast<char*>(file.c_str()),
                              const_cast<char*>(extra_env.c_str()), nullptr};
    if (!err_file.empty()) {
      const int fd = open(err_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) dup2(fd, 2);
    }
    execve(args[0], args.data(), env.data());
    _exit(127);
  }
  return pid;
}

std::vector<trace::TraceContents> ReadAll(const std::string& dir) {
  std::vector<trace::TraceContents> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("trace.", 0) != 0) continue;
    auto source = trace::OpenFileSource(entry.path().string());
    EXPECT_TRUE(source.ok());
    auto contents = trace::ReadWholeTrace(*std::move(source));
    EXPECT_TRUE(contents.ok()) << entry.path() << ": " << contents.status();
    if (contents.ok()) out.push_back(*std::move(contents));
  }
  return out;
}

constexpr uint64_t kBase = 1000003;

bool IsFree(Kind k) {
  return k == Kind::kFree || k == Kind::kFreeSized || k == Kind::kFreeAligned || k == Kind::kFreeSizedAligned;
}

// The allocator underneath the tracer: glibc's, ours, jemalloc (which, like
// ours, defines operator new and delete itself).
class CountingTest : public testing::TestWithParam<std::string> {
 protected:
  std::string Under() const {
    if (GetParam() == "buddy") return Runfile("malloc/libbuddymalloc.so");
    if (GetParam() == "jemalloc") return alloclab::FindListedAllocator("jemalloc")->so;
    return "";
  }
};

TEST_P(CountingTest, CountsEveryCallAcrossThreadsForkAndExec) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/counting_" + GetParam();
  fs::create_directories(dir);
  if (!Under().empty()) {
    ASSERT_TRUE(fs::exists(Under())) << Under() << " is not installed (./bazelw installs it)";
  }
  const bool pvalloc = GetParam() != "jemalloc";  // jemalloc has none
  std::vector<std::string> argv = {Runfile("tracer/testdata/call_counter")};
  if (!pvalloc) argv.push_back("no-pvalloc");
  const pid_t pid = Spawn(argv, dir, "MALLOC_TRACE_STACKS=0", Under());
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;

  const auto traces = ReadAll(dir);
  ASSERT_EQ(traces.size(), 3u) << "the process, its forked child, the exec'd image";
  const trace::TraceContents* parent = nullptr;
  const trace::TraceContents* child = nullptr;
  const trace::TraceContents* exec_image = nullptr;
  for (const auto& t : traces) {
    if (t.header.forked()) {
      child = &t;
    } else if (t.header.args_size() == 2 && t.header.args(1) == "exec") {
      exec_image = &t;
    } else {
      parent = &t;
    }
  }
  ASSERT_TRUE(parent && child && exec_image);
  EXPECT_EQ(parent->header.pid(), static_cast<uint64_t>(pid));
  EXPECT_EQ(exec_image->header.pid(), static_cast<uint64_t>(pid)) << "exec keeps the pid";
  EXPECT_EQ(child->header.parent_pid(), static_cast<uint64_t>(pid));

  // Marker calls, by (kind, size), per thread.
  std::map<std::pair<Kind, uint64_t>, std::map<uint64_t, int>> calls;
  std::map<uint64_t, const Event*> allocated;  // live marker blocks by address
  std::map<uint64_t, uint64_t> last_seq;
  std::map<std::tuple<Kind, uint64_t, uint64_t>, std::map<uint64_t, int>> deletes;  // (kind, size, alignment)
  int cross_thread_frees = 0, usable_size_calls = 0;
  std::set<uint64_t> started, exited;
  const Event* fork_event = nullptr;
  // The file holds each thread's events in order; the history is in seq order.
  std::vector<Event> history = parent->events;
  std::sort(history.begin(), history.end(), [](const Event& a, const Event& b) { return a.seq < b.seq; });
  for (const Event& e : history) {
    EXPECT_GT(e.seq, last_seq[e.thread_id]) << "seq increases within a thread";
    last_seq[e.thread_id] = e.seq;
    if (e.kind == Kind::kThreadStart) started.insert(e.thread_id);
    if (e.kind == Kind::kThreadExit) exited.insert(e.thread_id);
    if (e.kind == Kind::kFork) fork_event = &e;
    if (e.kind == Kind::kMallocUsableSize && allocated.count(e.in)) ++usable_size_calls;
    if (IsFree(e.kind)) {
      if (!allocated.count(e.in)) continue;
      const Event* a = allocated[e.in];
      EXPECT_LT(a->seq, e.seq);
      cross_thread_frees += a->thread_id != e.thread_id;
      allocated.erase(e.in);
      if (e.kind != Kind::kFree || a->size >= kBase + 12) {
        // What operator delete was told: the allocation's size and alignment.
        ++deletes[{e.kind, e.size, e.alignment}][e.thread_id];
      }
    } else if (e.size >= kBase && e.size <= kBase + 15 && e.size != kBase + 10 && e.size != kBase + 11) {
      ++calls[{e.kind, e.size}][e.thread_id];
      if (e.kind == Kind::kRealloc) allocated.erase(e.in);
      ASSERT_NE(e.out, 0u);
      allocated[e.out] = &e;
    }
  }
  const std::pair<Kind, uint64_t> expected[] = {
      {Kind::kMalloc, kBase},           {Kind::kCalloc, kBase + 1},       {Kind::kMalloc, kBase + 2},
      {Kind::kRealloc, kBase + 3},      {Kind::kReallocArray, kBase + 4}, {Kind::kMemalign, kBase + 5},
      {Kind::kPosixMemalign, kBase + 6}, {Kind::kAlignedAlloc, kBase + 7}, {Kind::kValloc, kBase + 8},
      {Kind::kPvalloc, kBase + 9},
      // operator new: malloc, memalign for the aligned forms.
      {Kind::kMalloc, kBase + 12},      {Kind::kMemalign, kBase + 13},    {Kind::kMemalign, kBase + 14},
      {Kind::kMalloc, kBase + 15}};
  for (const auto& key : expected) {
    const auto& per_thread = calls[key];
    if (key.first == Kind::kPvalloc && !pvalloc) {
      EXPECT_TRUE(per_thread.empty());
      continue;
    }
    EXPECT_EQ(per_thread.size(), 4u) << trace::KindName(key.first) << " " << key.second;
    for (const auto& [tid, n] : per_thread) {
      EXPECT_EQ(n, 500) << trace::KindName(key.first) << " size " << key.second << " thread " << tid;
    }
  }
  // operator delete: sized, aligned, both, plain.
  const std::tuple<Kind, uint64_t, uint64_t> expected_deletes[] = {
      {Kind::kFreeSized, kBase + 12, 0},
      {Kind::kFreeAligned, 0, 64},
      {Kind::kFreeSizedAligned, kBase + 14, 128},
      {Kind::kFree, 0, 0}};
  EXPECT_EQ(deletes.size(), 4u);
  for (const auto& key : expected_deletes) {
    const auto& per_thread = deletes[key];
    EXPECT_EQ(per_thread.size(), 4u) << trace::KindName(std::get<0>(key));
    for (const auto& [tid, n] : per_thread) EXPECT_EQ(n, 500) << trace::KindName(std::get<0>(key)) << " " << tid;
  }
  EXPECT_EQ(usable_size_calls, 2000);
  EXPECT_EQ(cross_thread_frees, 2000) << "every kBase block is freed by another thread";
  EXPECT_TRUE(allocated.empty()) << allocated.size() << " marker blocks never freed";
  EXPECT_GE(started.size(), 9u) << "main + 4 workers + 4 freeing threads";
  for (uint64_t t : started) {
    if (t != static_cast<uint64_t>(pid)) {
      EXPECT_TRUE(exited.count(t)) << "thread " << t << " exit recorded";
    }
  }
  ASSERT_NE(fork_event, nullptr);
  EXPECT_EQ(fork_event->result, child->header.pid());
  EXPECT_EQ(child->header.fork_seq(), fork_event->seq);

  int child_marks = 0, child_forks = 0;
  for (const Event& e : child->events) {
    child_marks += e.kind == Kind::kMalloc && e.size == kBase + 11;
    child_forks += e.kind == Kind::kFork && e.result == 0;
  }
  EXPECT_EQ(child_marks, 20);
  EXPECT_EQ(child_forks, 1);
  int exec_marks = 0;
  for (const Event& e : exec_image->events) exec_marks += e.kind == Kind::kMalloc && e.size == kBase + 10;
  EXPECT_EQ(exec_marks, 10);
  EXPECT_EQ(exec_image->header.exec_depth(), 1u);
  EXPECT_EQ(parent->header.exec_depth(), 0u);
  // The parent's trace ends with its EXEC, and an Exec record names the program.
  int exec_events = 0, exec_records = 0;
  for (const Event& e : parent->events) exec_events += e.kind == Kind::kExec;
  for (const trace::Record& r : parent->other_records) {
    if (r.has_exec()) {
      ++exec_records;
      EXPECT_EQ(r.exec().path(), "/proc/self/exe");
      ASSERT_EQ(r.exec().args_size(), 2);
      EXPECT_EQ(r.exec().args(1), "exec");
    }
  }
  EXPECT_EQ(exec_events, 1);
  EXPECT_EQ(exec_records, 1);
}

INSTANTIATE_TEST_SUITE_P(Under, CountingTest, testing::Values("glibc", "buddy", "jemalloc"),
                         [](const testing::TestParamInfo<std::string>& info) { return info.param; });

// Libraries loaded after the tracer are finalized after it: what their
// destructors allocate and free is recorded, and the trace is still
// compressed at exit (the raw form is at least a header block and a slot).
TEST(Tracer, RecordsCallsInDestructorsOfLibrariesLoadedLater) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/destructors";
  fs::create_directories(dir);
  const pid_t pid =
      Spawn({Runfile("tracer/testdata/dlopen_main"), Runfile("tracer/testdata/libexit_frees.so")}, dir);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  const auto traces = ReadAll(dir);
  ASSERT_EQ(traces.size(), 1u);
  std::set<uint64_t> live;
  int mallocs = 0, frees = 0;
  for (const Event& e : traces[0].events) {
    if (e.kind == Kind::kMalloc && e.size == 2000003) {
      ++mallocs;
      live.insert(e.out);
    } else if (e.kind == Kind::kFree && live.erase(e.in) != 0) {
      ++frees;
    }
  }
  EXPECT_EQ(mallocs, 100);
  EXPECT_EQ(frees, 100);
  for (const auto& entry : fs::directory_iterator(dir)) {
    EXPECT_LT(fs::file_size(entry.path()), 4096u + 65536u) << entry.path() << " left raw";
    EXPECT_EQ(entry.path().extension(), ".pb") << "nothing else is left behind";
  }
}

TEST(Tracer, StacksAreDeduplicatedAndSymbolisable) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/stacks";
  fs::create_directories(dir);
  const pid_t pid = Spawn({Runfile("tracer/testdata/call_counter")}, dir, "MALLOC_TRACE_STACKS=6");
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  for (const auto& t : ReadAll(dir)) {
    EXPECT_EQ(t.header.stack_depth(), 6u);
    std::map<uint64_t, std::vector<uint64_t>> stacks;
    std::vector<std::pair<uint64_t, uint64_t>> text;  // executable mappings
    for (const trace::Record& r : t.other_records) {
      if (r.has_stack()) {
        EXPECT_TRUE(stacks.emplace(r.stack().id(), std::vector<uint64_t>(r.stack().frames().begin(),
                                                                           r.stack().frames().end()))
                        .second)
            << "stack " << r.stack().id() << " written twice";
      }
      if (r.has_memory_maps()) {
        for (const auto& m : r.memory_maps().mappings()) text.push_back({m.start(), m.end()});
      }
    }
    ASSERT_FALSE(text.empty()) << "memory maps recorded";
    int with_stack = 0, marker_in_program = 0, markers = 0;
    for (const Event& e : t.events) {
      if (e.kind == Kind::kThreadStart || e.kind == Kind::kThreadExit) continue;
      ASSERT_NE(e.stack_id, 0u) << trace::KindName(e.kind);
      ASSERT_TRUE(stacks.count(e.stack_id)) << "event refers to an unknown stack";
      ++with_stack;
      if (e.kind == Kind::kMalloc && e.size == kBase) {
        ++markers;
        // The innermost frame is the program's call site, in a mapped text segment.
        const uint64_t pc = stacks[e.stack_id][0];
        for (auto [lo, hi] : text) marker_in_program += pc >= lo && pc < hi;
      }
    }
    EXPECT_GT(with_stack, 0);
    if (with_stack > 1000) {
      EXPECT_LT(stacks.size(), static_cast<size_t>(with_stack) / 10) << "stacks are deduplicated";
    }
    EXPECT_EQ(marker_in_program, markers);
  }
}

// The clock reuses a thread's reading for a few events while the helper
// thread's tick runs: an event after a pause must still carry its own time,
// whether other threads keep the tick going or the program is quiet, and a
// busy phase must not look frozen. (Bounds are loose: these are not timings
// of the tracer, only whether the times mean what they say. Pauses shorter
// than the quiet spell are not tested: whether the tick moves during them
// depends on the helper thread getting a CPU, which a loaded CI machine
// does not promise.)
TEST(Tracer, EventTimesFollowPausesAndBusyPhases) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/pauses";
  fs::create_directories(dir);
  const std::string out = dir + "/stdout";
  const pid_t pid = fork();
  if (pid == 0) {
    if (freopen(out.c_str(), "w", stdout) == nullptr) _exit(126);
    const std::string preload = "LD_PRELOAD=" + Runfile("tracer/libmalloctrace.so");
    const std::string file = "MALLOC_TRACE_FILE=" + dir + "/trace.%p.pb";
    const std::string program = Runfile("tracer/testdata/pauses");
    char* args[] = {const_cast<char*>(program.c_str()), nullptr};
    char* env[] = {const_cast<char*>(preload.c_str()), const_cast<char*>(file.c_str()), nullptr};
    execve(args[0], args, env);
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  uint64_t inner_ns = 0, outer_ns = 0;
  std::ifstream(out) >> inner_ns >> outer_ns;
  ASSERT_GE(inner_ns, 200000000u);
  ASSERT_GE(outer_ns, inner_ns);

  const auto traces = ReadAll(dir);
  ASSERT_EQ(traces.size(), 1u);
  const double ticks_per_ns = traces[0].header.clock_ticks_per_second() / 1e9;
  ASSERT_GT(ticks_per_ns, 0);
  std::map<uint64_t, uint64_t> time_of;  // marker size -> time
  for (const Event& e : traces[0].events) {
    if (e.kind == Kind::kMalloc && e.size >= 1001 && e.size <= 1006) time_of[e.size] = e.time;
  }
  ASSERT_EQ(time_of.size(), 6u);
  auto ms_between = [&](uint64_t a, uint64_t b) { return (time_of[b] - time_of[a]) / ticks_per_ns / 1e6; };
  EXPECT_GE(ms_between(1001, 1002), 90) << "a 100 ms pause while another thread allocates";
  EXPECT_GE(ms_between(1003, 1004), 90) << "a 100 ms pause of the whole program";
  EXPECT_GE(ms_between(1005, 1006), inner_ns / 1e6 - 10) << "a busy phase of " << inner_ns / 1e6 << " ms";
  EXPECT_LE(ms_between(1005, 1006), outer_ns / 1e6 + 10);
}

TEST(Tracer, SigkillKeepsEveryCompletedEvent) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/kill";
  fs::create_directories(dir);
  const std::string counter = dir + "/counter";
  const pid_t pid = Spawn({Runfile("tracer/testdata/busy_threads"), counter}, dir);
  // Let it run until it has done real work, then kill it without warning.
  for (int i = 0; i < 1500; ++i) {  // up to 30 s on a slow machine
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    std::ifstream f(counter, std::ios::binary);
    uint64_t first = 0;
    if (f.read(reinterpret_cast<char*>(&first), sizeof(first)) && first > 20000) break;
  }
  ASSERT_EQ(kill(pid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));

  uint64_t completed[4] = {};
  std::ifstream f(counter, std::ios::binary);
  ASSERT_TRUE(f.read(reinterpret_cast<char*>(completed), sizeof(completed)));
  const auto traces = ReadAll(dir);
  ASSERT_EQ(traces.size(), 1u);
  std::map<uint64_t, uint64_t> marks_by_thread;
  for (const Event& e : traces[0].events) {
    if (e.kind == Kind::kMalloc && e.size == 1000033) ++marks_by_thread[e.thread_id];
  }
  ASSERT_EQ(marks_by_thread.size(), 4u);
  std::multiset<uint64_t> traced, counted(completed, completed + 4);
  uint64_t total_traced = 0, total_counted = 0;
  for (const auto& [t, n] : marks_by_thread) total_traced += n;
  for (uint64_t c : completed) total_counted += c;
  // Every malloc that returned before the kill was counted after it was
  // recorded, so the trace holds at least as many (at most one more per
  // thread: recorded, not yet counted).
  EXPECT_GE(total_traced, total_counted);
  EXPECT_LE(total_traced, total_counted + 4);
  EXPECT_GT(total_counted, 20000u);
}

// Children started with CLONE_VM|CLONE_VFORK run in the parent's memory, on
// its tracer state, until they exec: nothing they do may change the parent's
// tracing (no EXEC event, no "descriptor closed" verdict, no slot taken),
// and each exec'd image still writes a trace of its own.
struct SpawnedTraces {
  const trace::TraceContents* parent = nullptr;
  int children = 0;  // traces of exec'd images other than the parent
  std::string stderr_text;
};

SpawnedTraces RunSpawning(const std::vector<std::string>& argv, const std::string& dir,
                          const std::string& env, std::vector<trace::TraceContents>* traces) {
  fs::create_directories(dir);
  const std::string err = dir + "/stderr.txt";
  const pid_t pid = Spawn(argv, dir, env, "", err);
  int status = 0;
  EXPECT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  SpawnedTraces out;
  std::ifstream f(err);
  out.stderr_text.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  *traces = ReadAll(dir);
  for (const auto& t : *traces) {
    if (t.header.pid() == static_cast<uint64_t>(pid)) {
      EXPECT_EQ(out.parent, nullptr) << "two traces of the parent";
      out.parent = &t;
    } else {
      ++out.children;
    }
  }
  return out;
}

std::map<uint64_t, int> MallocsBySize(const trace::TraceContents& t) {
  std::map<uint64_t, int> n;
  for (const Event& e : t.events) {
    if (e.kind == Kind::kMalloc) ++n[e.size];
  }
  return n;
}

int CountKind(const trace::TraceContents& t, Kind k) {
  return static_cast<int>(std::count_if(t.events.begin(), t.events.end(), [&](const Event& e) { return e.kind == k; }));
}

class SpawnTest : public testing::TestWithParam<std::string> {};

TEST_P(SpawnTest, ChildrenDoNotChangeTheParentsTrace) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/spawn_" + GetParam();
  std::vector<trace::TraceContents> traces;
  const SpawnedTraces r = RunSpawning({Runfile("tracer/testdata/spawner"), GetParam()}, dir, "MALLOC_TRACE_STACKS=0",
                                      &traces);
  ASSERT_NE(r.parent, nullptr);
  EXPECT_EQ(r.stderr_text.find("malloctrace"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(CountKind(*r.parent, Kind::kExec), 0) << "a child's exec recorded in the parent's trace";
  EXPECT_FALSE(r.parent->header.forked());
  const bool threads = GetParam() == "threads";
  // One trace per exec'd image: system()'s child is /bin/sh, which execs
  // /bin/true in turn (two images, one pid).
  EXPECT_EQ(r.children, threads ? 20 : GetParam() == "system" ? 6 : 3) << "one trace per exec'd image";
  const auto mallocs = MallocsBySize(*r.parent);
  constexpr uint64_t kBase = 100003;
  EXPECT_EQ(mallocs.count(kBase) ? mallocs.at(kBase) : 0, 20000) << "the main thread's markers after the children";
  if (threads) {
    for (uint64_t t = 0; t < 4; ++t) {
      EXPECT_EQ(mallocs.count(kBase + 1 + t) ? mallocs.at(kBase + 1 + t) : 0, 50000) << "thread " << t;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(How, SpawnTest, testing::Values("posix_spawn", "system", "vfork", "threads"),
                         [](const testing::TestParamInfo<std::string>& i) { return i.param; });

// Python's subprocess starts children with vfork, closes the descriptors it
// does not pass on, and execs: the tracer once stopped there ("trace file
// descriptor was closed by the program") and took the children's EXECs.
TEST(Tracer, PythonSubprocessKeepsTheParentsTrace) {
  const std::string python = "/usr/bin/python3";
  if (!fs::exists(python)) GTEST_SKIP() << "no " << python;
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/python_subprocess";
  std::vector<trace::TraceContents> traces;
  const SpawnedTraces r = RunSpawning(
      {python, "-c",
       "import subprocess\n"
       "[subprocess.run(['/bin/true'], check=True) for _ in range(3)]\n"
       "x = [bytearray(1000 + i % 7) for i in range(100000)]\n"},
      dir, "PYTHONMALLOC=malloc", &traces);
  ASSERT_NE(r.parent, nullptr);
  EXPECT_EQ(r.stderr_text.find("malloctrace"), std::string::npos) << r.stderr_text;
  EXPECT_EQ(CountKind(*r.parent, Kind::kExec), 0);
  EXPECT_EQ(r.children, 3);
  // The 100000 buffers made after the children: malloc(1000..1006 + the
  // bytearray header), so count the sizes' distinct signature: 100000 of them
  // in a window of 7 consecutive sizes.
  const auto mallocs = MallocsBySize(*r.parent);
  int best = 0;
  for (const auto& [size, n] : mallocs) {
    int window = 0;
    for (uint64_t s = size; s < size + 7; ++s) window += mallocs.count(s) ? mallocs.at(s) : 0;
    best = std::max(best, window);
  }
  EXPECT_GE(best, 100000) << "the parent's allocations after the children are missing";
}

// A forked child inherits the parent's slot table (released entries and
// all); its compressor must never take one of them for its own, and its
// busy threads must lose nothing.
TEST(Tracer, BusyForkedChildrenOfABusyParentKeepEveryEvent) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/fork_busy";
  fs::create_directories(dir);
  const pid_t pid = Spawn({Runfile("tracer/testdata/fork_busy")}, dir);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  int children = 0;
  for (const auto& t : ReadAll(dir)) {
    if (!t.header.forked()) continue;
    ++children;
    const auto mallocs = MallocsBySize(t);
    for (uint64_t k = 0; k < 4; ++k) {
      EXPECT_EQ(mallocs.count(200003 + k) ? mallocs.at(200003 + k) : 0, 100000)
          << "child " << t.header.pid() << ", thread " << k;
    }
  }
  EXPECT_EQ(children, 4);
}

// Two threads exec'ing at once: each new image gets the environment its own
// thread passed (the tracer once built both in one static array: about 2% of
// such races handed one thread's environment to the other's exec).
TEST(Tracer, ThreadsExecingAtOnceEachPassTheirOwnEnvironment) {
  const std::string dir = std::string(getenv("TEST_TMPDIR")) + "/exec_race";
  fs::create_directories(dir);
  const pid_t pid = Spawn({Runfile("tracer/testdata/exec_race"), "300"}, dir);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "an exec'd image saw the other thread's environment";
}

}  // namespace
}  // namespace alloclab::tracer
