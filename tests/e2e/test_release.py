# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make release VERSION=x.y.z`, run on a copy of this checkout: galaxy.yml, changelogs/changelog.yaml, CHANGELOG.md
and the tarball agree; a release takes exactly the fragments present at that time, and later ones make the next."""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile

import yaml
from packaging.version import Version

from fleetctl import REPO_ROOT

FRAGMENT = ('---\nbugfixes:\n  - server_info - a change made after the release under test '
            '(https://example.invalid/test-release).\n')


def copy_checkout(dest):
    """The tracked and untracked (not ignored) files of this checkout, as a git repository of their own."""
    names = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], cwd=REPO_ROOT,
                           check=True, capture_output=True).stdout.decode().split('\0')
    for name in filter(None, names):
        source = os.path.join(REPO_ROOT, name)
        if os.path.isfile(source):
            os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
            shutil.copy2(source, os.path.join(dest, name))
    for command in (['init', '-q'], ['add', '-A']):
        subprocess.run(['git', *command], cwd=dest, check=True)


def make_release(checkout, version):
    env = dict(os.environ, VENV=os.environ.get('VENV', os.path.join(REPO_ROOT, '.venv')), RELEASE_DATE='2026-12-01')
    return subprocess.run(['bash', 'tools/release.sh', version], cwd=checkout, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL, check=False)


def load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle)


def fragments(checkout):
    # git keeps no empty directory: right after a release a clone has no changelogs/fragments/ at all.
    directory = os.path.join(checkout, 'changelogs', 'fragments')
    os.makedirs(directory, exist_ok=True)
    return sorted(os.listdir(directory))


def test_release_records_the_fragments_of_its_time_and_later_ones_go_to_the_next(tmp_path):
    checkout = str(tmp_path / 'checkout')
    copy_checkout(checkout)
    galaxy_version = load(os.path.join(checkout, 'galaxy.yml'))['version']
    released = load(os.path.join(checkout, 'changelogs', 'changelog.yaml')).get('releases') or {}
    if galaxy_version not in released:
        # The version galaxy.yml announces is not released yet (0.1.0 before its release): release it first.
        if not fragments(checkout):
            with open(os.path.join(checkout, 'changelogs', 'fragments', 'first.yml'), 'w', encoding='utf-8') as handle:
                handle.write(FRAGMENT)
        first = make_release(checkout, galaxy_version)
        assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-3000:]
        assert fragments(checkout) == []
    major, minor, patch = Version(galaxy_version).release
    version = f'{major}.{minor}.{patch + 1}'

    for name in fragments(checkout):   # fragments that other work added since the last release: not under test
        os.unlink(os.path.join(checkout, 'changelogs', 'fragments', name))
    # Bad input: one line that says what to do, and nothing changed.
    for bad, says in (('1.0', 'semantic versioning'), (galaxy_version, 'already released'), (version, 'nothing to release')):
        refused = make_release(checkout, bad)
        assert refused.returncode != 0 and says in refused.stderr, (bad, refused.stderr)
    assert load(os.path.join(checkout, 'galaxy.yml'))['version'] == galaxy_version

    with open(os.path.join(checkout, 'changelogs', 'fragments', 'later.yml'), 'w', encoding='utf-8') as handle:
        handle.write(FRAGMENT)
    before = load(os.path.join(checkout, 'changelogs', 'changelog.yaml'))['releases']
    result = make_release(checkout, version)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    assert load(os.path.join(checkout, 'galaxy.yml'))['version'] == version
    releases = load(os.path.join(checkout, 'changelogs', 'changelog.yaml'))['releases']
    assert {v: releases[v] for v in before} == before, 'an earlier release was rewritten'
    assert releases[version]['changes'] == {'bugfixes': [yaml.safe_load(FRAGMENT)['bugfixes'][0]]}
    assert releases[version]['fragments'] == ['later.yml']
    assert fragments(checkout) == []
    # Every release so far is in CHANGELOG.md, the newest first; the role shows under "New Roles" in its release.
    changelog = open(os.path.join(checkout, 'CHANGELOG.md'), encoding='utf-8').read()
    headings = [line for line in changelog.splitlines() if line.startswith('## v')]
    assert headings[0] == '## v' + version.replace('.', '\\.')
    assert len(headings) == len(releases)
    first_release = min(releases, key=Version)
    assert [role['name'] for role in releases[first_release]['objects']['role']] == ['q294406']
    assert '### New Roles' in changelog and 'legacy\\_exchange\\.exchange55\\.q294406 \\- ' in changelog

    tarball = os.path.join(checkout, 'build', f'legacy_exchange-exchange55-{version}.tar.gz')
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
        manifest = archive.extractfile('MANIFEST.json').read().decode()
    assert f'"version": "{version}"' in manifest
    assert 'CHANGELOG.md' in names and 'changelogs/changelog.yaml' in names
    assert not any(name.startswith(('tools/', 'changelogs/fragments/')) and name.endswith('.yml') for name in names)

    lint = subprocess.run([os.path.join(os.environ.get('VENV', os.path.join(REPO_ROOT, '.venv')), 'bin', 'antsibull-changelog'),
                           'lint'], cwd=checkout, capture_output=True, text=True, check=False)
    assert lint.returncode == 0 and lint.stdout.strip() == '', lint.stdout + lint.stderr
