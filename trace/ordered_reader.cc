// OrderedReader: spill pass (per-thread compact chunks in a temp file) and the
// k-way merge by seq.
#include "trace/ordered_reader.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "base/fd_io.h"
#include "trace/chunk_decoder.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {

// A thread's first spill buffer (see SpillAll).
constexpr size_t kFirstSpillBytes = ChunkEncoder::kMinCapacity;

absl::Status Errno(const std::string& what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

}  // namespace

OrderedReader::~OrderedReader() {
  if (fd_ >= 0) close(fd_);
}

absl::StatusOr<std::unique_ptr<OrderedReader>> OrderedReader::Open(const std::string& path,
                                                                   const Options& options) {
  auto reader = TraceReader::Open(path);
  if (!reader.ok()) return reader.status();
  return FromReader(*std::move(reader), options);
}

absl::StatusOr<std::unique_ptr<OrderedReader>> OrderedReader::FromReader(
    std::unique_ptr<TraceReader> reader, const Options& options) {
  std::unique_ptr<OrderedReader> r(new OrderedReader());
  r->header_ = reader->header();
  std::string dir = options.temp_dir;
  if (dir.empty()) {
    const char* env = getenv("TMPDIR");
    dir = env != nullptr && *env != '\0' ? env : "/tmp";
  }
  // O_TMPFILE: the spill disappears with the descriptor, even on a crash.
  r->fd_ = open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (r->fd_ < 0) {
    std::string tmpl = dir + "/alloclab-spill-XXXXXX";
    r->fd_ = mkostemp(tmpl.data(), O_CLOEXEC);
    if (r->fd_ < 0) return Errno(absl::StrCat("cannot create a temporary file in ", dir));
    unlink(tmpl.c_str());
  }
  if (absl::Status st = r->SpillAll(*reader, options); !st.ok()) return st;
  return r;
}

absl::Status OrderedReader::FlushSpill(Thread& t) {
  if (t.encoder.empty()) return absl::OkStatus();
  const size_t n = t.encoder.size();
  const uint8_t* p = t.encoder.data();
  uint64_t at = file_size_;
  if (!base::PwriteFully(fd_, p, n, at)) return Errno("cannot write the spill file");
  t.spills.push_back(Spill{at, static_cast<uint32_t>(n)});
  file_size_ += n;
  t.encoder.Reset(t.encode_buf.data(), t.encode_buf.size());
  return absl::OkStatus();
}

absl::Status OrderedReader::SpillAll(TraceReader& reader, const Options& options) {
  const size_t chunk_bytes = std::max(options.spill_chunk_bytes, ChunkEncoder::kMinCapacity);
  absl::flat_hash_map<uint64_t, uint32_t> index;
  reader.set_record_callback([this, on_other = options.on_other_record](const Record& r) {
    ++other_records_;
    if (on_other) on_other(r);
  });
  Event e;
  while (reader.Next(&e)) {
    auto [it, fresh] = index.try_emplace(e.thread_id, static_cast<uint32_t>(threads_.size()));
    if (fresh && threads_.size() == options.max_threads) {
      return absl::ResourceExhaustedError(absl::StrCat("the trace names more than ", options.max_threads,
                                                       " threads (the readers' limit; thread ", e.thread_id,
                                                       " at seq ", e.seq, " is one too many)"));
    }
    if (fresh) {
      threads_.emplace_back();
      Thread& t = threads_.back();
      t.id = e.thread_id;
      // Each thread's buffer starts small and doubles with each spill up to
      // chunk_bytes: a trace naming a new thread every few bytes (a corrupt
      // one can) must not cost chunk_bytes per thread.
      t.encode_buf.resize(std::min(chunk_bytes, kFirstSpillBytes));
      t.encoder.Reset(t.encode_buf.data(), t.encode_buf.size());
    }
    Thread& t = threads_[it->second];
    if (!t.encoder.Append(e)) {
      if (absl::Status st = FlushSpill(t); !st.ok()) return st;
      if (t.encode_buf.size() < chunk_bytes) {
        t.encode_buf.resize(std::min(chunk_bytes, 2 * t.encode_buf.size()));
        t.encoder.Reset(t.encode_buf.data(), t.encode_buf.size());
      }
      if (!t.encoder.Append(e)) {
        return absl::InternalError(absl::StrCat("event seq ", e.seq, " cannot be re-encoded"));
      }
    }
    ++events_;
  }
  if (!reader.status().ok()) return reader.status();
  for (Thread& t : threads_) {
    if (absl::Status st = FlushSpill(t); !st.ok()) return st;
    std::vector<uint8_t>().swap(t.encode_buf);
  }
  return absl::OkStatus();
}

bool OrderedReader::Load(Thread& t) {
  if (t.next_event < t.decoded.size()) return true;
  if (t.next_spill == t.spills.size()) return false;
  const Spill s = t.spills[t.next_spill++];
  scratch_.resize(s.size);
  if (!base::PreadFully(fd_, scratch_.data(), s.size, s.offset)) {
    return Fail(errno != 0 ? Errno("cannot read the spill file")
                           : absl::InternalError("the spill file is shorter than written"));
  }
  const uint8_t* p = reinterpret_cast<const uint8_t*>(scratch_.data());
  const uint8_t* end = p + s.size;
  uint64_t len;
  if (!GetVarint(&p, end, &len) || len != static_cast<uint64_t>(end - p) ||
      !record_.ParseFromArray(p, static_cast<int>(len)) || !record_.has_chunk()) {
    return Fail(absl::InternalError("a spill chunk does not parse"));
  }
  t.decoded.clear();
  t.next_event = 0;
  if (absl::Status st = DecodeChunk(record_.chunk(), &t.decoded); !st.ok()) return Fail(st);
  return !t.decoded.empty() || Load(t);
}

bool OrderedReader::Next(Event* event) {
  if (!status_.ok()) return false;
  auto later = [this](uint32_t a, uint32_t b) {
    const Thread& ta = threads_[a];
    const Thread& tb = threads_[b];
    return ta.decoded[ta.next_event].seq > tb.decoded[tb.next_event].seq;
  };
  if (!started_) {
    started_ = true;
    for (uint32_t i = 0; i < threads_.size(); ++i) {
      if (Load(threads_[i])) heap_.push_back(i);
      if (!status_.ok()) return false;
    }
    std::make_heap(heap_.begin(), heap_.end(), later);
  }
  if (heap_.empty()) return false;
  std::pop_heap(heap_.begin(), heap_.end(), later);
  Thread& t = threads_[heap_.back()];
  *event = t.decoded[t.next_event++];
  if (emitted_ > 0 && event->seq == last_seq_) {
    // Two threads claim the same seq: the trace is not one consistent history.
    return Fail(absl::DataLossError(
        absl::StrCat("seq ", event->seq, " appears in two threads (one is thread ", t.id, ")")));
  }
  last_seq_ = event->seq;
  ++emitted_;
  if (Load(t)) {
    std::push_heap(heap_.begin(), heap_.end(), later);
  } else {
    heap_.pop_back();
    if (!status_.ok()) return false;
  }
  return true;
}

}  // namespace alloclab::trace
