#!/usr/bin/env bash
# sort of a large file (sort keeps big buffers and many line records).
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
awk 'BEGIN { srand(42); for (i = 0; i < 600000; i++) printf "%08d %s\n", int(rand() * 1e8), substr("abcdefghijklmnopqrstuvwxyz", 1 + i % 26) }' >in.txt
LC_ALL=C sort -k2,2 -k1,1n in.txt >expected.txt
LC_ALL=C preloaded sort -k2,2 -k1,1n in.txt >actual.txt
same_output "sort" expected.txt actual.txt
