#!/usr/bin/env bash
# Build the collection tarball with ansible-galaxy, install it into an empty collections
# path, and check that Ansible finds and documents its modules from there. Then the ecosystem's own
# checkers, each pinned in tests/constraints.txt, must have nothing to say:
#   galaxy-importer on the tarball (what Galaxy and Automation Hub run on upload), offline, with flake8
#   and ansible-lint on (tests/galaxy-importer.cfg); antsibull-docs lint-collection-docs --plugin-docs;
#   antsibull-changelog lint (fragments) and lint-changelog-yaml; ansible-builder create on
#   examples/execution-environment.yml, and the builder's own introspection of the installed collection.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

work="$(mktemp -d "${TMPDIR:-/tmp}/exchange55-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$(make_collection_tree "$work/src")"
# The docs-site pages are generated from the Markdown (tools/docsite.py): build from the current text, and say
# when the committed pages lag behind (make release regenerates and commits them).
python "$REPO_ROOT/tools/docsite.py" --check "$REPO_ROOT" >/dev/null 2>&1 \
    || echo "build-check: notice: docs/docsite/rst is older than its Markdown; python tools/docsite.py updates it"
python "$REPO_ROOT/tools/docsite.py" "$tree"
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

section "galaxy-importer $(python -c 'import importlib.metadata as m; print(m.version("galaxy-importer"))') on $(basename "$tarball")"
# It logs each finding (flake8, ansible-lint, docs, changelog, EE files) as a WARNING or ERROR line and
# exits 1 only when the import fails outright; any finding fails this check, with one deliberate exception:
# flake8's W503 (line break before a binary operator). galaxy-importer runs flake8 --isolated --select E,F,W,
# so no project configuration reaches it, and W503 is the one warning of that set that contradicts PEP 8, which
# recommends breaking before binary operators; pycodestyle and ansible-test's pep8 test leave it off. The
# collection follows PEP 8 there: W503 findings are listed as accepted, and Galaxy shows them as warnings only.
mkdir -p "$work/importer"
(cd "$work/importer" && GALAXY_IMPORTER_CONFIG="$REPO_ROOT/tests/galaxy-importer.cfg" \
    GALAXY_IMPORTER_ANSIBLE_LOCAL_TMP="$work/importer/tmp" GALAXY_IMPORTER_TMP_ROOT_DIR="$work/importer" \
    python -m galaxy_importer.main "$tarball") >"$work/importer.log" 2>&1 || status=$?
accepted='^WARNING: [^ ]+:[0-9]+:[0-9]+: W503 line break before binary operator$'
grep -v -E -e '^Loading ' -e '^Linting ' -e '^\.\.\.' -e "$accepted" "$work/importer.log" || true
w503=$(grep -cE "$accepted" "$work/importer.log" || true)
[ "$w503" -eq 0 ] || echo "accepted: $w503 flake8 W503 (line break before binary operator; PEP 8's recommended style)"
if [ "${status:-0}" -ne 0 ] || grep -E '^(WARNING|ERROR|CRITICAL)' "$work/importer.log" | grep -qvE "$accepted"; then
    echo "build-check: galaxy-importer reported the findings above (exit status ${status:-0})" >&2
    exit 1
fi
grep -q 'Importer processing completed successfully' "$work/importer.log"
grep -q 'via flake8' "$work/importer.log" || { echo "build-check: galaxy-importer did not run flake8" >&2; exit 1; }
grep -q 'via ansible-lint' "$work/importer.log" || { echo "build-check: galaxy-importer did not run ansible-lint" >&2; exit 1; }
echo "galaxy-importer: 0 findings besides the accepted W503 (flake8 and ansible-lint on)"

section "antsibull-docs lint-collection-docs --plugin-docs"
(cd "$tree" && antsibull-docs lint-collection-docs --plugin-docs .)
echo "antsibull-docs: 0 messages"

section "antsibull-changelog lint"
(cd "$tree" && antsibull-changelog lint && antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml)
echo "antsibull-changelog: 0 messages"

section "ansible-builder create -f examples/execution-environment.yml"
ansible-builder create -f "$tree/examples/execution-environment.yml" -c "$work/ee" --output-filename Containerfile
grep -q 'ansible-galaxy collection install' "$work/ee/Containerfile"
python - "$work/ee/_build/requirements.yml" <<'PY'
import sys, yaml
names = [c['name'] for c in yaml.safe_load(open(sys.argv[1]))['collections']]
assert 'legacy_exchange.exchange55' in names, f'the EE does not install the collection: {names}'
PY
# What the image build's introspection step will install, from the collection as Galaxy ships it.
python "$work/ee/_build/scripts/introspect.py" introspect "$work/collections" --write-pip "$work/ee-pip.txt" >/dev/null
for package in pywinrm pyspnego impacket pefile; do
    grep -q "^$package" "$work/ee-pip.txt" || { echo "build-check: the EE would not install $package (introspection: $(tr '\n' ' ' <"$work/ee-pip.txt"))" >&2; exit 1; }
done
echo "ansible-builder: the build context installs the collection and, through it, $(grep -c . "$work/ee-pip.txt") Python requirements"
