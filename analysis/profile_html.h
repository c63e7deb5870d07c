// The allocation profile of a stacked trace as one self-contained HTML page
// (no network): an icicle graph (a flame graph, root on top) of allocated
// bytes, of the bytes live at the peak and of the bytes leaked, by stack;
// click a frame to zoom into it (click the root to zoom out), type in the
// search box to highlight the frames whose name matches; and live bytes over
// the trace with the peak marked. `tracetool html TRACE --out=FILE`.
#ifndef ALLOCLAB_ANALYSIS_PROFILE_HTML_H_
#define ALLOCLAB_ANALYSIS_PROFILE_HTML_H_

#include <string>

#include "analysis/call_sites.h"

namespace alloclab::analysis {

// The three reports of one trace (AnalyzeProfile), frames symbolised from
// its maps.
std::string ProfileHtml(const std::string& title, const ProfileReports& reports);

// The same as a section to put in another page (replay's report): its own
// style, elements and script, ids of its own (flame, timeline, search).
std::string ProfileSection(const ProfileReports& reports);

}  // namespace alloclab::analysis

#endif  // ALLOCLAB_ANALYSIS_PROFILE_HTML_H_
