#!/usr/bin/env bash
# Runs a command with the desk and the action server up (honcho, Procfile.support), on a
# fresh demo database, then stops them. Used by `make shell` and the conversation tests.
#   scripts/with_support_services.sh [--fresh-db] -- COMMAND...
set -euo pipefail
cd "$(dirname "$0")/.."

fresh_db=0
if [[ "${1:-}" == "--fresh-db" ]]; then fresh_db=1; shift; fi
[[ "${1:-}" == "--" ]] && shift

set -a; source .env; set +a
if [[ $fresh_db == 1 ]]; then
  export DATABASE_URL="sqlite:///$PWD/var/test-desk.sqlite3"
  rm -f var/test-desk.sqlite3
fi
(cd desk && .venv/bin/python -m tierline_desk.cli migrate && .venv/bin/python -m tierline_desk.cli seed-demo) >/dev/null

for port in 8000 5055 8025; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "Port $port is already in use: stop whatever runs there (make run?) and try again." >&2
    exit 1
  fi
done

log=var/support-services.log
setsid .venv/bin/honcho start -f Procfile.support --no-prefix >"$log" 2>&1 &
runner=$!
trap 'kill -TERM -- "-$runner" 2>/dev/null || true; wait "$runner" 2>/dev/null || true' EXIT

for url in http://127.0.0.1:8000/healthz http://127.0.0.1:5055/health; do
  for _ in $(seq 1 120); do
    curl -fsS "$url" >/dev/null 2>&1 && break
    if ! kill -0 "$runner" 2>/dev/null; then echo "support services died; see $log" >&2; cat "$log" >&2; exit 1; fi
    sleep 0.5
  done
  curl -fsS "$url" >/dev/null || { echo "$url did not come up; see $log" >&2; cat "$log" >&2; exit 1; }
done

"$@"
