# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb module's Q294406 guarantees with real ansible-playbook on simulated servers, over winrm and smb
(tests/e2e/fleets/kb_guarantees.yml): a blocked KB with a change fails the task (error_kind blocked) and is written only
with ignore_prerequisites; restart_services restarts the Information Store after the change (over smb the Samba hosts
register no MSExchangeIS, so the restart fails with not_found after the values were written and verified); a restore
writes a value back under the spelling its backup recorded."""

from __future__ import annotations

import json
import os

import pytest

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

PLAYBOOK = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'kb.yml')
RENAME = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'kb_rename.yml')
FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'kb_guarantees.yml')
SUBNETS = {'winrm': '127.0.97', 'smb': '127.0.98'}
PRIVATE = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
FIXED = {'type': 'REG_DWORD', 'data': 60000}
ZERO = {'type': 'REG_DWORD', 'data': 0}


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def runs(request, tmp_path_factory, env_factory):
    require_transport(request.param)
    workdir = tmp_path_factory.mktemp(f'kbg-{request.param}')
    fleet = Fleet(request.param, FLEET_FILE, str(workdir), SUBNETS[request.param])
    request.addfinalizer(fleet.stop)
    env = env_factory(workdir)
    results = str(workdir / 'results')
    base = {'kb_ids': ['Q294406', 'Q243581'], 'owa_ssl_required': 'true'}
    out = {'fleet': fleet, 'transport': request.param}

    def run(name, *args, **extra):
        return run_playbook(PLAYBOOK, fleet.inventory, env, f'{results}-{name}', *args, extra_vars=dict(base, **extra))

    out['blocked'] = run('blocked', '--check', '--limit', 'kbg_sp3', fail_on_blocked=True)
    out['reported'] = run('reported', '--check', '--limit', 'kbg_sp3')
    out['ignored'] = run('ignored', '--limit', 'kbg_sp3', fail_on_blocked=True, ignore_prerequisites=True, backup=True,
                         backup_dir=str(workdir / 'backups'))
    out['sp3_after'] = fleet.registry('kbg_sp3', PRIVATE)
    out['restart'] = run('restart', '--limit', 'kbg_running,kbg_stopped', kb_ids=['Q243581'], restart_services=True,
                         restart_timeout=30)
    out['restart_after'] = {host: fleet.registry(host, PRIVATE) for host in ('kbg_running', 'kbg_stopped')}
    out['lower_apply'] = run('lower-apply', '--limit', 'kbg_lowercase', kb_ids=['Q243581'], backup=True,
                             backup_dir=str(workdir / 'backups'))
    out['lower_after_apply'] = fleet.registry('kbg_lowercase', PRIVATE)
    out['rename'] = run_playbook(RENAME, fleet.inventory, env, f'{results}-rename', '--limit', 'kbg_lowercase', extra_vars={
        'rename_hosts': ['kbg_lowercase'], 'rename_key': PRIVATE, 'rename_from': 'background cleanup',
        'rename_to': 'BACKGROUND CLEANUP', 'rename_data': 60000})
    out['lower_after_rename'] = fleet.registry('kbg_lowercase', PRIVATE)
    records = [item['backup_record'] for item in out['lower_apply'].results['kbg_lowercase']['kb']['Q243581']['backups']]
    out['records'] = records
    out['lower_restore'] = run('lower-restore', '--diff', '--limit', 'kbg_lowercase', kb_ids=['Q243581'],
                               restore_records={'kbg_lowercase': records})
    out['lower_after_restore'] = fleet.registry('kbg_lowercase', PRIVATE)
    return out


def test_a_blocked_kb_with_a_change_fails_the_task_with_one_line_naming_it(runs):
    result = runs['blocked'].results['kbg_sp3']
    assert result['failed'] is True and result['error_kind'] == 'blocked', result
    assert result['msg'].startswith('KB prerequisites not met, nothing was written for Q294406: Q294406: '), result['msg']
    assert 'needs Service Pack 4' in result['msg'] and '\n' not in result['msg']
    assert result['kb']['Q294406']['status'] == 'blocked' and result['kb']['Q243581']['status'] == 'needs_change'


def test_fail_on_blocked_false_reports_the_blocked_kb_without_failing(runs):
    result = runs['reported'].results['kbg_sp3']
    assert not result.get('failed'), result
    assert result['kb']['Q294406']['status'] == 'blocked'


def test_ignore_prerequisites_writes_the_blocked_kb_and_backs_it_up(runs):
    result = runs['ignored'].results['kbg_sp3']
    assert not result.get('failed'), result
    assert runs['sp3_after']['OWA Url Protocol'] == {'type': 'REG_SZ', 'data': 'https:'}
    assert runs['sp3_after']['Background Cleanup'] == FIXED
    entry = result['kb']['Q294406']
    assert entry['status'] == 'blocked' and entry['backups'] and result['changed'] is True     # as owa_url_protocol
    with open(entry['backups'][0]['backup_record'], encoding='utf-8') as handle:
        assert json.load(handle)['prior'] is None


def test_restart_services_restarts_the_information_store_after_the_change(runs):
    running = runs['restart'].results['kbg_running']
    stopped = runs['restart'].results['kbg_stopped']
    for host in ('kbg_running', 'kbg_stopped'):
        assert runs['restart_after'][host]['Background Cleanup'] == FIXED, host
    if runs['transport'] == 'smb':
        # tests/smbhost/README.md: Samba registers no MSExchangeIS, so the server says there is no such service
        for result in (running, stopped):
            assert result['failed'] is True and result['error_kind'] == 'not_found', result
            assert 'the values were written and verified, but restarting MSExchangeIS failed' in result['msg']
            assert result['restart_required'] is True and result['kb']['Q243581']['restarted'] is False
        return
    assert not running.get('failed'), running
    assert running['restarted'] is True and running['restart_required'] is False
    assert running['kb']['Q243581']['restarted'] is True and running['kb']['Q243581']['restart_required'] is False
    assert not stopped.get('failed'), stopped
    entry = stopped['kb']['Q243581']
    assert entry['restarted'] is False and entry['restart_required'] is True
    assert entry['restart_note'].startswith('MSExchangeIS was Stopped, so it was left Stopped')


def test_apply_keeps_the_stored_spelling_and_the_restore_writes_it_back(runs):
    assert not runs['lower_apply'].results['kbg_lowercase'].get('failed'), runs['lower_apply'].results['kbg_lowercase']
    assert runs['lower_after_apply']['background cleanup'] == FIXED and 'Background Cleanup' not in runs['lower_after_apply']
    with open(runs['records'][0], encoding='utf-8') as handle:
        assert json.load(handle)['value_name'] == 'background cleanup'
    assert runs['rename'].rc == 0, runs['rename'].output[-3000:]
    assert runs['lower_after_rename']['BACKGROUND CLEANUP'] == FIXED and 'background cleanup' not in runs['lower_after_rename']
    result = runs['lower_restore'].results['kbg_lowercase']
    assert not result.get('failed'), result
    assert result['changed'] is True and result['restore_exact'] is True
    assert runs['lower_after_restore']['background cleanup'] == ZERO
    assert 'BACKGROUND CLEANUP' not in runs['lower_after_restore']
    assert result['diff'][0]['before'].startswith('BACKGROUND CLEANUP = ') and result['diff'][0]['after'].startswith('background cleanup = ')
