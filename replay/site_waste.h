// Which call sites an allocator's waste sits with: at one moment of a replay,
// the allocator's resident memory beyond the live bytes, attributed to the
// call sites whose live blocks occupy the pages it lies on.
//
// The definition (README, "Waste by call site"). For every resident page p
// holding part of at least one live block:
//   occupied(p, s) = bytes of p inside live blocks from site s (requested
//                    bytes: slop past the request is not occupied)
//   occupied(p)    = sum over s
//   waste(p)       = page size - occupied(p)
// and site s is charged waste(p) * occupied(p, s) / occupied(p): a page shared
// by several sites is split by their bytes on it. Resident pages holding no
// live block (free memory the allocator keeps, its metadata) belong to no
// site; live bytes on pages that are not resident (never touched) cost
// nothing and are counted apart.
//
// Allocation-free: the runner calls it inside the process being measured.
#ifndef ALLOCLAB_REPLAY_SITE_WASTE_H_
#define ALLOCLAB_REPLAY_SITE_WASTE_H_

#include <cstddef>
#include <cstdint>

namespace alloclab::replay {

struct LiveBlock {
  uint64_t address;
  uint64_t size;  // requested bytes
  uint32_t site;
};

struct SiteWaste {
  uint64_t live_bytes;  // requested bytes of the site's live blocks
  double waste_bytes;   // its share of the waste on the pages they occupy
};

struct PageTotals {
  uint64_t block_page_bytes;       // resident pages holding live bytes, in bytes
  uint64_t live_resident_bytes;    // live bytes on them
  uint64_t live_unresident_bytes;  // live bytes on pages not resident
};

// How many of the `pages` pages from page_address on are resident.
using ResidentPagesFn = uint64_t (*)(void* context, uint64_t page_address, uint64_t pages);

// Sorts blocks by address (in place) and charges each page's waste to
// sites[block.site] (sites[nsites], zeroed by the caller; a block whose site
// is nsites or more counts under site 0). Overlapping blocks (an allocator
// that handed out one address twice) do not break it: a page's occupied
// bytes are then capped at its size.
PageTotals AttributeWasteByPage(LiveBlock* blocks, size_t n, uint64_t page_size, ResidentPagesFn resident,
                                void* context, SiteWaste* sites, uint32_t nsites);

// Which moment to attribute: "the RSS peak" is the sampled moment with the
// most resident memory. RSS often stays at its peak for a while after it is
// reached (freed memory is kept) while the live blocks thin out; of the
// moments within 1/64 of the peak, the snapshot kept is the one with the
// most waste on pages holding blocks (what the attribution can explain: not
// the end of a program that freed everything). Evaluating a moment costs a
// walk over the live blocks, so a sample is evaluated only when its RSS or
// its memory beyond the live bytes rose by 1/64 (at least 64 KiB) over what
// was evaluated before: a logarithmic number of times.
class PeakSnapshotPolicy {
 public:
  // Whether a sample (the allocator's resident bytes, the live requested
  // bytes) is worth evaluating. (The end of the replay is always worth it:
  // Keep alone decides on it.)
  bool Want(uint64_t rss, uint64_t live);
  // After evaluating it: whether it replaces the snapshot kept (then it is
  // kept). block_waste: its waste on pages holding blocks.
  bool Keep(uint64_t rss, uint64_t live, uint64_t block_waste);
  bool kept() const { return kept_; }

 private:
  static uint64_t Margin(uint64_t v) { return v / 64 > kMinStep ? v / 64 : kMinStep; }
  static uint64_t Waste(uint64_t rss, uint64_t live) { return rss > live ? rss - live : 0; }
  // Whether the snapshot kept lies well below the peak seen since.
  bool Stale() const { return snap_rss_ + Margin(best_rss_) < best_rss_; }
  static constexpr uint64_t kMinStep = 64 << 10;
  uint64_t best_rss_ = 0;
  uint64_t snap_rss_ = 0;
  uint64_t snap_block_waste_ = 0;
  uint64_t evaluated_waste_ = 0;  // the most rss - live evaluated near the peak
  bool kept_ = false;
};

}  // namespace alloclab::replay

#endif  // ALLOCLAB_REPLAY_SITE_WASTE_H_
