#include "trace/chunk_encoder.h"

#include <cstring>
#include <vector>

#include "gtest/gtest.h"
#include "proto/trace.pb.h"
#include "trace/chunk_decoder.h"
#include "trace/test_events.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {

// Parses one framed record with the generated classes.
Record ParseFramed(const uint8_t* data, size_t n) {
  const uint8_t* p = data;
  uint64_t len = 0;
  EXPECT_TRUE(GetVarint(&p, data + n, &len));
  EXPECT_EQ(static_cast<size_t>(p - data) + len, n);
  Record r;
  EXPECT_TRUE(r.ParseFromArray(p, static_cast<int>(len)));
  return r;
}

std::vector<Event> OneThread(const std::vector<Event>& all) {
  std::vector<Event> out;
  for (const Event& e : all) {
    if (e.thread_id == all.front().thread_id) out.push_back(e);
  }
  return out;
}

TEST(ChunkEncoder, CompactBytesParseFieldByField) {
  const std::vector<Event> events = OneThread(EveryKindEvents(1));
  std::vector<uint8_t> buf(1 << 16);
  ChunkEncoder enc(buf.data(), buf.size());
  for (const Event& e : events) ASSERT_TRUE(enc.Append(e)) << KindName(e.kind);
  Record r = ParseFramed(enc.data(), enc.size());
  ASSERT_TRUE(r.has_chunk());
  const Chunk& c = r.chunk();
  EXPECT_EQ(c.thread_id(), events[0].thread_id);
  EXPECT_EQ(c.base_seq(), events[0].seq);
  EXPECT_EQ(c.base_time(), events[0].time);
  EXPECT_EQ(c.event_count(), events.size());
  EXPECT_FALSE(c.in_place());

  // Walk the packed words by hand against the proto's layout.
  int w = 0;
  uint64_t seq = c.base_seq(), time = c.base_time(), addr = c.base_address();
  for (const Event& e : events) {
    const uint64_t head = c.words(w++);
    EXPECT_EQ(head & kKindMask, static_cast<uint64_t>(e.kind));
    seq += c.words(w++);
    time += c.words(w++);
    EXPECT_EQ(seq, e.seq);
    EXPECT_EQ(time, e.time);
    for (const Word* k = kLayouts[static_cast<int>(e.kind)].words; *k != Word::kEnd; ++k) {
      switch (*k) {
        case Word::kIn:
          EXPECT_EQ((head & kFlagNullIn) != 0, e.in == 0);
          if (e.in != 0) {
            EXPECT_EQ(addr += ZigZagDecode(c.words(w++)), e.in);
          }
          break;
        case Word::kOut:
          EXPECT_EQ((head & kFlagNullOut) != 0, e.out == 0);
          if (e.out != 0) {
            EXPECT_EQ(addr += ZigZagDecode(c.words(w++)), e.out);
          }
          break;
        case Word::kSize: EXPECT_EQ(c.words(w++), e.size); break;
        case Word::kCount: EXPECT_EQ(c.words(w++), e.count); break;
        case Word::kAlignment: EXPECT_EQ(c.words(w++), e.alignment); break;
        case Word::kResult: EXPECT_EQ(c.words(w++), e.result); break;
        case Word::kEnd: break;
      }
    }
    EXPECT_EQ((head & kFlagHasStack) != 0, e.stack_id != 0);
    if (e.stack_id != 0) {
      EXPECT_EQ(c.words(w++), e.stack_id);
    }
  }
  EXPECT_EQ(w, c.words_size());

  std::vector<Event> decoded;
  ASSERT_TRUE(DecodeChunk(c, &decoded).ok());
  EXPECT_EQ(decoded, events);
}

TEST(ChunkEncoder, InPlaceRecordIsValidAfterEveryEvent) {
  const std::vector<Event> events = OneThread(EveryKindEvents(1));
  std::vector<uint8_t> buf(8192, 0);  // zero-filled, as kInPlace requires
  ChunkEncoder enc(buf.data(), buf.size(), ChunkEncoder::Mode::kInPlace);
  EXPECT_EQ(enc.size(), 0u);
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_TRUE(enc.Append(events[i]));
    EXPECT_EQ(enc.size(), buf.size());
    Record r = ParseFramed(buf.data(), buf.size());
    ASSERT_TRUE(r.chunk().in_place());
    std::vector<Event> decoded;
    ASSERT_TRUE(DecodeChunk(r.chunk(), &decoded).ok());
    EXPECT_EQ(decoded, std::vector<Event>(events.begin(), events.begin() + i + 1));
  }
}

TEST(ChunkEncoder, InPlaceIgnoresAnEventCutOffBeforeItsCommit) {
  const std::vector<Event> events = OneThread(EveryKindEvents(1));
  std::vector<uint8_t> buf(8192);
  ChunkEncoder enc(buf.data(), buf.size(), ChunkEncoder::Mode::kInPlace);
  ASSERT_TRUE(enc.Append(events[0]));
  ASSERT_TRUE(enc.Append(events[1]));
  std::vector<uint8_t> committed = buf;
  ASSERT_TRUE(enc.Append(events[2]));
  // A kill between writing event 2's words and its count: the new words are
  // there, the count is not.
  std::vector<uint8_t> killed = buf;
  Record before = ParseFramed(committed.data(), committed.size());
  Record after = ParseFramed(killed.data(), killed.size());
  Chunk torn = after.chunk();
  torn.set_event_count(before.chunk().event_count());
  std::vector<Event> decoded;
  ASSERT_TRUE(DecodeChunk(torn, &decoded).ok());
  EXPECT_EQ(decoded, std::vector<Event>(events.begin(), events.begin() + 2));
}

TEST(ChunkEncoder, RejectsWhatDoesNotBelong) {
  std::vector<uint8_t> buf(4096);
  ChunkEncoder enc(buf.data(), buf.size());
  Event e;
  e.thread_id = 7, e.seq = 10, e.time = 10, e.size = 1, e.out = 0x1000;
  ASSERT_TRUE(enc.Append(e));
  const size_t size = enc.size();
  Event same_seq = e;
  EXPECT_FALSE(enc.Append(same_seq));
  Event other_thread = e;
  other_thread.thread_id = 8, other_thread.seq = 11;
  EXPECT_FALSE(enc.Append(other_thread));
  Event back_in_time = e;
  back_in_time.seq = 11, back_in_time.time = 9;
  EXPECT_FALSE(enc.Append(back_in_time));
  Event bad_kind = e;
  bad_kind.seq = 11, bad_kind.kind = static_cast<Kind>(0);
  EXPECT_FALSE(enc.Append(bad_kind));
  EXPECT_EQ(enc.size(), size);
  EXPECT_EQ(enc.event_count(), 1u);
}

TEST(ChunkEncoder, StopsWhenFullAndStaysValid) {
  std::vector<uint8_t> buf(ChunkEncoder::kMinCapacity + 200);
  ChunkEncoder enc(buf.data(), buf.size());
  Event e;
  e.thread_id = 1, e.size = 1 << 30;
  uint32_t appended = 0;
  for (uint64_t i = 1; i < 1000; ++i) {
    e.seq = i * 1000003, e.time = i * 999983, e.out = i << 40;
    if (!enc.Append(e)) break;
    ++appended;
  }
  EXPECT_GT(appended, 2u);
  EXPECT_LT(appended, 1000u);
  EXPECT_LE(enc.size(), buf.size());
  Record r = ParseFramed(enc.data(), enc.size());
  std::vector<Event> decoded;
  ASSERT_TRUE(DecodeChunk(r.chunk(), &decoded).ok());
  EXPECT_EQ(decoded.size(), appended);

  std::vector<uint8_t> tiny(ChunkEncoder::kMinCapacity - 1);
  ChunkEncoder small(tiny.data(), tiny.size());
  EXPECT_FALSE(small.Append(e));
  EXPECT_TRUE(small.empty());
}

// The tracer's inline AppendMalloc/AppendFree write exactly what Append of
// the same events does, and refuse whatever Append would refuse.
TEST(ChunkEncoder, MallocAndFreeShortcutsMatchAppend) {
  for (ChunkEncoder::Mode mode : {ChunkEncoder::Mode::kCompact, ChunkEncoder::Mode::kInPlace}) {
    std::vector<uint8_t> a(4096), b(4096);
    ChunkEncoder general(a.data(), a.size(), mode), shortcut(b.data(), b.size(), mode);
    const Event first = MakeEvent(/*thread=*/7, Kind::kThreadStart, /*seq=*/10, 0, 0, 0, 0);
    ASSERT_TRUE(general.Append(first));
    ASSERT_TRUE(shortcut.Append(first));
    uint64_t seq = 10, time = 0, address = 0x7f0000001000;
    int appended = 0;
    for (int i = 0; i < 1000; ++i) {
      seq += 1 + i % 3;
      time += i % 5 == 0 ? 0 : 1000 * i;
      address += (i % 2 ? -1 : 1) * 48 * i;
      const bool is_free = i % 3 == 0;
      const Event e = is_free ? MakeEvent(7, Kind::kFree, seq, time, address, 0, 0)
                              : MakeEvent(7, Kind::kMalloc, seq, time, 0, 24 + i * 8, address);
      const bool g = general.Append(e);
      const bool s = e.kind == Kind::kFree ? shortcut.AppendFree(7, seq, time, address)
                                           : shortcut.AppendMalloc(7, seq, time, e.size, address);
      ASSERT_EQ(g, s) << i;
      appended += g;
      ASSERT_EQ(general.size(), shortcut.size());
      ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size())) << i;
    }
    EXPECT_GT(appended, 20);
    EXPECT_LT(appended, 1000) << "the 4 KiB chunk fills up";
    // Not started, another thread, an old seq, time going back: refused.
    std::vector<uint8_t> c(4096);
    ChunkEncoder fresh(c.data(), c.size(), mode);
    EXPECT_FALSE(fresh.AppendMalloc(7, 1, 0, 8, 16));
    ASSERT_TRUE(fresh.Append(first));
    EXPECT_FALSE(fresh.AppendMalloc(8, 11, 0, 8, 16));
    EXPECT_FALSE(fresh.AppendFree(7, 10, 0, 16));
    ASSERT_TRUE(fresh.AppendFree(7, 11, 5, 16));
    EXPECT_FALSE(fresh.AppendMalloc(7, 12, 4, 8, 16));
    EXPECT_EQ(fresh.event_count(), 2u);
  }
}

TEST(ChunkEncoder, TypicalEventsAreSmall) {
  // Consecutive small mallocs and frees of one thread: a few bytes each.
  std::vector<uint8_t> buf(1 << 16);
  ChunkEncoder enc(buf.data(), buf.size());
  Event e;
  e.thread_id = 1;
  for (uint64_t i = 1; i <= 1000; ++i) {
    e.kind = i % 2 ? Kind::kMalloc : Kind::kFree;
    e.seq = i, e.time = i * 50;
    e.size = i % 2 ? 32 : 0;
    e.out = i % 2 ? 0x555500000000 + (i / 2) * 48 : 0;
    e.in = i % 2 ? 0 : 0x555500000000 + (i / 2) * 48 - 48;
    ASSERT_TRUE(enc.Append(e));
  }
  EXPECT_LT(enc.size(), 1000u * 6);
}

}  // namespace
}  // namespace alloclab::trace
