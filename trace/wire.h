// Protocol-buffer wire primitives over caller-owned memory: varints, zigzag,
// tags, and padded (fixed-width) varints that let a writer patch a length in
// place. Nothing here allocates, so the tracer may call it from inside malloc.
#ifndef ALLOCLAB_TRACE_WIRE_H_
#define ALLOCLAB_TRACE_WIRE_H_

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace alloclab::trace {

inline constexpr int kMaxVarintBytes = 10;
// Width of the padded varints used for lengths and counts that are patched
// after the bytes they describe; 4 bytes hold values below 2^28.
inline constexpr int kPaddedVarintBytes = 4;
inline constexpr uint64_t kMaxPaddedValue = (uint64_t{1} << 28) - 1;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

constexpr uint64_t ZigZagEncode(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
constexpr int64_t ZigZagDecode(uint64_t v) {
  return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1));
}
constexpr uint32_t MakeTag(uint32_t field, WireType type) { return (field << 3) | type; }

inline int VarintSize(uint64_t v) {
  int n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v at p (which must have kMaxVarintBytes of room); returns the end.
inline uint8_t* PutVarint(uint8_t* p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = static_cast<uint8_t>(v) | 0x80;
    v >>= 7;
  }
  *p++ = static_cast<uint8_t>(v);
  return p;
}

// Writes v (< 2^28) as exactly kPaddedVarintBytes bytes, in one store, so a
// value rewritten in place is never seen half-updated by a reader of a
// killed process. Protobuf parsers accept such non-minimal varints.
inline void PutPaddedVarint(uint8_t* p, uint32_t v) {
  const uint32_t bytes = ((v & 0x7f) | 0x80) | (((v >> 7) & 0x7f) | 0x80) << 8 |
                         (((v >> 14) & 0x7f) | 0x80) << 16 | ((v >> 21) & 0x7f) << 24;
  std::memcpy(p, &bytes, sizeof(bytes));  // little-endian byte order
}

// Reads a varint from [*p, end). Returns false if it is truncated or longer
// than kMaxVarintBytes; *p advances only on success.
inline bool GetVarint(const uint8_t** p, const uint8_t* end, uint64_t* out) {
  uint64_t v = 0;
  const uint8_t* q = *p;
  for (int shift = 0; shift < 64 && q < end; shift += 7) {
    uint8_t b = *q++;
    if (shift == 63 && b > 1) return false;  // would overflow 64 bits
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (b < 0x80) {
      *out = v;
      *p = q;
      return true;
    }
  }
  return false;
}

// Appends protobuf fields to a fixed buffer. Overflow is sticky: once a write
// does not fit, ok() is false and nothing more is written.
class WireWriter {
 public:
  WireWriter(uint8_t* buf, size_t capacity) : begin_(buf), p_(buf), end_(buf + capacity) {}

  bool ok() const { return ok_; }
  size_t size() const { return static_cast<size_t>(p_ - begin_); }
  uint8_t* data() const { return begin_; }

  void Raw(const void* bytes, size_t n);
  void Varint(uint64_t v);
  void VarintField(uint32_t field, uint64_t v);
  void BytesField(uint32_t field, const void* bytes, size_t n);
  void StringField(uint32_t field, const char* s);  // NUL-terminated; NULL = ""

  // Nested message (or record body) whose length is patched by EndLength.
  // Returns the offset of the padded length to hand to EndLength.
  size_t BeginLength();
  void EndLength(size_t length_offset);
  size_t BeginField(uint32_t field) {
    Varint(MakeTag(field, kLengthDelimited));
    return BeginLength();
  }

 private:
  bool Reserve(size_t n);

  uint8_t* begin_;
  uint8_t* p_;
  uint8_t* end_;
  bool ok_ = true;
};

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_WIRE_H_
