#!/usr/bin/env bash
# ansible-lint with the production profile on the role, the playbooks and the molecule scenarios.
# It runs on a copy of the collection placed under <tmp>/ansible_collections/legacy_exchange/exchange55,
# so that ansible-lint resolves legacy_exchange.exchange55.* from that tree and writes nothing into the checkout.
# Usage: tests/run/lint.sh [extra ansible-lint arguments]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/exchange55-lint.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$(make_collection_tree "$work")"
export ANSIBLE_COLLECTIONS_PATH="$work"
export ANSIBLE_HOME="$work/ansible-home"
[ -t 1 ] || export NO_COLOR=1
cd "$tree"
ansible-lint --version
ansible-lint --profile production --offline --strict "$@" roles/q294406 playbooks extensions/molecule
