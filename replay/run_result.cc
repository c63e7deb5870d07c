// RunReplay: runs the runner with the allocator preloaded (child_process.h)
// and parses its report (runner_report.h).
#include "replay/run_result.h"

#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "replay/child_process.h"
#include "replay/op_stream.h"

namespace alloclab::replay {

uint64_t RunResult::LatencySamples(int kind) const {
  auto it = latency.find(kind);
  if (it == latency.end()) return 0;
  uint64_t n = 0;
  for (const auto& [floor, count] : it->second) n += count;
  return n;
}

double RunResult::LatencyNs(int kind, double q) const {
  const uint64_t total = LatencySamples(kind);
  if (total == 0 || tsc_hz == 0) return -1;
  const auto& buckets = latency.at(kind);
  const double want = q * static_cast<double>(total);
  uint64_t seen = 0;
  for (const auto& [floor, count] : buckets) {
    seen += count;
    if (static_cast<double>(seen) >= want) return static_cast<double>(floor) * 1e9 / static_cast<double>(tsc_hz);
  }
  return static_cast<double>(buckets.back().first) * 1e9 / static_cast<double>(tsc_hz);
}

absl::StatusOr<RunResult> ParseRunnerOutput(const std::string& text) {
  RunResult r;
  bool ended = false;
  namespace key = runner_report;
  const std::pair<const char*, uint64_t RunnerScalars::*> kScalars[] = {
#define ALLOCLAB_SCALAR_ENTRY(name) {#name, &RunnerScalars::name},
      ALLOCLAB_RUNNER_SCALARS(ALLOCLAB_SCALAR_ENTRY)
#undef ALLOCLAB_SCALAR_ENTRY
  };
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_no;
    // "key text": the text after the key and one space.
    auto text_of = [&line](const char* k) {
      absl::string_view rest = line;
      if (!absl::ConsumePrefix(&rest, k) || !absl::ConsumePrefix(&rest, " ")) return false;
      line = rest;
      return true;
    };
    if (text_of(key::kSubstituted)) {
      r.substitutions.emplace_back(line);
      continue;
    }
    if (text_of(key::kVerifyError)) {
      r.first_verify_error = std::string(line);
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto bad = [&] {
      return absl::DataLossError(absl::StrCat("runner output line ", line_no, " is malformed: ", line));
    };
    std::vector<uint64_t> v(f.size(), 0);
    for (size_t i = 1; i < f.size(); ++i) {
      const bool hex = f[0] == key::kChecksum || f[0] == key::kPreparedChecksum ||
                       (f[0] == key::kThread && i == key::kThreadHashField);
      if (hex ? !absl::SimpleHexAtoi(f[i], &v[i]) : !absl::SimpleAtoi(f[i], &v[i])) return bad();
    }
    if (f[0] == key::kChecksum && f.size() == 2) {
      r.checksum = v[1];
    } else if (f[0] == key::kPreparedChecksum && f.size() == 2) {
      r.prepared_checksum = v[1];
    } else if (f[0] == key::kThread && f.size() == 7 && v[1] == r.issued.size() && v[5] <= 1) {
      r.issued.push_back(IssuedThread{v[2], v[3], v[4], v[5] == 1, v[6]});
    } else if (f[0] == key::kRssPoint && f.size() == 4) {
      r.rss_points.push_back(RunResult::RssPoint{v[1], v[2], v[3]});
    } else if (f[0] == key::kLatency && f.size() == 4 && v[1] >= 1 && v[1] <= kMaxOpKind) {
      r.latency[static_cast<int>(v[1])].emplace_back(v[2], v[3]);
    } else if (f[0] == key::kSiteWaste && f.size() == 4 && v[1] < kMaxSites) {
      r.site_waste.push_back(RunResult::SiteWasteRow{static_cast<uint32_t>(v[1]), v[2], v[3]});
    } else if (f[0] == key::kEnd && f.size() == 2) {
      ended = true;
    } else {
      bool known = false;
      for (const auto& [key, field] : kScalars) {
        if (f[0] == key && f.size() == 2) {
          r.*field = v[1];
          known = true;
        }
      }
      if (!known) return bad();
    }
  }
  if (!ended) return absl::DataLossError("the runner's report is incomplete (no end line)");
  if (r.issued.size() != r.threads) {
    return absl::DataLossError(absl::StrCat("the runner reported ", r.issued.size(), " of ", r.threads, " threads"));
  }
  return r;
}

absl::StatusOr<RunResult> RunReplay(const RunOptions& options, const std::string& prepared, const Allocator& a) {
  std::vector<std::string> args = {options.runner,
                                   prepared,
                                   absl::StrCat("--touch=", options.touch),
                                   absl::StrCat("--sample-shift=", options.sample_shift),
                                   absl::StrCat("--rss-interval-us=", options.rss_interval_us),
                                   absl::StrCat("--expect=", a.preload.empty() ? "glibc" : a.preload)};
  if (options.verify) args.push_back("--verify");
  if (options.attribute) args.push_back("--attribute");
  if (options.pace_max_gap_ns != 0) args.push_back(absl::StrCat("--pace-max-gap-ns=", options.pace_max_gap_ns));
  auto child = RunCapturingStdout(args, EnvironmentWithPreload(a.preload));
  if (!child.ok()) return child.status();
  if (!child->exited) {
    return absl::AbortedError(absl::StrCat("allocator ", a.name, ": the replay died of signal ", child->signal, " (",
                                           strsignal(child->signal), ")"));
  }
  if (child->exit_status != 0) {
    return absl::AbortedError(absl::StrCat("allocator ", a.name, ": the replay failed (exit status ",
                                           child->exit_status, "; its error is above)"));
  }
  auto r = ParseRunnerOutput(child->out);
  if (!r.ok()) return r.status();
  r->allocator = a.name;
  return r;
}

}  // namespace alloclab::replay
