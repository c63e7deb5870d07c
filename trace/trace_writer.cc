// TraceWriter: compact per-thread chunks, optional zstd blocks.
#include "trace/trace_writer.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "trace/block_codec.h"
#include "trace/wire.h"

namespace alloclab::trace {

TraceWriter::TraceWriter(ByteSink* sink, const HeaderFields& header, Options options)
    : sink_(sink), options_(options) {
  // The magic and header always go out uncompressed, first.
  std::vector<uint8_t> buf(4096);
  for (;;) {
    size_t n = EncodeHeader(header, buf.data(), buf.size());
    if (n != 0) {
      std::string head(kMagic, sizeof(kMagic));
      head.append(reinterpret_cast<const char*>(buf.data()), n);
      status_ = WriteOut(head);
      return;
    }
    buf.resize(buf.size() * 2);
  }
}

absl::Status TraceWriter::WriteOut(const std::string& bytes) {
  bytes_written_ += bytes.size();
  return sink_->Write(bytes);
}

absl::Status TraceWriter::Emit(const uint8_t* data, size_t n) {
  block_.append(reinterpret_cast<const char*>(data), n);
  if (!options_.compress || block_.size() >= options_.block_bytes) return FlushBlock();
  return absl::OkStatus();
}

absl::Status TraceWriter::FlushBlock() {
  if (block_.empty()) return absl::OkStatus();
  absl::Status st;
  if (options_.compress) {
    auto packed = CompressBlock(block_, options_.compression_level);
    st = packed.ok() ? WriteOut(*packed) : packed.status();
  } else {
    st = WriteOut(block_);
  }
  block_.clear();
  return st;
}

absl::Status TraceWriter::FlushChunk(ThreadChunk& t) {
  if (t.encoder.empty()) return absl::OkStatus();
  absl::Status st = Emit(t.encoder.data(), t.encoder.size());
  t.encoder.Reset(t.buf.data(), t.buf.size());
  return st;
}

absl::Status TraceWriter::Append(const Event& e) {
  if (!status_.ok()) return status_;
  auto& slot = threads_[e.thread_id];
  if (slot == nullptr) {
    slot = std::make_unique<ThreadChunk>();
    slot->buf.resize(std::max(options_.chunk_bytes, ChunkEncoder::kMinCapacity));
    slot->encoder.Reset(slot->buf.data(), slot->buf.size());
  }
  if (!slot->encoder.Append(e)) {
    if (slot->encoder.empty()) {
      return status_ = absl::InvalidArgumentError(
                 absl::StrCat("event of kind ", static_cast<int>(e.kind), " cannot be encoded"));
    }
    if (absl::Status st = FlushChunk(*slot); !st.ok()) return status_ = st;
    if (!slot->encoder.Append(e)) {
      return status_ = absl::InvalidArgumentError("event cannot be encoded");
    }
  }
  ++events_;
  return absl::OkStatus();
}

absl::Status TraceWriter::EmitEncoded(std::vector<uint8_t>& scratch, size_t n) {
  if (n == 0) return status_ = absl::InvalidArgumentError("record too large to encode");
  return status_ = Emit(scratch.data(), n);
}

absl::Status TraceWriter::AppendStack(uint64_t id, const std::vector<uint64_t>& frames) {
  std::vector<uint8_t> buf(64 + frames.size() * kMaxVarintBytes);
  return EmitEncoded(buf, EncodeStack(id, frames.data(), frames.size(), buf.data(), buf.size()));
}

absl::Status TraceWriter::AppendMemoryMaps(uint64_t seq, const std::vector<MappingFields>& maps) {
  size_t need = 64;
  for (const MappingFields& m : maps) {
    need += 64 + (m.path ? std::strlen(m.path) : 0) + (m.build_id ? std::strlen(m.build_id) : 0);
  }
  std::vector<uint8_t> buf(need);
  return EmitEncoded(buf, EncodeMemoryMaps(seq, maps.data(), maps.size(), buf.data(), buf.size()));
}

absl::Status TraceWriter::AppendExec(uint64_t thread_id, uint64_t seq, const std::string& path,
                                     const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  size_t need = 64 + path.size();
  for (const std::string& a : args) {
    argv.push_back(a.c_str());
    need += a.size() + 16;
  }
  std::vector<uint8_t> buf(need);
  return EmitEncoded(buf, EncodeExec(thread_id, seq, path.c_str(), argv.data(), argv.size(),
                                     buf.data(), buf.size()));
}

absl::Status TraceWriter::Flush() {
  if (!status_.ok()) return status_;
  for (auto& [tid, t] : threads_) {
    if (absl::Status st = FlushChunk(*t); !st.ok()) return status_ = st;
  }
  return status_ = FlushBlock();
}

}  // namespace alloclab::trace
