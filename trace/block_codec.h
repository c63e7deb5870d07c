// Compressed blocks (Record.compressed): zstd over a run of framed records.
// Used by writers off the hot path and by the reader.
#ifndef ALLOCLAB_TRACE_BLOCK_CODEC_H_
#define ALLOCLAB_TRACE_BLOCK_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace alloclab::trace {

// Largest decompressed block a reader accepts (and a writer produces).
inline constexpr size_t kMaxBlockBytes = size_t{64} << 20;

// Returns a framed Record holding `framed_records` compressed with zstd.
absl::StatusOr<std::string> CompressBlock(std::string_view framed_records, int level);

// Decompresses a Compressed record's data into *out (exactly raw_size bytes).
absl::Status DecompressBlock(int codec, uint64_t raw_size, std::string_view data,
                             std::string* out);

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_BLOCK_CODEC_H_
