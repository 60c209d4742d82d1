#!/usr/bin/env bash
# make chaos [HOSTS=200] [FORKS=25]: the fault run (tests/e2e/chaos.py): 200 simulated servers, 22 faulty, audited,
# applied, applied again and rolled back; prints the figures (JSON, then one line) and fails if anything was lost.
# Work files stay in $CHAOS_DIR (default .cache/chaos).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

run_in_group python "$REPO_ROOT/tests/e2e/chaos.py" --hosts "${HOSTS:-200}" --forks "${FORKS:-25}" \
    --workdir "${CHAOS_DIR:-$REPO_ROOT/.cache/chaos}"
