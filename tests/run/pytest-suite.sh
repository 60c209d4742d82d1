#!/usr/bin/env bash
# Run one pytest suite of the project with the project's virtualenv, writing JUnit XML
# to tests/output/junit/<name>.xml. Usage: tests/run/pytest-suite.sh NAME PATH [pytest args]
set -euo pipefail
source "$(dirname "$0")/lib.sh"
name="${1:?usage: pytest-suite.sh NAME PATH [pytest args]}"
path="${2:?usage: pytest-suite.sh NAME PATH [pytest args]}"
shift 2
mkdir -p "$REPO_ROOT/tests/output/junit"
cd "$REPO_ROOT"
# Let test code import the collection as ansible_collections.legacy_exchange.exchange55.
collections="$REPO_ROOT/tests/output/collections"
mkdir -p "$collections/ansible_collections/legacy_exchange"
ln -sfn "$REPO_ROOT" "$collections/ansible_collections/legacy_exchange/exchange55"
export PYTHONPATH="$collections${PYTHONPATH:+:$PYTHONPATH}"
exec python -m pytest "$path" -p no:cacheprovider -rfEs --junitxml="tests/output/junit/$name.xml" "$@"
