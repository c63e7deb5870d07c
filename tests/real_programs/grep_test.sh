#!/usr/bin/env bash
# grep -r over a tree, with a regex (DFA allocation) and counts per file.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
grep -rIc -E 'licen[cs]e|copyright [0-9]{4}' /usr/share/doc /usr/include >expected.txt 2>/dev/null || true
preloaded grep -rIc -E 'licen[cs]e|copyright [0-9]{4}' /usr/share/doc /usr/include >actual.txt 2>/dev/null || true
[ "$(wc -l <actual.txt)" -gt 1000 ] || { echo "grep saw too few files"; exit 1; }
same_output "grep -r" expected.txt actual.txt
