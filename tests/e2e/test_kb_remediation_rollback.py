# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb_remediation role's rollback entry point with real ansible-playbook, over winrm and smb: the apply
(playbooks/kb_remediation.yml) backs up and changes two servers; playbooks/kb_remediation_rollback.yml in --check
changes nothing, then puts every value back exactly, and skips the servers that have no backup record."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from fleetctl import REPO_ROOT, Fleet, require_transport

APPLY = os.path.join(REPO_ROOT, 'playbooks', 'kb_remediation.yml')
ROLLBACK = os.path.join(REPO_ROOT, 'playbooks', 'kb_remediation_rollback.yml')
FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'kb_guarantees.yml')
SUBNETS = {'winrm': '127.0.99', 'smb': '127.0.100'}
SERVICES = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS'
KEYS = (SERVICES + '\\ParametersPrivate', SERVICES + '\\ParametersPublic')
HOSTS = ('kbg_sp3', 'kbg_running', 'kbg_stopped', 'kbg_lowercase')


def playbook(path, inventory, env, extra, *args):
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory, path, '-e', json.dumps(extra), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def runs(request, tmp_path_factory, env_factory):
    require_transport(request.param)
    workdir = tmp_path_factory.mktemp(f'kb-rollback-{request.param}')
    fleet = Fleet(request.param, FLEET_FILE, str(workdir), SUBNETS[request.param])
    request.addfinalizer(fleet.stop)
    env = env_factory(workdir)

    def state():
        return {host: {key: fleet.registry(host, key) for key in KEYS} for host in HOSTS}

    extra = {'kb_remediation_ids': ['Q243581'], 'kb_remediation_backup_dir': str(workdir / 'backups'),
             'kb_remediation_report_dir': str(workdir / 'reports'), 'kb_remediation_owa_ssl_required': 'true'}
    out = {'initial': state()}
    out['apply'] = playbook(APPLY, fleet.inventory, env, extra, '--limit', 'kbg_sp3,kbg_running')
    out['applied'] = state()
    out['check'] = playbook(ROLLBACK, fleet.inventory, env, extra, '--check', '--diff')
    out['after_check'] = state()
    out['rollback'] = playbook(ROLLBACK, fleet.inventory, env, extra)
    out['after_rollback'] = state()
    out['again'] = playbook(ROLLBACK, fleet.inventory, env, extra)
    out['empty'] = playbook(ROLLBACK, fleet.inventory, env, dict(extra, kb_remediation_backup_dir=str(workdir / 'none')))
    return out


def test_the_apply_changed_the_two_servers(runs):
    assert runs['apply'].returncode == 0, runs['apply'].stdout[-3000:]
    for host in ('kbg_sp3', 'kbg_running'):
        assert runs['applied'][host][KEYS[0]]['Background Cleanup'] == {'type': 'REG_DWORD', 'data': 60000}, host


def test_rollback_in_check_mode_changes_nothing(runs):
    assert runs['check'].returncode == 0, runs['check'].stdout[-3000:]
    assert runs['after_check'] == runs['applied']
    assert 'Background Cleanup = REG_DWORD 0x00000000 (0)' in runs['check'].stdout


def test_rollback_puts_every_value_back_and_skips_hosts_without_records(runs):
    assert runs['rollback'].returncode == 0, runs['rollback'].stdout[-3000:]
    assert runs['after_rollback'] == runs['initial']
    out = runs['rollback'].stdout
    assert 'No backup record for kbg_stopped under' in out and 'No backup record for kbg_lowercase under' in out
    assert 'kbg_running                : ok=' in out and 'changed=1' in out


def test_a_second_rollback_restores_the_same_prior_state_and_changes_nothing(runs):
    assert runs['again'].returncode == 0, runs['again'].stdout[-3000:]
    assert 'changed=1' not in runs['again'].stdout


def test_no_record_anywhere_fails_once_naming_the_directory(runs):
    assert runs['empty'].returncode != 0
    assert 'Nothing to restore: no host of this play has a backup record under' in runs['empty'].stdout
