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
#include <strings.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "analysis/call_sites.h"
#include "analysis/profile_html.h"
#include "analysis/symbolizer.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
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
ABSL_FLAG(std::string, from, "",
          "replay a window of the trace from this seq, or time since its first event (2.5s, 300ms); the heap live "
          "there is rebuilt first, untimed");
ABSL_FLAG(std::string, to, "", "the window's last seq or time (default: the end of the trace)");
ABSL_FLAG(std::string, pace, "none",
          "none|recorded: as fast as possible, or each op at its recorded time (idle gaps capped by --max_gap)");
ABSL_FLAG(bool, site_waste, true,
          "a trace recorded with stacks: one more, untimed run per allocator that charges the memory it holds "
          "beyond the live bytes at its RSS peak to the call sites whose blocks occupy those pages");
ABSL_FLAG(std::string, max_gap, "10s", "--pace=recorded: recorded idle gaps longer than this (1ms..1h) are shortened "
                                       "to it; a number with ns, us, ms, s or min");

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

// The trace's stacks and memory maps, kept as preparation reads them: the
// names of the call sites in the waste-by-site table.
struct TraceStacks {
  absl::flat_hash_map<uint64_t, std::vector<uint64_t>> frames;  // innermost first
  std::vector<analysis::MappedFile> mappings;
  void Note(const trace::Record& r) { analysis::NoteStacksAndMaps(r, &frames, &mappings); }
};

// Names for the sites that appear in the attribution runs: their three
// innermost frames' functions ("stack N" when the trace is not at hand).
void NameSites(const TraceStacks& stacks, Report* report) {
  absl::flat_hash_set<uint32_t> used;
  for (const AllocatorRuns& a : report->allocators) {
    for (const RunResult& x : a.attribution) {
      for (const RunResult::SiteWasteRow& w : x.site_waste) used.insert(w.site);
    }
  }
  analysis::Symbolizer symbolizer(stacks.mappings);
  report->site_names.assign(report->site_stacks.size(), "");
  for (uint32_t site : used) {
    if (site == 0 || site >= report->site_stacks.size()) continue;
    const uint64_t id = report->site_stacks[site];
    auto it = stacks.frames.find(id);
    if (it == stacks.frames.end()) {
      report->site_names[site] = absl::StrCat("stack ", id);
      continue;
    }
    std::string name;
    for (size_t i = 0; i < it->second.size() && i < 3; ++i) {
      absl::StrAppend(&name, i ? " < " : "", symbolizer.Symbolize(it->second[i]).Name());
    }
    report->site_names[site] = name.empty() ? absl::StrCat("stack ", id) : name;
  }
}

// A trace recorded with stacks: its allocation profile by call site for the
// HTML report (the whole trace, whatever the window); "" without stacks.
std::string CallSitesHtml(const std::string& trace) {
  auto reports = analysis::AnalyzeProfile(trace, absl::GetFlag(FLAGS_temp_dir));
  if (!reports.ok() || reports->top.stacks.empty()) return "";
  return analysis::ProfileSection(*reports);
}

// --from/--to as a window of the trace (none when neither is given).
absl::StatusOr<TraceWindow> WindowFromFlags() {
  TraceWindow w;
  // One bound: a flag's text into has/unit/value; an error for bad text.
  auto bound = [](const char* flag, const std::string& text, bool* has, TraceWindow::Unit* unit,
                  uint64_t* value) -> absl::Status {
    if (text.empty()) return absl::OkStatus();
    if (!ParseWindowBound(text, unit, value)) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, " must be a seq or a time since the trace's first "
                                                     "event (2.5s, 300ms, 40us), not '", text, "'"));
    }
    *has = true;
    return absl::OkStatus();
  };
  if (absl::Status st = bound("from", absl::GetFlag(FLAGS_from), &w.has_from, &w.from_unit, &w.from); !st.ok()) {
    return st;
  }
  if (absl::Status st = bound("to", absl::GetFlag(FLAGS_to), &w.has_to, &w.to_unit, &w.to); !st.ok()) return st;
  if (w.has_from && w.has_to && w.from_unit == w.to_unit && w.from > w.to) {
    return absl::InvalidArgumentError("--from is after --to");
  }
  return w;
}

absl::Status Prepare(Prepared* p, std::string* described, TraceStacks* stacks) {
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
  auto window = WindowFromFlags();
  if (!window.ok()) return window.status();
  auto h = PrepareTrace(trace, out, absl::GetFlag(FLAGS_temp_dir), *window,
                        [stacks](const trace::Record& r) { stacks->Note(r); });
  if (!h.ok()) return absl::Status(h.status().code(), absl::StrCat(trace, ": ", h.status().message()));
  return absl::OkStatus();
}

// The flag names on the command line ("--name=v", "-name", "--noname"),
// noted before absl parses it (its own record of that is not public).
std::vector<std::string>& GivenFlags() {
  static auto* given = new std::vector<std::string>;
  return *given;
}
void NoteGivenFlags(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view a = argv[i];
    if (a == "--") break;
    if (!absl::ConsumePrefix(&a, "--") && !absl::ConsumePrefix(&a, "-")) continue;
    a = a.substr(0, a.find('='));
    GivenFlags().emplace_back(a);
    if (absl::ConsumePrefix(&a, "no")) GivenFlags().emplace_back(a);
  }
}
bool Given(const char* name) {
  return std::find(GivenFlags().begin(), GivenFlags().end(), name) != GivenFlags().end();
}

// Flags that only some commands take: given to another, they are an error,
// not silently ignored.
absl::Status CheckFlagsBelong(const std::string& command) {
  struct Owned {
    const char* flag;
    const char* commands;  // space-separated
  };
  static constexpr Owned kOwned[] = {
      {"allocator", "run"},          {"allocators", "compare"}, {"baseline", "compare"},
      {"out", "prepare"},            {"repeat", "run compare"}, {"touch", "run compare"},
      {"json", "run compare"},       {"report", "run compare"}, {"sample_shift", "run compare"},
      {"rss_interval_us", "run compare"}, {"verify", "run compare"}, {"expect_checksum", "run compare"},
      {"save_prepared", "run compare"},   {"prepared", "run compare"}, {"pace", "run compare"},
      {"max_gap", "run compare"},         {"from", "run compare prepare"}, {"to", "run compare prepare"},
      {"site_waste", "run compare"},
  };
  for (const Owned& o : kOwned) {
    const std::vector<std::string> commands = absl::StrSplit(o.commands, ' ');
    if (Given(o.flag) && std::find(commands.begin(), commands.end(), command) == commands.end()) {
      return absl::InvalidArgumentError(absl::StrCat("--", o.flag, " does not apply to `replay ", command,
                                                     "` (only to: ", o.commands, ")"));
    }
  }
  return absl::OkStatus();
}

// Whether the directory that would hold `path` exists and takes new files.
bool DirectoryWritable(const std::string& path) {
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
  return access(dir.c_str(), W_OK | X_OK) == 0;
}

int RunOrCompare(bool compare) {
  // Everything the user typed is checked before any work starts.
  if (absl::Status st = CheckFlagsBelong(compare ? "compare" : "run"); !st.ok()) return Fail(st);
  const std::string touch = absl::GetFlag(FLAGS_touch);
  if (touch != "none" && touch != "first" && touch != "all") {
    return Fail("--touch must be none, first or all, not '" + touch + "'");
  }
  const int repeat = absl::GetFlag(FLAGS_repeat);
  if (repeat < 1 || repeat > 1000) return Fail("--repeat must be between 1 and 1000");
  const int shift = absl::GetFlag(FLAGS_sample_shift);
  if (shift < 0 || shift > 31) return Fail("--sample_shift must be between 0 and 31");
  const int interval = absl::GetFlag(FLAGS_rss_interval_us);
  if (interval < 50 || interval > 10000000) return Fail("--rss_interval_us must be between 50 and 10000000");
  const std::string pace = absl::GetFlag(FLAGS_pace);
  if (pace != "none" && pace != "recorded") return Fail("--pace must be none or recorded, not '" + pace + "'");
  uint64_t max_gap_ns = 0;
  if (!ParseDurationNs(absl::GetFlag(FLAGS_max_gap), &max_gap_ns) || max_gap_ns < kMinIdleGapNs ||
      max_gap_ns > uint64_t{3600} * 1000000000) {
    return Fail("--max_gap must be a duration from 1ms to 1h (e.g. 250ms, 10s), not '" + absl::GetFlag(FLAGS_max_gap) +
                "'");
  }
  if (pace == "none" && Given("max_gap")) return Fail("--max_gap applies only with --pace=recorded");
  if (pace == "recorded" && absl::GetFlag(FLAGS_verify)) {
    return Fail("--verify checks every block as fast as it can; it cannot be paced");
  }
  std::string want_checksum = absl::AsciiStrToLower(absl::GetFlag(FLAGS_expect_checksum));
  if (!want_checksum.empty()) {
    uint64_t parsed;
    if (want_checksum.size() > 16 || !absl::SimpleHexAtoi(want_checksum, &parsed)) {
      return Fail("--expect_checksum must be up to 16 hex digits, not '" + want_checksum + "'");
    }
    want_checksum = absl::StrFormat("%016x", parsed);
  }
  const std::string html_path = absl::GetFlag(FLAGS_report);
  if (!html_path.empty() && !DirectoryWritable(html_path)) {
    return Fail("--report=" + html_path + ": its directory does not exist or is not writable");
  }
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
  options.pace_max_gap_ns = pace == "recorded" ? max_gap_ns : 0;

  Prepared prepared;
  Report report;
  if (absl::GetFlag(FLAGS_progress) || isatty(STDERR_FILENO)) {
    std::fprintf(stderr, "replay: preparing %s\n",
                 absl::GetFlag(FLAGS_prepared).empty() ? absl::GetFlag(FLAGS_trace).c_str() : "(prepared already)");
  }
  TraceStacks stacks;
  if (absl::Status st = Prepare(&prepared, &report.trace, &stacks); !st.ok()) return Fail(st);
  PreparedView view;
  char error[512];
  if (!MapPrepared(prepared.path.c_str(), &view, error, sizeof error)) return Fail(std::string(error));
  report.prepared = *view.header;
  report.threads.assign(view.threads, view.threads + view.header->threads);
  report.timeline.assign(view.timeline, view.timeline + view.header->timeline_samples);
  report.idle_gaps.assign(view.idle_gaps, view.idle_gaps + view.header->idle_gaps);
  report.site_stacks.assign(view.site_stacks, view.site_stacks + view.header->sites);
  UnmapPrepared(&view);
  if (!want_checksum.empty()) {
    const std::string have = absl::StrFormat("%016x", report.prepared.checksum);
    if (want_checksum != have) {
      return Fail(absl::StrCat("the prepared ops have checksum ", have, ", expected ", want_checksum,
                               ": preparation is not what it was"));
    }
  }
  if (options.pace_max_gap_ns != 0 && report.prepared.clock_known == 0) {
    return Fail("the trace recorded no clock rate: it cannot be replayed paced");
  }
  report.pace_max_gap_ns = options.pace_max_gap_ns;
  for (const Allocator& a : allocators) {
    if (!a.redirected_by.empty()) {
      report.notes.push_back(absl::StrCat(a.name, " is ", a.preload, " (chosen by $", a.redirected_by, ")"));
    }
  }
  for (const std::string& e : AllocatorEnvironment()) {
    report.notes.push_back(absl::StrCat("every run has ", e, " in its environment"));
  }
  report.touch = touch;
  report.baseline = baseline;
  report.sample_every = 1 << shift;
  for (const Allocator& a : allocators) report.allocators.push_back(AllocatorRuns{a.name, {}, {}});

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
      if (absl::Status st = CheckIssued(report, *r); !st.ok()) return Fail(st);
      report.allocators[i].runs.push_back(*std::move(r));
    }
  }
  // Waste by call site: one more run per allocator, untimed (site_waste.h).
  if (absl::GetFlag(FLAGS_site_waste) && report.prepared.sites != 0 && !options.verify &&
      options.pace_max_gap_ns == 0) {
    RunOptions attribute = options;
    attribute.attribute = true;
    for (size_t i = 0; i < allocators.size(); ++i) {
      if (progress) std::fprintf(stderr, "replay: waste by call site, %s\n", allocators[i].name.c_str());
      auto r = RunReplay(attribute, prepared.path, allocators[i]);
      if (!r.ok()) return Fail(r.status());
      if (absl::Status st = CheckIssued(report, *r); !st.ok()) return Fail(st);
      report.allocators[i].attribution.push_back(*std::move(r));
    }
    NameSites(stacks, &report);
  }
  if (!html_path.empty() && !absl::GetFlag(FLAGS_trace).empty()) {
    report.call_sites_html = CallSitesHtml(absl::GetFlag(FLAGS_trace));
  }
  if (!html_path.empty() && !WriteFile(html_path, FormatHtml(report))) {
    return Fail("cannot write the report to " + html_path);
  }
  std::fputs((absl::GetFlag(FLAGS_json) ? FormatJson(report) : FormatText(report)).c_str(), stdout);
  if (!html_path.empty() && !absl::GetFlag(FLAGS_json)) std::printf("report: %s\n", html_path.c_str());
  if (!ChecksumsAgree(report)) return Fail("the runs did not issue the prepared ops (checksum mismatch)");
  return 0;
}

int PrepareOnly() {
  if (absl::Status st = CheckFlagsBelong("prepare"); !st.ok()) return Fail(st);
  const std::string trace = absl::GetFlag(FLAGS_trace);
  const std::string out = absl::GetFlag(FLAGS_out);
  if (trace.empty() || out.empty()) return Fail("prepare needs --trace and --out");
  auto window = WindowFromFlags();
  if (!window.ok()) return Fail(window.status());
  auto h = PrepareTrace(trace, out, absl::GetFlag(FLAGS_temp_dir), *window);
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
  alloclab::replay::NoteGivenFlags(argc, argv);
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
