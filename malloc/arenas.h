// The process's arenas: which one a thread takes from, and a way to visit
// them all (statistics, trim, fork).
#ifndef ALLOCLAB_MALLOC_ARENAS_H_
#define ALLOCLAB_MALLOC_ARENAS_H_

#include "malloc/arena.h"

namespace alloclab::malloc {

// The arena that grows with the program break. Usable after InitArenas.
Arena* MainArena();

// The arena a new thread cache (or a caller without one) takes from.
Arena* ArenaForNewThread();

void InitArenas();

// Visits every arena.
template <typename F>
void ForEachArena(F f) {
  f(MainArena());
}

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_ARENAS_H_
