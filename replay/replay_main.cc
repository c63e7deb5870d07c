// replay: drive allocators deterministically from a trace and compare them.
//
//   replay run      --trace=T | --prepared=P  [--allocator=buddy] [--touch=first]
//   replay compare  --trace=T | --prepared=P  --allocators=buddy,glibc,... [--repeat=N]
//                   [--baseline=glibc] [--json] [--report=out.html]
//   replay prepare  --trace=T --out=P
//
// Preparation (replay/prepare.h) turns the trace into slot-indexed per-thread
// op streams once; each measured run is a child process (replay_runner) with
// only the allocator under test preloaded. compare interleaves allocators
// (rotating their order each round) and reports medians.
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "replay/allocators.h"
#include "replay/prepare.h"
#include "replay/prepared_file.h"
#include "replay/report.h"
#include "replay/run_result.h"

ABSL_FLAG(std::string, trace, "", "the trace to replay");
ABSL_FLAG(std::string, prepared, "", "a prepared file (from `replay prepare` or --save_prepared) instead of --trace");
ABSL_FLAG(std::string, save_prepared, "", "keep the prepared streams here for later runs (--prepared)");
ABSL_FLAG(std::string, out, "", "prepare: where to write the prepared streams");
ABSL_FLAG(std::string, allocator, "buddy", "run: buddy|glibc|jemalloc|tcmalloc|mimalloc|PATH.so");
ABSL_FLAG(std::string, allocators, "buddy,glibc,jemalloc,tcmalloc,mimalloc", "compare: comma-separated allocators");
ABSL_FLAG(int, repeat, 1, "runs per allocator (medians are reported)");
ABSL_FLAG(std::string, baseline, "glibc", "compare: ratios are to this allocator (\"\" for none)");
ABSL_FLAG(std::string, touch, "first", "none|first|all: write nothing, each page once, or every byte of new blocks");
ABSL_FLAG(bool, json, false, "print JSON instead of the text table");
ABSL_FLAG(std::string, report, "", "also write a self-contained HTML report with plots here");
ABSL_FLAG(int, sample_shift, 6, "time one op in 2^K");
ABSL_FLAG(int, rss_interval_us, 500, "RSS sampling interval in microseconds");
ABSL_FLAG(bool, verify, false,
          "check every block instead of timing (tags at both ends, alignment, usable size, calloc zeroing)");
ABSL_FLAG(std::string, expect_checksum, "", "fail unless the prepared ops have this checksum (hex)");
ABSL_FLAG(bool, progress, false, "report each run on stderr (on by default when stderr is a terminal)");
ABSL_FLAG(std::string, temp_dir, "", "where preparation spills (default $TMPDIR or /tmp)");

namespace alloclab::replay {
namespace {

int Fail(const absl::Status& st) {
  std::fprintf(stderr, "replay: %s\n", std::string(st.message()).c_str());
  return 1;
}
int Fail(const std::string& what) { return Fail(absl::InvalidArgumentError(what)); }

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f << text;
  return static_cast<bool>(f.flush());
}

// The prepared file to run: given, or made now (kept or temporary).
struct Prepared {
  std::string path;
  bool temporary = false;
  ~Prepared() {
    if (temporary) unlink(path.c_str());
  }
};

absl::Status Prepare(Prepared* p, std::string* described) {
  const std::string trace = absl::GetFlag(FLAGS_trace);
  const std::string given = absl::GetFlag(FLAGS_prepared);
  if (trace.empty() == given.empty()) {
    return absl::InvalidArgumentError("give exactly one of --trace and --prepared");
  }
  if (!given.empty()) {
    p->path = given;
    *described = given;
    return absl::OkStatus();
  }
  *described = trace;
  std::string out = absl::GetFlag(FLAGS_save_prepared);
  if (out.empty()) {
    const char* tmp = getenv("TMPDIR");
    std::string tmpl = absl::StrCat(tmp != nullptr && *tmp ? tmp : "/tmp", "/replay-prepared-XXXXXX");
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return absl::InternalError("cannot create a temporary file for the prepared streams");
    close(fd);
    out = tmpl;
    p->temporary = true;
  }
  p->path = out;
  auto h = PrepareTrace(trace, out, absl::GetFlag(FLAGS_temp_dir));
  if (!h.ok()) return absl::Status(h.status().code(), absl::StrCat(trace, ": ", h.status().message()));
  return absl::OkStatus();
}

int RunOrCompare(bool compare) {
  // Everything the user typed is checked before any work starts.
  const std::string touch = absl::GetFlag(FLAGS_touch);
  if (touch != "none" && touch != "first" && touch != "all") {
    return Fail("--touch must be none, first or all, not '" + touch + "'");
  }
  const int repeat = absl::GetFlag(FLAGS_repeat);
  if (repeat < 1 || repeat > 1000) return Fail("--repeat must be between 1 and 1000");
  const int shift = absl::GetFlag(FLAGS_sample_shift);
  if (shift < 0 || shift > 31) return Fail("--sample_shift must be between 0 and 31");
  const int interval = absl::GetFlag(FLAGS_rss_interval_us);
  if (interval < 50) return Fail("--rss_interval_us must be at least 50");
  std::vector<std::string> names;
  if (compare) {
    names = absl::StrSplit(absl::GetFlag(FLAGS_allocators), ',', absl::SkipEmpty());
  } else {
    names = {absl::GetFlag(FLAGS_allocator)};
  }
  if (names.empty()) return Fail("no allocator given");
  std::vector<Allocator> allocators;
  for (const std::string& n : names) {
    for (const Allocator& a : allocators) {
      if (a.name == n) return Fail("allocator '" + n + "' is listed twice");
    }
    auto a = ResolveAllocator(n);
    if (!a.ok()) return Fail(a.status());
    allocators.push_back(*a);
  }
  std::string baseline = compare ? absl::GetFlag(FLAGS_baseline) : "";
  if (!baseline.empty()) {
    bool found = false;
    for (const Allocator& a : allocators) found |= a.name == baseline;
    if (!found) return Fail("--baseline=" + baseline + " is not among --allocators");
  }
  RunOptions options;
  auto runner = FindDataFile("replay/replay_runner");
  if (!runner.ok()) return Fail(runner.status());
  options.runner = *runner;
  options.touch = touch;
  options.sample_shift = shift;
  options.rss_interval_us = interval;
  options.verify = absl::GetFlag(FLAGS_verify);

  Prepared prepared;
  Report report;
  if (absl::GetFlag(FLAGS_progress) || isatty(STDERR_FILENO)) {
    std::fprintf(stderr, "replay: preparing %s\n",
                 absl::GetFlag(FLAGS_prepared).empty() ? absl::GetFlag(FLAGS_trace).c_str() : "(prepared already)");
  }
  if (absl::Status st = Prepare(&prepared, &report.trace); !st.ok()) return Fail(st);
  PreparedView view;
  char error[512];
  if (!MapPrepared(prepared.path.c_str(), &view, error, sizeof error)) return Fail(std::string(error));
  report.prepared = *view.header;
  report.timeline.assign(view.timeline, view.timeline + view.header->timeline_samples);
  UnmapPrepared(&view);
  if (const std::string want = absl::GetFlag(FLAGS_expect_checksum); !want.empty()) {
    const std::string have = absl::StrFormat("%016x", report.prepared.checksum);
    if (want != have) {
      return Fail(absl::StrCat("the prepared ops have checksum ", have, ", expected ", want,
                               ": preparation is not what it was"));
    }
  }
  report.touch = touch;
  report.baseline = baseline;
  report.sample_every = 1 << shift;
  for (const Allocator& a : allocators) report.allocators.push_back(AllocatorRuns{a.name, {}});

  // Progress on stderr for runs long enough to wonder about (tables go to stdout).
  const bool progress = isatty(STDERR_FILENO) || absl::GetFlag(FLAGS_progress);
  const size_t total = static_cast<size_t>(repeat) * allocators.size();
  size_t done = 0;
  for (int round = 0; round < repeat; ++round) {
    for (size_t k = 0; k < allocators.size(); ++k) {
      const size_t i = (k + round) % allocators.size();  // rotate who goes first
      if (progress) {
        std::fprintf(stderr, "replay: [%zu/%zu] round %d, %s (%llu calls)\n", ++done, total, round + 1,
                     allocators[i].name.c_str(), static_cast<unsigned long long>(report.prepared.calls));
      }
      auto r = RunReplay(options, prepared.path, allocators[i]);
      if (!r.ok()) return Fail(r.status());
      if (r->verify_errors != 0) {
        return Fail(absl::StrCat("allocator ", allocators[i].name, ": ", r->verify_errors,
                                 " blocks failed verification; first: ", r->first_verify_error));
      }
      report.allocators[i].runs.push_back(*std::move(r));
    }
  }
  const std::string html_path = absl::GetFlag(FLAGS_report);
  if (!html_path.empty() && !WriteFile(html_path, FormatHtml(report))) {
    return Fail("cannot write the report to " + html_path);
  }
  std::fputs((absl::GetFlag(FLAGS_json) ? FormatJson(report) : FormatText(report)).c_str(), stdout);
  if (!html_path.empty() && !absl::GetFlag(FLAGS_json)) std::printf("report: %s\n", html_path.c_str());
  if (!ChecksumsAgree(report)) return Fail("the runs did not issue the prepared ops (checksum mismatch)");
  return 0;
}

int PrepareOnly() {
  const std::string trace = absl::GetFlag(FLAGS_trace);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (trace.empty() || out.empty()) return Fail("prepare needs --trace and --out");
  auto h = PrepareTrace(trace, out, absl::GetFlag(FLAGS_temp_dir));
  if (!h.ok()) return Fail(absl::Status(h.status().code(), absl::StrCat(trace, ": ", h.status().message())));
  std::printf("%s: %llu events -> %llu calls in %llu threads, %llu slots, checksum %016llx\n", out.c_str(),
              static_cast<unsigned long long>(h->trace_events), static_cast<unsigned long long>(h->calls),
              static_cast<unsigned long long>(h->threads), static_cast<unsigned long long>(h->slots),
              static_cast<unsigned long long>(h->checksum));
  return 0;
}

}  // namespace
}  // namespace alloclab::replay

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "drive allocators deterministically from an allocation trace\n"
      "  replay run     --trace=T | --prepared=P [--allocator=buddy] [--touch=first] [--json] [--report=F.html]\n"
      "  replay compare --trace=T | --prepared=P [--allocators=buddy,glibc,jemalloc,tcmalloc,mimalloc]\n"
      "                 [--repeat=N] [--baseline=glibc] [--json] [--report=F.html]\n"
      "  replay prepare --trace=T --out=P");
  std::vector<char*> rest = absl::ParseCommandLine(argc, argv);
  if (rest.size() != 2) {
    std::fprintf(stderr, "replay: give one command: run, compare or prepare (see --help)\n");
    return 2;
  }
  const std::string cmd = rest[1];
  if (cmd == "run") return alloclab::replay::RunOrCompare(false);
  if (cmd == "compare") return alloclab::replay::RunOrCompare(true);
  if (cmd == "prepare") return alloclab::replay::PrepareOnly();
  std::fprintf(stderr, "replay: unknown command '%s' (run, compare or prepare)\n", cmd.c_str());
  return 2;
}
