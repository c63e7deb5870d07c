"""Forwards rules_proto's public macros to Bazel's native proto rules (offline shim)."""

def proto_library(**kwargs):
    native.proto_library(**kwargs)

def proto_lang_toolchain(**kwargs):
    native.proto_lang_toolchain(**kwargs)
