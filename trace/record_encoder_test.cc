#include "trace/record_encoder.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "proto/trace.pb.h"
#include "trace/test_events.h"
#include "trace/wire.h"

namespace alloclab::trace {
namespace {

Record ParseFramed(const std::vector<uint8_t>& buf, size_t n) {
  const uint8_t* p = buf.data();
  uint64_t len = 0;
  EXPECT_TRUE(GetVarint(&p, buf.data() + n, &len));
  EXPECT_EQ(static_cast<size_t>(p - buf.data()) + len, n);
  Record r;
  EXPECT_TRUE(r.ParseFromArray(p, static_cast<int>(len)));
  return r;
}

TEST(RecordEncoder, HeaderFieldByField) {
  const HeaderFields h = TestHeader();
  std::vector<uint8_t> buf(1024);
  size_t n = EncodeHeader(h, buf.data(), buf.size());
  ASSERT_GT(n, 0u);
  const Header got = ParseFramed(buf, n).header();
  EXPECT_EQ(got.format_version(), kFormatVersion);
  EXPECT_EQ(got.pid(), h.pid);
  EXPECT_EQ(got.parent_pid(), h.parent_pid);
  EXPECT_EQ(got.executable(), h.executable);
  ASSERT_EQ(got.args_size(), 4);
  for (int i = 0; i < 4; ++i) EXPECT_EQ(got.args(i), h.args[i]);
  EXPECT_EQ(got.start_time_unix_ns(), h.start_time_unix_ns);
  EXPECT_EQ(got.page_size(), h.page_size);
  EXPECT_EQ(got.clock_ticks_per_second(), h.clock_ticks_per_second);
  EXPECT_EQ(got.clock_source(), h.clock_source);
  EXPECT_EQ(got.forked(), h.forked);
  EXPECT_EQ(got.fork_seq(), h.fork_seq);
  EXPECT_EQ(got.parent_trace(), h.parent_trace);
  EXPECT_EQ(got.exec_depth(), h.exec_depth);
  EXPECT_EQ(got.stack_depth(), h.stack_depth);
  EXPECT_EQ(got.tracer(), h.tracer);
}

TEST(RecordEncoder, HeaderWithNullStrings) {
  HeaderFields h;
  std::vector<uint8_t> buf(256);
  size_t n = EncodeHeader(h, buf.data(), buf.size());
  ASSERT_GT(n, 0u);
  EXPECT_EQ(ParseFramed(buf, n).header().executable(), "");
}

TEST(RecordEncoder, CompressedHeadFramesTheDataThatFollows) {
  const std::string data(300, 'z');  // stands for zstd output
  std::vector<uint8_t> buf(64);
  const size_t n = EncodeCompressedHead(123456, data.size(), buf.data(), buf.size());
  ASSERT_GT(n, 0u);
  buf.resize(n);
  buf.insert(buf.end(), data.begin(), data.end());
  const Record r = ParseFramed(buf, buf.size());
  ASSERT_TRUE(r.has_compressed());
  EXPECT_EQ(r.compressed().codec(), Compressed::ZSTD);
  EXPECT_EQ(r.compressed().raw_size(), 123456u);
  EXPECT_EQ(r.compressed().data(), data);
  EXPECT_EQ(EncodeCompressedHead(123456, data.size(), buf.data(), n - 1), 0u);
}

TEST(RecordEncoder, StackMapsExec) {
  std::vector<uint8_t> buf(1024);
  const uint64_t frames[] = {0x401000, 0x7fffffffe000, 1};
  size_t n = EncodeStack(42, frames, 3, buf.data(), buf.size());
  ASSERT_GT(n, 0u);
  const Stack s = ParseFramed(buf, n).stack();
  EXPECT_EQ(s.id(), 42u);
  ASSERT_EQ(s.frames_size(), 3);
  EXPECT_EQ(s.frames(1), frames[1]);

  const MappingFields maps[] = {{0x400000, 0x401000, 0, "/bin/a", "0011"},
                                {0x7f0000000000, 0x7f0000100000, 0x2000, "/lib/b.so", nullptr}};
  n = EncodeMemoryMaps(9, maps, 2, buf.data(), buf.size());
  ASSERT_GT(n, 0u);
  const MemoryMaps m = ParseFramed(buf, n).memory_maps();
  EXPECT_EQ(m.seq(), 9u);
  ASSERT_EQ(m.mappings_size(), 2);
  EXPECT_EQ(m.mappings(1).start(), maps[1].start);
  EXPECT_EQ(m.mappings(1).end(), maps[1].end);
  EXPECT_EQ(m.mappings(1).file_offset(), 0x2000u);
  EXPECT_EQ(m.mappings(1).path(), "/lib/b.so");
  EXPECT_EQ(m.mappings(0).build_id(), "0011");

  const char* const args[] = {"sh", "-c", "echo hi"};
  n = EncodeExec(5, 6, "/bin/sh", args, 3, buf.data(), buf.size());
  ASSERT_GT(n, 0u);
  const Exec x = ParseFramed(buf, n).exec();
  EXPECT_EQ(x.thread_id(), 5u);
  EXPECT_EQ(x.seq(), 6u);
  EXPECT_EQ(x.path(), "/bin/sh");
  ASSERT_EQ(x.args_size(), 3);
  EXPECT_EQ(x.args(2), "echo hi");
}

TEST(RecordEncoder, ReportsWhatDoesNotFit) {
  const HeaderFields h = TestHeader();
  std::vector<uint8_t> buf(1024);
  const size_t need = EncodeHeader(h, buf.data(), buf.size());
  for (size_t cap = 0; cap < need; ++cap) {
    std::vector<uint8_t> small(cap + 1, 0x5A);
    EXPECT_EQ(EncodeHeader(h, small.data(), cap), 0u) << cap;
    EXPECT_EQ(small[cap], 0x5A) << "wrote past capacity " << cap;
  }
  EXPECT_EQ(EncodeMagic(buf.data(), 7), 0u);
  EXPECT_EQ(EncodeMagic(buf.data(), 8), 8u);
}

}  // namespace
}  // namespace alloclab::trace
