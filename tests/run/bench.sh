#!/usr/bin/env bash
# make bench [TRANSPORT=winrm|smb|both] [HOSTS=200 (winrm) / 100 (smb)] [SMB_HOSTS=] [FORKS=25] [LATENCY_MS=20] [PHASES=floor,audit,...]:
# the fleet benchmark (tests/bench/bench.py). Per transport it starts a fleet (the WS-Man simulator on 127.0.100.x
# and following /24s up to 127.0.118; Samba hosts on 127.0.119.x behind relays on 127.0.120.x), measures the floor,
# the audit, the apply and the idempotent apply, prints one JSON document on stdout (progress on stderr) and stops
# the fleets on exit, whatever happens. Work files stay in $BENCH_DIR (default .cache/bench).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# bench.py runs in its own process group so that the trap can stop it and everything it started
# (the simulated fleet, ansible-playbook and its workers) by that group's id.
set -m
python "$REPO_ROOT/tests/bench/bench.py" --transport "${TRANSPORT:-winrm}" ${HOSTS:+--hosts "$HOSTS"} ${SMB_HOSTS:+--smb-hosts "$SMB_HOSTS"} \
    ${PHASES:+--phases "$PHASES"} --forks "${FORKS:-25}" --latency-ms "${LATENCY_MS:-20}" --workdir "${BENCH_DIR:-$REPO_ROOT/.cache/bench}" &
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
