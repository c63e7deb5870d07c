#include "trace/chunk_compactor.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "trace/chunk_encoder.h"
#include "trace/io.h"
#include "trace/record_encoder.h"
#include "trace/test_events.h"
#include "trace/trace_reader.h"

namespace alloclab::trace {
namespace {

// A tracer-like file body: block-aligned in-place slots, one of them with a
// torn event after its last commit, plus a header and trailing padding.
TEST(ChunkCompactor, KeepsEveryCommittedEventAndDropsTheSlack) {
  const std::vector<Event> events = EveryKindEvents(2);
  std::string body(kMagic, 8);
  std::vector<uint8_t> header(1024);
  body.append(reinterpret_cast<char*>(header.data()), EncodeHeader(TestHeader(), header.data(), header.size()));
  body.resize(kPaddingBlock, '\0');
  std::vector<Event> expected;
  for (uint64_t tid : {4242u, 4243u}) {
    std::vector<uint8_t> slot(2 * kPaddingBlock);
    ChunkEncoder enc(slot.data(), slot.size(), ChunkEncoder::Mode::kInPlace);
    for (const Event& e : events) {
      if (e.thread_id != tid) continue;
      ASSERT_TRUE(enc.Append(e));
      expected.push_back(e);
    }
    body.append(reinterpret_cast<char*>(slot.data()), slot.size());
  }
  body.resize(body.size() + 3 * kPaddingBlock, '\0');

  std::vector<uint8_t> out(body.size());
  const long n = CompactRecords(reinterpret_cast<const uint8_t*>(body.data()), body.size(), 8, out.data(),
                                out.size());
  ASSERT_GT(n, 0);
  EXPECT_LT(static_cast<size_t>(n), body.size() / 8) << "slack removed";

  const std::string file = std::string(kMagic, 8) + std::string(reinterpret_cast<char*>(out.data()), static_cast<size_t>(n));
  auto got = ReadWholeTrace(std::make_unique<MemorySource>(file));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->events.size(), expected.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(got->events[i], expected[i]) << i;
  EXPECT_EQ(got->header.pid(), 1234u);
}

TEST(ChunkCompactor, WindowsCutAnywhereGiveTheSameResult) {
  // Several threads' slots, then compaction through 4 KiB-aligned windows
  // that end inside records: the pieces must add up to the one-shot result.
  const std::vector<Event> events = EveryKindEvents(4);
  std::string body(kMagic, 8);
  std::vector<uint8_t> header(1024);
  body.append(reinterpret_cast<char*>(header.data()), EncodeHeader(TestHeader(), header.data(), header.size()));
  body.resize(kPaddingBlock, '\0');
  for (uint64_t tid = 4242; tid < 4246; ++tid) {
    std::vector<uint8_t> slot(3 * kPaddingBlock);
    ChunkEncoder enc(slot.data(), slot.size(), ChunkEncoder::Mode::kInPlace);
    for (const Event& e : events) {
      if (e.thread_id == tid) {
        ASSERT_TRUE(enc.Append(e));
      }
    }
    body.append(reinterpret_cast<char*>(slot.data()), slot.size());
  }
  const auto* file = reinterpret_cast<const uint8_t*>(body.data());
  std::vector<uint8_t> whole(body.size());
  const long n = CompactRecords(file, body.size(), 8, whole.data(), whole.size());
  ASSERT_GT(n, 0);
  for (size_t window : {kPaddingBlock * 4, kPaddingBlock * 5, kPaddingBlock * 7}) {  // > a slot
    std::string pieces;
    size_t position = 8;
    while (position < body.size()) {
      const size_t start = position & ~(kPaddingBlock - 1);
      const size_t len = std::min(window, body.size() - start);
      const bool last = start + len == body.size();
      std::vector<uint8_t> out(len);
      size_t consumed = 0;
      const long got = CompactRecords(file + start, len, position - start, out.data(), out.size(),
                                      last ? nullptr : &consumed);
      ASSERT_GE(got, 0);
      pieces.append(reinterpret_cast<char*>(out.data()), static_cast<size_t>(got));
      if (!last) {
        ASSERT_GT(start + consumed, position) << "progress";
      }
      position = last ? body.size() : start + consumed;
    }
    EXPECT_EQ(pieces, std::string(reinterpret_cast<char*>(whole.data()), static_cast<size_t>(n))) << window;
  }
}

TEST(ChunkCompactor, RejectsGarbage) {
  std::vector<uint8_t> junk = {0x05, 0x12, 0x03, 0x08};  // record cut short
  std::vector<uint8_t> out(64);
  EXPECT_EQ(CompactRecords(junk.data(), junk.size(), 0, out.data(), out.size()), -1);
}

}  // namespace
}  // namespace alloclab::trace
