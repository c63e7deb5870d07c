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
