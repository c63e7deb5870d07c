// One-time initialisation of the whole allocator, and the fork handlers that
// keep it consistent across fork.
#ifndef ALLOCLAB_MALLOC_INIT_H_
#define ALLOCLAB_MALLOC_INIT_H_

namespace alloclab::malloc {

// Initialises the allocator on first use. Calls that re-enter from inside the
// initialisation (pthread_atfork may allocate) find the arenas usable already
// and run without a thread cache.
void EnsureInitialized();

}  // namespace alloclab::malloc

#endif  // ALLOCLAB_MALLOC_INIT_H_
