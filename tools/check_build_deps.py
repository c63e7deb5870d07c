#!/usr/bin/env python3
"""Checks that each cc rule's deps say what its files include, no more, no less.

    tools/check_build_deps.py        # prints the rules whose deps are off; exit 1 if any

For every cc_library/cc_test/cc_binary/fuzz_test of our own BUILD files: a
header of this workspace that a source or header includes must come from a
rule in its deps (MISSING otherwise), and a dep of ours whose headers nothing
includes is UNUSED, unless it is there for linking (LINK_ONLY below).
A text check of `#include "..."` lines, not a build: it reads files, writes
nothing.
"""
import glob
import os
import re
import sys
root=os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
rules={}  # label -> dict
hdr_owner={}
def parse_list(body,key):
    m=re.search(r'\b'+key+r'\s*=\s*(\[[^\]]*\]|"[^"]*")',body)
    if not m: return []
    return re.findall(r'"([^"]*)"',m.group(1))
for build in glob.glob(root+'/**/BUILD',recursive=True):
    if '/bazel-' in build or '/third_party' in build: continue
    pkg=os.path.relpath(os.path.dirname(build),root)
    text=open(build).read()
    for m in re.finditer(r'\n(cc_library|cc_test|cc_binary|fuzz_test)\((.*?)\n\)',text,re.S):
        body=m.group(2)
        nm=re.search(r'name\s*=\s*"([^"]+)"',body)
        if not nm: continue
        label='//%s:%s'%(pkg,nm.group(1))
        srcs=parse_list(body,'srcs'); hdrs=parse_list(body,'hdrs')+parse_list(body,'textual_hdrs')
        # deps may be select: take all strings in deps block roughly
        dm=re.search(r'\bdeps\s*=\s*(.*?)(\n    \w+\s*=|\Z)',body,re.S)
        deps=re.findall(r'"([^"]*)"',dm.group(1)) if dm else []
        deps=[('//%s%s'%(pkg,d) if d.startswith(':') else d) for d in deps]
        rules[label]=dict(pkg=pkg,srcs=[os.path.join(pkg,s) for s in srcs if not s.startswith(':')],hdrs=[os.path.join(pkg,h) for h in hdrs if not h.startswith(':')],deps=deps,kind=m.group(1))
        for h in rules[label]['hdrs']: hdr_owner.setdefault(h,label)
# Deps that are there to be linked in: (rule, dep).
LINK_ONLY = {
    ("//malloc:libbuddymalloc.so", "//malloc:malloc"),
    ("//malloc:linked_in_test", "//malloc:malloc"),
    ("//tracer:libmalloctrace.so", "//tracer:tracer"),
}
bad = 0
for label,r in sorted(rules.items()):
    used=set()
    for f in r['srcs']+r['hdrs']:
        p=os.path.join(root,f)
        if not os.path.exists(p): continue
        for inc in re.findall(r'#include "([^"]+)"',open(p).read()):
            o=hdr_owner.get(inc)
            if o is None or o==label: continue
            used.add(o)
    local=set(d for d in r['deps'] if d.startswith('//') and not d.startswith('//third_party') and not d.startswith('//proto') and not d.startswith('//fuzz:') and d in rules)
    missing=used-set(r['deps'])
    unused=set(d for d in local-used if (label, d) not in LINK_ONLY)
    if missing or unused:
        bad += 1
        print(label, 'MISSING', sorted(missing) if missing else '', 'UNUSED', sorted(unused) if unused else '')
sys.exit(1 if bad else 0)
