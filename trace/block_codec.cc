// zstd compression of record blocks.
#include "trace/block_codec.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"
#include "proto/trace.pb.h"
#include "trace/wire.h"

namespace alloclab::trace {

absl::StatusOr<std::string> CompressBlock(std::string_view framed_records, int level) {
  if (framed_records.size() > kMaxBlockBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("block of ", framed_records.size(), " bytes exceeds ", kMaxBlockBytes));
  }
  std::string compressed(ZSTD_compressBound(framed_records.size()), '\0');
  size_t n = ZSTD_compress(compressed.data(), compressed.size(), framed_records.data(),
                           framed_records.size(), level);
  if (ZSTD_isError(n)) return absl::InternalError(ZSTD_getErrorName(n));
  compressed.resize(n);

  Record record;
  Compressed* c = record.mutable_compressed();
  c->set_codec(Compressed::ZSTD);
  c->set_raw_size(framed_records.size());
  c->set_data(std::move(compressed));
  std::string body = record.SerializeAsString();
  uint8_t prefix[kMaxVarintBytes];
  uint8_t* end = PutVarint(prefix, body.size());
  return std::string(reinterpret_cast<char*>(prefix), end - prefix) + body;
}

absl::Status DecompressBlock(int codec, uint64_t raw_size, std::string_view data,
                             std::string* out) {
  if (codec != Compressed::ZSTD) return absl::InvalidArgumentError(absl::StrCat("unknown codec ", codec));
  if (raw_size > kMaxBlockBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("raw size ", raw_size, " exceeds the ", kMaxBlockBytes, "-byte limit"));
  }
  out->resize(raw_size);
  size_t n = ZSTD_decompress(out->data(), out->size(), data.data(), data.size());
  if (ZSTD_isError(n)) return absl::DataLossError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  if (n != raw_size) {
    return absl::DataLossError(absl::StrCat("decompressed to ", n, " bytes, header says ", raw_size));
  }
  return absl::OkStatus();
}

}  // namespace alloclab::trace
