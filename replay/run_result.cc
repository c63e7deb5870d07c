// RunReplay: spawns the runner with the allocator preloaded; parsing of its
// report.
#include "replay/run_result.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "replay/op_stream.h"

extern char** environ;

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
  const std::pair<const char*, uint64_t RunResult::*> kScalars[] = {
      {"threads", &RunResult::threads},
      {"workers", &RunResult::workers},
      {"ops", &RunResult::ops},
      {"calls", &RunResult::calls},
      {"paced", &RunResult::paced},
      {"max_gap_ns", &RunResult::max_gap_ns},
      {"call_ns", &RunResult::call_ns},
      {"paced_sleep_ns", &RunResult::paced_sleep_ns},
      {"wall_ns", &RunResult::wall_ns},
      {"cpu_ns", &RunResult::cpu_ns},
      {"tsc_hz", &RunResult::tsc_hz},
      {"rss_base_bytes", &RunResult::rss_base_bytes},
      {"rss_peak_bytes", &RunResult::rss_peak_bytes},
      {"rss_final_bytes", &RunResult::rss_final_bytes},
      {"rss_interval_us", &RunResult::rss_interval_us},
      {"slop_requested", &RunResult::slop_requested},
      {"slop_usable", &RunResult::slop_usable},
      {"slop_samples", &RunResult::slop_samples},
      {"alloc_failures", &RunResult::alloc_failures},
      {"waits_slept", &RunResult::waits_slept},
      {"verified", &RunResult::verified},
      {"verify_errors", &RunResult::verify_errors},
  };
  int line_no = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    ++line_no;
    if (absl::ConsumePrefix(&line, "substituted ")) {
      r.substitutions.emplace_back(line);
      continue;
    }
    if (absl::ConsumePrefix(&line, "verify_error ")) {
      r.first_verify_error = std::string(line);
      continue;
    }
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    auto bad = [&] {
      return absl::DataLossError(absl::StrCat("runner output line ", line_no, " is malformed: ", line));
    };
    std::vector<uint64_t> v(f.size(), 0);
    for (size_t i = 1; i < f.size(); ++i) {
      const bool hex = f[0] == "checksum" || f[0] == "prepared_checksum" || (f[0] == "thread" && i == 4);
      if (hex ? !absl::SimpleHexAtoi(f[i], &v[i]) : !absl::SimpleAtoi(f[i], &v[i])) return bad();
    }
    if (f[0] == "checksum" && f.size() == 2) {
      r.checksum = v[1];
    } else if (f[0] == "prepared_checksum" && f.size() == 2) {
      r.prepared_checksum = v[1];
    } else if (f[0] == "thread" && f.size() == 7 && v[1] == r.issued.size() && v[5] <= 1) {
      r.issued.push_back(IssuedThread{v[2], v[3], v[4], v[5] == 1, v[6]});
    } else if (f[0] == "rss_point" && f.size() == 4) {
      r.rss_points.push_back(RunResult::RssPoint{v[1], v[2], v[3]});
    } else if (f[0] == "latency" && f.size() == 4 && v[1] >= 1 && v[1] <= kMaxOpKind) {
      r.latency[static_cast<int>(v[1])].emplace_back(v[2], v[3]);
    } else if (f[0] == "end" && f.size() == 2) {
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
  if (options.pace_max_gap_ns != 0) args.push_back(absl::StrCat("--pace-max-gap-ns=", options.pace_max_gap_ns));
  // The environment as it is, but with exactly the allocator under test preloaded.
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::strncmp(*e, "LD_PRELOAD=", 11) != 0) env.emplace_back(*e);
  }
  if (!a.preload.empty()) env.push_back("LD_PRELOAD=" + a.preload);
  std::vector<char*> argv, envp;
  for (auto& s : args) argv.push_back(s.data());
  argv.push_back(nullptr);
  for (auto& s : env) envp.push_back(s.data());
  envp.push_back(nullptr);

  int pipefd[2];
  if (pipe2(pipefd, O_CLOEXEC) != 0) return absl::InternalError(absl::StrCat("pipe: ", std::strerror(errno)));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  pid_t pid;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  if (rc != 0) {
    close(pipefd[0]);
    return absl::InternalError(absl::StrCat("cannot start ", options.runner, ": ", std::strerror(rc)));
  }
  std::string out;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(pipefd[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    return absl::AbortedError(absl::StrCat("allocator ", a.name, ": the replay died of signal ", WTERMSIG(status),
                                           " (", strsignal(WTERMSIG(status)), ")"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return absl::AbortedError(absl::StrCat("allocator ", a.name, ": the replay failed (exit status ",
                                           WEXITSTATUS(status), "; its error is above)"));
  }
  auto r = ParseRunnerOutput(out);
  if (!r.ok()) return r.status();
  r->allocator = a.name;
  return r;
}

}  // namespace alloclab::replay
