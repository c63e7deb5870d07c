"""fuzz_test: a libFuzzer-style target that `bazel test` runs briefly.

The target's sources define `extern "C" int LLVMFuzzerTestOneInput(const
uint8_t*, size_t)`. In the default build it is linked with
//fuzz:fuzz_driver_main (no libFuzzer needed: gcc), which runs it over the
seed corpus and a bounded number of deterministic mutations of it. Under
--config=fuzz (.bazelrc: clang 14, -fsanitize=fuzzer-no-link,address,undefined
on everything) it is linked with //fuzz:libfuzzer_main instead, for real
coverage-guided fuzzing:
  bazel run --config=fuzz //trace:trace_reader_fuzz -- -max_total_time=60
fuzz/run_fuzzers.sh fuzzes every target tagged "fuzz_target" that way.
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
        # Under a sanitizer (fuzzing included) its runtime is the process's
        # malloc: the target then calls the allocator's internal API
        # (malloc/testing/api_under_test.h) and runs on the sanitizer's heap.
        extra["malloc"] = select({
            "//tools:asan": None,
            "//tools:tsan": None,
            "//tools:fuzz": None,
            "//conditions:default": malloc,
        })
    native.cc_test(
        name = name,
        srcs = srcs,
        copts = ALLOCLAB_COPTS + copts,
        # Static: the driver's main must find the target's symbol, and a
        # malloc = target links only its own objects otherwise.
        linkstatic = True,
        deps = deps + select({
            "//tools:fuzz": ["//fuzz:libfuzzer_main"],
            "//conditions:default": ["//fuzz:fuzz_driver_main"],
        }),
        data = [":" + name + "_corpus"],
        args = [
            "--mutations=%d" % mutations,
            "--max_seconds=%d" % max_seconds,
            "--max_len=%d" % max_len,
            "--max_memory_mb=%d" % max_memory_mb,
        ] + select({
            # libfuzzer_main copies these seeds into its growing corpus.
            "//tools:fuzz": ["--seeds_begin", "$(rootpaths :%s_corpus)" % name, "--seeds_end"],
            "//conditions:default": ["$(rootpaths :%s_corpus)" % name],
        }),
        tags = tags + ["fuzz_target"],
        size = size,
        **dict(extra, **kwargs)
    )
