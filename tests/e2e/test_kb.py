# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb module with real ansible-playbook on simulated servers, over winrm and smb: for every shipped catalog entry
a server where it applies, one where it is fixed, one missing a prerequisite and one where its condition is false
(tests/e2e/fleets/kb.yml says what each server holds and why).  Audit (--check) changes nothing and says what an apply
changes; the apply writes exactly that and reads it back; a second apply changes nothing."""

from __future__ import annotations

import os

import pytest

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

PLAYBOOK = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'kb.yml')
FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'kb.yml')
SUBNETS = {'winrm': '127.0.91', 'smb': '127.0.92'}
SERVICES = 'HKLM\\SYSTEM\\CurrentControlSet\\Services'
PRIVATE = SERVICES + '\\MSExchangeIS\\ParametersPrivate'
PUBLIC = SERVICES + '\\MSExchangeIS\\ParametersPublic'
CCMC = SERVICES + '\\MSExchangeCCMC\\Parameters'
IMC = SERVICES + '\\MSExchangeIMC\\Parameters'
IDS = ['Q294406', 'Q243581', 'Q195203', 'Q285023']
PARAMS = {'Q195203': {'ccmail_801_clients': True}, 'Q285023': {'enable_ttl': 1}}
PARAMS_BY_HOST = {'kb_condition_false': {'Q195203': {'ccmail_801_clients': False}, 'Q285023': {'enable_ttl': 1}}}
# host -> KB -> status in the audit (check mode)
AUDIT = {
    'kb_applicable': {'Q294406': 'needs_change', 'Q243581': 'needs_change', 'Q195203': 'needs_change', 'Q285023': 'needs_change'},
    'kb_fixed': {'Q294406': 'compliant', 'Q243581': 'compliant', 'Q195203': 'compliant', 'Q285023': 'compliant'},
    'kb_prerequisites_missing': {'Q294406': 'blocked', 'Q243581': 'not_applicable', 'Q195203': 'blocked', 'Q285023': 'blocked'},
    'kb_condition_false': {'Q294406': 'not_applicable', 'Q243581': 'compliant', 'Q195203': 'not_applicable',
                           'Q285023': 'not_applicable'},
}
# (key, value name, what the apply leaves on kb_applicable)
WRITES = [
    (PRIVATE, 'OWA Url Protocol', {'type': 'REG_SZ', 'data': 'https:'}),
    (PRIVATE, 'Background Cleanup', {'type': 'REG_DWORD', 'data': 60000}),
    (PUBLIC, 'Background Cleanup', {'type': 'REG_DWORD', 'data': 60000}),
    (CCMC, 'Version 8 Attachment Format', {'type': 'REG_DWORD', 'data': 1}),
    (IMC, 'EnableTTL', {'type': 'REG_DWORD', 'data': 1}),
]
KEYS = (PRIVATE, PUBLIC, CCMC, IMC)


def state(fleet):
    return {host: {key: fleet.registry(host, key) for key in KEYS} for host in AUDIT}


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def runs(request, tmp_path_factory, env_factory):
    require_transport(request.param)
    workdir = tmp_path_factory.mktemp(f'kb-{request.param}')
    fleet = Fleet(request.param, FLEET_FILE, str(workdir), SUBNETS[request.param])
    request.addfinalizer(fleet.stop)
    env = env_factory(workdir)
    results = str(workdir / 'results')
    out = {'fleet': fleet, 'initial': state(fleet)}
    extra = {'kb_ids': IDS, 'kb_params': PARAMS, 'kb_params_by_host': PARAMS_BY_HOST}
    out['check'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-check', '--check', '--diff', extra_vars=extra)
    out['after_check'] = state(fleet)
    out['undeclared'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-undeclared', '--check', '--limit', 'kb_applicable',
                                     extra_vars=dict(extra, kb_params={'Q285023': {'enable_ttl': 1}}, kb_params_by_host={}))
    out['apply'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-apply', '--diff',
                                extra_vars=dict(extra, backup=True, backup_dir=str(workdir / 'backups')))
    out['after_apply'] = state(fleet)
    out['again'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-again', extra_vars=extra)
    return out


@pytest.mark.parametrize('host', sorted(AUDIT))
def test_audit_gives_each_kb_its_status_and_writes_nothing(runs, host):
    result = runs['check'].results[host]
    assert not result.get('failed'), result
    assert {kb: entry['status'] for kb, entry in result['kb'].items()} == AUDIT[host], result['kb']
    assert all(entry['reasons'] for entry in result['kb'].values())
    assert runs['after_check'][host] == runs['initial'][host]


def test_audit_diff_and_changes_name_every_value_the_apply_writes(runs):
    result = runs['check'].results['kb_applicable']
    planned = [(change['key'], change['name'], change['after']) for entry in result['kb'].values() for change in entry['changes']]
    assert sorted(planned, key=str) == sorted(WRITES, key=str)
    assert len(result['diff']) == len(WRITES) and result['changed'] is True


def test_prerequisite_reasons_name_what_is_missing(runs):
    kb = runs['check'].results['kb_prerequisites_missing']['kb']
    assert any('needs Service Pack 4' in reason for reason in kb['Q294406']['reasons'])
    assert 'Ccmc.exe 5.5.2332.0 is older than 5.5.2424.0 (Q195203)' in kb['Q195203']['reasons']
    assert 'Msexcimc.exe 5.5.2539.1 is older than 5.5.2654.52 (Q285023)' in kb['Q285023']['reasons']
    assert PUBLIC in kb['Q243581']['reasons'][0]


def test_an_undeclared_condition_is_reported_not_skipped(runs):
    entry = runs['undeclared'].results['kb_applicable']['kb']['Q195203']
    assert entry['status'] == 'blocked' and entry['condition'] == 'not_checkable' and entry['changes'] == []
    assert 'cannot be checked remotely' in entry['reasons'][0]


def test_apply_writes_exactly_the_planned_values_and_reads_them_back(runs):
    result = runs['apply'].results['kb_applicable']
    assert not result.get('failed'), result
    assert {kb: entry['status'] for kb, entry in result['kb'].items()} == dict.fromkeys(IDS, 'changed')
    after = runs['after_apply']['kb_applicable']
    for key, name, want in WRITES:
        assert after[key][name] == want, (key, name, after[key])
    assert result['kb']['Q243581']['restart_required'] is True and result['kb']['Q285023']['restart_required'] is False
    assert all(entry['backups'] for entry in result['kb'].values())
    for host in ('kb_fixed', 'kb_prerequisites_missing', 'kb_condition_false'):
        assert runs['after_apply'][host] == runs['initial'][host], host
        assert runs['apply'].results[host]['changed'] is False


def test_second_apply_changes_nothing(runs):
    assert runs['again'].rc == 0, runs['again'].output[-3000:]
    assert runs['again'].changed_total() == 0
    assert {kb: entry['status'] for kb, entry in runs['again'].results['kb_applicable']['kb'].items()} == dict.fromkeys(IDS, 'compliant')
