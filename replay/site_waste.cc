// AttributeWasteByPage: one walk over the live blocks in address order, page
// by page; pages wholly inside one block are taken in runs.
#include "replay/site_waste.h"

#include <algorithm>

namespace alloclab::replay {
namespace {

uint64_t Overlap(const LiveBlock& b, uint64_t page, uint64_t page_size) {
  const uint64_t lo = std::max(b.address, page);
  const uint64_t hi = std::min(b.address + b.size, page + page_size);
  return hi > lo ? hi - lo : 0;
}

}  // namespace

PageTotals AttributeWasteByPage(LiveBlock* blocks, size_t n, uint64_t page_size, ResidentPagesFn resident,
                                void* context, SiteWaste* sites, uint32_t nsites) {
  PageTotals totals = {};
  // Zero-sized blocks occupy nothing; the rest by address.
  size_t kept = 0;
  for (size_t i = 0; i < n; ++i) {
    if (blocks[i].size != 0) {
      blocks[kept] = blocks[i];
      if (blocks[kept].site >= nsites) blocks[kept].site = 0;
      ++kept;
    }
  }
  n = kept;
  std::sort(blocks, blocks + n, [](const LiveBlock& a, const LiveBlock& b) { return a.address < b.address; });
  uint64_t next = 0;  // pages below this are done
  size_t lo = 0;
  while (lo < n) {
    const LiveBlock& b = blocks[lo];
    const uint64_t end = b.address + b.size;
    if (end <= next) {
      ++lo;
      continue;
    }
    const uint64_t page = std::max(next, b.address & ~(page_size - 1));
    if (b.address <= page && end >= page + page_size) {
      // Pages wholly inside b: occupied, no waste, resident or not.
      const uint64_t whole = (end - page) / page_size;
      const uint64_t r = resident(context, page, whole);
      totals.block_page_bytes += r * page_size;
      totals.live_resident_bytes += r * page_size;
      totals.live_unresident_bytes += (whole - r) * page_size;
      sites[b.site].live_bytes += whole * page_size;
      next = page + whole * page_size;
      continue;
    }
    // A page shared by the blocks that reach into it (b first).
    uint64_t occupied = 0;
    size_t j = lo;
    for (; j < n && blocks[j].address < page + page_size; ++j) occupied += Overlap(blocks[j], page, page_size);
    const bool is_resident = resident(context, page, 1) != 0;
    const uint64_t capped = std::min(occupied, page_size);
    const double waste = is_resident ? static_cast<double>(page_size - capped) : 0;
    for (size_t k = lo; k < j; ++k) {
      const uint64_t mine = Overlap(blocks[k], page, page_size);
      sites[blocks[k].site].live_bytes += mine;
      if (occupied != 0) sites[blocks[k].site].waste_bytes += waste * static_cast<double>(mine) / occupied;
    }
    if (is_resident) {
      totals.block_page_bytes += page_size;
      totals.live_resident_bytes += capped;
    } else {
      totals.live_unresident_bytes += capped;
    }
    next = page + page_size;
  }
  return totals;
}

bool PeakSnapshotPolicy::Want(uint64_t rss, uint64_t live) {
  if (rss > best_rss_) best_rss_ = rss;
  if (!kept_ || Stale()) return true;
  if (rss + Margin(best_rss_) < best_rss_) return false;  // well below the peak
  if (snap_rss_ + Margin(snap_rss_) < rss) return true;    // higher than the snapshot
  return Waste(rss, live) > evaluated_waste_ + Margin(evaluated_waste_);
}

bool PeakSnapshotPolicy::Keep(uint64_t rss, uint64_t live, uint64_t block_waste) {
  if (rss > best_rss_) best_rss_ = rss;
  const bool higher = snap_rss_ + Margin(snap_rss_) < rss;
  const bool below_peak = rss + Margin(best_rss_) < best_rss_;
  if (kept_ && (below_peak || (!Stale() && !higher && block_waste <= snap_block_waste_))) {
    if (Waste(rss, live) > evaluated_waste_) evaluated_waste_ = Waste(rss, live);
    return false;
  }
  kept_ = true;
  snap_rss_ = rss;
  snap_block_waste_ = block_waste;
  evaluated_waste_ = Waste(rss, live);
  return true;
}

}  // namespace alloclab::replay
