#!/usr/bin/env bash
# ls -lR over /usr/share: thousands of small allocations per directory.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
ls -lR /usr/share >expected.txt 2>&1 || true
preloaded ls -lR /usr/share >actual.txt 2>&1 || true
same_output "ls -lR /usr/share" expected.txt actual.txt
