# lib.sh - shared helpers for the shell integration tests.  Source it, call
# check/check_eq for each assertion group, and end with `finish`, which prints
# the "N passed, N failed, N skipped" line the runner reads.  A check that
# cannot run here is `skip NAME REASON`: counted as skipped, never as passed.
#   TG_BIN   the tailgate binary under test      TG_ROOT  the repository root
set -u
: "${TG_ROOT:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"
: "${TG_BIN:=$TG_ROOT/tailgate}"
: "${PYTHON:=/usr/bin/python3}"
_passed=0 _failed=0 _skipped=0
TG_TMP=$(mktemp -d)
_pids=()
trap 'for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done; rm -rf "$TG_TMP"' EXIT

pass() { _passed=$((_passed + 1)); echo "ok   $1"; }
fail() { _failed=$((_failed + 1)); echo "FAIL $1"; shift; for l in "$@"; do echo "     $l"; done; }
skip() { _skipped=$((_skipped + 1)); echo "skip $1 ($2)"; }

# check NAME CMD...: passes when CMD exits 0.
check() { local n=$1; shift; if "$@"; then pass "$n"; else fail "$n" "command failed: $*"; fi; }

# check_eq NAME EXPECTED ACTUAL
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "expected: $2" "actual:   $3"; fi; }

# start_server VAR [serve options...]: starts `tailgate serve --port 0` in the
# background, waits for its port file, and sets VAR to the base URL.
start_server() {
    local var=$1; shift
    local pf="$TG_TMP/port.$RANDOM$RANDOM"
    "$TG_BIN" serve --port 0 --port-file "$pf" "$@" >>"$TG_TMP/server.log" 2>&1 &
    _pids+=($!)
    LAST_SERVER_PID=$!
    for _ in $(seq 100); do [ -s "$pf" ] && break; sleep 0.05; done
    [ -s "$pf" ] || { echo "server did not start: $(tail -n 5 "$TG_TMP/server.log")"; return 1; }
    printf -v "$var" 'http://127.0.0.1:%s' "$(cat "$pf")"
}

finish() { echo "$_passed passed, $_failed failed, $_skipped skipped"; [ "$_failed" -eq 0 ]; }
