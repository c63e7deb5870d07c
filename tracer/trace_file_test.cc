// TraceFile without a traced program: slots reserved, handed over, prepared
// and released as the recorder and the helper thread do it.
#include "tracer/trace_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "tracer/trace_file_fixture.h"

namespace alloclab::tracer {
namespace {

using TraceFileTest = TraceFileFixture;

TEST_F(TraceFileTest, SlotsAreListedInTheTableAsTheyAreReservedAndReleased) {
  EXPECT_NE(std::string(file_.path()).find(std::to_string(getpid())), std::string::npos);
  Slot a = file_.ReserveSlot(kMinSlotBytes, 7);
  Slot b = file_.ReserveSlot(2 * kMinSlotBytes, 7, a.offset);
  ASSERT_NE(a.data, nullptr);
  ASSERT_NE(b.data, nullptr);
  EXPECT_GE(a.offset, file_.header_end());
  EXPECT_GT(b.offset, a.offset);
  ASSERT_EQ(file_.slot_count(), 2u);
  EXPECT_EQ(file_.slot(0).owner, 7u);
  EXPECT_EQ(file_.slot(1).bytes, 2 * kMinSlotBytes);
  EXPECT_EQ(file_.slot(0).state.load(), SlotEntry::kInUse);
  // What the writer puts in its mapping is in the file.
  std::memcpy(a.data, "chunk", 5);
  file_.ReleaseSlot(&a);
  EXPECT_EQ(a.data, nullptr);
  EXPECT_EQ(file_.slot(0).state.load(), SlotEntry::kReleased);
  EXPECT_EQ(file_.slot(1).state.load(), SlotEntry::kInUse);
  char back[5];
  ASSERT_EQ(pread(file_.fd(), back, 5, static_cast<off_t>(file_.slot(0).offset)), 5);
  EXPECT_EQ(std::memcmp(back, "chunk", 5), 0);
  file_.ReleaseSlot(&b);
}

TEST_F(TraceFileTest, APreparedSlotGoesOnlyToAWriterWhoseLastSlotLiesBeforeIt) {
  file_.PrepareSlots();  // two full-size slots, at the end of the file
  Slot first = file_.ReserveSlot(kMaxSlotBytes, 1, 0);
  ASSERT_NE(first.data, nullptr);
  EXPECT_EQ(first.offset, file_.header_end());  // the first prepared one
  // A writer whose last slot lies beyond the other prepared slot cannot take
  // it (its chunks must stay in file order): it maps one of its own.
  Slot second = file_.ReserveSlot(kMaxSlotBytes, 2, file_.header_end() + 2 * kMaxSlotBytes);
  ASSERT_NE(second.data, nullptr);
  EXPECT_EQ(second.offset, file_.header_end() + 2 * kMaxSlotBytes);
  // That prepared slot now lies before a writer's own: nobody can use it,
  // the next preparation drops it, and the next writer gets a new one.
  file_.PrepareSlots();
  Slot third = file_.ReserveSlot(kMaxSlotBytes, 3, 0);
  ASSERT_NE(third.data, nullptr);
  EXPECT_EQ(third.offset, file_.header_end() + 3 * kMaxSlotBytes);
  for (Slot* s : {&first, &second, &third}) file_.ReleaseSlot(s);
  file_.DiscardPrepared();
}

TEST_F(TraceFileTest, DiscardedPreparedSlotsGiveTheirBlocksBack) {
  // Punching holes needs the file system's support (ext4, xfs, tmpfs have it).
  const std::string probe = pattern_ + ".probe";
  const int fd = open(probe.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(fd, 0);
  const bool punches = posix_fallocate(fd, 0, 1 << 16) == 0 &&
                       fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 16) == 0;
  close(fd);
  unlink(probe.c_str());
  if (!punches) GTEST_SKIP() << "this file system cannot punch holes";
  file_.PrepareSlots();
  struct stat before, after;
  ASSERT_EQ(fstat(file_.fd(), &before), 0);
  file_.DiscardPrepared();
  ASSERT_EQ(fstat(file_.fd(), &after), 0);
  EXPECT_EQ(after.st_size, before.st_size);  // punched, not truncated
  EXPECT_LE(after.st_blocks * 512, before.st_blocks * 512 - static_cast<off_t>(kMaxSlotBytes));
}

TEST_F(TraceFileTest, SideRecordsShareOneSlotBodyFirst) {
  uint8_t framed[16] = {};
  const uint32_t length = 12;
  std::memcpy(framed, &length, 4);
  std::memcpy(framed + 4, "stack record", 12);
  file_.AppendSideRecord(framed, sizeof framed);
  file_.AppendSideRecord(framed, sizeof framed);
  ASSERT_EQ(file_.slot_count(), 1u);
  const SlotEntry& side = file_.slot(0);
  EXPECT_EQ(side.owner, 0u);
  EXPECT_EQ(side.bytes, kSideSlotBytes);
  char back[32];
  ASSERT_EQ(pread(file_.fd(), back, 32, static_cast<off_t>(side.offset)), 32);
  EXPECT_EQ(std::memcmp(back, framed, 16), 0);
  EXPECT_EQ(std::memcmp(back + 16, framed, 16), 0);
}

}  // namespace
}  // namespace alloclab::tracer
