// The marker calls the tracer's test programs make: n blocks of one size,
// each written and freed, so that a trace's count of mallocs of that size is
// exactly n.
#ifndef ALLOCLAB_TRACER_TESTDATA_MARKERS_H_
#define ALLOCLAB_TRACER_TESTDATA_MARKERS_H_

#include <cstddef>
#include <cstdlib>

namespace alloclab::tracer_testdata {

inline void MallocFreeMarkers(size_t size, int n) {
  for (int i = 0; i < n; ++i) {
    void* p = std::malloc(size);
    if (p == nullptr) std::abort();
    static_cast<volatile char*>(p)[0] = 1;
    std::free(p);
  }
}

}  // namespace alloclab::tracer_testdata

#endif  // ALLOCLAB_TRACER_TESTDATA_MARKERS_H_
