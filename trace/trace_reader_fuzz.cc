// Fuzz target of the trace decoder: any bytes, read as a trace by the
// streaming TraceReader and by ReadWholeTrace. Neither may crash, hang or
// allocate without bound, and they must agree. Whatever is accepted must keep
// the reader's promises (valid kinds, thread ids, per-thread seq order) and
// survive re-encoding by TraceWriter unchanged. Built by //trace:trace_reader_fuzz
// (tools/fuzz.bzl), fuzzed with libFuzzer under --config=fuzz.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "google/protobuf/stubs/logging.h"
#include "proto/trace.pb.h"
#include "trace/event.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "trace/trace_reader.h"
#include "trace/trace_writer.h"

namespace {

using alloclab::trace::Event;
using alloclab::trace::Record;

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "trace_reader_fuzz: %s\n", what.c_str());
  std::abort();
}

struct Streamed {
  bool opened = false;
  absl::Status status;
  std::vector<Event> events;
  uint64_t other_records = 0;
};

Streamed Stream(std::string_view bytes) {
  Streamed out;
  auto reader = alloclab::trace::TraceReader::FromSource(
      std::make_unique<alloclab::trace::MemorySource>(bytes));
  if (!reader.ok()) {
    out.status = reader.status();
    return out;
  }
  out.opened = true;
  alloclab::trace::TraceReader& r = **reader;
  r.set_record_callback([&](const Record& rec) {
    if (rec.body_case() == Record::kHeader || rec.body_case() == Record::kChunk ||
        rec.body_case() == Record::kCompressed || rec.body_case() == Record::BODY_NOT_SET) {
      Die("the record callback got a header, chunk, compressed block or empty record");
    }
    ++out.other_records;
  });
  std::map<uint64_t, Event> last;
  Event e;
  while (r.Next(&e)) {
    if (!alloclab::trace::IsValidKind(static_cast<uint32_t>(e.kind))) Die("an event of an invalid kind");
    if (e.thread_id == 0) Die("an event without a thread id");
    auto [it, fresh] = last.try_emplace(e.thread_id, e);
    if (!fresh) {
      if (e.seq <= it->second.seq || e.time < it->second.time) {
        Die("a thread's events go back in seq or time");
      }
      it->second = e;
    }
    out.events.push_back(e);
  }
  out.status = r.status();
  if (r.Next(&e)) Die("Next() returned an event after it had returned false");
  if (r.bytes_read() > bytes.size()) Die("bytes_read() is beyond the end of the input");
  return out;
}

// Writes events (in their order) as a new trace and reads it back.
void RoundTrip(const std::vector<Event>& events) {
  std::string bytes;
  alloclab::trace::StringSink sink(&bytes);
  alloclab::trace::HeaderFields h;
  h.pid = 1;
  alloclab::trace::TraceWriter::Options options;
  options.chunk_bytes = 4096;
  alloclab::trace::TraceWriter w(&sink, h, options);
  for (const Event& e : events) {
    if (absl::Status st = w.Append(e); !st.ok()) {
      Die("an event the reader accepted cannot be written: " + std::string(st.message()));
    }
  }
  if (absl::Status st = w.Flush(); !st.ok()) Die("flush: " + std::string(st.message()));
  auto back = alloclab::trace::ReadWholeTrace(std::make_unique<alloclab::trace::MemorySource>(bytes));
  if (!back.ok()) Die("a re-encoded trace does not read: " + std::string(back.status().message()));
  // The writer groups events by thread; compare each thread's sequence.
  std::map<uint64_t, std::vector<Event>> want, got;
  for (const Event& e : events) want[e.thread_id].push_back(e);
  for (const Event& e : back->events) got[e.thread_id].push_back(e);
  if (want != got) Die("events change when written and read back");
}

}  // namespace

// Protobuf logs every string field that is not UTF-8; bad input is expected.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(nullptr);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const Streamed s = Stream(bytes);

  auto whole = alloclab::trace::ReadWholeTrace(std::make_unique<alloclab::trace::MemorySource>(bytes));
  if (whole.ok() != s.status.ok()) {
    Die("ReadWholeTrace and the streaming reader disagree on whether the input is a trace: " +
        std::string(whole.ok() ? s.status.message() : whole.status().message()));
  }
  if (!whole.ok()) {
    if (whole.status() != s.status) Die("ReadWholeTrace and the streaming reader fail differently");
    if (whole.status().message().empty()) Die("an error without a message");
    return 0;
  }
  if (whole->events != s.events) Die("ReadWholeTrace and the streaming reader read different events");
  if (whole->other_records.size() != s.other_records) Die("different numbers of other records");
  RoundTrip(s.events);
  return 0;
}
