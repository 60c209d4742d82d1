#!/usr/bin/env bash
# molecule test of the role's default scenario (extensions/molecule/default: a simulated fleet on 127.0.71.x):
# destroy, syntax, create, converge, idempotence, verify, destroy. It runs on a copy of the collection placed
# under <tmp>/ansible_collections/legacy_exchange/exchange55, which is also the collections path molecule uses.
# Usage: tests/run/molecule.sh [extra molecule test arguments]
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/exchange55-molecule.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$(make_collection_tree "$work")"
export ANSIBLE_COLLECTIONS_PATH="$work"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_LOCAL_TEMP="$work/ansible-tmp"
export ANSIBLE_HOME="$work/ansible-home"
export MOLECULE_NO_LOG=true
[ -t 1 ] || export NO_COLOR=1
cd "$tree"
molecule test --scenario-name default "$@"
