// tracetool: inspect allocation traces, import other formats.
//   tracetool validate TRACE   exit 0 if the whole trace decodes, else the first error
//   tracetool stats TRACE      event counts by kind and by thread, peak live bytes,
//                              histograms, inversions, live blocks at the end
//   tracetool dump TRACE       one event per line
//   tracetool leaks|peak|temporary|top TRACE   by call site (analysis/call_sites)
//   tracetool html --out=FILE TRACE           the profile page (analysis/profile_html)
//   tracetool import [--format=mtrace] LOG OUT   glibc mtrace log -> trace
// All stream: validate and dump hold one chunk; stats and the call-site
// reports replay the allocation history in global seq order
// (trace/ordered_reader, trace/heap_history), holding a spill chunk per
// thread, the live set and a line per stack; import reads a line at a time
// (analysis/mtrace_import).
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "analysis/call_sites.h"
#include "analysis/mtrace_import.h"
#include "analysis/profile_html.h"
#include "analysis/symbolizer.h"
#include "analysis/trace_stats.h"
#include "trace/event.h"
#include "trace/ordered_reader.h"
#include "trace/trace_reader.h"

namespace alloclab::analysis {
namespace {

using trace::Event;

int Usage() {
  std::fprintf(stderr,
               "usage: tracetool validate|stats|dump TRACE\n"
               "       tracetool leaks|peak|temporary|top [--json] [--limit=N] [--window=N] TRACE\n"
               "       tracetool html --out=FILE TRACE\n"
               "       tracetool import [--format=mtrace] LOG OUT\n"
               "  validate  exit status 0 if TRACE decodes completely, else the first error\n"
               "  stats     event counts by kind and thread, peak live bytes, size and lifetime\n"
               "            histograms, allocation balance, ordering inversions\n"
               "  dump      one event per line\n"
               "  leaks     blocks live at the end, by allocating stack (MALLOC_TRACE_STACKS)\n"
               "  peak      what was live when live bytes peaked, by stack\n"
               "  temporary blocks freed by their thread within --window=N (16) of its events\n"
               "  top       allocations and bytes by stack, and by function (inclusive, exclusive)\n"
               "            --limit=N rows (20; 0: all), --json: every row as JSON\n"
               "  html      a self-contained page: flame graphs of allocated, peak-live and leaked\n"
               "            bytes by stack (click to zoom, search), live bytes over time\n"
               "  import    convert glibc's mtrace log (the MALLOC_TRACE file) into a trace\n"
               "            written to OUT (\"-\": standard output)\n");
  return 2;
}

int Error(const std::string& path, const absl::Status& st) {
  std::fprintf(stderr, "tracetool: %s: %s\n", path.c_str(), std::string(st.message()).c_str());
  return 1;
}

std::string Describe(const Event& e) {
  std::string s = absl::StrFormat("%llu t%llu %s", static_cast<unsigned long long>(e.seq),
                                  static_cast<unsigned long long>(e.thread_id), trace::KindName(e.kind));
  for (const trace::Word* w = trace::kLayouts[static_cast<int>(e.kind)].words; *w != trace::Word::kEnd; ++w) {
    switch (*w) {
      case trace::Word::kIn: absl::StrAppendFormat(&s, " in=%#x", e.in); break;
      case trace::Word::kOut: absl::StrAppendFormat(&s, " out=%#x", e.out); break;
      case trace::Word::kSize: absl::StrAppendFormat(&s, " size=%u", e.size); break;
      case trace::Word::kCount: absl::StrAppendFormat(&s, " count=%u", e.count); break;
      case trace::Word::kAlignment: absl::StrAppendFormat(&s, " align=%u", e.alignment); break;
      case trace::Word::kResult: absl::StrAppendFormat(&s, " result=%u", e.result); break;
      case trace::Word::kEnd: break;
    }
  }
  absl::StrAppendFormat(&s, " time=%u", e.time);
  if (e.stack_id != 0) absl::StrAppendFormat(&s, " stack=%u", e.stack_id);
  return s;
}

void PrintStats(const std::string& path, const trace::Header& h, const TraceStats& stats) {
  std::printf("trace %s: pid %llu, %s%s, %llu events\n", path.c_str(), static_cast<unsigned long long>(h.pid()),
              h.executable().empty() ? "executable unknown" : h.executable().c_str(),
              h.forked() ? " (forked)" : "", static_cast<unsigned long long>(stats.events()));
  std::fputs(stats.ToString().c_str(), stdout);
}

int Stats(const std::string& path) {
  // File order is per thread; the allocation history is in seq order, which
  // the ordered reader merges in bounded memory.
  auto reader = trace::OrderedReader::Open(path);
  if (!reader.ok()) return Error(path, reader.status());
  trace::OrderedReader& r = **reader;
  TraceStats stats;
  Event e;
  while (r.Next(&e)) stats.Add(e);
  if (!r.status().ok()) return Error(path, r.status());
  PrintStats(path, r.header(), stats);
  return 0;
}

int Run(const std::string& command, const std::string& path) {
  if (command == "stats") return Stats(path);
  auto reader = trace::TraceReader::Open(path);
  if (!reader.ok()) return Error(path, reader.status());
  trace::TraceReader& r = **reader;
  Event e;
  if (command == "validate") {
    uint64_t n = 0;
    while (r.Next(&e)) ++n;
    if (!r.status().ok()) return Error(path, r.status());
    std::printf("%s: ok, %llu events\n", path.c_str(), static_cast<unsigned long long>(n));
    return 0;
  }
  // dump
  while (r.Next(&e)) std::printf("%s\n", Describe(e).c_str());
  return r.status().ok() ? 0 : Error(path, r.status());
}

// leaks|peak|temporary|top [--json] [--limit=N] [--window=N] TRACE
int CallSites(int argc, char** argv) {
  const std::string command = argv[1];
  CallSiteOptions options;
  options.kind = command == "leaks"       ? CallSiteReportKind::kLeaks
                 : command == "peak"      ? CallSiteReportKind::kPeak
                 : command == "temporary" ? CallSiteReportKind::kTemporary
                                          : CallSiteReportKind::kTop;
  bool json = false;
  std::string path;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    uint64_t v = 0;
    if (arg == "--json") {
      json = true;
    } else if (arg.rfind("--limit=", 0) == 0 && absl::SimpleAtoi(arg.substr(8), &v)) {
      options.limit = v;
    } else if (arg.rfind("--window=", 0) == 0 && absl::SimpleAtoi(arg.substr(9), &v) && v > 0) {
      options.window = v;
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "tracetool: %s: unknown or malformed flag '%s'\n", command.c_str(), arg.c_str());
      return Usage();
    } else if (path.empty()) {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty()) return Usage();
  auto report = AnalyzeCallSites(path, options);
  if (!report.ok()) return Error(path, report.status());
  Symbolizer symbolizer(report->mappings);
  const std::string out =
      json ? CallSiteReportJson(*report, symbolizer) : CallSiteReportText(*report, symbolizer, options.limit);
  std::fputs(out.c_str(), stdout);
  return 0;
}

// html --out=FILE TRACE
int Html(int argc, char** argv) {
  std::string out, path;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--out=", 0) == 0 && arg.size() > 6) {
      out = arg.substr(6);
    } else if (arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "tracetool: html: unknown or malformed flag '%s'\n", arg.c_str());
      return Usage();
    } else if (path.empty()) {
      path = arg;
    } else {
      return Usage();
    }
  }
  if (path.empty() || out.empty()) return Usage();
  auto reports = AnalyzeProfile(path);
  if (!reports.ok()) return Error(path, reports.status());
  const std::string html = ProfileHtml(path, *reports);
  std::FILE* f = std::fopen(out.c_str(), "w");
  if (f == nullptr || std::fwrite(html.data(), 1, html.size(), f) != html.size() || std::fclose(f) != 0) {
    std::fprintf(stderr, "tracetool: cannot write %s\n", out.c_str());
    return 1;
  }
  std::printf("profile: %s\n", out.c_str());
  return 0;
}

// import [--format=mtrace] LOG OUT
int Import(int argc, char** argv) {
  std::vector<std::string> paths;
  bool flags = true;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (flags && arg == "--") {
      flags = false;
    } else if (flags && arg.rfind("--format=", 0) == 0) {
      const std::string format = arg.substr(9);
      if (format != "mtrace") {
        std::fprintf(stderr, "tracetool: import: unknown format '%s' (known: mtrace)\n", format.c_str());
        return 2;
      }
    } else if (flags && arg.size() > 1 && arg[0] == '-') {
      std::fprintf(stderr, "tracetool: import: unknown flag '%s'\n", arg.c_str());
      return Usage();
    } else {
      paths.push_back(arg);
    }
  }
  if (paths.size() != 2) {
    std::fprintf(stderr, "tracetool: import needs LOG and OUT\n");
    return Usage();
  }
  auto counts = ImportMtraceFile(paths[0], paths[1]);
  if (!counts.ok()) return Error(paths[0], counts.status());
  // With the trace on standard output, the summary goes to stderr.
  std::FILE* where = paths[1] == "-" ? stderr : stdout;
  std::fprintf(where,
               "%s: %llu lines, %llu events (%llu allocations, %llu frees, %llu reallocs, %llu failed "
               "reallocs) written to %s\n",
               paths[0].c_str(), static_cast<unsigned long long>(counts->lines),
               static_cast<unsigned long long>(counts->events), static_cast<unsigned long long>(counts->mallocs),
               static_cast<unsigned long long>(counts->frees), static_cast<unsigned long long>(counts->reallocs),
               static_cast<unsigned long long>(counts->failed_reallocs), paths[1].c_str());
  return 0;
}

}  // namespace
}  // namespace alloclab::analysis

int main(int argc, char** argv) {
  if (argc < 2) return alloclab::analysis::Usage();
  const std::string command = argv[1];
  if (command == "import") return alloclab::analysis::Import(argc, argv);
  if (command == "html") return alloclab::analysis::Html(argc, argv);
  if (command == "leaks" || command == "peak" || command == "temporary" || command == "top") {
    return alloclab::analysis::CallSites(argc, argv);
  }
  if (command != "validate" && command != "stats" && command != "dump") {
    std::fprintf(stderr, "tracetool: unknown command '%s'\n", command.c_str());
    return alloclab::analysis::Usage();
  }
  if (argc != 3) return alloclab::analysis::Usage();
  return alloclab::analysis::Run(command, argv[2]);
}
