"""Test macros shared by the end-to-end suites."""

def preload_program_test(name, script, allocator = "//malloc:libbuddymalloc.so", size = "medium", **kwargs):
    """A real program run under LD_PRELOAD of an allocator.

    The script sources tests/lib.sh and gets the allocator's path as $1; it
    checks the program's output, not only its exit status.
    """
    native.sh_test(
        name = name,
        srcs = [script],
        args = ["$(rootpath %s)" % allocator],
        data = [allocator, "//tests:lib.sh"],
        size = size,
        **kwargs
    )

ALL_ALLOCATORS = ["buddy", "glibc", "jemalloc", "tcmalloc", "mimalloc"]

def _allocator_suffix(allocator):
    if allocator.startswith("//") or allocator.startswith(":"):
        return allocator.split(":")[-1].replace(".so", "").replace(".", "_").replace("-", "_")
    return allocator

def replay_test(name, trace, allocators = ALL_ALLOCATORS, checksum = "", size = "small", tags = [], **kwargs):
    """A trace as a test suite: one test per allocator build.

    Each test replays `trace` with `replay run --verify` (every block tagged
    and checked, alignment, usable size, calloc zeroing), requires the
    prepared ops' determinism checksum to equal `checksum` (when given), then
    replays it again timed and requires the same checksum.

    allocators: names replay knows (buddy, glibc, jemalloc, tcmalloc,
    mimalloc) or labels of allocator .so builds (variants).
    The suite `name` holds the tests `name_<allocator>`.
    """
    tests = []
    for allocator in allocators:
        test_name = name + "_" + _allocator_suffix(allocator)
        data = ["//replay:replay", trace]
        allocator_arg = allocator
        if allocator.startswith("//") or allocator.startswith(":"):
            data.append(allocator)
            allocator_arg = "$(rootpath %s)" % allocator
        native.sh_test(
            name = test_name,
            srcs = ["//tests:replay_trace_test.sh"],
            args = [
                "$(rootpath //replay:replay)",
                "$(rootpath %s)" % trace,
                allocator_arg,
                checksum,
            ],
            data = data,
            size = size,
            tags = tags,
            **kwargs
        )
        tests.append(":" + test_name)
    native.test_suite(name = name, tests = tests, tags = tags)
