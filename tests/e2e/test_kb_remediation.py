# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb_remediation role with real ansible-playbook (playbooks/kb_remediation.yml) in --check on the demo fleet
(examples/demo-fleet.yml): nothing changes, the report has a hosts x KBs table, and the summary prints it."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fleetctl import REPO_ROOT, Fleet

DEMO_FLEET = os.path.join(REPO_ROOT, 'examples', 'demo-fleet.yml')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'kb_remediation.yml')
IDS = ['Q294406', 'Q243581', 'Q195203', 'Q285023', 'Q192593', 'Q223161', 'Q194131', 'Q258745', 'Q157420', 'Q185693']
KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'


@pytest.fixture(scope='module')
def audit(tmp_path_factory, env_factory):
    workdir = tmp_path_factory.mktemp('kb-remediation')
    fleet = Fleet('winrm', DEMO_FLEET, str(workdir), '127.0.95')
    try:
        before = {host: fleet.registry(host, KEY) for host in fleet.hosts()}
        extra = {'kb_remediation_ids': IDS, 'kb_remediation_params': {'Q285023': {'enable_ttl': 1}, 'Q223161': {'zero_on_backup': True}},
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
    assert matrix['ids'] == IDS
    rows = {row['host']: row['statuses'] for row in matrix['rows']}
    assert rows['exch-hq01']['Q294406'] == 'compliant' and rows['exch-hq02']['Q294406'] == 'needs_change'
    assert rows['exch-branch02']['Q294406'] == 'blocked' and rows['exch-extranet']['Q294406'] == 'not_applicable'
    assert set(rows['fileserver01'].values()) == {'not_applicable'}
    # The demo servers model only what Q294406 reads: no ParametersPublic or ParametersSystem, no connectors.
    for kb in IDS[1:]:
        assert rows['exch-hq02'][kb] == 'not_applicable', (kb, rows['exch-hq02'])


def test_summary_prints_the_table(audit):
    out = audit['run'].stdout
    assert 'server         Q294406  Q243581  Q195203' in out, out[-4000:]
    assert 'exch-branch02  BLOCK' in out
