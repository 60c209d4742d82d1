#!/usr/bin/env bash
# make bench [HOSTS=200] [FORKS=25] [LATENCY_MS=20]: the fleet benchmark (tests/bench/bench.py).
# Starts a simulated fleet on 127.0.100.x (and following /24s up to 127.0.120), measures the floor, the audit,
# the apply and the idempotent apply, prints one JSON document on stdout (progress on stderr) and stops the
# fleet on exit, whatever happens. Work files stay in $BENCH_DIR (default .cache/bench).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# bench.py runs in its own process group so that the trap can stop it and everything it started
# (the simulated fleet, ansible-playbook and its workers) by that group's id.
set -m
python "$REPO_ROOT/tests/bench/bench.py" --hosts "${HOSTS:-200}" --forks "${FORKS:-25}" --latency-ms "${LATENCY_MS:-20}" \
    --workdir "${BENCH_DIR:-$REPO_ROOT/.cache/bench}" &
bench_pid=$!
set +m
stop_bench() {
    if kill -0 "$bench_pid" 2>/dev/null; then
        kill -TERM -- "-$bench_pid" 2>/dev/null || true
        wait "$bench_pid" 2>/dev/null || true
    fi
}
trap stop_bench EXIT
trap 'exit 130' INT TERM
wait "$bench_pid"
