"""Test macros shared by the end-to-end suites."""

load("//malloc:variants.bzl", "RUNTIME_VARIANTS", "allocator_variant_labels")
load("//tools:allocators.bzl", "ALLOCATOR_NAMES")
load("//tools:build_defs.bzl", "NO_MALLOC_SANITIZERS")

def allocator_variants():
    """Every allocator variant a suite runs against: name -> (.so label, env).

    The build variants of malloc/variants.bzl (default, no_hardening, debug)
    and the default build under each runtime variant (per_cpu, one_arena,
    small_mmap_threshold).
    """
    variants = {}
    for name, label in allocator_variant_labels().items():
        variants[name] = (label, {})
    for name, env in RUNTIME_VARIANTS.items():
        if name != "default":
            variants[name] = ("//malloc:libbuddymalloc.so", env)
    return variants

def preload_program_variants_test(name, script, size = "medium", **kwargs):
    """preload_program_test against every allocator variant; the suite `name`
    holds `name_<variant>` for each."""
    tests = []
    for variant, (label, env) in allocator_variants().items():
        test_name = name + "_" + variant
        preload_program_test(
            name = test_name,
            script = script,
            allocator = label,
            size = size,
            env = env,
            **kwargs
        )
        tests.append(":" + test_name)
    native.test_suite(name = name, tests = tests)

def preload_program_test(name, script, allocator = "//malloc:libbuddymalloc.so", size = "medium", tags = [], **kwargs):
    """A real program run under LD_PRELOAD of an allocator.

    The script sources tests/lib.sh and gets the allocator's path as $1; it
    checks the program's output, not only its exit status. Not under ASan or
    TSan: their build of the allocator needs their runtime, which the
    program (not built with it) does not load.
    """
    native.sh_test(
        name = name,
        srcs = [script],
        args = ["$(rootpath %s)" % allocator],
        data = [allocator, "//tests:lib.sh"],
        size = size,
        tags = tags + NO_MALLOC_SANITIZERS,
        **kwargs
    )

ALL_ALLOCATORS = ALLOCATOR_NAMES

def _allocator_suffix(allocator):
    if allocator.startswith("//") or allocator.startswith(":"):
        return allocator.split(":")[-1].replace(".so", "").replace(".", "_").replace("-", "_")
    return allocator

def replay_test(name, trace, allocators = ALL_ALLOCATORS, checksum = "", size = "small", tags = [], variants = False, **kwargs):
    """A trace as a test suite: one test per allocator build.

    Each test replays `trace` with `replay run --verify` (every block tagged
    and checked, alignment, usable size, calloc zeroing), requires the
    prepared ops' determinism checksum to equal `checksum` (when given), then
    replays it again timed and requires the same checksum.

    allocators: names replay knows (buddy, glibc, jemalloc, tcmalloc,
    mimalloc) or labels of allocator .so builds (variants).
    variants: also every variant of our allocator (allocator_variants()).
    The suite `name` holds the tests `name_<allocator>`. Not under ASan or
    TSan: the runner preloads each allocator, and in a sanitized runner the
    sanitizer's malloc would win (replay refuses to run).
    """
    tags = tags + NO_MALLOC_SANITIZERS
    tests = []
    runs = [(a, _allocator_suffix(a), {}) for a in allocators]
    if variants:
        for variant, (label, env) in allocator_variants().items():
            if variant != "default":
                runs.append((label, "buddy_" + variant, env))
    for allocator, suffix, env in runs:
        test_name = name + "_" + suffix
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
            env = env,
            size = size,
            tags = tags,
            **kwargs
        )
        tests.append(":" + test_name)
    native.test_suite(name = name, tests = tests, tags = tags)
