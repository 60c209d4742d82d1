#!/usr/bin/env bash
# The tested floor: meta/runtime.yml claims requires_ansible ">=2.16.0", so the oldest ansible-core it
# admits runs the same proofs as the default one, in a virtualenv of its own (VENV_FLOOR, default .venv-2.16,
# built by `make venv-floor` from tests/requirements-ansible-2.16.txt + tests/constraints-ansible-2.16.txt):
#   1. ansible-test sanity (every test that applies) with ansible-core 2.16's own ansible-test;
#   2. the demo's audit/apply/audit cycle with ansible-core 2.16's ansible-playbook, held to the same
#      assertions as on the default ansible-core (tests/e2e/test_demo.py).
# Usage: tests/run/floor.sh [sanity|demo]   (both when no argument; the demo starts servers on loopback)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
floor="${VENV_FLOOR:-$REPO_ROOT/.venv-2.16}"
[ -x "$floor/bin/ansible-playbook" ] || { echo "floor: $floor has no ansible-core: run 'make venv-floor' first" >&2; exit 2; }
version="$("$floor/bin/python" -c 'import ansible.release as r; print(r.__version__)')"
echo "floor: ansible-core $version in $floor"
case "$version" in 2.16.*) ;; *) echo "floor: $floor holds ansible-core $version, not 2.16" >&2; exit 2 ;; esac
what="${1:-all}"
status=0
if [ "$what" = all ] || [ "$what" = sanity ]; then
    section "ansible-test sanity on ansible-core $version"
    start=$SECONDS
    VENV="$floor" ANSIBLE_TEST_OUTPUT_NAME=sanity-2.16 "$REPO_ROOT/tests/run/ansible-test.sh" sanity || status=1
    echo "floor: sanity on ansible-core $version took $((SECONDS - start)) s"
fi
if [ "$what" = all ] || [ "$what" = demo ]; then
    section "the demo's audit/apply/audit cycle on ansible-core $version"
    start=$SECONDS
    EXCHANGE55_DEMO_VENV="$floor" EXCHANGE55_DEMO_ANSIBLE="$version" \
        "$REPO_ROOT/tests/run/pytest-suite.sh" floor-demo tests/e2e/test_demo.py || status=1
    echo "floor: the demo cycle on ansible-core $version took $((SECONDS - start)) s"
fi
exit $status
