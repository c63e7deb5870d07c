// RecordReader: the file framing of proto/trace.proto.
#include "trace/record_reader.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "trace/block_codec.h"
#include "trace/record_encoder.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {
constexpr size_t kReadBufferBytes = size_t{1} << 16;
}  // namespace

RecordReader::RecordReader(std::unique_ptr<ByteSource> source) {
  file_.source = std::move(source);
  file_.buf.resize(kReadBufferBytes);
}

bool RecordReader::Fail(absl::Status status) {
  status_ = std::move(status);
  return false;
}

std::string RecordReader::Where(const Stream& s, uint64_t offset) const {
  if (&s == &file_) return absl::StrCat("offset ", offset);
  return absl::StrCat("offset ", offset, " of the compressed block at offset ", record_offset_);
}

bool RecordReader::Fill(Stream& s) {
  if (s.eof || !status_.ok()) return false;
  if (s.pos > 0) {
    std::memmove(s.buf.data(), s.buf.data() + s.pos, s.limit - s.pos);
    s.limit -= s.pos;
    s.pos = 0;
  }
  auto n = s.source->Read(s.buf.data() + s.limit, s.buf.size() - s.limit);
  if (!n.ok()) return Fail(n.status());
  if (*n == 0) {
    s.eof = true;
    return false;
  }
  s.limit += *n;
  return true;
}

bool RecordReader::ReadMagic() {
  while (file_.limit < sizeof(kMagic) && Fill(file_)) {
  }
  if (!status_.ok()) return false;
  const size_t have = file_.limit;
  if (have == 0) return Fail(absl::DataLossError("empty file: not a trace"));
  const size_t cmp = std::min(have, sizeof(kMagic));
  if (std::memcmp(file_.buf.data(), kMagic, cmp) != 0) {
    return Fail(absl::InvalidArgumentError("not a trace file: bad magic at offset 0"));
  }
  if (have < sizeof(kMagic)) {
    return Fail(absl::DataLossError(
        absl::StrCat("truncated trace: file ends inside the magic at offset ", have)));
  }
  file_.pos = sizeof(kMagic);
  file_.offset = sizeof(kMagic);
  return true;
}

RecordReader::Frame RecordReader::NextFrame(Stream& s, const char* where, uint64_t* start) {
  for (;;) {
    // Read the length varint, refilling as needed.
    if (s.pos == s.limit && !Fill(s)) return status_.ok() ? Frame::kEnd : Frame::kError;
    *start = s.offset;
    if (s.buf[s.pos] == 0) {
      // Padding: skip to the next block boundary.
      uint64_t skip = kPaddingBlock - s.offset % kPaddingBlock;
      while (skip > 0) {
        if (s.pos == s.limit && !Fill(s)) return status_.ok() ? Frame::kEnd : Frame::kError;
        size_t n = static_cast<size_t>(std::min<uint64_t>(skip, s.limit - s.pos));
        s.pos += n;
        s.offset += n;
        skip -= n;
      }
      continue;
    }
    while (s.limit - s.pos < kMaxVarintBytes && Fill(s)) {
    }
    if (!status_.ok()) return Frame::kError;
    const uint8_t* p = s.buf.data() + s.pos;
    const uint8_t* end = s.buf.data() + s.limit;
    uint64_t length = 0;
    if (!GetVarint(&p, end, &length)) {
      if (end - p < kMaxVarintBytes) {
        Fail(absl::DataLossError(absl::StrCat("truncated record length at ", Where(s, *start))));
      } else {
        Fail(absl::DataLossError(absl::StrCat("corrupt record length at ", Where(s, *start))));
      }
      return Frame::kError;
    }
    if (length > kMaxRecordBytes) {
      Fail(absl::DataLossError(absl::StrCat("record at ", Where(s, *start), " claims ", length,
                                            " bytes, over the ", kMaxRecordBytes,
                                            "-byte limit (corrupt length)")));
      return Frame::kError;
    }
    const size_t prefix = static_cast<size_t>(p - (s.buf.data() + s.pos));
    s.pos += prefix;
    s.offset += prefix;
    bytes_.clear();
    while (bytes_.size() < length) {
      if (s.pos == s.limit && !Fill(s)) {
        if (!status_.ok()) return Frame::kError;
        Fail(absl::DataLossError(absl::StrCat("truncated record at ", Where(s, *start), ": ",
                                              where, " ends after ", bytes_.size(), " of its ",
                                              length, " bytes")));
        return Frame::kError;
      }
      size_t n = static_cast<size_t>(std::min<uint64_t>(length - bytes_.size(), s.limit - s.pos));
      bytes_.append(reinterpret_cast<const char*>(s.buf.data() + s.pos), n);
      s.pos += n;
      s.offset += n;
    }
    return Frame::kRecord;
  }
}

bool RecordReader::Next(Record* record, ChunkView* chunk) {
  if (!status_.ok()) return false;
  if (!started_) {
    started_ = true;
    if (!ReadMagic()) return false;
  }
  for (;;) {
    Stream& s = block_ != nullptr ? *block_ : file_;
    uint64_t start = 0;
    const Frame frame = NextFrame(s, block_ != nullptr ? "the block" : "the file", &start);
    if (frame == Frame::kError) return false;
    if (frame == Frame::kEnd) {
      if (block_ == nullptr) return false;
      block_.reset();
      continue;
    }
    if (block_ != nullptr) {
      inner_offset_ = start;
    } else {
      record_offset_ = start;
      inner_offset_ = 0;
    }
    if (chunk != nullptr && bytes_.size() >= 2 && static_cast<uint8_t>(bytes_[0]) == ((2 << 3) | 2)) {
      // Record.chunk (field 2, length-delimited) and nothing else: its words
      // stay packed in bytes_ (a packed field parsed into a message costs 8
      // bytes a word, and its events 88 bytes each).
      const uint8_t* p = reinterpret_cast<const uint8_t*>(bytes_.data()) + 1;
      const uint8_t* end = reinterpret_cast<const uint8_t*>(bytes_.data()) + bytes_.size();
      uint64_t len;
      if (GetVarint(&p, end, &len) && len == static_cast<uint64_t>(end - p) &&
          ParseChunkView(p, static_cast<size_t>(len), chunk)) {
        record->Clear();
        return true;
      }
    }
    if (!record->ParseFromString(bytes_)) {
      return Fail(absl::DataLossError(
          absl::StrCat("corrupt record at ", Where(s, start), ": not a valid Record message")));
    }
    if (record->body_case() == Record::BODY_NOT_SET) {
      return Fail(absl::DataLossError(
          absl::StrCat("corrupt record at ", Where(s, start), ": record has no known body")));
    }
    if (record->body_case() != Record::kCompressed) return true;
    if (block_ != nullptr) {
      return Fail(absl::DataLossError(
          absl::StrCat("corrupt record at ", Where(s, start), ": compressed block nested in a block")));
    }
    const Compressed& c = record->compressed();
    absl::Status st = DecompressBlock(c.codec(), c.raw_size(), c.data(), &raw_block_);
    if (!st.ok()) {
      return Fail(absl::DataLossError(
          absl::StrCat("corrupt compressed block at offset ", start, ": ", st.message())));
    }
    block_ = std::make_unique<Stream>();
    block_->source = std::make_unique<MemorySource>(raw_block_);
    block_->buf.resize(kReadBufferBytes);
  }
}

}  // namespace alloclab::trace
