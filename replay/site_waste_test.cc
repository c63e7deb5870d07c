#include "replay/site_waste.h"

#include <set>
#include <vector>

#include "gtest/gtest.h"

namespace alloclab::replay {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kBase = 0x10000;  // page-aligned

// Every page resident but those listed.
struct FakeResidency {
  std::set<uint64_t> absent;
  static uint64_t Count(void* context, uint64_t page, uint64_t pages) {
    const auto* self = static_cast<FakeResidency*>(context);
    uint64_t n = 0;
    for (uint64_t i = 0; i < pages; ++i) n += self->absent.count(page + i * kPage) == 0;
    return n;
  }
};

struct Result {
  PageTotals totals;
  std::vector<SiteWaste> sites;
};

Result Attribute(std::vector<LiveBlock> blocks, uint32_t nsites, const FakeResidency& residency = {}) {
  Result r;
  r.sites.assign(nsites, SiteWaste{0, 0});
  r.totals = AttributeWasteByPage(blocks.data(), blocks.size(), kPage, &FakeResidency::Count,
                                  const_cast<FakeResidency*>(&residency), r.sites.data(), nsites);
  return r;
}

TEST(SiteWaste, APageSharedBySitesIsSplitByTheirBytes) {
  // One page: 1000 bytes of site 1, 3000 of site 2: 96 bytes of waste, 1:3.
  Result r = Attribute({{kBase + 1000, 3000, 2}, {kBase, 1000, 1}}, 3);
  EXPECT_EQ(r.totals.block_page_bytes, kPage);
  EXPECT_EQ(r.totals.live_resident_bytes, 4000u);
  EXPECT_DOUBLE_EQ(r.sites[1].waste_bytes, 24);
  EXPECT_DOUBLE_EQ(r.sites[2].waste_bytes, 72);
  EXPECT_EQ(r.sites[1].live_bytes, 1000u);
  EXPECT_EQ(r.sites[2].live_bytes, 3000u);
  EXPECT_DOUBLE_EQ(r.sites[0].waste_bytes, 0);
}

TEST(SiteWaste, ABlockAcrossPagesChargesOnlyItsEdges) {
  // Site 3: 8192 bytes from +100 of page 1: page 1 holds 3996 of it, page 2
  // is wholly inside, page 3 holds 100 of it and 48 of site 1.
  const uint64_t p1 = kBase + kPage;
  Result r = Attribute({{p1 + 100, 8192, 3}, {p1 + 2 * kPage + 2048, 48, 1}}, 4);
  EXPECT_EQ(r.totals.block_page_bytes, 3 * kPage);
  EXPECT_EQ(r.totals.live_resident_bytes, 8192u + 48);
  EXPECT_DOUBLE_EQ(r.sites[3].waste_bytes, 100 + (kPage - 148) * 100.0 / 148);
  EXPECT_DOUBLE_EQ(r.sites[1].waste_bytes, (kPage - 148) * 48.0 / 148);
  // The waste adds up to the pages minus the live bytes on them.
  EXPECT_DOUBLE_EQ(r.sites[1].waste_bytes + r.sites[3].waste_bytes, 3.0 * kPage - 8192 - 48);
}

TEST(SiteWaste, PagesNotResidentCostNothing) {
  // A 5-page block whose pages 2 and 3 were never touched, and a small block
  // alone on a page that is not resident.
  FakeResidency residency;
  residency.absent = {kBase + 2 * kPage, kBase + 3 * kPage, kBase + 9 * kPage};
  Result r = Attribute({{kBase, 5 * kPage, 1}, {kBase + 9 * kPage + 16, 32, 2}}, 3, residency);
  EXPECT_EQ(r.totals.block_page_bytes, 3 * kPage);
  EXPECT_EQ(r.totals.live_resident_bytes, 3 * kPage);
  EXPECT_EQ(r.totals.live_unresident_bytes, 2 * kPage + 32);
  EXPECT_DOUBLE_EQ(r.sites[1].waste_bytes, 0);
  EXPECT_DOUBLE_EQ(r.sites[2].waste_bytes, 0);
  EXPECT_EQ(r.sites[2].live_bytes, 32u);
}

TEST(SiteWaste, ScatteredSmallBlocksCarryTheirPagesWaste) {
  // Site 1 keeps one 64-byte block per page over 100 pages (the rest freed);
  // site 2 fills 10 pages densely. All the waste is site 1's.
  std::vector<LiveBlock> blocks;
  for (uint64_t p = 0; p < 100; ++p) blocks.push_back({kBase + p * kPage + 512, 64, 1});
  for (uint64_t i = 0; i < 10 * kPage / 128; ++i) blocks.push_back({kBase + 200 * kPage + i * 128, 128, 2});
  Result r = Attribute(blocks, 3);
  EXPECT_DOUBLE_EQ(r.sites[1].waste_bytes, 100.0 * (kPage - 64));
  EXPECT_DOUBLE_EQ(r.sites[2].waste_bytes, 0);
  EXPECT_EQ(r.totals.block_page_bytes, 110 * kPage);
}

TEST(SiteWaste, OverlappingBlocksAndZeroSizesAndUnknownSitesDoNotBreakIt) {
  Result r = Attribute({{kBase, 4096, 1}, {kBase + 100, 200, 2}, {kBase + 5000, 0, 1}, {kBase + 8192, 10, 99}}, 3);
  EXPECT_EQ(r.totals.block_page_bytes, 2 * kPage);
  // Page 0: block 1 covers it, block 2 inside it: occupied capped at the page, no waste.
  EXPECT_DOUBLE_EQ(r.sites[1].waste_bytes, 0);
  EXPECT_DOUBLE_EQ(r.sites[2].waste_bytes, 0);
  EXPECT_DOUBLE_EQ(r.sites[0].waste_bytes, kPage - 10);  // site 99 is out of range: site 0
}

TEST(PeakSnapshotPolicy, KeepsThePeaksMomentWithTheMostWasteOnBlockPages) {
  constexpr uint64_t kMiB = 1 << 20;
  PeakSnapshotPolicy p;
  EXPECT_TRUE(p.Want(kMiB, kMiB));
  EXPECT_TRUE(p.Keep(kMiB, kMiB, 0));
  EXPECT_FALSE(p.Want(kMiB, kMiB));  // nothing new
  EXPECT_TRUE(p.Want(8 * kMiB, 8 * kMiB));  // higher
  EXPECT_TRUE(p.Keep(8 * kMiB, 8 * kMiB, 0));
  EXPECT_FALSE(p.Want(8 * kMiB, 8 * kMiB - (32 << 10)));  // waste within the margin
  // The plateau: the live blocks thin out, RSS stays.
  EXPECT_TRUE(p.Want(8 * kMiB, 2 * kMiB));
  EXPECT_TRUE(p.Keep(8 * kMiB, 2 * kMiB, 5 * kMiB));
  // Everything freed: more waste in all, but none on block pages: not kept,
  // and not evaluated again for less.
  EXPECT_TRUE(p.Want(8 * kMiB, 0));
  EXPECT_FALSE(p.Keep(8 * kMiB, 0, 0));
  EXPECT_FALSE(p.Want(8 * kMiB, 0));
  EXPECT_FALSE(p.Want(4 * kMiB, 0));  // far below the peak, however wasteful
  EXPECT_FALSE(p.Keep(4 * kMiB, 1 * kMiB, 3 * kMiB));
  // A higher peak replaces the snapshot whatever its waste.
  EXPECT_TRUE(p.Want(9 * kMiB, 9 * kMiB));
  EXPECT_TRUE(p.Keep(9 * kMiB, 9 * kMiB, 0));
}

}  // namespace
}  // namespace alloclab::replay
