#!/usr/bin/env bash
# Build the collection tarball with ansible-galaxy, install it into an empty collections
# path, and check that Ansible finds and documents its modules from there.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/exchange55-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$(make_collection_tree "$work/src")"
ansible-galaxy collection build "$tree" --output-path "$work/dist"
tarball="$(ls "$work"/dist/legacy_exchange-exchange55-*.tar.gz)"
# Nothing of the test output, virtualenvs or CI files may ship.
if tar -tzf "$tarball" | grep -E '(^|/)(\.venv|tests/output|\.ci|__pycache__)(/|$)'; then
    echo "build-check: the tarball contains files that build_ignore should exclude (listed above)" >&2
    exit 1
fi
ansible-galaxy collection install "$tarball" -p "$work/collections"
export ANSIBLE_COLLECTIONS_PATH="$work/collections"
ansible-galaxy collection list legacy_exchange.exchange55 -p "$work/collections"
for path in "$tree"/plugins/modules/*.py; do
    module="$(basename "$path" .py)"
    ansible-doc "legacy_exchange.exchange55.$module" >"$work/doc.txt"
    grep -q "legacy_exchange.exchange55.$module" "$work/doc.txt" || { echo "build-check: ansible-doc did not render $module" >&2; exit 1; }
    echo "ansible-doc renders legacy_exchange.exchange55.$module from the installed tarball"
done
echo "build-check: $(basename "$tarball") builds, installs and documents its modules"
