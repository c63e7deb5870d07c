// Log-linear histogram of cycle counts: exact below 16, then 8 buckets per
// power of two (12.5% resolution). Fixed size, no allocation; shared by the
// runner (which fills it) and the report (which reads percentiles from it).
#ifndef ALLOCLAB_REPLAY_LATENCY_HISTOGRAM_H_
#define ALLOCLAB_REPLAY_LATENCY_HISTOGRAM_H_

#include <cstdint>

namespace alloclab::replay {

inline constexpr int kLatencyBuckets = 16 + 60 * 8;

inline int LatencyBucket(uint64_t cycles) {
  if (cycles < 16) return static_cast<int>(cycles);
  const int e = 63 - __builtin_clzll(cycles);  // >= 4
  const int sub = static_cast<int>((cycles >> (e - 3)) & 7);
  return 16 + (e - 4) * 8 + sub;
}

// The smallest value of a bucket.
inline uint64_t LatencyBucketFloor(int bucket) {
  if (bucket < 16) return static_cast<uint64_t>(bucket);
  const int e = (bucket - 16) / 8 + 4;
  const uint64_t sub = static_cast<uint64_t>((bucket - 16) % 8);
  return (uint64_t{1} << e) | (sub << (e - 3));
}

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_LATENCY_HISTOGRAM_H_
