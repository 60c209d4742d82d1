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
SYSTEM = SERVICES + '\\MSExchangeIS\\ParametersSystem'
CONTENT = SYSTEM + '\\InternetContent'
CCMC = SERVICES + '\\MSExchangeCCMC\\Parameters'
IMC = SERVICES + '\\MSExchangeIMC\\Parameters'
MSMI = SERVICES + '\\MSExchangeMSMI\\Parameters'
MTA = SERVICES + '\\MSExchangeMTA\\Parameters'
DS = SERVICES + '\\MSExchangeDS\\Parameters'
TEN = ['Q294406', 'Q243581', 'Q195203', 'Q285023', 'Q192593', 'Q223161', 'Q194131', 'Q258745', 'Q157420', 'Q185693']
IDS = TEN + ['Q247654', 'Q184534', 'Q216162', 'Q235627', 'Q229089', 'Q222508', 'Q219031']
INPUTS = {'Q195203': 'ccmail_801_clients', 'Q223161': 'zero_on_backup', 'Q194131': 'disable_esmtp_advertising',
          'Q258745': 'slow_smtp_banner', 'Q157420': 'msmail_clients', 'Q185693': 'routing_recalculation_spins',
          'Q247654': 'ds_event_1171', 'Q184534': 'remap_extensionless_only', 'Q235627': 'refuse_auth_login',
          'Q229089': 'old_forward_method', 'Q219031': 'pop3_plain_text_mime'}
CHOICES = {'Q285023': {'enable_ttl': 1}, 'Q247654': {'ver_pages': 2000}, 'Q216162': {'always_suppress_dr': 1},
           'Q222508': {'send_plain_text_as_is': 1}, 'Q219031': {'pop3_line_wrap_size': 80}}


def params(declared: bool) -> dict:
    given = {kb: {name: declared} for kb, name in INPUTS.items()}
    for kb, values in CHOICES.items():
        given.setdefault(kb, {}).update(values)
    return given


PARAMS_BY_HOST = {'kb_condition_false': params(False)}
N, C, B, NA = 'needs_change', 'compliant', 'blocked', 'not_applicable'
# host -> status of each KB of IDS in the audit (check mode).  A KB without a condition (Q243581, Q285023, Q192593)
# is compliant on kb_condition_false; one whose only prerequisite is its component is not_applicable without it.
AUDIT = {
    'kb_applicable': dict.fromkeys(IDS, N),
    'kb_fixed': dict.fromkeys(IDS, C),
    'kb_prerequisites_missing': dict(zip(IDS, [B, NA, NA, B, NA, C, C, C, NA, NA, C, NA, B, B, NA, B, C])),
    'kb_sp1': dict(zip(IDS, [B, C, B, NA, B, B, NA, NA, NA, B, C, B, NA, NA, B, NA, B])),
    'kb_condition_false': dict(zip(IDS, [NA, C, NA, C, C, NA, NA, NA, NA, NA, NA, NA, C, NA, NA, C, NA])),
    'kb_exchange_2000': dict.fromkeys(IDS, NA),
}
# (key, value name, what the apply leaves on kb_applicable)
WRITES = [
    (PRIVATE, 'OWA Url Protocol', {'type': 'REG_SZ', 'data': 'https:'}),
    (PRIVATE, 'Background Cleanup', {'type': 'REG_DWORD', 'data': 60000}),
    (PUBLIC, 'Background Cleanup', {'type': 'REG_DWORD', 'data': 60000}),
    (CCMC, 'Version 8 Attachment Format', {'type': 'REG_DWORD', 'data': 1}),
    (IMC, 'EnableTTL', {'type': 'REG_DWORD', 'data': 1}),
    (CCMC, 'Use long filename', {'type': 'REG_DWORD', 'data': 1}),
    (SYSTEM, 'Zero Database During Backup', {'type': 'REG_DWORD', 'data': 1}),
    (IMC, 'AdvertiseSMTPExtensions', {'type': 'REG_DWORD', 'data': 0}),
    (IMC, 'DisableReverseResolve', {'type': 'REG_DWORD', 'data': 1}),
    (MSMI, 'Non-MAPI Embedded Messages', {'type': 'REG_DWORD', 'data': 1}),
    (MTA, 'RID Consistency Checking', {'type': 'REG_DWORD', 'data': 0}),
    (DS, 'EDB max ver pages (increment over the minimum)', {'type': 'REG_DWORD', 'data': 2000}),
    (CONTENT, 'RemapExtension', {'type': 'REG_DWORD', 'data': 2}),
    (IMC, 'AlwaysSuppressDR', {'type': 'REG_DWORD', 'data': 1}),
    (IMC, 'DisableAuth', {'type': 'REG_DWORD', 'data': 1}),
    (PUBLIC, 'Enable Old Forward Method', {'type': 'REG_DWORD', 'data': 1}),
    (IMC, 'SendPlainTextAsIs', {'type': 'REG_DWORD', 'data': 1}),
    (SYSTEM, 'Pop3 Line Wrap Size', {'type': 'REG_DWORD', 'data': 80}),
]
KEYS = (PRIVATE, PUBLIC, SYSTEM, CONTENT, CCMC, IMC, MSMI, MTA, DS)


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
    extra = {'kb_ids': IDS, 'kb_params': params(True), 'kb_params_by_host': PARAMS_BY_HOST}
    out['check'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-check', '--check', '--diff', extra_vars=extra)
    out['after_check'] = state(fleet)
    out['undeclared'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-undeclared', '--check', '--limit', 'kb_applicable',
                                     extra_vars=dict(extra, kb_params=CHOICES, kb_params_by_host={}))
    out['reads'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-reads', '--check', '--limit', 'kb_applicable',
                                extra_vars=dict(extra, kb_ids=['Q294406'], kb_params={}, kb_params_by_host={}))
    ten = {kb: value for kb, value in params(True).items() if kb in TEN}
    out['ten'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-ten', '--check', '--limit', 'kb_applicable',
                              extra_vars=dict(extra, kb_ids=TEN, kb_params=ten, kb_params_by_host={}))
    out['apply'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-apply', '--diff',
                                extra_vars=dict(extra, backup=True, backup_dir=str(workdir / 'backups')))
    out['after_apply'] = state(fleet)
    out['again'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-again', extra_vars=extra)
    records = {host: [item['backup_record'] for entry in result['kb'].values() for item in entry['backups']]
               for host, result in out['apply'].results.items() if result.get('changed')}
    out['records'] = records
    out['rollback'] = run_playbook(PLAYBOOK, fleet.inventory, env, results + '-rollback', '--diff',
                                   extra_vars=dict(extra, restore_records=records))
    out['after_rollback'] = state(fleet)
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
    assert 'Msexcimc.exe 5.5.2539.1 is older than 5.5.2654.52 (Q285023)' in kb['Q285023']['reasons']
    assert PUBLIC in kb['Q243581']['reasons'][0]
    assert 'Imcmsg.dll not found at C:\\exchsrvr\\connect\\msexcimc\\bin\\Imcmsg.dll; Q216162 needs 5.5.2539.1 or later' \
        in kb['Q216162']['reasons']
    sp1 = runs['check'].results['kb_sp1']['kb']
    assert 'Gapi32.dll 5.5.2232.0 is older than 5.5.2607.0 (Q229089)' in sp1['Q229089']['reasons']   # under c:\Windows
    assert 'Store.exe 5.5.2232.11 is older than 5.5.2564.0 (Q219031)' in sp1['Q219031']['reasons']
    assert 'Mdbmsg.dll not found at C:\\exchsrvr\\res\\Mdbmsg.dll; Q229089 needs 5.5.2607.0 or later' in sp1['Q229089']['reasons']
    assert 'Ccmc.exe 5.5.1960.3 is older than 5.5.2424.0 (Q195203)' in sp1['Q195203']['reasons']
    assert 'Ccmc.exe 5.5.1960.3 is older than 5.5.2332.0 (Q192593)' in sp1['Q192593']['reasons']      # 3-part, padded
    for kb in ('Q223161', 'Q185693'):
        assert any('needs Service Pack 2' in reason for reason in sp1[kb]['reasons']), sp1[kb]


def test_an_undeclared_condition_is_reported_not_skipped(runs):
    entry = runs['undeclared'].results['kb_applicable']['kb']['Q195203']
    assert entry['status'] == 'blocked' and entry['condition'] == 'not_checkable' and entry['changes'] == []
    assert 'cannot be checked remotely' in entry['reasons'][0]
    undeclared = runs['undeclared'].results['kb_applicable']['kb']
    assert [kb for kb in IDS if undeclared[kb]['condition'] == 'not_checkable'] == list(INPUTS)


def test_ten_kbs_read_each_key_once(runs):
    """docs/performance.md: the reads of 10 KBs against those of Q294406 alone, on the same server."""
    ten, one = runs['ten'].results['kb_applicable']['reads'], runs['reads'].results['kb_applicable']['reads']
    # Q294406 alone: the identification (Setup list + 3 values, Store.exe, ParametersPrivate list) and the MSExchangeIS key.
    # Each other key adds one listing, each value present one read, each file one read.
    # Q294406 alone: the identification (Setup listed, its 3 values, Store.exe, ParametersPrivate listed) and the
    # MSExchangeIS service key listed.  The 9 other KBs add 10 keys listed (ParametersPublic, ParametersSystem and a
    # service key plus its Parameters for CCMC, IMC, MSMI and MTA), the 4 of their values that exist (Background
    # Cleanup twice, the IMC ImagePath, DisableReverseResolve) and 3 files (Ccmc.exe, Ccmsg.dll, Msexcimc.exe).
    assert one == 7, one
    assert ten == 7 + 10 + 4 + 3, ten
    # Q247654 adds the MSExchangeDS key and its Parameters (its value is not there yet): two listings.  Q184534 lists
    # InternetContent and reads RemapExtension; Q216162 and Q235627 read Imcmsg.dll (their values are not there yet);
    # Q229089 lists CurrentVersion, reads SystemRoot and 4 files (Mdbmsg.dll, Gapi32.dll, Netif.dll, Dsamain.exe).
    # Q222508 and Q219031 read only keys and files read already (their values are not there yet).
    assert runs['check'].results['kb_applicable']['reads'] == ten + 2 + 2 + 1 + 6


def test_apply_writes_exactly_the_planned_values_and_reads_them_back(runs):
    result = runs['apply'].results['kb_applicable']
    assert not result.get('failed'), result
    assert {kb: entry['status'] for kb, entry in result['kb'].items()} == dict.fromkeys(IDS, 'changed')
    after = runs['after_apply']['kb_applicable']
    for key, name, want in WRITES:
        assert after[key][name] == want, (key, name, after[key])
    assert result['kb']['Q243581']['restart_required'] is True and result['kb']['Q285023']['restart_required'] is False
    assert all(entry['backups'] for entry in result['kb'].values())
    for host in ('kb_fixed', 'kb_prerequisites_missing', 'kb_sp1', 'kb_condition_false', 'kb_exchange_2000'):
        assert runs['after_apply'][host] == runs['initial'][host], host
        assert runs['apply'].results[host]['changed'] is False


def test_second_apply_changes_nothing(runs):
    assert runs['again'].rc == 0, runs['again'].output[-3000:]
    assert runs['again'].changed_total() == 0
    assert {kb: entry['status'] for kb, entry in runs['again'].results['kb_applicable']['kb'].items()} == dict.fromkeys(IDS, 'compliant')


def test_rollback_restores_exactly_what_was_there_before(runs):
    assert list(runs['records']) == ['kb_applicable'] and len(runs['records']['kb_applicable']) == len(WRITES)
    result = runs['rollback'].results['kb_applicable']
    assert not result.get('failed'), result
    assert result['changed'] is True and len(result['restored']) == len(WRITES)
    assert runs['after_rollback'] == runs['initial']
    assert {kb: entry['status'] for kb, entry in result['kb'].items()} == dict.fromkeys(IDS, 'needs_change')
