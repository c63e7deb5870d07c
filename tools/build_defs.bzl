"""Compiler options shared by every target of our own (not third_party)."""

ALLOCLAB_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]

# For code that defines malloc, free and friends (the allocator, the tracer):
# the compiler must not turn its own code into calls to them (malloc + memset
# into calloc, say), TLS must be initial-exec (no __tls_get_addr, which may
# allocate), and only the public entry points are exported.
INTERPOSER_COPTS = ALLOCLAB_COPTS + [
    "-fno-builtin-malloc",
    "-fno-builtin-calloc",
    "-fno-builtin-realloc",
    "-fno-builtin-free",
    "-ftls-model=initial-exec",
    "-fvisibility=hidden",
]
