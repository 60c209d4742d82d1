#!/usr/bin/env bash
# make release VERSION=x.y.z: record release x.y.z and build its tarball.
#   1. checks VERSION (semantic x.y.z, not released yet, not older than galaxy.yml's version) and that there are
#      changelog fragments to release;
#   2. sets `version:` in galaxy.yml;
#   3. antsibull-changelog release: the fragments in changelogs/fragments/ become release x.y.z in
#      changelogs/changelog.yaml (with the modules and roles whose version_added is x.y.z), CHANGELOG.md is
#      regenerated, and the released fragments are removed (changelogs/config.yaml: keep_fragments: false), so
#      fragments added later make up the next release;
#   4. lints the changelog, and builds build/legacy_exchange-exchange55-x.y.z.tar.gz from the tracked files.
# It commits nothing: review `git status` / `git diff`, then commit and tag (the last lines say how).
# RELEASE_DATE=YYYY-MM-DD overrides the release date (default: today, UTC).
set -euo pipefail
source "$(dirname "$0")/../tests/run/lib.sh"
cd "$REPO_ROOT"

version="${1:-${VERSION:-}}"
if ! [[ "$version" =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]]; then
    echo "release: give the version as VERSION=x.y.z (semantic versioning, e.g. make release VERSION=0.2.0), not '${version}'" >&2
    exit 2
fi
current="$(python -c 'import yaml; print(yaml.safe_load(open("galaxy.yml"))["version"])')"
python - "$version" "$current" <<'PY'
import sys, yaml
from packaging.version import Version
new, current = sys.argv[1:]
released = (yaml.safe_load(open('changelogs/changelog.yaml')) or {}).get('releases') or {}
if new in released:
    sys.exit(f'release: {new} is already released (changelogs/changelog.yaml); choose the next version')
newer = [v for v in released if Version(v) > Version(new)]
if newer:
    sys.exit(f'release: {new} is older than the released {max(newer, key=Version)}; choose a newer version')
if Version(new) < Version(current):
    sys.exit(f'release: {new} is older than galaxy.yml\'s version {current}; choose {current} or newer')
PY
shopt -s nullglob
fragments=(changelogs/fragments/*.yml changelogs/fragments/*.yaml)
if [ "${#fragments[@]}" -eq 0 ]; then
    echo "release: changelogs/fragments/ is empty: nothing to release (add a fragment that says what changed)" >&2
    exit 1
fi

section "release $version (galaxy.yml had $current; ${#fragments[@]} changelog fragments)"
antsibull-changelog lint
# Only the version line changes; the rest of galaxy.yml stays as it is.
sed -i -E "s/^version: .*/version: $version/" galaxy.yml
grep -qx "version: $version" galaxy.yml
antsibull-changelog release --version "$version" ${RELEASE_DATE:+--date "$RELEASE_DATE"}
antsibull-changelog lint
antsibull-changelog lint-changelog-yaml changelogs/changelog.yaml
python - "$version" <<'PY'
import sys, yaml
version = sys.argv[1]
release = yaml.safe_load(open('changelogs/changelog.yaml'))['releases'][version]
assert release.get('changes') or release.get('modules') or release.get('objects'), f'release {version} records nothing'
assert f'v{version}'.replace('.', '\\.') in open('CHANGELOG.md').read(), f'CHANGELOG.md has no section for {version}'
PY

section "the docs-site pages, from their Markdown (tools/docsite.py)"
python tools/docsite.py

section "build the tarball"
work="$(mktemp -d "${TMPDIR:-/tmp}/exchange55-release.XXXXXX")"
trap 'rm -rf "$work"' EXIT
tree="$(make_collection_tree "$work/src")"
mkdir -p build
ansible-galaxy collection build "$tree" --output-path build --force
tarball="build/legacy_exchange-exchange55-$version.tar.gz"
[ -f "$tarball" ]
echo
echo "release: $version recorded in changelogs/changelog.yaml and CHANGELOG.md; tarball $tarball"
echo "next:    git add -A galaxy.yml CHANGELOG.md changelogs docs/docsite && git commit -m 'Release $version' && git tag $version"
