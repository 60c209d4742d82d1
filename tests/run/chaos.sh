#!/usr/bin/env bash
# make chaos [HOSTS=200] [FORKS=25]: the fault run (tests/e2e/chaos.py): 200 simulated servers, 22 faulty, audited,
# applied, applied again and rolled back; prints the figures (JSON, then one line) and fails if anything was lost.
# Work files stay in $CHAOS_DIR (default .cache/chaos).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

set -m
python "$REPO_ROOT/tests/e2e/chaos.py" --hosts "${HOSTS:-200}" --forks "${FORKS:-25}" \
    --workdir "${CHAOS_DIR:-$REPO_ROOT/.cache/chaos}" &
chaos_pid=$!
set +m
stop_chaos() {
    if kill -0 "$chaos_pid" 2>/dev/null; then
        kill -TERM -- "-$chaos_pid" 2>/dev/null || true
        wait "$chaos_pid" 2>/dev/null || true
    fi
}
trap stop_chaos EXIT
trap 'exit 130' INT TERM
wait "$chaos_pid"
