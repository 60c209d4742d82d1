#!/usr/bin/env bash
# The whole test suite: every suite runs even when an earlier one fails; a summary
# at the end names each suite's result, and the exit status is non-zero if any failed.
set -uo pipefail
source "$(dirname "$0")/lib.sh"

declare -a results=()
rm -rf "$REPO_ROOT/tests/output/junit" "$REPO_ROOT/tests/output/units"
failed=0

run_suite() {
    local name="$1"; shift
    section "$name"
    local start=$SECONDS
    if "$@"; then
        results+=("PASS  $name  ($((SECONDS - start)) s)")
    else
        results+=("FAIL  $name  ($((SECONDS - start)) s)")
        failed=$((failed + 1))
    fi
}

run_suite "ansible-test sanity" "$REPO_ROOT/tests/run/ansible-test.sh" sanity
run_suite "ansible-test units" "$REPO_ROOT/tests/run/ansible-test.sh" units
run_suite "galaxy build/install, galaxy-importer, antsibull-docs/-changelog lint, ansible-builder" "$REPO_ROOT/tests/run/build-check.sh"
run_suite "ansible-core 2.16 floor: sanity + demo audit/apply/audit" "$REPO_ROOT/tests/run/floor.sh"
run_suite "simulator (WS-Man server vs pywinrm and pypsrp)" "$REPO_ROOT/tests/run/pytest-suite.sh" simulator tests/simulator/tests
run_suite "smb transport vs real Samba" "$REPO_ROOT/tests/run/pytest-suite.sh" smbhost tests/smbhost/tests
run_suite "modules and role end to end (ansible-playbook, winrm + smb)" "$REPO_ROOT/tests/run/pytest-suite.sh" e2e tests/e2e
run_suite "molecule default scenario" "$REPO_ROOT/tests/run/molecule.sh"
run_suite "ansible-lint --profile production" "$REPO_ROOT/tests/run/lint.sh"

section "summary"
printf '%s\n' "${results[@]}"
passed=$(( ${#results[@]} - failed ))
shopt -s nullglob
python "$REPO_ROOT/tests/run/junit_summary.py" "$REPO_ROOT"/tests/output/junit/*.xml "$REPO_ROOT"/tests/output/units/junit/*.xml
echo "suites: ${passed} passed, ${failed} failed"
[ "$failed" -eq 0 ]
