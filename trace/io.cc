// File-descriptor sources and sinks; memory sources.
#include "trace/io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace alloclab::trace {
namespace {

class FdSource : public ByteSource {
 public:
  FdSource(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FdSource() override {
    if (owned_) close(fd_);
  }
  absl::StatusOr<size_t> Read(void* buf, size_t n) override {
    for (;;) {
      ssize_t r = read(fd_, buf, n);
      if (r >= 0) return static_cast<size_t>(r);
      if (errno != EINTR) return absl::ErrnoToStatus(errno, "read");
    }
  }

 private:
  int fd_;
  bool owned_;
};

class FdSink : public ByteSink {
 public:
  FdSink(int fd, bool owned) : fd_(fd), owned_(owned) {}
  ~FdSink() override { Close().IgnoreError(); }
  absl::Status Close() override {
    if (fd_ < 0) return absl::OkStatus();
    const int fd = fd_;
    fd_ = -1;
    if (owned_ && close(fd) != 0) return absl::ErrnoToStatus(errno, "close");
    return absl::OkStatus();
  }
  absl::Status Write(std::string_view bytes) override {
    if (fd_ < 0) return absl::FailedPreconditionError("write after close");
    while (!bytes.empty()) {
      ssize_t w = write(fd_, bytes.data(), bytes.size());
      if (w < 0) {
        if (errno == EINTR) continue;
        return absl::ErrnoToStatus(errno, "write");
      }
      bytes.remove_prefix(static_cast<size_t>(w));
    }
    return absl::OkStatus();
  }

 private:
  int fd_;
  bool owned_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ByteSource>> OpenFileSource(const std::string& path) {
  if (path == "-") return std::make_unique<FdSource>(STDIN_FILENO, false);
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  return std::make_unique<FdSource>(fd, true);
}

absl::StatusOr<std::unique_ptr<ByteSink>> OpenFileSink(const std::string& path) {
  if (path == "-") return std::make_unique<FdSink>(STDOUT_FILENO, false);
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("cannot create ", path));
  return std::make_unique<FdSink>(fd, true);
}

absl::StatusOr<size_t> MemorySource::Read(void* buf, size_t n) {
  n = std::min(n, bytes_.size());
  // An empty view may have a null data(), and memcpy from null is undefined
  // even for 0 bytes (UBSan).
  if (n == 0) return n;
  std::memcpy(buf, bytes_.data(), n);
  bytes_.remove_prefix(n);
  return n;
}

}  // namespace alloclab::trace
