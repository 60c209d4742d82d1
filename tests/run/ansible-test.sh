#!/usr/bin/env bash
# Run ansible-test (sanity or units) on a copy of the collection placed under
# <tmp>/ansible_collections/legacy_exchange/exchange55, as ansible-test requires.
# Usage: tests/run/ansible-test.sh sanity|units [extra ansible-test arguments]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

command="${1:?usage: ansible-test.sh sanity|units [args]}"
shift
work="$(mktemp -d "${TMPDIR:-/tmp}/exchange55-ansible-test.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$(make_collection_tree "$work")"
install_get_pip_standin
cd "$tree"
status=0

case "$command" in
    sanity)
        # Every sanity test that applies to this collection, on the controller's Python
        # (all modules are controller-side action plugins: tests/config.yml says so).
        # --requirements lets ansible-test build each test's own virtualenv.
        ansible-test sanity --venv --python 3.11 --requirements --color no "$@" 2>&1 | tee "$work/sanity.log" || status=$?
        ran=$(grep -c '^Running sanity test' "$work/sanity.log" || true)
        if [ "$status" -eq 0 ]; then
            echo "ansible-test sanity: ${ran} passed, 0 failed"
        else
            failed_tests=$(sed -n '/sanity test(s) listed below/,/^FATAL: Command/p' "$work/sanity.log" | grep -v -e '^FATAL' | tr '\n' ' ')
            echo "ansible-test sanity: ${ran} run; failed: ${failed_tests:-see the output above}"
        fi
        ;;
    units)
        ansible-test units --venv --python 3.11 --requirements --color no "$@" || status=$?
        ;;
    *)
        echo "ansible-test.sh: unknown command '$command': use sanity or units" >&2
        exit 2
        ;;
esac
# tests/output/<command> (or $ANSIBLE_TEST_OUTPUT_NAME, which the 2.16 floor sets) keeps ansible-test's output.
output="$REPO_ROOT/tests/output/${ANSIBLE_TEST_OUTPUT_NAME:-$command}"
mkdir -p "$REPO_ROOT/tests/output"
rm -rf "$output"
cp -r "$tree/tests/output" "$output" 2>/dev/null || true
exit $status
