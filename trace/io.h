// Byte sources and sinks for the trace reader and writer: a file descriptor
// or memory. Off the tracer's hot path (uses abseil and the heap).
#ifndef ALLOCLAB_TRACE_IO_H_
#define ALLOCLAB_TRACE_IO_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace alloclab::trace {

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  // Reads up to n bytes; returns how many (0 only at end of input).
  virtual absl::StatusOr<size_t> Read(void* buf, size_t n) = 0;
};

class ByteSink {
 public:
  virtual ~ByteSink() = default;
  virtual absl::Status Write(std::string_view bytes) = 0;
  // Finishes the output; an error a write only reports at close (a full
  // disk on NFS, a quota) shows here. Writes after Close fail.
  virtual absl::Status Close() { return absl::OkStatus(); }
};

// Opens path for reading ("-" is standard input).
absl::StatusOr<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path);
// Creates or truncates path for writing ("-" is standard output).
absl::StatusOr<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path);

class MemorySource : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  absl::StatusOr<size_t> Read(void* buf, size_t n) override;

 private:
  std::string_view bytes_;
};

class StringSink : public ByteSink {
 public:
  explicit StringSink(std::string* out) : out_(out) {}
  absl::Status Write(std::string_view bytes) override {
    out_->append(bytes);
    return absl::OkStatus();
  }

 private:
  std::string* out_;
};

}  // namespace alloclab::trace

#endif  // ALLOCLAB_TRACE_IO_H_
