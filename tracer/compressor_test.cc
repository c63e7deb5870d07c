// The compressor without a traced program: chunks written into slots of a
// TraceFile by two "threads", released out of order, must come out of the
// compressed trace in each thread's order.
#include "tracer/compressor.h"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "trace/chunk_encoder.h"
#include "trace/event.h"
#include "trace/trace_reader.h"
#include "tracer/trace_file_fixture.h"
#include "tracer/trace_file.h"

namespace alloclab::tracer {
namespace {

using trace::Event;

class CompressorTest : public TraceFileFixture {
 protected:
  void SetUp() override {
    TraceFileFixture::SetUp();
    ASSERT_TRUE(compressor_.Open(&file_));
  }

  // A slot of thread tid holding mallocs with the given seqs.
  Slot Write(uint32_t tid, std::vector<uint64_t> seqs) {
    Slot s = file_.ReserveSlot(kMinSlotBytes, tid);
    EXPECT_NE(s.data, nullptr);
    trace::ChunkEncoder enc(s.data, s.bytes, trace::ChunkEncoder::Mode::kInPlace);
    for (uint64_t seq : seqs) {
      Event e;
      e.kind = trace::Kind::kMalloc;
      e.thread_id = tid;
      e.seq = seq;
      e.time = seq * 10;
      e.size = 16;
      e.out = 0x1000 * seq;
      EXPECT_TRUE(enc.Append(e));
    }
    return s;
  }

  Compressor compressor_;
};

TEST_F(CompressorTest, AThreadsLaterSlotWaitsForItsEarlierOne) {
  Slot a1 = Write(1, {1, 2});
  Slot b1 = Write(2, {3});
  Slot a2 = Write(1, {4, 5});
  file_.ReleaseSlot(&a2);
  // a1 and b1 are still being written, and a2 must follow a1: nothing goes.
  EXPECT_FALSE(compressor_.CompressNext(nullptr));
  file_.ReleaseSlot(&a1);
  EXPECT_TRUE(compressor_.CompressNext(nullptr));  // a1
  EXPECT_TRUE(compressor_.CompressNext(nullptr));  // then a2
  EXPECT_FALSE(compressor_.CompressNext([] {}));   // b1 is still in use
  file_.ReleaseSlot(&b1);
  EXPECT_TRUE(compressor_.CompressNext(nullptr));
  ASSERT_TRUE(compressor_.Finish());

  // The raw file was replaced by the compressed one, which reads back whole.
  auto reader = trace::TraceReader::Open(file_.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  std::vector<std::pair<uint64_t, uint64_t>> events;  // (thread, seq) in file order
  Event e;
  while ((*reader)->Next(&e)) events.emplace_back(e.thread_id, e.seq);
  ASSERT_TRUE((*reader)->status().ok()) << (*reader)->status();
  const std::vector<std::pair<uint64_t, uint64_t>> want = {{1, 1}, {1, 2}, {1, 4}, {1, 5}, {2, 3}};
  EXPECT_EQ(events, want);
}

TEST_F(CompressorTest, AtExitEverySlotIsCompressedEvenOnesStillInUse) {
  Slot a = Write(1, {1});
  Slot b = Write(2, {2});
  file_.ReleaseSlot(&b);
  // a's writer never released it (the program exited mid-chunk): Finish
  // takes it as it is, so its events are kept.
  ASSERT_TRUE(compressor_.Finish());
  auto reader = trace::TraceReader::Open(file_.path());
  ASSERT_TRUE(reader.ok()) << reader.status();
  uint64_t n = 0;
  Event e;
  while ((*reader)->Next(&e)) ++n;
  EXPECT_TRUE((*reader)->status().ok());
  EXPECT_EQ(n, 2u);
  TraceFile::DropSlot(&a);
}

}  // namespace
}  // namespace alloclab::tracer
