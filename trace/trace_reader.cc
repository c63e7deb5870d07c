// TraceReader: header checks, chunk decoding, per-thread continuity.
#include "trace/trace_reader.h"

#include "absl/strings/str_cat.h"
#include "trace/chunk_decoder.h"
#include "trace/record_encoder.h"

namespace alloclab::trace {

absl::StatusOr<std::unique_ptr<TraceReader>> TraceReader::Open(const std::string& path) {
  auto source = OpenFileSource(path);
  if (!source.ok()) return source.status();
  return FromSource(*std::move(source));
}

absl::StatusOr<std::unique_ptr<TraceReader>> TraceReader::FromSource(
    std::unique_ptr<ByteSource> source) {
  std::unique_ptr<TraceReader> reader(new TraceReader(std::move(source)));
  absl::Status st = reader->ReadHeader();
  if (!st.ok()) return st;
  return reader;
}

absl::Status TraceReader::ReadHeader() {
  if (!records_.Next(&record_)) {
    if (!records_.status().ok()) return records_.status();
    return absl::DataLossError("truncated trace: no header record after the magic");
  }
  if (record_.body_case() != Record::kHeader) {
    return absl::InvalidArgumentError(
        absl::StrCat("the first record, at offset ", records_.record_offset(), ", is not a Header"));
  }
  header_ = record_.header();
  if (header_.format_version() != kFormatVersion) {
    return absl::InvalidArgumentError(absl::StrCat("unsupported format version ",
                                                   header_.format_version(), " at offset ",
                                                   records_.record_offset(), " (this reader knows ",
                                                   kFormatVersion, ")"));
  }
  return absl::OkStatus();
}

bool TraceReader::Fail(const std::string& what) {
  std::string where = absl::StrCat("offset ", records_.record_offset());
  if (records_.in_block()) {
    where = absl::StrCat("offset ", records_.inner_offset(), " of the compressed block at ", where);
  }
  status_ = absl::DataLossError(absl::StrCat("corrupt chunk at ", where, ": ", what));
  // Nothing of the bad chunk is handed out, now or by a later call.
  events_ = ChunkEvents();
  return false;
}

bool TraceReader::CheckChunk(ChunkEvents events) {
  Event e, first, last;
  bool any = false;
  while (events.Next(&e)) {
    if (!any) first = e;
    last = e;
    any = true;
  }
  if (!events.status().ok()) return Fail(std::string(events.status().message()));
  if (!any) return true;
  // Continuity with the thread's previous chunk.
  auto [it, fresh] = last_by_thread_.try_emplace(first.thread_id, last);
  if (!fresh) {
    const Event& prev = it->second;
    if (first.seq <= prev.seq || first.time < prev.time) {
      return Fail(absl::StrCat("inconsistent deltas: thread ", prev.thread_id, " goes back from seq ", prev.seq,
                               " time ", prev.time, " to seq ", first.seq, " time ", first.time));
    }
    it->second = last;
  }
  return true;
}

bool TraceReader::Next(Event* event) {
  while (!events_.Next(event)) {
    if (!status_.ok()) return false;
    view_ = ChunkView();
    if (!records_.Next(&record_, &view_)) {
      status_ = records_.status();
      return false;
    }
    if (record_.body_case() == Record::BODY_NOT_SET) {  // a chunk, left in view_
      ++chunks_;
      if (!CheckChunk(ChunkEvents(view_))) return false;
      events_ = ChunkEvents(view_);
      continue;
    }
    switch (record_.body_case()) {
      case Record::kChunk:
        ++chunks_;
        if (!CheckChunk(ChunkEvents(record_.chunk()))) return false;
        events_ = ChunkEvents(record_.chunk());
        break;
      case Record::kHeader:
        status_ = absl::DataLossError(
            absl::StrCat("second Header record at offset ", records_.record_offset()));
        return false;
      default:
        if (callback_) callback_(record_);
        break;
    }
  }
  return true;
}

absl::StatusOr<TraceContents> ReadWholeTrace(std::unique_ptr<ByteSource> source) {
  auto reader = TraceReader::FromSource(std::move(source));
  if (!reader.ok()) return reader.status();
  TraceContents contents;
  contents.header = (*reader)->header();
  (*reader)->set_record_callback([&](const Record& r) { contents.other_records.push_back(r); });
  Event e;
  while ((*reader)->Next(&e)) contents.events.push_back(e);
  if (!(*reader)->status().ok()) return (*reader)->status();
  return contents;
}

}  // namespace alloclab::trace
