"""Compiler options shared by every target of our own (not third_party)."""

ALLOCLAB_COPTS = [
    "-Wall",
    "-Wextra",
    "-Werror",
]
