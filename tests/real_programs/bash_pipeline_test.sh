#!/usr/bin/env bash
# A bash pipeline that forks and execs hundreds of processes, all preloaded.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
script='for i in $(seq 1 300); do echo "$i $((i * i % 97))" | tr 0-9 a-j; done | sort -k2 | uniq -c -f1 | awk "{ s += \$1 } END { print NR, s }"; (for j in 1 2 3; do bash -c "echo sub \$\$ >/dev/null; echo $j"; done) | paste -sd+ | bc'
bash -c "$script" >expected.txt
preloaded bash -c "$script" >actual.txt
same_output "bash pipeline" expected.txt actual.txt
