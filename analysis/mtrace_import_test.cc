// Tests of the mtrace import on hand-written logs (the real log of a program
// is checked by mtrace_import_program_test.sh).
#include "analysis/mtrace_import.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "trace/io.h"
#include "trace/test_events.h"
#include "trace/trace_reader.h"

namespace alloclab::analysis {
namespace {

using trace::Event;
using trace::Kind;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Event Ev(uint64_t seq, uint64_t time, Kind kind, uint64_t in, uint64_t size, uint64_t out) {
  return trace::MakeEvent(kMtraceThreadId, kind, seq, time, in, size, out);
}

// Hands out its bytes `step` at a time.
class SlowSource : public trace::ByteSource {
 public:
  SlowSource(std::string bytes, size_t step) : bytes_(std::move(bytes)), step_(step) {}
  absl::StatusOr<size_t> Read(void* buf, size_t n) override {
    const size_t k = std::min({n, step_, bytes_.size() - pos_});
    std::memcpy(buf, bytes_.data() + pos_, k);
    pos_ += k;
    return k;
  }

 private:
  std::string bytes_;
  size_t step_;
  size_t pos_ = 0;
};

absl::StatusOr<std::vector<Event>> Parse(const std::string& log, size_t step = 1 << 20) {
  SlowSource source(log, step);
  std::vector<Event> events;
  auto counts = ParseMtrace(&source, [&](const Event& e) {
    events.push_back(e);
    return absl::OkStatus();
  });
  if (!counts.ok()) return counts.status();
  EXPECT_EQ(counts->events, events.size());
  return events;
}

std::string ParseError(const std::string& log) {
  auto events = Parse(log);
  if (events.ok()) return "(no error)";
  return std::string(events.status().message());
}

// As glibc 2.36's mtrace writes it (this machine's log of a small program).
constexpr char kGlibcLog[] =
    "= Start\n"
    "@ ./t:[0x11b0] + 0x55f3aca9a2a0 0x10\n"
    "@ ./t:[0x11c3] + 0x55f3aca9a4a0 0x18\n"
    "@ ./t:[0x11d8] < 0x55f3aca9a2a0\n"
    "@ ./t:[0x11d8] > 0x55f3aca9a4c0 0x64\n"
    "@ ./t:[0x11e8] - 0x55f3aca9a4c0\n"
    "@ ./t:[0x11f4] - 0x55f3aca9a4a0\n"
    "@ ./t:[0x1203] + 0x55f3aca9a4a0 0x5\n"
    "@ ./t:[0x1218] - 0x55f3aca9a4a0\n"
    "@ ./t:[0x122e] + (nil) 0x4000000000000000\n"
    "@ ./t:[0x1241] + 0x55f3aca9a580 0x80\n"
    "@ ./t:(main+0x9a)[0x1250] ! 0x55f3aca9a580 0x4000000000000000\n"
    "@ ./t:[0x1251] - 0x55f3aca9a580\n"
    "= End\n";

std::vector<Event> GlibcLogEvents() {
  return {
      Ev(1, 2, Kind::kMalloc, 0, 0x10, 0x55f3aca9a2a0),
      Ev(2, 3, Kind::kMalloc, 0, 0x18, 0x55f3aca9a4a0),
      Ev(3, 4, Kind::kRealloc, 0x55f3aca9a2a0, 0x64, 0x55f3aca9a4c0),
      Ev(4, 6, Kind::kFree, 0x55f3aca9a4c0, 0, 0),
      Ev(5, 7, Kind::kFree, 0x55f3aca9a4a0, 0, 0),
      Ev(6, 8, Kind::kMalloc, 0, 5, 0x55f3aca9a4a0),
      Ev(7, 9, Kind::kFree, 0x55f3aca9a4a0, 0, 0),
      Ev(8, 10, Kind::kMalloc, 0, 0x4000000000000000, 0),
      Ev(9, 11, Kind::kMalloc, 0, 0x80, 0x55f3aca9a580),
      Ev(10, 12, Kind::kRealloc, 0x55f3aca9a580, 0x4000000000000000, 0),
      Ev(11, 13, Kind::kFree, 0x55f3aca9a580, 0, 0),
  };
}

TEST(MtraceParseTest, GlibcLog) {
  auto events = Parse(kGlibcLog);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(*events, GlibcLogEvents());
}

TEST(MtraceParseTest, GlibcLogOneByteAtATime) {
  auto events = Parse(kGlibcLog, 1);
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(*events, GlibcLogEvents());
}

TEST(MtraceParseTest, Counts) {
  SlowSource source(kGlibcLog, 7);
  auto counts = ParseMtrace(&source, [](const Event&) { return absl::OkStatus(); });
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->lines, 14u);
  EXPECT_EQ(counts->events, 11u);
  EXPECT_EQ(counts->mallocs, 5u);
  EXPECT_EQ(counts->frees, 4u);
  EXPECT_EQ(counts->reallocs, 1u);
  EXPECT_EQ(counts->failed_reallocs, 1u);
}

TEST(MtraceParseTest, CallerPrefixIsOptionalAndAnyForm) {
  auto events = Parse(
      "+ 0x10 0x8\n"                                    // no caller
      "@ [0x7f00aa12] + 0x20 0\n"                       // no dladdr info; size 0
      "@ /usr/lib/libfoo.so:(_ZN3foo3barEv+0x1c)[0x4c] - 0x10\n"
      "@ /tmp/a dir]/with spaces/p:[0x9] < 0x20\n"      // a path with spaces and ']'
      "> 0x30 0xABCDEF\n");                             // '>' without a caller
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(*events, (std::vector<Event>{
                         Ev(1, 1, Kind::kMalloc, 0, 8, 0x10),
                         Ev(2, 2, Kind::kMalloc, 0, 0, 0x20),
                         Ev(3, 3, Kind::kFree, 0x10, 0, 0),
                         Ev(4, 4, Kind::kRealloc, 0x20, 0xabcdef, 0x30),
                     }));
}

TEST(MtraceParseTest, EmptyLogsAndMarkersOnly) {
  auto none = Parse("");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  auto markers = Parse("= Start\n= End\n");
  ASSERT_TRUE(markers.ok()) << markers.status();
  EXPECT_TRUE(markers->empty());
}

TEST(MtraceParseTest, CrlfAndEmptyLines) {
  auto events = Parse("= Start\r\n\r\n+ 0x10 0x8\r\n\n- 0x10\r\n= End\r\n");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(*events, (std::vector<Event>{Ev(1, 3, Kind::kMalloc, 0, 8, 0x10),
                                         Ev(2, 5, Kind::kFree, 0x10, 0, 0)}));
}

TEST(MtraceParseTest, NullPointers) {
  auto events = Parse("+ (nil) 0x10\n- (nil)\n< (nil)\n> 0x40 0x10\n");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(*events, (std::vector<Event>{Ev(1, 1, Kind::kMalloc, 0, 0x10, 0),
                                         Ev(2, 2, Kind::kFree, 0, 0, 0),
                                         Ev(3, 3, Kind::kRealloc, 0, 0x10, 0x40)}));
}

TEST(MtraceParseTest, LargestValues) {
  auto events = Parse("+ 0xffffffffffffffff 0xffffffffffffffff\n");
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_EQ(*events, (std::vector<Event>{Ev(1, 1, Kind::kMalloc, 0, ~0ull, ~0ull)}));
}

TEST(MtraceParseTest, MalformedLinesNameTheirLine) {
  EXPECT_EQ(ParseError("= Start\n* 0x10 0x8\n"), "line 2: unknown operation '*': '* 0x10 0x8'");
  EXPECT_EQ(ParseError("hello world\n"),
            "line 1: not an mtrace line (expected '= ', '+', '-', '<', '>' or '!'): 'hello world'");
  EXPECT_EQ(ParseError("+ 0x10\n"), "line 1: expected '+ PTR SIZE': '+ 0x10'");
  EXPECT_EQ(ParseError("- 0x10 0x8\n"), "line 1: expected '- PTR': '- 0x10 0x8'");
  EXPECT_EQ(ParseError("\n! 0x10\n"), "line 2: expected '! PTR SIZE': '! 0x10'");
  EXPECT_EQ(ParseError("+ 0x10 0x8 extra\n"), "line 1: expected '+ PTR SIZE': '+ 0x10 0x8 extra'");
  EXPECT_EQ(ParseError("+ 16 0x8\n"),
            "line 1: bad pointer '16' (expected 0x... or (nil)): '+ 16 0x8'");
  EXPECT_EQ(ParseError("+ 0x 0x8\n"), "line 1: bad pointer '0x' (expected 0x... or (nil)): '+ 0x 0x8'");
  EXPECT_EQ(ParseError("+ 0x10000000000000000 0x8\n"),
            "line 1: bad pointer '0x10000000000000000' (expected 0x... or (nil)): "
            "'+ 0x10000000000000000 0x8'");
  EXPECT_EQ(ParseError("+ 0x10 12\n"), "line 1: bad size '12' (expected 0 or 0x...): '+ 0x10 12'");
  EXPECT_EQ(ParseError("+ 0x10 (nil)\n"),
            "line 1: bad size '(nil)' (expected 0 or 0x...): '+ 0x10 (nil)'");
  EXPECT_EQ(ParseError("@ ./p:[0x10 + 0x10 0x8\n"),
            "line 1: caller '@ ...' not closed by '] ' before the operation: '@ ./p:[0x10 + 0x10 0x8'");
  EXPECT_EQ(ParseError("++ 0x10 0x8\n"),
            "line 1: not an mtrace line (expected '= ', '+', '-', '<', '>' or '!'): '++ 0x10 0x8'");
}

TEST(MtraceParseTest, ReallocPairs) {
  EXPECT_EQ(ParseError("> 0x10 0x8\n"),
            "line 1: '>' without the '<' line that starts a realloc: '> 0x10 0x8'");
  EXPECT_EQ(ParseError("+ 0x1 0x1\n< 0x10\n+ 0x20 0x8\n"),
            "line 3: expected the '>' line completing the realloc of line 2: '+ 0x20 0x8'");
  EXPECT_EQ(ParseError("< 0x10\n< 0x10\n"),
            "line 2: expected the '>' line completing the realloc of line 1: '< 0x10'");
  EXPECT_EQ(ParseError("< 0x10\n\n> 0x20 0x8\n"),
            "line 2: expected the '>' line completing the realloc of line 1: ''");
  EXPECT_EQ(ParseError("= Start\n< 0x10\n"),
            "line 2: the log ends before the '>' line completing this realloc");
}

TEST(MtraceParseTest, CutShortOrForeignInput) {
  EXPECT_EQ(ParseError("+ 0x10 0x8\n+ 0x20 0x"),
            "line 2: the log ends in the middle of a line, without its newline (cut short?)");
  EXPECT_THAT(ParseError(std::string("\x89MTRACE\n\0\0\x01", 11)),
              StartsWith("line 1: not an mtrace line"));
  EXPECT_EQ(ParseError("\x01 0x10\n"), "line 1: unknown operation '\\x01': '\\x01 0x10'");
  const std::string long_line = "+ 0x10 0x8\n" + std::string(kMaxMtraceLineBytes + 1, 'x') + "\n";
  EXPECT_EQ(ParseError(long_line), "line 2: longer than 65536 bytes (not an mtrace log?)");
  const std::string quoted = ParseError(std::string(200, 'y') + " + 0x10\n");
  EXPECT_EQ(quoted, "line 1: not an mtrace line (expected '= ', '+', '-', '<', '>' or '!'): '" +
                        std::string(40, 'y') + "..." + std::string(73, 'y') + " + 0x10'");
}

TEST(MtraceParseTest, SinkErrorsStopTheParse) {
  trace::MemorySource source("+ 0x10 0x8\n+ 0x20 0x8\n");
  int calls = 0;
  auto counts = ParseMtrace(&source, [&](const Event&) {
    ++calls;
    return absl::ResourceExhaustedError("disk full");
  });
  EXPECT_EQ(counts.status(), absl::ResourceExhaustedError("disk full"));
  EXPECT_EQ(calls, 1);
}

absl::StatusOr<trace::TraceContents> ReadBack(const std::string& bytes) {
  return trace::ReadWholeTrace(std::make_unique<trace::MemorySource>(bytes));
}

TEST(MtraceImportTest, WritesAReadableTrace) {
  trace::MemorySource log(kGlibcLog);
  std::string bytes;
  trace::StringSink sink(&bytes);
  auto counts = ImportMtrace(&log, &sink);
  ASSERT_TRUE(counts.ok()) << counts.status();
  auto trace = ReadBack(bytes);
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->events, GlibcLogEvents());
  EXPECT_THAT(trace->header.tracer(), HasSubstr("mtrace"));
  EXPECT_EQ(trace->header.pid(), 0u);
}

// A log generated on the fly, never held whole in memory.
class GeneratedLog : public trace::ByteSource {
 public:
  explicit GeneratedLog(uint64_t blocks) : blocks_(blocks) {}
  absl::StatusOr<size_t> Read(void* buf, size_t n) override {
    while (pending_.size() < n && i_ < blocks_) {
      const uint64_t a = 0x10000 + (i_ % 1000) * 0x40;
      pending_ += "@ ./prog:[0x1234] + 0x" + Hex(a) + " 0x" + Hex(i_ % 512 + 1) + "\n";
      pending_ += "@ ./prog:[0x1238] < 0x" + Hex(a) + "\n@ ./prog:[0x1238] > 0x" + Hex(a) + " 0x" +
                  Hex(i_ % 700 + 1) + "\n";
      pending_ += "@ ./prog:[0x1240] - 0x" + Hex(a) + "\n";
      ++i_;
    }
    const size_t k = std::min(n, pending_.size());
    std::memcpy(buf, pending_.data(), k);
    pending_.erase(0, k);
    return k;
  }

 private:
  static std::string Hex(uint64_t v) {
    std::ostringstream s;
    s << std::hex << v;
    return s.str();
  }
  uint64_t blocks_;
  uint64_t i_ = 0;
  std::string pending_;
};

TEST(MtraceImportTest, LongLogStreams) {
  constexpr uint64_t kBlocks = 100000;
  GeneratedLog log(kBlocks);
  uint64_t last_seq = 0, last_time = 0, frees = 0;
  auto counts = ParseMtrace(&log, [&](const Event& e) {
    EXPECT_EQ(e.seq, last_seq + 1);
    EXPECT_GT(e.time, last_time);
    last_seq = e.seq;
    last_time = e.time;
    if (e.kind == Kind::kFree) ++frees;
    return absl::OkStatus();
  });
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->lines, 4 * kBlocks);
  EXPECT_EQ(counts->events, 3 * kBlocks);
  EXPECT_EQ(frees, kBlocks);

  GeneratedLog again(kBlocks);
  std::string bytes;
  trace::StringSink sink(&bytes);
  ASSERT_TRUE(ImportMtrace(&again, &sink).ok());
  auto reader = trace::TraceReader::FromSource(std::make_unique<trace::MemorySource>(bytes));
  ASSERT_TRUE(reader.ok()) << reader.status();
  Event e;
  uint64_t n = 0;
  while ((*reader)->Next(&e)) ++n;
  ASSERT_TRUE((*reader)->status().ok()) << (*reader)->status();
  EXPECT_EQ(n, 3 * kBlocks);
}

std::string TempPath(const std::string& name) { return ::testing::TempDir() + "/" + name; }

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

TEST(MtraceImportFileTest, WritesThroughATemporaryFile) {
  const std::string log = TempPath("good.mtrace"), out = TempPath("good.pb");
  WriteFile(log, kGlibcLog);
  auto counts = ImportMtraceFile(log, out);
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->events, 11u);
  EXPECT_FALSE(Exists(out + ".tmp"));
  auto trace = ReadBack(ReadFile(out));
  ASSERT_TRUE(trace.ok()) << trace.status();
  EXPECT_EQ(trace->events, GlibcLogEvents());
}

TEST(MtraceImportFileTest, AnErrorLeavesNothingBehind) {
  const std::string log = TempPath("bad.mtrace"), out = TempPath("bad.pb");
  WriteFile(log, std::string(kGlibcLog) + "@ ./t:[0x1] + 0x10\n");
  auto counts = ImportMtraceFile(log, out);
  EXPECT_EQ(counts.status().message(), "line 15: expected '+ PTR SIZE': '@ ./t:[0x1] + 0x10'");
  EXPECT_FALSE(Exists(out));
  EXPECT_FALSE(Exists(out + ".tmp"));
}

TEST(MtraceImportFileTest, AnErrorKeepsAnExistingOutput) {
  const std::string log = TempPath("bad2.mtrace"), out = TempPath("existing.pb");
  WriteFile(log, "+ 0x10 0x8\n- zz\n");
  WriteFile(out, "precious");
  EXPECT_FALSE(ImportMtraceFile(log, out).ok());
  EXPECT_EQ(ReadFile(out), "precious");
  EXPECT_FALSE(Exists(out + ".tmp"));
}

TEST(MtraceImportFileTest, MissingLogOrUnwritableOutput) {
  const std::string out = TempPath("never.pb");
  auto missing = ImportMtraceFile(TempPath("no-such-log"), out);
  EXPECT_THAT(missing.status().message(), HasSubstr("no-such-log"));
  EXPECT_FALSE(Exists(out));
  const std::string log = TempPath("ok.mtrace");
  WriteFile(log, kGlibcLog);
  auto unwritable = ImportMtraceFile(log, TempPath("no-such-dir/out.pb"));
  EXPECT_FALSE(unwritable.ok());
  EXPECT_THAT(unwritable.status().message(), HasSubstr("no-such-dir/out.pb.tmp"));
}

}  // namespace
}  // namespace alloclab::analysis
