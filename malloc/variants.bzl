"""Allocator build variants, as google/tcmalloc's test suites do it.

One build of //malloc per variant, picked by a build setting that the
allocator's copts select on; `allocator_variant` builds
//malloc:libbuddymalloc.so under a variant (a configuration transition) and
hands the .so on, so one `bazel test` builds and tests every variant side by
side. Runtime variants (environment tunables) need no separate build.

  BUILD_VARIANTS  name -> the //malloc:variant value it builds with
  RUNTIME_VARIANTS  name -> environment for a run of the default build
"""

VariantInfo = provider(fields = ["value"])

def _variant_setting_impl(ctx):
    return VariantInfo(value = ctx.build_setting_value)

# The setting itself: a string build setting (no bazel_skylib offline).
variant_setting = rule(
    implementation = _variant_setting_impl,
    build_setting = config.string(flag = True),
)

def _variant_transition_impl(settings, attr):
    return {"//malloc:variant": attr.variant}

_variant_transition = transition(
    implementation = _variant_transition_impl,
    inputs = [],
    outputs = ["//malloc:variant"],
)

def _allocator_variant_impl(ctx):
    src = ctx.attr.library[0][DefaultInfo].files.to_list()[0]
    out = ctx.actions.declare_file(ctx.label.name + ".so")
    ctx.actions.symlink(output = out, target_file = src)
    return [DefaultInfo(files = depset([out]), runfiles = ctx.runfiles(files = [out]))]

# The allocator .so built as variant `variant` (see BUILD_VARIANTS).
allocator_variant = rule(
    implementation = _allocator_variant_impl,
    attrs = {
        "variant": attr.string(mandatory = True),
        "library": attr.label(
            default = "//malloc:libbuddymalloc.so",
            cfg = _variant_transition,
            allow_single_file = True,
        ),
        "_allowlist_function_transition": attr.label(
            default = "@bazel_tools//tools/allowlists/function_transition_allowlist",
        ),
    },
)

# Builds with different code: hardening checks compiled out; a debug build
# (no optimisation, assertions, every free checked in full).
BUILD_VARIANTS = {
    "no_hardening": "no_hardening",
    "debug": "debug",
}

# The default build run with other settings.
RUNTIME_VARIANTS = {
    "default": {},
    "per_cpu": {"BUDDYMALLOC_PER_CPU": "1"},
    "one_arena": {"BUDDYMALLOC_ARENAS": "1"},
    "small_mmap_threshold": {"BUDDYMALLOC_MMAP_THRESHOLD": "131072"},  # the smallest: the largest size class
}

def allocator_variant_labels():
    """name -> label of the .so for every build variant (and the default)."""
    labels = {"default": "//malloc:libbuddymalloc.so"}
    for name in BUILD_VARIANTS:
        labels[name] = "//malloc:libbuddymalloc_" + name
    return labels
