// AnalyzeCallSites: one pass (two for peak) over the ordered trace, a heap
// history with each block's stack and allocating thread on it.
#include "analysis/call_sites.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "analysis/report_text.h"
#include "trace/event.h"
#include "trace/heap_history.h"
#include "trace/ordered_reader.h"

namespace alloclab::analysis {
namespace {

using trace::Event;
using trace::HeapAction;

struct SiteExtra {
  uint64_t stack = 0;
  uint64_t thread = 0;
  uint64_t thread_event = 0;  // the allocating call's index among its thread's events
};
using History = trace::HeapHistory<SiteExtra>;

// One pass: every event through a fresh history, up to and including the
// event with seq stop_seq (0: to the end). step sees each resolved event
// with the event's index among its thread's events.
template <typename Step>
absl::Status Pass(const std::string& path, const CallSiteOptions& options, uint64_t stop_seq, History* history,
                  CallSiteReport* report, bool keep_records, Step step) {
  trace::OrderedReader::Options ro;
  ro.temp_dir = options.temp_dir;
  if (keep_records) {
    ro.on_other_record = [report](const trace::Record& r) { NoteStacksAndMaps(r, &report->stacks, &report->mappings); };
  }
  auto reader = trace::OrderedReader::Open(path, ro);
  if (!reader.ok()) return reader.status();
  absl::flat_hash_map<uint64_t, uint64_t> thread_events;
  Event e;
  uint64_t events = 0;
  while ((*reader)->Next(&e)) {
    ++events;
    const uint64_t index = thread_events[e.thread_id]++;
    History::Step s = history->Add(e);
    step(e, s, index);
    if (stop_seq != 0 && e.seq == stop_seq) break;
  }
  if (!(*reader)->status().ok()) return (*reader)->status();
  if (keep_records) report->events = events;
  return absl::OkStatus();
}

void Sort(const absl::flat_hash_map<uint64_t, SiteTotals>& by_stack, CallSiteReport* report) {
  for (const auto& [stack, totals] : by_stack) {
    report->sites.push_back(SiteRow{stack, totals});
    report->total.blocks += totals.blocks;
    report->total.bytes += totals.bytes;
  }
  std::sort(report->sites.begin(), report->sites.end(), [](const SiteRow& a, const SiteRow& b) {
    return a.totals.bytes != b.totals.bytes ? a.totals.bytes > b.totals.bytes : a.stack_id < b.stack_id;
  });
}

const char* KindName(CallSiteReportKind k) {
  switch (k) {
    case CallSiteReportKind::kLeaks: return "leaks";
    case CallSiteReportKind::kPeak: return "peak";
    case CallSiteReportKind::kTemporary: return "temporary";
    case CallSiteReportKind::kTop: return "top";
  }
  return "";
}

// The frames of a site, innermost first, as names ("(no stack)" for 0).
std::vector<const SymbolizedFrame*> Frames(const CallSiteReport& r, uint64_t stack, Symbolizer& symbolizer) {
  std::vector<const SymbolizedFrame*> out;
  auto it = r.stacks.find(stack);
  if (it == r.stacks.end()) return out;
  for (uint64_t a : it->second) out.push_back(&symbolizer.Symbolize(a));
  return out;
}

}  // namespace

void NoteStacksAndMaps(const trace::Record& r, absl::flat_hash_map<uint64_t, std::vector<uint64_t>>* stacks,
                       std::vector<MappedFile>* mappings) {
  if (r.has_stack()) {
    (*stacks)[r.stack().id()].assign(r.stack().frames().begin(), r.stack().frames().end());
  } else if (r.has_memory_maps()) {
    mappings->clear();  // a later one supersedes it
    for (const auto& m : r.memory_maps().mappings()) {
      mappings->push_back(MappedFile{m.start(), m.end(), m.file_offset(), m.path()});
    }
  }
}

namespace {

using SiteMap = absl::flat_hash_map<uint64_t, SiteTotals>;

// Every report needs each block's stack and allocating thread.
void NoteExtra(const Event& e, History::Step& s, uint64_t index) {
  if (s.action == HeapAction::kAllocate || s.action == HeapAction::kResize) {
    s.block->extra = SiteExtra{e.stack_id, e.thread_id, index};
  }
}

// top's pass: allocations by stack, live bytes over the trace and the peak;
// history ends with the blocks live at the end (leaks).
absl::Status TopPass(const std::string& path, const CallSiteOptions& options, History* history,
                     CallSiteReport* report, SiteMap* by_stack) {
  uint64_t step = 1, since = 0;
  const absl::Status st =
      Pass(path, options, 0, history, report, true, [&](const Event& e, History::Step& s, uint64_t index) {
        NoteExtra(e, s, index);
        if (s.action == HeapAction::kAllocate || s.action == HeapAction::kResize) {
          (*by_stack)[e.stack_id].Add(s.block->bytes);
        }
        if (++since < step) return;
        since = 0;
        auto& points = report->timeline;
        if (points.size() == CallSiteReport::kMaxTimelinePoints) {  // every other point, half as often
          for (size_t i = 0; i < points.size() / 2; ++i) points[i] = points[2 * i];
          points.resize(points.size() / 2);
          step *= 2;
        }
        points.emplace_back(e.seq, history->live_bytes());
      });
  report->peak_seq = history->peak_seq();
  report->peak_live_bytes = history->peak_live_bytes();
  return st;
}

void AddLive(const History& history, SiteMap* by_stack) {
  history.ForEachLive([&](uint64_t, const History::Block& b) { (*by_stack)[b.extra.stack].Add(b.bytes); });
}

// What was live after the event with seq peak_seq (a pass that stops there).
absl::Status AddLiveAt(const std::string& path, const CallSiteOptions& options, uint64_t peak_seq,
                       CallSiteReport* report, SiteMap* by_stack) {
  History at_peak;
  if (peak_seq != 0) {
    if (absl::Status st = Pass(path, options, peak_seq, &at_peak, report, false, NoteExtra); !st.ok()) return st;
  }
  AddLive(at_peak, by_stack);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<CallSiteReport> AnalyzeCallSites(const std::string& path, const CallSiteOptions& options) {
  CallSiteReport report;
  report.kind = options.kind;
  report.window = options.window;
  SiteMap by_stack;
  History history;
  absl::Status st;
  switch (options.kind) {
    case CallSiteReportKind::kLeaks:
      st = Pass(path, options, 0, &history, &report, true, NoteExtra);
      if (st.ok()) AddLive(history, &by_stack);
      break;
    case CallSiteReportKind::kPeak:
      st = Pass(path, options, 0, &history, &report, true, NoteExtra);
      report.peak_seq = history.peak_seq();
      if (st.ok()) st = AddLiveAt(path, options, report.peak_seq, &report, &by_stack);
      break;
    case CallSiteReportKind::kTemporary:
      st = Pass(path, options, 0, &history, &report, true, [&](const Event& e, History::Step& s, uint64_t index) {
        NoteExtra(e, s, index);
        if (s.action == HeapAction::kFree && s.old.extra.thread == e.thread_id &&
            index - s.old.extra.thread_event <= options.window) {
          by_stack[s.old.extra.stack].Add(s.old.bytes);
        }
      });
      break;
    case CallSiteReportKind::kTop:
      st = TopPass(path, options, &history, &report, &by_stack);
      break;
  }
  if (!st.ok()) return st;
  Sort(by_stack, &report);
  return report;
}

absl::StatusOr<ProfileReports> AnalyzeProfile(const std::string& path, const std::string& temp_dir) {
  CallSiteOptions options;
  options.temp_dir = temp_dir;
  ProfileReports r;
  SiteMap top, leaks, peak;
  History history;
  r.top.kind = CallSiteReportKind::kTop;
  if (absl::Status st = TopPass(path, options, &history, &r.top, &top); !st.ok()) return st;
  AddLive(history, &leaks);  // the same history, at its end
  r.leaks.kind = CallSiteReportKind::kLeaks;
  r.peak.kind = CallSiteReportKind::kPeak;
  r.peak.peak_seq = r.top.peak_seq;
  for (CallSiteReport* other : {&r.leaks, &r.peak}) {
    other->events = r.top.events;
    other->stacks = r.top.stacks;
    other->mappings = r.top.mappings;
  }
  if (absl::Status st = AddLiveAt(path, options, r.peak.peak_seq, &r.peak, &peak); !st.ok()) return st;
  Sort(top, &r.top);
  Sort(leaks, &r.leaks);
  Sort(peak, &r.peak);
  return r;
}

std::vector<FunctionRow> ByFunction(const CallSiteReport& report, Symbolizer& symbolizer) {
  absl::flat_hash_map<std::string, FunctionRow> rows;
  for (const SiteRow& site : report.sites) {
    const std::vector<const SymbolizedFrame*> frames = Frames(report, site.stack_id, symbolizer);
    if (frames.empty()) {
      FunctionRow& r = rows["(no stack)"];
      r.function = "(no stack)";
      for (SiteTotals* t : {&r.inclusive, &r.exclusive}) {
        t->blocks += site.totals.blocks;
        t->bytes += site.totals.bytes;
      }
      continue;
    }
    absl::flat_hash_set<std::string> seen;  // recursion counts a function once
    for (size_t i = 0; i < frames.size(); ++i) {
      const std::string name = frames[i]->Name();
      FunctionRow& r = rows[name];
      r.function = name;
      if (i == 0) {
        r.exclusive.blocks += site.totals.blocks;
        r.exclusive.bytes += site.totals.bytes;
      }
      if (seen.insert(name).second) {
        r.inclusive.blocks += site.totals.blocks;
        r.inclusive.bytes += site.totals.bytes;
      }
    }
  }
  std::vector<FunctionRow> out;
  for (auto& [name, r] : rows) out.push_back(std::move(r));
  std::sort(out.begin(), out.end(), [](const FunctionRow& a, const FunctionRow& b) {
    return a.inclusive.bytes != b.inclusive.bytes ? a.inclusive.bytes > b.inclusive.bytes : a.function < b.function;
  });
  return out;
}

std::string CallSiteReportText(const CallSiteReport& r, Symbolizer& symbolizer, size_t limit) {
  std::string s;
  switch (r.kind) {
    case CallSiteReportKind::kLeaks:
      absl::StrAppendFormat(&s, "leaks: %u blocks, %u bytes live at the end, by allocating stack\n", r.total.blocks,
                            r.total.bytes);
      break;
    case CallSiteReportKind::kPeak:
      absl::StrAppendFormat(&s, "peak: %u blocks, %u bytes live at seq %u (the first time live bytes peaked)\n",
                            r.total.blocks, r.total.bytes, r.peak_seq);
      break;
    case CallSiteReportKind::kTemporary:
      absl::StrAppendFormat(&s, "temporary: %u blocks, %u bytes freed by their thread within %u of its events\n",
                            r.total.blocks, r.total.bytes, r.window);
      break;
    case CallSiteReportKind::kTop:
      absl::StrAppendFormat(&s, "top: %u allocations, %u bytes, by stack\n", r.total.blocks, r.total.bytes);
      break;
  }
  const char* count_name = r.kind == CallSiteReportKind::kTop ? "calls" : "blocks";
  absl::StrAppendFormat(&s, "  %14s %10s %12s  %s\n", "bytes", count_name, "e.g. size", "stack (innermost first)");
  size_t shown = 0;
  for (const SiteRow& row : r.sites) {
    if (limit != 0 && shown == limit) {
      absl::StrAppendFormat(&s, "  ... and %u more stacks\n", r.sites.size() - shown);
      break;
    }
    ++shown;
    const std::vector<const SymbolizedFrame*> frames = Frames(r, row.stack_id, symbolizer);
    absl::StrAppendFormat(&s, "  %14u %10u %12u  %s\n", row.totals.bytes, row.totals.blocks, row.totals.sample_size,
                          frames.empty() ? "(no stack)" : frames[0]->ToString());
    for (size_t i = 1; i < frames.size(); ++i) absl::StrAppendFormat(&s, "  %38s    %s\n", "", frames[i]->ToString());
  }
  if (r.kind == CallSiteReportKind::kTop) {
    const std::vector<FunctionRow> functions = ByFunction(r, symbolizer);
    absl::StrAppendFormat(&s, "by function:\n  %14s %10s %14s %10s  %s\n", "incl. bytes", "incl. calls", "excl. bytes",
                          "excl. calls", "function");
    for (size_t i = 0; i < functions.size() && (limit == 0 || i < limit); ++i) {
      const FunctionRow& f = functions[i];
      absl::StrAppendFormat(&s, "  %14u %10u %14u %10u  %s\n", f.inclusive.bytes, f.inclusive.blocks, f.exclusive.bytes,
                            f.exclusive.blocks, f.function);
    }
  }
  return s;
}

std::string CallSiteReportJson(const CallSiteReport& r, Symbolizer& symbolizer) {
  std::string s = absl::StrFormat("{\"report\": \"%s\", \"events\": %u, \"total_bytes\": %u, \"total_%s\": %u",
                                  KindName(r.kind), r.events, r.total.bytes,
                                  r.kind == CallSiteReportKind::kTop ? "calls" : "blocks", r.total.blocks);
  if (r.kind == CallSiteReportKind::kPeak) absl::StrAppendFormat(&s, ", \"peak_seq\": %u", r.peak_seq);
  if (r.kind == CallSiteReportKind::kTemporary) absl::StrAppendFormat(&s, ", \"window\": %u", r.window);
  s += ", \"sites\": [";
  for (size_t i = 0; i < r.sites.size(); ++i) {
    const SiteRow& row = r.sites[i];
    absl::StrAppendFormat(&s, "%s\n  {\"stack_id\": %u, \"bytes\": %u, \"%s\": %u, \"sample_size\": %u, \"frames\": [",
                          i == 0 ? "" : ",", row.stack_id, row.totals.bytes,
                          r.kind == CallSiteReportKind::kTop ? "calls" : "blocks", row.totals.blocks,
                          row.totals.sample_size);
    const std::vector<const SymbolizedFrame*> frames = Frames(r, row.stack_id, symbolizer);
    for (size_t j = 0; j < frames.size(); ++j) {
      const SymbolizedFrame& f = *frames[j];
      absl::StrAppendFormat(&s, "%s{\"address\": %u, \"function\": %s, \"file\": %s, \"line\": %d, \"module\": %s, "
                            "\"module_offset\": %u}",
                            j == 0 ? "" : ", ", f.address, JsonString(f.function), JsonString(f.file), f.line,
                            JsonString(f.module), f.module_offset);
    }
    s += "]}";
  }
  s += "]";
  if (r.kind == CallSiteReportKind::kTop) {
    s += ", \"functions\": [";
    const std::vector<FunctionRow> functions = ByFunction(r, symbolizer);
    for (size_t i = 0; i < functions.size(); ++i) {
      const FunctionRow& f = functions[i];
      absl::StrAppendFormat(&s, "%s\n  {\"function\": %s, \"inclusive_bytes\": %u, \"inclusive_calls\": %u, "
                            "\"exclusive_bytes\": %u, \"exclusive_calls\": %u}",
                            i == 0 ? "" : ",", JsonString(f.function), f.inclusive.bytes, f.inclusive.blocks,
                            f.exclusive.bytes, f.exclusive.blocks);
    }
    s += "]";
  }
  s += "}\n";
  return s;
}

}  // namespace alloclab::analysis
