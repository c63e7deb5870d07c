// The runner's report: the "key value..." lines replay_runner writes on
// stdout (runner_main.cc, allocation-free, inside the process being measured)
// and `replay` parses (run_result.cc). Every key is defined here once, so the
// two sides cannot drift apart.
#ifndef ALLOCLAB_REPLAY_RUNNER_REPORT_H_
#define ALLOCLAB_REPLAY_RUNNER_REPORT_H_

#include <cstdint>

namespace alloclab::replay {

// "key N" lines, N in decimal: X(key) for each.
#define ALLOCLAB_RUNNER_SCALARS(X)                                              \
  X(ops)             /* ops issued */                                           \
  X(calls)           /* allocator calls among them */                           \
  X(threads)         /* traced threads replayed */                              \
  X(workers)         /* OS threads that replayed them */                        \
  X(paced)           /* 1: --pace=recorded */                                   \
  X(max_gap_ns)      /* paced: the longest recorded gap kept */                 \
  X(call_ns)         /* paced: time inside the calls */                         \
  X(paced_sleep_ns)  /* paced: time waiting for recorded gaps */                \
  X(wall_ns)                                                                    \
  X(cpu_ns)          /* the workers' CPU time (the sampler's taken out) */      \
  X(tsc_hz)                                                                     \
  X(rss_base_bytes)  /* the allocator's resident memory before the replay */    \
  X(rss_peak_bytes)                                                             \
  X(rss_final_bytes)                                                            \
  X(rss_interval_us)                                                            \
  X(slop_requested)  /* sampled allocations: bytes asked for */                 \
  X(slop_usable)     /* ... and malloc_usable_size of them */                   \
  X(slop_samples)                                                               \
  X(alloc_failures)                                                             \
  X(waits_slept)     /* cross-thread waits that had to sleep */                 \
  X(verified)        /* 1 when run with --verify */                             \
  X(verify_errors)                                                              \
  X(attributed)      /* 1 when run with --attribute: the snapshot's figures */  \
  X(attribution_snapshots)     /* moments near the peak evaluated */            \
  X(attribution_calls)         /* issued when the snapshot was taken */         \
  X(attribution_peak_rss_bytes)  /* the highest RSS the run sampled */          \
  X(attribution_rss_bytes)     /* the allocator's resident bytes then */        \
  X(attribution_live_bytes)    /* requested bytes live then */                  \
  X(attribution_block_page_bytes)  /* resident pages holding live bytes */      \
  X(attribution_live_resident_bytes)                                            \
  X(attribution_live_unresident_bytes)

struct RunnerScalars {
#define ALLOCLAB_RUNNER_SCALAR_FIELD(key) uint64_t key = 0;
  ALLOCLAB_RUNNER_SCALARS(ALLOCLAB_RUNNER_SCALAR_FIELD)
#undef ALLOCLAB_RUNNER_SCALAR_FIELD
};

namespace runner_report {

// The other lines, with their fields.
inline constexpr char kChecksum[] = "checksum";                  // hash of the ops issued, 16 hex digits
inline constexpr char kPreparedChecksum[] = "prepared_checksum";  // the mapped file's, 16 hex digits
inline constexpr char kThread[] = "thread";            // index ops calls hash(16 hex digits) finished(0|1) published
inline constexpr int kThreadHashField = 4;             // the hex one, counting the key as 0
inline constexpr char kRssPoint[] = "rss_point";       // ops ns bytes
inline constexpr char kLatency[] = "latency";          // op-kind bucket-floor-cycles count
inline constexpr char kSubstituted[] = "substituted";  // text: a call the allocator lacks, made another way
inline constexpr char kVerifyError[] = "verify_error";  // text: the first one
inline constexpr char kSiteWaste[] = "site_waste";      // site live-bytes waste-bytes (--attribute)
inline constexpr char kEnd[] = "end";                   // "end 1", the last line

}  // namespace runner_report
}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_RUNNER_REPORT_H_
