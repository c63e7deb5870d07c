#!/usr/bin/env python3
"""Runs the same workloads on several allocators, side by side, and prints time
and peak RSS as ratios to glibc's malloc.

Every allocator other than glibc is loaded with LD_PRELOAD into an unchanged
program, so all of them see exactly the same work. Runs are interleaved (each
repeat visits the allocators in a rotated order) and medians are reported,
because the machines this runs on are shared and noisy: ratios hold, absolute
times do not.

  ./bazelw run //benchmarks:compare_allocators                 # everything
  ./bazelw run //benchmarks:compare_allocators -- --suite=micro --repeat=5
  ./bazelw run //benchmarks:compare_allocators -- --workloads=sort,sqlite3 --json=out.json

The tracer is measured the same way: "traced" is glibc with libmalloctrace.so
preloaded (trace compressed at exit), "traced-raw" the same with
MALLOC_TRACE_RAW=1; their traces' bytes per event are reported too.
  ./bazelw run //benchmarks:compare_allocators -- --allocators=glibc,traced,traced-raw \
      --workloads=python-objects --suite=programs
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time

# The installed comparison allocators, name -> shared object, from
# tools/allocators.txt (generated from tools/allocators.bzl): main() fills it.
SYSTEM_ALLOCATORS = {}


def read_allocator_list(path):
    """{name: .so} of the listed allocators that are preloaded from the system
    (not glibc, which is no preload, nor buddy, which is built here)."""
    listed = {}
    with open(path) as f:
        for line in f:
            name, so, _package = line.split()
            if so != "-" and so.startswith("/"):
                listed[name] = so
    return listed
PYTHON = "/usr/bin/python3"


def fail(message):
    print(f"compare_allocators: {message}", file=sys.stderr)
    sys.exit(2)


# ---------------------------------------------------------------------------
# Workloads: each writes its inputs once into the work directory and returns
# the command (and extra environment) to measure.

def python_objects(work, tools):
    script = os.path.join(work, "objects.py")
    with open(script, "w") as f:
        f.write("""
import random
random.seed(7)
total = 0
for round in range(6):
    d = {}
    for i in range(300000):
        d[i] = [str(i) * (i % 5), (i, i * 2), {"k": i}]
    keep = {k: v for k, v in d.items() if random.random() < 0.2}
    del d
    s = sorted(keep.items(), key=lambda kv: -kv[0])
    total += len(s) + sum(len(v[0]) for k, v in s[:1000])
    text = " ".join(str(x) for x in range(200000)).split(" ")
    total += len(text)
print(total)
""")
    return [PYTHON, script], {"PYTHONMALLOC": "malloc"}


def python_json(work, tools):
    script = os.path.join(work, "jsonwork.py")
    with open(script, "w") as f:
        f.write("""
import json
doc = [{"id": i, "name": "item%d" % i, "tags": ["t%d" % (i % 13)] * (i % 7),
        "nested": {"a": [i, i + 1, i + 2], "b": str(i) * 3}} for i in range(60000)]
for _ in range(5):
    text = json.dumps(doc)
    doc = json.loads(text)
print(len(text))
""")
    return [PYTHON, script], {"PYTHONMALLOC": "malloc"}


def gcc_compile(work, tools):
    source = os.path.join(work, "big.c")
    with open(source, "w") as f:
        f.write("#include <stdio.h>\n")
        for i in range(1, 2001):
            f.write(f"static int f{i}(int x) {{ int a[16]; for (int j = 0; j < 16; ++j) a[j] = x * j + {i};\n")
            f.write(f"  switch (x % 5) {{ case 0: return a[3] ^ {i}; case 1: return a[x & 15] + a[7];\n")
            f.write(f"  case 2: return a[1] * 3; default: return (a[15] >> 2) + {i}; }} }}\n")
        f.write("int main(void) { long s = 0;\n")
        for i in range(1, 2001):
            f.write(f"  s += f{i}((int)s & 1023);\n")
        f.write('  printf("%ld\\n", s); return 0; }\n')
    return ["gcc", "-O2", "-c", source, "-o", os.path.join(work, "big.o")], {}


def sort_lines(work, tools):
    data = os.path.join(work, "lines.txt")
    if not os.path.exists(data):
        import random
        rng = random.Random(42)
        with open(data, "w") as f:
            for i in range(1500000):
                f.write(f"{rng.randrange(10**8):08d} {'abcdefghijklmnopqrstuvwxyz'[:1 + i % 26]}\n")
    return ["sort", "-k2,2", "-k1,1n", data, "-o", os.path.join(work, "sorted.txt")], {"LC_ALL": "C"}


def sqlite3_db(work, tools):
    script = os.path.join(work, "work.sql")
    with open(script, "w") as f:
        f.write("""
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, payload BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 300000)
INSERT INTO t SELECT x, x % 97, 'name' || x, zeroblob(x % 300) FROM c;
CREATE INDEX t_grp ON t(grp, name);
DELETE FROM t WHERE id % 5 = 0;
SELECT grp, count(*), sum(length(payload)) FROM t GROUP BY grp ORDER BY grp;
SELECT count(*) FROM t WHERE name LIKE 'name1%';
""")
    return ["sh", "-c", f"sqlite3 :memory: < {script} > /dev/null"], {}


def perl_hashes(work, tools):
    script = os.path.join(work, "work.pl")
    with open(script, "w") as f:
        f.write("""
my %h; my @a;
for my $i (1 .. 600000) {
  my $k = sprintf("key%07d", ($i * 7919) % 1000003);
  $h{$k} = [$i, "v" x ($i % 17)];
  push @a, $k if $i % 3 == 0;
}
delete @h{@a[0 .. 100000]};
my $n = 0; for my $k (sort keys %h) { $n += length($h{$k}[1]); }
my @parts = split /,/, join(",", map { $_ * 3 } 1 .. 300000);
print "$n ", scalar(@parts), "\\n";
""")
    return ["perl", script], {}


def perl_text(work, tools):
    # Text processing as perl programs do it: split and join, regex
    # substitutions, sorting, a hash that is emptied and refilled.
    script = os.path.join(work, "text.pl")
    with open(script, "w") as f:
        f.write("""
my @words = map { my $n = $_; join("", map { chr(97 + ($n * 7 + $_ * 13) % 26) } 1 .. (3 + $n % 9)) } 1 .. 50000;
my $total = 0;
for my $round (1 .. 12) {
  my $text = join(" ", map { $words[($_ * 31 + $round) % @words] } 1 .. 200000);
  (my $t = $text) =~ s/([aeiou])([a-z])/$2$1/g;
  $t =~ s/\\b(\\w)(\\w*)/\\u$1$2/g;
  my %count;
  $count{$_}++ for split / /, $t;
  my @top = (sort { $count{$b} <=> $count{$a} || $a cmp $b } keys %count)[0 .. 99];
  $total += length(join(",", @top));
  delete @count{grep { $count{$_} < 5 } keys %count};
  $count{"r$round-$_"} = $_ for 1 .. 50000;
  $total += scalar(keys %count);
}
print "$total\\n";
""")
    return ["perl", script], {}


def lua_tables(work, tools):
    # Lua allocates only through realloc and free: tables that grow and
    # shrink, strings, closures, and garbage-collection cycles.
    script = os.path.join(work, "tables.lua")
    with open(script, "w") as f:
        f.write("""
local keep, total = {}, 0
for round = 1, 6 do
  local objs = {}
  for i = 1, 100000 do
    objs[i] = {id = i, name = "n" .. i, f = function() return i + round end}
  end
  local parts = {}
  for i = 1, 60000 do parts[#parts + 1] = string.rep("x", i % 40) .. i end
  local joined = table.concat(parts, ",")
  for w in joined:gmatch("[^,]+") do keep[#keep % 5000 + 1] = w end
  local t = {}
  for i = 1, 200000 do t[i] = i end
  for i = 200000, 1, -1 do t[i] = nil end
  for i = 1, #objs, 997 do total = total + objs[i].f() end
  collectgarbage("collect")
end
print(total, #keep)
""")
    return ["lua5.4", script], {}


def large_blocks(work, tools):
    return [tools["large_blocks"]], {}


def thread_transfer(work, tools):
    return [tools["thread_transfer"]], {}


def small_heap(mode):
    def workload(work, tools):
        return [tools["small_heap"], mode], {}
    return workload


def cxx_containers(work, tools):
    return [tools["cxx_containers"]], {}


def threaded_churn(work, tools):
    return [tools["threaded_churn"], "--threads=2"], {}


def threaded_churn_oversubscribed(work, tools):
    return [tools["threaded_churn"], f"--threads={4 * (os.cpu_count() or 2)}"], {}


def malloc_free_loop(work, tools):
    return [tools["malloc_free_loop"], "20000000"], {}


def pattern(name, threads):
    def workload(work, tools):
        n = threads if threads > 0 else 4 * (os.cpu_count() or 2)
        return [tools["thread_patterns"], f"--pattern={name}", f"--threads={n}"], {}
    return workload


WORKLOADS = {
    "python-objects": python_objects,
    "python-json": python_json,
    "gcc-O2": gcc_compile,
    "sort": sort_lines,
    "sqlite3": sqlite3_db,
    "perl": perl_hashes,
    "perl-text": perl_text,
    "lua": lua_tables,
    "large-blocks": large_blocks,
    "thread-transfer": thread_transfer,
    "small-factor": small_heap("factor"),
    "small-leaky": small_heap("leaky"),
    "small-simple": small_heap("simple"),
    "cxx-containers": cxx_containers,
    "malloc-free-loop": malloc_free_loop,
    "threads-2": threaded_churn,
    "threads-4xcpu": threaded_churn_oversubscribed,
    "prodcons-2": pattern("producer-consumer", 2),
    "prodcons-4xcpu": pattern("producer-consumer", 0),
    "thread-churn": pattern("thread-churn", 8),
    "false-sharing-2": pattern("false-sharing", 2),
    "false-sharing-4xcpu": pattern("false-sharing", 0),
}


# ---------------------------------------------------------------------------

class Allocator:
    """How to run a program on one allocator: what to preload, what to set."""

    def __init__(self, preload=None, env=None, trace_dir=None):
        self.preload = preload
        self.env = env or {}
        self.trace_dir = trace_dir  # traced variants: where their traces go


GNU_TIME = "/usr/bin/time"  # Debian package time (tools/apt-packages.txt)


def run_measured(cmd, env, allocator, work):
    """Returns (wall seconds, cpu seconds, peak RSS KiB) of cmd and its children.

    The peak RSS is that of the program's own process tree, started by GNU
    time: a process forked from this Python script would carry the script's
    own resident memory (about 13 MiB) as its high-water mark through the
    exec, and every program smaller than that would look the same size.
    """
    full_env = dict(os.environ)
    full_env.update(env)
    full_env.update(allocator.env)
    if allocator.preload:
        full_env["LD_PRELOAD"] = allocator.preload
    else:
        full_env.pop("LD_PRELOAD", None)
    rss_file = os.path.join(work, "maxrss.txt")
    # time itself runs without the preload (it is measured as little as possible).
    launcher_env = dict(full_env)
    launcher_env.pop("LD_PRELOAD", None)
    wrapped = [GNU_TIME, "-f", "%M", "-o", rss_file, "env"]
    if allocator.preload:
        wrapped.append("LD_PRELOAD=" + allocator.preload)
    wrapped += cmd
    start = time.perf_counter()
    proc = subprocess.Popen(wrapped, env=launcher_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace")[-2000:]
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err}")
    proc.stderr.close()
    with open(rss_file) as f:
        rss_kib = int(f.read().split()[-1])
    return wall, usage.ru_utime + usage.ru_stime, rss_kib


def geomean(values):
    values = [v for v in values if v > 0]
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def resolve_allocators(names, tools, work):
    allocators = {}
    for name in names:
        if name == "glibc":
            allocators[name] = Allocator()
        elif name == "buddy":
            allocators[name] = Allocator(os.path.realpath(tools["buddy"]))
        elif name in ("traced", "traced-raw"):
            trace_dir = os.path.join(work, "traces-" + name)
            os.makedirs(trace_dir, exist_ok=True)
            env = {"MALLOC_TRACE_FILE": os.path.join(trace_dir, "trace.%p.pb")}
            if name == "traced-raw":
                env["MALLOC_TRACE_RAW"] = "1"
            allocators[name] = Allocator(os.path.realpath(tools["tracer"]), env, trace_dir)
        elif name in SYSTEM_ALLOCATORS:
            path = SYSTEM_ALLOCATORS[name]
            if not os.path.exists(path):
                print(f"warning: {name} not installed ({path}); skipped", file=sys.stderr)
                continue
            allocators[name] = Allocator(path)
        elif name.endswith(".so") and os.path.exists(name):
            allocators[os.path.basename(name)] = Allocator(os.path.abspath(name))
        else:
            fail(f"unknown allocator '{name}' (glibc, buddy, jemalloc, tcmalloc, mimalloc, traced, "
                 "traced-raw or a .so path)")
    if "glibc" not in allocators:
        fail("glibc must be among the allocators: it is the baseline")
    return allocators


def trace_bytes_and_events(allocator, tools):
    """(bytes per event, events) of the traces a traced run left; removes them."""
    total_bytes = total_events = 0
    for name in os.listdir(allocator.trace_dir):
        path = os.path.join(allocator.trace_dir, name)
        out = subprocess.run([tools["tracetool"], "validate", path], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError(f"trace does not decode: {out.stderr.strip()}")
        total_events += int(out.stdout.split("ok, ")[1].split()[0])
        total_bytes += os.path.getsize(path)
        os.remove(path)
    return (total_bytes / total_events if total_events else float("nan")), total_events


def program_suite(args, allocators, tools, work):
    names = list(WORKLOADS) if args.workloads == "all" else args.workloads.split(",")
    for n in names:
        if n not in WORKLOADS:
            fail(f"unknown workload '{n}' (one of {', '.join(WORKLOADS)})")
    results = {}
    for n in names:
        cmd, env = WORKLOADS[n](work, tools)
        samples = {a: [] for a in allocators}
        order = list(allocators)
        print(f"[{n}] {args.repeat} rounds x {len(order)} allocators ...", file=sys.stderr, flush=True)
        for r in range(args.repeat):
            rotated = order[r % len(order):] + order[:r % len(order)]
            for a in rotated:
                wall, cpu, rss = run_measured(cmd, env, allocators[a], work)
                per_event, events = (trace_bytes_and_events(allocators[a], tools) if allocators[a].trace_dir
                                     else (None, None))
                # Whatever this run left for the kernel to do (dirty pages, the blocks of a deleted trace,
                # discarded on this ext4) is done now, not during the next run.
                os.sync()
                samples[a].append((wall, cpu, rss, per_event, events))
        results[n] = {a: {"time": statistics.median(s[0] for s in v),
                          "cpu": statistics.median(s[1] for s in v),
                          "rss_kib": statistics.median(s[2] for s in v)} for a, v in samples.items()}
        for a, v in samples.items():
            if allocators[a].trace_dir:
                results[n][a]["trace_bytes_per_event"] = statistics.median(s[3] for s in v)
                results[n][a]["trace_events"] = statistics.median(s[4] for s in v)
    return results


def micro_suite(args, allocators, tools):
    results = {}
    samples = {}
    order = list(allocators)
    print(f"[micro] {args.repeat} rounds x {len(order)} allocators ...", file=sys.stderr, flush=True)
    for r in range(args.repeat):
        rotated = order[r % len(order):] + order[:r % len(order)]
        for a in rotated:
            env = dict(os.environ)
            env.pop("LD_PRELOAD", None)
            env.update(allocators[a].env)
            if allocators[a].preload:
                env["LD_PRELOAD"] = allocators[a].preload
            out = subprocess.run([tools["malloc_benchmark"], "--benchmark_format=json",
                                  f"--benchmark_min_time={args.micro_min_time}"],
                                 env=env, capture_output=True, text=True, check=True)
            for b in json.loads(out.stdout)["benchmarks"]:
                samples.setdefault(b["name"], {}).setdefault(a, []).append(b["real_time"])
    for name, per in samples.items():
        results[name] = {a: {"time": statistics.median(v)} for a, v in per.items()}
    return results


def print_table(title, results, allocators, metric, unit_fmt):
    names = list(allocators)
    width = max([len(w) for w in results] + [14])
    print(f"\n{title} (ratio to glibc; lower is better; glibc column in {unit_fmt[0]})")
    print(f"{'workload':<{width}}  " + "  ".join(f"{a:>9}" for a in names))
    ratios = {a: [] for a in names}
    for w, per in results.items():
        base = per["glibc"][metric]
        cells = []
        for a in names:
            if a == "glibc":
                cells.append(f"{unit_fmt[1](base):>9}")
            else:
                ratio = per[a][metric] / base if base else float("nan")
                ratios[a].append(ratio)
                cells.append(f"{ratio:>9.2f}")
        print(f"{w:<{width}}  " + "  ".join(cells))
    print(f"{'geomean':<{width}}  " + "  ".join(
        f"{'1.00':>9}" if a == "glibc" else f"{geomean(ratios[a]):>9.2f}" for a in names))
    return {a: geomean(ratios[a]) for a in names if a != "glibc"}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--allocators", default="glibc,buddy,jemalloc,tcmalloc,mimalloc")
    parser.add_argument("--suite", choices=["all", "programs", "micro"], default="all")
    parser.add_argument("--workloads", default="all", help="comma-separated program workloads")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--micro_min_time", default="0.2")
    parser.add_argument("--work_dir", default="")
    parser.add_argument("--json", default="", help="also write the results here")
    parser.add_argument("--root", required=True, help="runfiles root holding the built tools")
    args = parser.parse_args()
    if args.repeat < 1:
        fail("--repeat must be at least 1")

    SYSTEM_ALLOCATORS.update(read_allocator_list(os.path.join(args.root, "tools/allocators.txt")))
    tools = {
        "buddy": os.path.join(args.root, "malloc/libbuddymalloc.so"),
        "malloc_benchmark": os.path.join(args.root, "malloc/malloc_benchmark"),
        "cxx_containers": os.path.join(args.root, "benchmarks/cxx_containers"),
        "large_blocks": os.path.join(args.root, "benchmarks/large_blocks"),
        "thread_transfer": os.path.join(args.root, "benchmarks/thread_transfer"),
        "small_heap": os.path.join(args.root, "benchmarks/small_heap"),
        "malloc_free_loop": os.path.join(args.root, "benchmarks/malloc_free_loop"),
        "threaded_churn": os.path.join(args.root, "benchmarks/threaded_churn"),
        "thread_patterns": os.path.join(args.root, "benchmarks/thread_patterns"),
        "tracer": os.path.join(args.root, "tracer/libmalloctrace.so"),
        "tracetool": os.path.join(args.root, "analysis/tracetool"),
    }
    for name, path in tools.items():
        if not os.path.exists(path):
            fail(f"missing {name} at {path}: run through ./bazelw run //benchmarks:compare_allocators")
    work = args.work_dir or tempfile.mkdtemp(prefix="compare-allocators-")
    os.makedirs(work, exist_ok=True)
    allocators = resolve_allocators(args.allocators.split(","), tools, work)

    report = {"allocators": list(allocators), "cpus": os.cpu_count()}
    if args.suite in ("all", "programs"):
        programs = program_suite(args, allocators, tools, work)
        report["programs"] = programs
        report["programs_time_geomean"] = print_table("Programs: wall time", programs, allocators, "time",
                                                      ("seconds", lambda v: f"{v:.2f}s"))
        report["programs_rss_geomean"] = print_table("Programs: peak RSS", programs, allocators, "rss_kib",
                                                     ("MiB", lambda v: f"{v / 1024:.0f}M"))
        traced = [a for a in allocators if allocators[a].trace_dir]
        if traced:
            # The tracer's background thread (compression, slots) runs beside the program: CPU time
            # shows what it costs beyond the wall clock.
            report["programs_cpu_geomean"] = print_table("Programs: CPU time (user + system)", programs, allocators,
                                                         "cpu", ("seconds", lambda v: f"{v:.2f}s"))
            print("\nTrace size (bytes per event) and tracer cost (ns of wall / CPU time added per event), medians")
            for w, per in programs.items():
                cells = []
                for a in traced:
                    events = per[a]["trace_events"]
                    wall_ns = (per[a]["time"] - per["glibc"]["time"]) * 1e9 / events if events else float("nan")
                    cpu_ns = (per[a]["cpu"] - per["glibc"]["cpu"]) * 1e9 / events if events else float("nan")
                    per[a]["ns_per_event_wall"] = wall_ns
                    per[a]["ns_per_event_cpu"] = cpu_ns
                    cells.append(f"{a}: {per[a]['trace_bytes_per_event']:.2f} B, {wall_ns:.1f} / {cpu_ns:.1f} ns")
                print(f"{w:<16}  " + "  ".join(cells) + f"  ({events:.0f} events)")
    if args.suite in ("all", "micro"):
        micro = micro_suite(args, allocators, tools)
        report["micro"] = micro
        report["micro_time_geomean"] = print_table("Micro benchmarks: time per iteration", micro, allocators,
                                                   "time", ("ns", lambda v: f"{v:.1f}ns"))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
        print(f"\nwrote {args.json}")


if __name__ == "__main__":
    main()
