// The arena registry.
#include "malloc/arenas.h"

namespace alloclab::malloc {
namespace {

// Constant-initialised, in .bss: usable before any constructor runs.
Arena g_main_arena;

}  // namespace

void InitArenas() { g_main_arena.Init(/*use_break=*/true); }

Arena* MainArena() { return &g_main_arena; }

Arena* ArenaForNewThread() { return &g_main_arena; }

}  // namespace alloclab::malloc
