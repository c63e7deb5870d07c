// WireWriter: bounded, allocation-free protobuf field writer.
#include "trace/wire.h"

#include <cstring>

namespace alloclab::trace {

bool WireWriter::Reserve(size_t n) {
  if (!ok_ || static_cast<size_t>(end_ - p_) < n) ok_ = false;
  return ok_;
}

void WireWriter::Raw(const void* bytes, size_t n) {
  if (!Reserve(n)) return;
  if (n != 0) std::memcpy(p_, bytes, n);
  p_ += n;
}

void WireWriter::Varint(uint64_t v) {
  if (!Reserve(static_cast<size_t>(VarintSize(v)))) return;
  p_ = PutVarint(p_, v);
}

void WireWriter::VarintField(uint32_t field, uint64_t v) {
  Varint(MakeTag(field, kVarint));
  Varint(v);
}

void WireWriter::BytesField(uint32_t field, const void* bytes, size_t n) {
  Varint(MakeTag(field, kLengthDelimited));
  Varint(n);
  Raw(bytes, n);
}

void WireWriter::StringField(uint32_t field, const char* s) {
  BytesField(field, s, s == nullptr ? 0 : std::strlen(s));
}

size_t WireWriter::BeginLength() {
  size_t at = size();
  if (Reserve(kPaddedVarintBytes)) p_ += kPaddedVarintBytes;
  return at;
}

void WireWriter::EndLength(size_t length_offset) {
  if (!ok_) return;
  size_t n = size() - length_offset - kPaddedVarintBytes;
  if (n > kMaxPaddedValue) {
    ok_ = false;
    return;
  }
  PutPaddedVarint(begin_ + length_offset, static_cast<uint32_t>(n));
}

}  // namespace alloclab::trace
