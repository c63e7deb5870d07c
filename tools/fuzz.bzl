"""fuzz_test: a libFuzzer-style target that `bazel test` runs briefly.

The target's sources define `extern "C" int LLVMFuzzerTestOneInput(const
uint8_t*, size_t)`. Here it is linked with //fuzz:fuzz_driver_main (no
libFuzzer needed: the default gcc build), which runs it over the seed corpus
and a bounded number of deterministic mutations of it. fuzz/run_fuzzers.sh
builds the same sources with clang's libFuzzer and sanitizers for real,
coverage-guided fuzzing; it finds the targets by their "fuzz_target" tag.
"""

load("//tools:build_defs.bzl", "ALLOCLAB_COPTS", "NO_MALLOC_SANITIZERS")

def fuzz_test(
        name,
        srcs,
        corpus,
        deps = [],
        copts = [],
        malloc = None,
        mutations = 2000,
        max_seconds = 10,
        max_len = 65536,
        max_memory_mb = 0,
        tags = [],
        size = "small",
        **kwargs):
    """A cc_test running LLVMFuzzerTestOneInput over corpus and its mutations.

    Args:
      name: the test; `<name>_corpus` is the filegroup of its seeds.
      srcs: the fuzz target's sources (one defines LLVMFuzzerTestOneInput).
      corpus: seed files (e.g. glob(["testdata/fuzz_corpus/x/*"])), not empty.
      deps: what the target needs.
      copts: extra compiler options (ALLOCLAB_COPTS always apply).
      malloc: an allocator target: the whole test binary runs on it (as with
        malloc_test), e.g. "//malloc".
      mutations: mutated inputs per seed.
      max_seconds: stop mutating after this long (the seeds always all run).
      max_len: mutations never grow an input beyond this many bytes.
      max_memory_mb: address-space limit (0: none); over it, allocation fails.
      tags: extra tags ("fuzz_target" is always added).
      size: the test size (the default max_seconds fits "small").
      **kwargs: passed to cc_test (size, timeout, linkopts, ...).
    """
    if not corpus:
        fail("fuzz_test %s: give a seed corpus" % name)
    native.filegroup(
        name = name + "_corpus",
        testonly = True,
        srcs = corpus,
    )
    extra = {}
    if malloc:
        extra["malloc"] = malloc
        # Not under asan/tsan: their runtime is the process's malloc.
        tags = tags + NO_MALLOC_SANITIZERS
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = ALLOCLAB_COPTS + copts,
        # Static: the driver's main must find the target's symbol, and a
        # malloc = target links only its own objects otherwise.
        linkstatic = True,
        deps = deps + ["//fuzz:fuzz_driver_main"],
        data = [":" + name + "_corpus"],
        args = [
            "--mutations=%d" % mutations,
            "--max_seconds=%d" % max_seconds,
            "--max_len=%d" % max_len,
            "--max_memory_mb=%d" % max_memory_mb,
            "$(rootpaths :%s_corpus)" % name,
        ],
        tags = tags + ["fuzz_target"],
        size = size,
        **dict(extra, **kwargs)
    )
