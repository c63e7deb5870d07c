#include "trace/trace_reader.h"

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "trace/chunk_encoder.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "tools/child_peak_rss.h"
#include "tools/sanitizers.h"
#include "trace/test_events.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<TraceContents> Read(const std::string& bytes) {
  return ReadWholeTrace(std::make_unique<MemorySource>(bytes));
}

std::string Frame(const Record& r) {
  std::string body = r.SerializeAsString();
  uint8_t prefix[kMaxVarintBytes];
  uint8_t* end = PutVarint(prefix, body.size());
  return std::string(reinterpret_cast<char*>(prefix), end - prefix) + body;
}

std::string MagicAndHeader() {
  std::vector<uint8_t> buf(1024);
  size_t n = EncodeHeader(TestHeader(), buf.data(), buf.size());
  return std::string(kMagic, 8) + std::string(reinterpret_cast<char*>(buf.data()), n);
}

std::map<uint64_t, std::vector<Event>> ByThread(const std::vector<Event>& events) {
  std::map<uint64_t, std::vector<Event>> m;
  for (const Event& e : events) m[e.thread_id].push_back(e);
  return m;
}

void ExpectSameEvents(std::vector<Event> got, std::vector<Event> want) {
  auto by_seq = [](const Event& a, const Event& b) { return a.seq < b.seq; };
  std::sort(got.begin(), got.end(), by_seq);
  std::sort(want.begin(), want.end(), by_seq);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i], want[i]) << "event " << i;
}

class RoundTrip : public ::testing::TestWithParam<std::tuple<bool, size_t>> {};

TEST_P(RoundTrip, EveryKindEveryRecord) {
  TraceWriter::Options o;
  o.compress = std::get<0>(GetParam());
  o.chunk_bytes = std::get<1>(GetParam());
  o.block_bytes = 1000;
  const std::vector<Event> events = EveryKindEvents(3);
  auto got = Read(WriteTestTrace(events, o));
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameEvents(got->events, events);
  EXPECT_EQ(got->header.pid(), 1234u);
  EXPECT_EQ(got->header.args(3), "ünïcode");
  ASSERT_EQ(got->other_records.size(), 3u);
  EXPECT_EQ(got->other_records[0].stack().frames(1), 0x402000u);
  EXPECT_EQ(got->other_records[1].memory_maps().mappings(0).path(), "/usr/bin/prog");
  EXPECT_EQ(got->other_records[2].exec().args(2), "true");
}

INSTANTIATE_TEST_SUITE_P(Variants, RoundTrip,
                         ::testing::Combine(::testing::Bool(),
                                            ::testing::Values(ChunkEncoder::kMinCapacity, 4096,
                                                              1 << 20)));

TEST(TraceReader, EmptyFile) {
  auto got = Read("");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("empty file"));
}

TEST(TraceReader, ForeignFile) {
  auto got = Read("#!/bin/sh\necho this is not a trace\n");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("not a trace file: bad magic at offset 0"));
}

TEST(TraceReader, MagicOnly) {
  auto got = Read(std::string(kMagic, 8));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("no header"));
}

TEST(TraceReader, HugeLengthPrefix) {
  std::string bytes = MagicAndHeader();
  const size_t at = bytes.size();
  uint8_t prefix[kMaxVarintBytes];
  uint8_t* end = PutVarint(prefix, uint64_t{1} << 40);
  bytes.append(reinterpret_cast<char*>(prefix), end - prefix);
  bytes.append("xyz");
  auto got = Read(bytes);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("offset " + std::to_string(at)));
  EXPECT_THAT(got.status().message(), HasSubstr("over the"));
}

TEST(TraceReader, OverlongLengthVarint) {
  std::string bytes = MagicAndHeader() + std::string(12, '\xff');
  auto got = Read(bytes);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("corrupt record length"));
}

TEST(TraceReader, UnsupportedVersion) {
  Record r;
  r.mutable_header()->set_format_version(7);
  auto got = Read(std::string(kMagic, 8) + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("unsupported format version 7 at offset 8"));
}

TEST(TraceReader, FirstRecordMustBeHeader) {
  Record r;
  r.mutable_stack()->set_id(1);
  auto got = Read(std::string(kMagic, 8) + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("is not a Header"));
}

TEST(TraceReader, SecondHeaderIsAnError) {
  std::string bytes = MagicAndHeader();
  bytes += bytes.substr(8);
  auto got = Read(bytes);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("second Header"));
}

TEST(TraceReader, RecordWithNoBody) {
  // An unknown field only (field 15 = 1).
  std::string bytes = MagicAndHeader() + std::string("\x02\x78\x01", 3);  // field 15 = 1
  auto got = Read(bytes);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("no known body"));
}

TEST(TraceReader, TruncationAtEveryByte) {
  for (bool compress : {false, true}) {
    TraceWriter::Options o;
    o.compress = compress;
    o.chunk_bytes = ChunkEncoder::kMinCapacity;
    o.block_bytes = 300;
    const std::vector<Event> events = EveryKindEvents(2);
    const std::string full = WriteTestTrace(events, o);
    const auto want = ByThread(events);
    int clean_ends = 0;
    for (size_t cut = 0; cut < full.size(); ++cut) {
      auto reader = TraceReader::FromSource(std::make_unique<MemorySource>(full.substr(0, cut)));
      if (!reader.ok()) {
        EXPECT_FALSE(reader.status().message().empty());
        continue;
      }
      std::vector<Event> got;
      Event e;
      while ((*reader)->Next(&e)) got.push_back(e);
      const absl::Status& st = (*reader)->status();
      if (st.ok()) {
        ++clean_ends;
      } else {
        EXPECT_THAT(st.message(), HasSubstr("truncated")) << "cut " << cut << ": " << st;
        EXPECT_THAT(st.message(), HasSubstr("offset")) << st;
      }
      // Whatever was read is a per-thread prefix of the real events.
      for (const auto& [tid, list] : ByThread(got)) {
        const auto& all = want.at(tid);
        ASSERT_LE(list.size(), all.size());
        for (size_t i = 0; i < list.size(); ++i) ASSERT_EQ(list[i], all[i]) << "cut " << cut;
      }
    }
    EXPECT_GT(clean_ends, 2) << "some cuts fall on record boundaries";
  }
}

TEST(TraceReader, RandomCorruptionNeverCrashes) {
  TraceWriter::Options o;
  o.chunk_bytes = 512;
  const std::string full = WriteTestTrace(EveryKindEvents(3), o);
  o.compress = true;
  const std::string packed = WriteTestTrace(EveryKindEvents(3), o);
  std::mt19937_64 rng(12345);
  int errors = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string bytes = iter % 2 ? full : packed;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      bytes[8 + rng() % (bytes.size() - 8)] ^= static_cast<char>(1 + rng() % 255);
    }
    auto got = Read(bytes);
    if (!got.ok()) {
      ++errors;
      EXPECT_FALSE(got.status().message().empty());
    }
  }
  EXPECT_GT(errors, 100);  // most flips are caught
}

TEST(TraceReader, PaddingSkipsToTheNextBlock) {
  const std::vector<Event> events = EveryKindEvents(1);
  std::vector<uint8_t> chunk(1 << 14);
  ChunkEncoder enc(chunk.data(), chunk.size());
  for (const Event& e : events) ASSERT_TRUE(enc.Append(e));
  std::string bytes = MagicAndHeader();
  bytes.resize(kPaddingBlock, '\0');  // padding up to the first block
  bytes.append(reinterpret_cast<const char*>(enc.data()), enc.size());
  bytes.resize(3 * kPaddingBlock + 100, '\0');  // a preallocated tail
  auto got = Read(bytes);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->events, events);
}

// The tracer's layout: block-aligned in-place chunks in a zero-filled file,
// some cut off by a kill at different moments.
TEST(TraceReader, InPlaceSlotsSurviveAKill) {
  const std::vector<Event> events = EveryKindEvents(3);
  const auto by_thread = ByThread(events);
  std::string file = MagicAndHeader();
  file.resize(kPaddingBlock, '\0');
  std::vector<Event> expected;
  int slot = 0;
  for (const auto& [tid, list] : by_thread) {
    std::vector<uint8_t> region(2 * kPaddingBlock);
    ChunkEncoder enc(region.data(), region.size(), ChunkEncoder::Mode::kInPlace);
    // Thread 0: all events; thread 1: half, then garbage of a torn event;
    // thread 2: killed inside Begin (record length not yet written).
    const size_t n = slot == 0 ? list.size() : slot == 1 ? list.size() / 2 : 1;
    for (size_t i = 0; i < n; ++i) ASSERT_TRUE(enc.Append(list[i]));
    if (slot == 1) {
      const std::vector<uint8_t> committed = region;
      ASSERT_TRUE(enc.Append(list[n]));
      // Killed after the event's words, before its count: put the committed
      // count back. It follows the in_place field (0x38 0x01) and its tag 0x28.
      const uint8_t marker[] = {0x38, 0x01, 0x28};
      auto it = std::search(region.begin(), region.begin() + 64, marker, marker + 3);
      ASSERT_NE(it, region.begin() + 64);
      const size_t at = static_cast<size_t>(it - region.begin()) + 3;
      std::copy(committed.begin() + at, committed.begin() + at + 4, region.begin() + at);
      ASSERT_NE(region, committed);  // the torn event's words are there
      for (size_t i = 0; i < n; ++i) expected.push_back(list[i]);
    } else if (slot == 2) {
      region[0] = region[1] = region[2] = region[3] = 0;
    } else {
      expected.insert(expected.end(), list.begin(), list.end());
    }
    file.append(reinterpret_cast<const char*>(region.data()), region.size());
    ++slot;
  }
  file.resize(file.size() + 5 * kPaddingBlock, '\0');
  auto got = Read(file);
  ASSERT_TRUE(got.ok()) << got.status();
  ExpectSameEvents(got->events, expected);
}

TEST(TraceReader, InconsistentDeltasAcrossChunks) {
  std::vector<Event> events = EveryKindEvents(1);
  std::vector<uint8_t> a(4096), b(4096);
  ChunkEncoder first(a.data(), a.size()), second(b.data(), b.size());
  ASSERT_TRUE(first.Append(events[5]));
  ASSERT_TRUE(second.Append(events[2]));  // same thread, earlier seq
  std::string bytes = MagicAndHeader();
  bytes.append(reinterpret_cast<const char*>(a.data()), first.size());
  const size_t at = bytes.size();
  bytes.append(reinterpret_cast<const char*>(b.data()), second.size());
  auto got = Read(bytes);
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("inconsistent deltas"));
  EXPECT_THAT(got.status().message(), HasSubstr("offset " + std::to_string(at)));
}

TEST(TraceReader, CorruptChunkNamesItsOffset) {
  Record r;
  Chunk* c = r.mutable_chunk();
  c->set_thread_id(1);
  c->set_event_count(1);
  for (uint64_t w : {31u, 0u, 0u}) c->add_words(w);  // kind 31 does not exist
  const std::string head = MagicAndHeader();
  auto got = Read(head + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("unknown event kind 31"));
  EXPECT_THAT(got.status().message(), HasSubstr("offset " + std::to_string(head.size())));

  c->clear_words();
  for (uint64_t w : {1u, 0u, 0u}) c->add_words(w);  // MALLOC without its words
  got = Read(head + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("words end inside the event"));

  c->clear_words();
  for (uint64_t w : {1u | 32u, 0u, 0u, 8u}) c->add_words(w);  // NULL_IN on MALLOC
  got = Read(head + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("NULL_IN on MALLOC"));

  c->clear_words();
  c->set_event_count(2);
  for (uint64_t w : {2u | 32u, 0u, 0u}) c->add_words(w);  // one event, count says 2
  got = Read(head + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("event_count says 2"));
}

// Found by trace_reader_fuzz: after a chunk failed to decode (or broke its
// thread's continuity), the next call of Next() handed out the events that
// chunk had decoded before the error.
TEST(TraceReader, NextStaysFalseAfterAnError) {
  std::vector<Event> events = EveryKindEvents(1);
  std::vector<uint8_t> a(4096), b(4096);
  ChunkEncoder first(a.data(), a.size()), second(b.data(), b.size());
  ASSERT_TRUE(first.Append(events[5]));
  ASSERT_TRUE(second.Append(events[2]));  // same thread, earlier seq
  ASSERT_TRUE(second.Append(events[3]));
  std::string bytes = MagicAndHeader();
  bytes.append(reinterpret_cast<const char*>(a.data()), first.size());
  bytes.append(reinterpret_cast<const char*>(b.data()), second.size());
  Record r;  // a chunk whose second event is bad, after its first decoded
  Chunk* c = r.mutable_chunk();
  c->set_thread_id(7);
  for (uint64_t w : {2u, 1u, 0u, 8u, 31u, 1u, 0u}) c->add_words(w);  // FREE(8), then kind 31
  c->set_event_count(2);
  for (const std::string& file : {bytes, MagicAndHeader() + Frame(r)}) {
    auto reader = TraceReader::FromSource(std::make_unique<MemorySource>(file));
    ASSERT_TRUE(reader.ok()) << reader.status();
    Event e;
    int n = 0;
    while ((*reader)->Next(&e)) ++n;
    EXPECT_LE(n, 1);
    EXPECT_FALSE((*reader)->status().ok());
    for (int i = 0; i < 3; ++i) EXPECT_FALSE((*reader)->Next(&e)) << "call " << i << " after the error";
    EXPECT_FALSE((*reader)->status().ok());
  }
}

// Found by trace_reader_fuzz: Linux paths and arguments are bytes, not
// UTF-8; a program run with a Latin-1 argument gave a trace whose header did
// not parse ("not a valid Record message") while these were proto3 strings.
TEST(TraceReader, PathsAndArgumentsAreBytes) {
  static const char* const kArgs[] = {"prog", "caf\xe9", "\xff\xfe"};
  HeaderFields h;
  h.executable = "/tmp/\xc3(/prog";
  h.args = kArgs;
  h.arg_count = 3;
  h.parent_trace = "/tmp/\x80.pb";
  std::vector<uint8_t> buf(4096);
  std::string bytes(kMagic, sizeof kMagic);
  bytes.append(reinterpret_cast<char*>(buf.data()), EncodeHeader(h, buf.data(), buf.size()));
  const MappingFields map = {0x400000, 0x401000, 0, "/opt/\xe9t\xe9/lib.so", "bad0"};
  bytes.append(reinterpret_cast<char*>(buf.data()), EncodeMemoryMaps(1, &map, 1, buf.data(), buf.size()));
  bytes.append(reinterpret_cast<char*>(buf.data()),
               EncodeExec(1, 2, "/bin/\xff", kArgs, 3, buf.data(), buf.size()));
  auto got = Read(bytes);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->header.executable(), "/tmp/\xc3(/prog");
  ASSERT_EQ(got->header.args_size(), 3);
  EXPECT_EQ(got->header.args(1), "caf\xe9");
  EXPECT_EQ(got->header.parent_trace(), "/tmp/\x80.pb");
  ASSERT_EQ(got->other_records.size(), 2u);
  EXPECT_EQ(got->other_records[0].memory_maps().mappings(0).path(), "/opt/\xe9t\xe9/lib.so");
  EXPECT_EQ(got->other_records[1].exec().path(), "/bin/\xff");
  EXPECT_EQ(got->other_records[1].exec().args(2), "\xff\xfe");
}

TEST(TraceReader, CorruptCompressedBlock) {
  Record r;
  Compressed* c = r.mutable_compressed();
  c->set_codec(Compressed::ZSTD);
  c->set_raw_size(100);
  c->set_data("definitely not zstd");
  auto got = Read(MagicAndHeader() + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("corrupt compressed block"));

  c->set_raw_size(uint64_t{1} << 40);
  got = Read(MagicAndHeader() + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("exceeds"));

  c->set_codec(static_cast<Compressed::Codec>(9));
  got = Read(MagicAndHeader() + Frame(r));
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("unknown codec 9"));
}

TEST(TraceReader, OpenReportsMissingFile) {
  auto got = TraceReader::Open("/nonexistent/trace.pb");
  ASSERT_FALSE(got.ok());
  EXPECT_THAT(got.status().message(), HasSubstr("cannot open /nonexistent/trace.pb"));
}

// One compressed chunk of millions of three-byte events (free(NULL)): the
// reader once parsed its words into a message (8 bytes each) and decoded all
// its events into a vector (88 bytes each), 1.1 GB for a 64 MiB block. Now
// it holds the record's bytes and decodes as it goes.
TEST(TraceReader, AHugeChunkCostsAboutItsBytes) {
  constexpr uint64_t kEvents = 5000000;  // 15 MB of words
  TraceWriter::Options wopt;
  wopt.chunk_bytes = 32 << 20;
  wopt.compress = true;
  wopt.block_bytes = 48 << 20;
  std::vector<Event> events;
  events.reserve(kEvents);
  for (uint64_t i = 1; i <= kEvents; ++i) events.push_back(MakeEvent(7, Kind::kFree, i, 0, 0, 0, 0));
  const std::string bytes = WriteTestTrace(events, wopt);
  std::vector<Event>().swap(events);
  const std::string path = std::string(getenv("TEST_TMPDIR")) + "/huge_chunk.trace";
  {
    auto sink = OpenFileSink(path);
    ASSERT_TRUE(sink.ok());
    ASSERT_TRUE((*sink)->Write(bytes).ok());
  }
  const long grew_mib = PeakRssGrowthMiBInChild([&] {
    auto r = TraceReader::Open(path);
    uint64_t n = 0;
    Event e;
    while (r.ok() && (*r)->Next(&e)) ++n;
    return r.ok() && (*r)->status().ok() && n == kEvents;
  });
  ASSERT_GE(grew_mib, 0) << "the trace did not read back";
  if (alloclab::kSanitizerOwnsHeap) GTEST_SKIP() << "peak RSS is mostly the sanitizer's";
  EXPECT_LT(grew_mib, 100) << "the reader's peak RSS grew by 100 MiB or more (it was 600)";
}

}  // namespace
}  // namespace alloclab::trace
