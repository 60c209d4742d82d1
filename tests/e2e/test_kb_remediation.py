# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb_remediation role with real ansible-playbook (playbooks/kb_remediation.yml) in --check on the demo fleet
(examples/demo-fleet.yml): nothing changes, the report has a hosts x KBs table, and the summary prints it.

Every cell of the table is checked against what the fleet file says each server holds: :func:`expected` reads the
fleet (through the simulator's own parser) and the catalog's data (docs/catalog.md: the keys, files, service packs and
conditions of each entry), and decides each status with the rules of docs/catalog.md, without the collection's code."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_catalog import ENTRIES
from fleetctl import REPO_ROOT, Fleet

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'simulator'))
from winsim.fleetfile import load_fleet  # noqa: E402  pylint: disable=wrong-import-position,import-error

DEMO_FLEET = os.path.join(REPO_ROOT, 'examples', 'demo-fleet.yml')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'kb_remediation.yml')
KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
# What `make demo` audits (the whole catalog, with its declarations), read from the file the demo uses.
with open(os.path.join(REPO_ROOT, 'examples', 'demo-kbs.yml'), encoding='utf-8') as _handle:
    DEMO_KBS = yaml.safe_load(_handle)
IDS = DEMO_KBS['kb_remediation_ids']
PARAMS = DEMO_KBS['kb_remediation_params']
SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
CURRENT_VERSION = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
SERVICES = 'HKLM\\SYSTEM\\CurrentControlSet\\Services'
SERVICE_PACKS = {1960: 0, 2232: 1, 2448: 2, 2650: 3, 2653: 4}      # ServicePackBuild of each release (Q158530)


def expected(host, entry: dict, params: dict) -> str:
    """The status docs/catalog.md gives ``entry`` on the fleet-file ``host`` (a Exchange 5.5 server or none)."""
    registry = {key.lower(): {name.lower(): record for name, record in values.items()} for key, values in host.registry.items()}

    def exists(key):
        return any(known == key.lower() or known.startswith(key.lower() + '\\') for known in registry)

    def value(key, name):
        return registry.get(key.lower(), {}).get(name.lower())

    if SETUP.lower() not in registry:
        return 'not_applicable'
    applies = entry['applies_to']
    if not all(exists(key) for key in [f'{SERVICES}\\{applies["component"]}'] + [c['key'] for c in entry['changes']]):
        return 'not_applicable'
    blocked = False
    condition = entry['condition']
    if condition is not None:
        name = condition['input']
        declared = host.owa_ssl_required if name == 'owa_ssl_only' else params.get(name)
        if declared is False:
            return 'not_applicable'
        blocked = declared is None
    need = applies['min_service_pack']
    if need is not None and SERVICE_PACKS[value(SETUP, 'ServicePackBuild')['data']] < need:
        blocked = True
    for item in applies['files']:
        if 'folder' in item:
            root = value(CURRENT_VERSION, 'SystemRoot') if item.get('root') == 'system' else value(SETUP, 'Services')
            path = f'{root["data"]}\\{item["folder"]}\\{item["name"]}'
        else:
            image = value(f'{SERVICES}\\{applies["component"]}', 'ImagePath')['data']
            path = image if 'image_of' in item else image.rsplit('\\', 1)[0] + '\\' + item['name']
        found = host.files.get(path.lower())
        want = [int(part) for part in (item['min_version'] + ('.0' if item['min_version'].count('.') == 2 else '')).split('.')]
        if found is None or found.version is None or [int(part) for part in found.version.split('.')] < want:
            blocked = True
    if blocked:
        return 'blocked'
    for change in entry['changes']:
        current = value(change['key'], change['name'])
        if 'only_when' in change and current != change['only_when']:
            continue
        spec = change.get('choice') or change.get('range')
        wanted = {'type': change['type'], 'data': change['data'] if 'data' in change else params[spec['param']]}
        if current != wanted:
            return 'needs_change'
    return 'compliant'


@pytest.fixture(scope='module')
def audit(tmp_path_factory, env_factory):
    workdir = tmp_path_factory.mktemp('kb-remediation')
    fleet = Fleet('winrm', DEMO_FLEET, str(workdir), '127.0.95')
    try:
        before = {host: fleet.registry(host, KEY) for host in fleet.hosts()}
        extra = {'kb_remediation_ids': IDS, 'kb_remediation_params': PARAMS,
                 'kb_remediation_report_dir': str(workdir / 'reports'), 'kb_remediation_report_name': 'demo-audit',
                 'kb_remediation_backup_dir': str(workdir / 'backups')}
        command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', fleet.inventory, PLAYBOOK, '--check',
                   '-e', json.dumps(extra)]
        run = subprocess.run(command, env=env_factory(workdir), capture_output=True, text=True, timeout=600, check=False,
                             stdin=subprocess.DEVNULL)
        after = {host: fleet.registry(host, KEY) for host in fleet.hosts()}
    finally:
        fleet.stop()
    with open(workdir / 'reports' / 'demo-audit.json', encoding='utf-8') as handle:
        report = json.load(handle)
    return {'run': run, 'report': report, 'before': before, 'after': after}


def test_check_run_changes_nothing_and_succeeds(audit):
    assert audit['run'].returncode == 0, audit['run'].stdout[-3000:] + audit['run'].stderr[-2000:]
    assert audit['after'] == audit['before']


def test_report_has_a_hosts_by_kbs_table(audit):
    matrix = audit['report']['kbs']
    assert matrix['ids'] == IDS == [entry['id'] for entry in ENTRIES]        # the demo audits the whole catalog
    rows = {row['host']: row['statuses'] for row in matrix['rows']}
    assert rows['exch-hq01']['Q294406'] == 'compliant' and rows['exch-hq02']['Q294406'] == 'needs_change'
    assert rows['exch-branch02']['Q294406'] == 'blocked' and rows['exch-extranet']['Q294406'] == 'not_applicable'
    assert set(rows['fileserver01'].values()) == {'not_applicable'}


def test_every_cell_is_what_the_demo_fleet_models(audit):
    rows = {row['host']: row['statuses'] for row in audit['report']['kbs']['rows']}
    hosts = {host.name: host for host in load_fleet(DEMO_FLEET)}
    entries = {entry['id']: entry for entry in ENTRIES}
    want = {name: {kb: expected(host, entries[kb], PARAMS.get(kb, {})) for kb in IDS} for name, host in hosts.items()}
    assert rows == want
    # The demo shows every status of an audit, and each KB applies (or is blocked) somewhere.
    assert {status for row in want.values() for status in row.values()} == {'compliant', 'needs_change', 'not_applicable',
                                                                            'blocked'}
    for kb in IDS:
        assert {row[kb] for row in want.values()} != {'not_applicable'}, kb


def test_summary_prints_the_table(audit):
    out = audit['run'].stdout
    assert 'server         Q294406  Q243581  Q195203' in out, out[-4000:]
    assert 'exch-branch02  BLOCK' in out
