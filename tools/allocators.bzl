"""The comparison allocators, listed once.

The replayer (//replay:allocators via the generated allocators.inc), the
benchmark harness and the demo (the generated allocators.txt), the replay
test suites (tests/defs.bzl) and the tracer's and traced-program tests all
read this list.
"""

# (name, shared object, Debian package). glibc is the process's own malloc
# (nothing preloaded); buddy is built here (a workspace path).
ALLOCATORS = [
    ("buddy", "malloc/libbuddymalloc.so", ""),
    ("glibc", "", "libc6"),
    ("jemalloc", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2", "libjemalloc2"),
    ("tcmalloc", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4", "libtcmalloc-minimal4"),
    ("mimalloc", "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2", "libmimalloc2.0"),
]

ALLOCATOR_NAMES = [name for name, _, _ in ALLOCATORS]

# The preloaded shared object of each named allocator ("" for glibc).
ALLOCATOR_PATHS = {name: path for name, path, _ in ALLOCATORS}

def allocator_list(name):
    """Writes the list as <name>.txt ("name path package" lines, "-" for
    empty) for scripts and as <name>.inc (C++ initializer rows) for C++."""
    txt = "\n".join(["%s %s %s" % (n, p or "-", k or "-") for n, p, k in ALLOCATORS])
    inc = "\n".join(['{"%s", "%s", "%s"},' % (n, p, k) for n, p, k in ALLOCATORS])
    native.genrule(
        name = name + "_txt",
        outs = [name + ".txt"],
        cmd = "printf '%%s\\n' '%s' > $@" % txt,
        visibility = ["//visibility:public"],
    )
    native.genrule(
        name = name + "_inc",
        outs = [name + ".inc"],
        cmd = "printf '%%s\\n' '%s' > $@" % inc,
        visibility = ["//visibility:public"],
    )
