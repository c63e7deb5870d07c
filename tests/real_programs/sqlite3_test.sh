#!/usr/bin/env bash
# sqlite3: a file database built, indexed, queried and vacuumed.
source "${TEST_SRCDIR}/${TEST_WORKSPACE}/tests/lib.sh"
preload_init "$1"
cat >work.sql <<'SQL'
CREATE TABLE t(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, payload BLOB);
WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000)
INSERT INTO t SELECT x, x % 97, 'name' || x, zeroblob(x % 300) FROM c;
CREATE INDEX t_grp ON t(grp, name);
DELETE FROM t WHERE id % 5 = 0;
SELECT grp, count(*), sum(length(payload)), min(name), max(name) FROM t GROUP BY grp ORDER BY grp;
VACUUM;
SELECT count(*) FROM t WHERE name LIKE 'name1%';
SQL
rm -f expected.db actual.db
sqlite3 expected.db <work.sql >expected.txt
preloaded sqlite3 actual.db <work.sql >actual.txt
same_output "sqlite3" expected.txt actual.txt
