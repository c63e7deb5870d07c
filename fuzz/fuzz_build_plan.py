#!/usr/bin/env python3
"""How to build one fuzz_test target outside Bazel, for run_fuzzers.sh.

Reads `bazel query --output=xml 'kind("cc_.*|proto_library", deps(TARGET))'`
on stdin and prints, one per line:
  ALLOCATOR <label>           the target has a malloc = allocator (its sources
                              are among the SRC lines; the binary runs on it)
  GEN <label>                 a generated target to build with Bazel first
  SRC <path> <copt>...        a source of this workspace and its copts
  LINK <linkopt>              a link option of some rule (libraries: -l...)
The fuzz driver's main (//fuzz:fuzz_driver_main) is left out: libFuzzer has
its own. -Werror is dropped (clang warns about other things than gcc).
"""
import sys
import xml.etree.ElementTree as ET

DRIVER = "//fuzz:fuzz_driver_main"


def path_of(label):
    """//pkg:file -> pkg/file."""
    pkg, _, name = label[2:].partition(":")
    return f"{pkg}/{name}" if pkg else name


def main():
    root = ET.fromstring(sys.stdin.read())
    rules = {r.get("name"): r for r in root.iter("rule")}
    protos = {}  # proto_library label -> its .proto sources
    out = []
    links = []
    for name, rule in rules.items():
        cls = rule.get("class")
        lists = {l.get("name"): l for l in rule.findall("list")}

        def values(attr, tag):
            node = lists.get(attr)
            return [] if node is None else [e.get("value") for e in node.findall(tag)]

        if cls == "proto_library":
            protos[name] = values("srcs", "label")
            continue
        for opt in values("linkopts", "string"):
            # Unix link options only (a select()'s Windows branch shows up too).
            if opt.startswith(("-l", "-L", "-Wl,", "-pthread")) and opt not in links:
                links.append(opt)
        malloc = rule.find("label[@name='malloc']")
        if malloc is not None and "fuzz_target" in values("tags", "string"):
            out.append(f"ALLOCATOR {malloc.get('value')}")
        if name == DRIVER or not name.startswith("//"):
            continue
        copts = [c for c in values("copts", "string") if c != "-Werror"]
        for src in values("srcs", "label"):
            if src.endswith((".cc", ".cpp", ".c")):
                out.append(" ".join(["SRC", path_of(src)] + copts))
    # cc_proto_library: the generated .pb.cc of each proto it wraps.
    for name, rule in rules.items():
        if rule.get("class") != "cc_proto_library":
            continue
        out.append(f"GEN {name}")
        deps = rule.find("list[@name='deps']")
        for dep in [] if deps is None else deps.findall("label"):
            for proto in protos.get(dep.get("value"), []):
                out.append(f"SRC bazel-bin/{path_of(proto)[:-len('.proto')]}.pb.cc")
    out.extend(f"LINK {l}" for l in links)
    print("\n".join(out))


if __name__ == "__main__":
    main()
