# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb action plugin against in-memory servers: several KBs in one task, check mode, apply, backups, bad input."""

from __future__ import annotations

import copy
import json

from ansible_collections.legacy_exchange.exchange55.plugins.action import kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.action.test_owa_url_protocol import run_action
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import FakeHost
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.test_kb import IMC, IMC_EXE, PRIVATE, PUBLIC, server

ALL = ['Q294406', 'Q243581', 'Q195203', 'Q285023']
PARAMS = {'Q195203': {'ccmail_801_clients': True}, 'Q285023': {'enable_ttl': 1}}
SPEC = server(imc=(IMC_EXE, '5.5.2654.52', {}), private={'Background Cleanup': ('REG_DWORD', 0)},
              public={'Background Cleanup': ('REG_DWORD', 60000)})


def host():
    return FakeHost.from_spec(copy.deepcopy(SPEC))


def args(**extra):
    return dict({'ids': ALL, 'params': PARAMS, 'owa_ssl_required': 'true'}, **extra)


def test_check_mode_audits_every_kb_and_writes_nothing():
    target = host()
    result, _opened = run_action(kb, target, args(), check_mode=True, diff=True)
    statuses = {name: entry['status'] for name, entry in result['kb'].items()}
    assert statuses == {'Q294406': 'needs_change', 'Q243581': 'needs_change', 'Q195203': 'not_applicable',
                        'Q285023': 'needs_change'}, result
    assert result['changed'] is True
    assert not any(call[0] in ('set_value', 'delete_value') for call in target.calls)
    assert [d['after'] for d in result['diff']] == [
        'OWA Url Protocol = REG_SZ "https:"\n', 'Background Cleanup = REG_DWORD 0x0000ea60 (60000)\n',
        'EnableTTL = REG_DWORD 0x00000001 (1)\n']


def test_apply_writes_reads_back_backs_up_and_is_idempotent(tmp_path):
    target = host()
    result, _opened = run_action(kb, target, args(backup=True, backup_dir=str(tmp_path)))
    assert {name: entry['status'] for name, entry in result['kb'].items()} == {
        'Q294406': 'changed', 'Q243581': 'changed', 'Q195203': 'not_applicable', 'Q285023': 'changed'}, result
    assert target.value(PRIVATE, 'Background Cleanup') == RegValue('REG_DWORD', 60000)
    assert target.value(PUBLIC, 'Background Cleanup') == RegValue('REG_DWORD', 60000)
    assert target.value(IMC + '\\Parameters', 'EnableTTL') == RegValue('REG_DWORD', 1)
    assert result['kb']['Q243581']['restart_required'] is True and result['restart_required'] is True
    assert result['kb']['Q285023']['restart_required'] is False
    with open(result['kb']['Q243581']['backups'][0]['backup_record'], encoding='utf-8') as handle:
        saved = json.load(handle)
    assert saved['prior'] == {'type': 'REG_DWORD', 'data': 0} and saved['value_name'] == 'Background Cleanup'
    again, _opened = run_action(kb, target, args())
    assert again['changed'] is False
    assert {name: entry['status'] for name, entry in again['kb'].items()} == {
        'Q294406': 'compliant', 'Q243581': 'compliant', 'Q195203': 'not_applicable', 'Q285023': 'compliant'}


def test_missing_choice_fails_before_connecting():
    result, opened = run_action(kb, host(), {'ids': ['Q285023']})
    assert result['failed'] and result['error_kind'] == 'invalid_option'
    assert result['msg'].startswith('Q285023 needs params.Q285023.enable_ttl: EnableTTL is one of 0 (')
    opened.assert_not_called()


def test_read_back_mismatch_fails_and_stops_further_writes():
    target = host()
    target.deny_write = set()
    original = target.set_value

    def lost(key, name, value):
        if name == 'OWA Url Protocol':
            return None                       # the server answers but keeps nothing
        return original(key, name, value)
    target.set_value = lost
    result, _opened = run_action(kb, target, args())
    assert result['failed'] and result['error_kind'] == 'read_back_mismatch' and result['msg'].startswith('Q294406: ')
    assert target.value(PRIVATE, 'Background Cleanup') == RegValue('REG_DWORD', 0)      # nothing after the failure


def test_restore_from_puts_every_recorded_value_back_exactly(tmp_path):
    target = host()
    before = {key: dict(values) for key, (_path, values) in target.registry.items()}
    applied, _opened = run_action(kb, target, args(backup=True, backup_dir=str(tmp_path)))
    records = [item['backup_record'] for entry in applied['kb'].values() for item in entry['backups']]
    assert len(records) == 3                    # OWA Url Protocol, Background Cleanup (private), EnableTTL
    restored, _opened = run_action(kb, target, args(restore_from=records))
    assert not restored.get('failed'), restored
    assert restored['changed'] is True and len(restored['restored']) == 3
    assert {key: dict(values) for key, (_path, values) in target.registry.items()} == before
    assert restored['kb']['Q243581']['status'] == 'needs_change' and restored['restart_required'] is True
    again, _opened = run_action(kb, target, args(restore_from=records))
    assert again['changed'] is False


def test_restore_from_refuses_a_record_of_a_value_no_listed_kb_changes(tmp_path):
    target = host()
    applied, _opened = run_action(kb, target, args(backup=True, backup_dir=str(tmp_path)))
    record = applied['kb']['Q285023']['backups'][0]['backup_record']
    result, opened = run_action(kb, host(), {'ids': ['Q243581'], 'restore_from': [record]})
    assert result['failed'] and result['error_kind'] == 'invalid_option'
    assert 'EnableTTL, which none of Q243581 changes; list the KB of that value in ids' in result['msg']
    opened.assert_not_called()
