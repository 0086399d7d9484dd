#!/usr/bin/env bash
# The tests marked `clock`, once under each instant given, the passes side by side (on
# MariaDB only when it allows the connections; see PASS_CONNECTIONS).
#
# Each pass gets a test database and a Redis database of its own (DATABASE_URL's database
# name and REDIS_URL's database number, shifted by the pass's number), so the passes never
# see each other's rows or cache keys. A pass's output goes to a log, printed when it ends;
# the exit status is the first failing pass's. Usage: scripts/test_clocks.sh INSTANT...
set -uo pipefail
cd "$(dirname "$0")/.."

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

pass_env() {  # pass_env N: the DATABASE_URL and REDIS_URL of pass N, as shell assignments
  .venv/bin/python - "$1" <<'PY'
import os
import shlex
import sys
from urllib.parse import urlsplit, urlunsplit

n = int(sys.argv[1])
out = {}
if url := os.environ.get("DATABASE_URL"):
    parts = urlsplit(url)
    if parts.scheme.startswith("mysql"):
        out["DATABASE_URL"] = urlunsplit(parts._replace(path=f"{parts.path}_clock{n}"))
if url := os.environ.get("REDIS_URL"):
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    out["REDIS_URL"] = urlunsplit(parts._replace(path=f"/{(db + n) % 16}"))
for key, value in out.items():
    print(f"export {key}={shlex.quote(value)}")
PY
}

# On MariaDB each pass's concurrency tests open up to PASS_CONNECTIONS connections at once:
# side by side only when the server allows them all (.ci/run raises max_connections),
# otherwise one pass after the other.
PASS_CONNECTIONS=220
parallel=1
if [[ "${DATABASE_URL:-}" == mysql* ]]; then
  allowed=$(.venv/bin/python manage.py shell -v0 -c "from django.db import connection
with connection.cursor() as c:
    c.execute('SELECT @@max_connections'); print(c.fetchone()[0])" 2>/dev/null || echo 0)
  if [ "${allowed:-0}" -lt $((PASS_CONNECTIONS * $#)) ]; then
    echo "MariaDB allows ${allowed:-?} connections, fewer than $((PASS_CONNECTIONS * $#)): the passes run one after the other"
    parallel=0
  fi
fi

n=0
for instant in "$@"; do
  n=$((n + 1))
  (
    eval "$(pass_env "$n")"
    .venv/bin/pytest -q -p no:cacheprovider -m clock --clock "$instant"
    echo $? >"$logs/$n.rc"
  ) >"$logs/$n.log" 2>&1 &
  [ "$parallel" -eq 1 ] || wait
done
wait

status=0
n=0
for instant in "$@"; do
  n=$((n + 1))
  rc=$(cat "$logs/$n.rc" 2>/dev/null || echo 1)
  echo "== tests marked clock at $instant (exit $rc)"
  cat "$logs/$n.log"
  [ "$status" -ne 0 ] || status=$rc
done
exit "$status"
