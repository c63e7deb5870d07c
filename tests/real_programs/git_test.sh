#!/usr/bin/env bash
# git on a generated repository: commit, clone, log, gc, fsck.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t
export GIT_COMMITTER_EMAIL=t@example.com GIT_AUTHOR_DATE="2026-01-01T00:00:00Z"
export GIT_COMMITTER_DATE="2026-01-01T00:00:00Z" HOME="$WORK"
preloaded git init -q origin
cd origin
for i in $(seq 1 60); do
  seq "$i" $((i * 50)) >"file$((i % 12)).txt"
  printf 'line %s\n' $(seq 1 $i) >>notes.txt
  preloaded git add -A
  preloaded git commit -qm "commit $i"
done
cd ..
preloaded git clone -q origin clone
(cd clone && preloaded git log --stat >../actual.txt && preloaded git gc -q && preloaded git fsck --strict)
(cd origin && git log --stat >../expected.txt)
same_output "git clone + log" expected.txt actual.txt
[ "$(cd clone && git rev-list --count HEAD)" = 60 ]
