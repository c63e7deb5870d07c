"""Compiler options shared by every target of our own (not third_party)."""

ALLOCLAB_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]

# For code that defines malloc, free and friends (the allocator, the tracer):
# the compiler must not turn its own code into calls to them (malloc + memset
# into calloc, say), TLS must be initial-exec (no __tls_get_addr, which may
# allocate), and only the public entry points are exported. No fortified
# calls (the toolchain's -D_FORTIFY_SOURCE=1): the library is bound at load
# (BIND_NOW), so importing __memcpy_chk ran its IFUNC resolver in every
# process and faulted in 64 KiB of libc text nothing else touches.
INTERPOSER_COPTS = ALLOCLAB_COPTS + [
    "-fno-builtin-malloc",
    "-fno-builtin-calloc",
    "-fno-builtin-realloc",
    "-fno-builtin-free",
    "-ftls-model=initial-exec",
    "-fvisibility=hidden",
    "-U_FORTIFY_SOURCE",
]

# Tags of tests that cannot run under a sanitizer (.bazelrc's --config=asan,
# tsan, ubsan filter them out with --test_tag_filters): ASan and TSan bring
# their own malloc, so a binary whose malloc is ours cannot run under them.
NO_MALLOC_SANITIZERS = ["no_asan", "no_tsan"]

# Test programs traced with stacks whose call sites a test names: every call
# a frame of its own (no inlining, frame pointers), line info, every malloc a
# call.
TRACED_PROGRAM_COPTS = ["-O1", "-g", "-fno-builtin", "-fno-omit-frame-pointer", "-fno-inline"]

def malloc_test(name, srcs, malloc = "//malloc", deps = [], copts = [], tags = [], internal_api = False, **kwargs):
    """A cc_test that runs on the given allocator (the malloc = attribute).

    Every malloc and new of the test binary, gtest's included, goes to it.
    linkstatic: Bazel 4 links only the malloc target's own objects otherwise.
    -fno-builtin: the compiler must not fold away the calls under test.

    Under asan and tsan (README.md, "Sanitizers") the sanitizer's runtime is
    the process's malloc. A test written with internal_api = True makes its
    calls through malloc/testing/api_under_test.h: there it is built without
    the malloc = attribute and those calls go to the allocator's internal API
    (//malloc:alloc), so its threads, arenas and caches run under the
    sanitizer. Any other malloc_test is tagged no_asan and no_tsan (ubsan,
    which leaves malloc alone, runs it as it is).
    """
    if internal_api:
        malloc = select({
            "//tools:asan": "@bazel_tools//tools/cpp:malloc",
            "//tools:tsan": "@bazel_tools//tools/cpp:malloc",
            "//conditions:default": malloc,
        })
        deps = deps + ["//malloc/testing:api_under_test"]
    else:
        tags = tags + NO_MALLOC_SANITIZERS
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = ALLOCLAB_COPTS + ["-fno-builtin"] + copts,
        linkstatic = True,
        malloc = malloc,
        deps = deps + ["//third_party:gtest_main"],
        tags = tags,
        **kwargs
    )
