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

def malloc_test(name, srcs, malloc = "//malloc", deps = [], copts = [], **kwargs):
    """A cc_test that runs on the given allocator (the malloc = attribute).

    Every malloc and new of the test binary, gtest's included, goes to it.
    linkstatic: Bazel 4 links only the malloc target's own objects otherwise.
    -fno-builtin: the compiler must not fold away the calls under test.
    """
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = ALLOCLAB_COPTS + ["-fno-builtin"] + copts,
        linkstatic = True,
        malloc = malloc,
        deps = deps + ["//third_party:gtest_main"],
        **kwargs
    )
