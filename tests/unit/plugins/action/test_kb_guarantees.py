# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The kb module's Q294406 guarantees against in-memory servers: a blocked KB fails the task unless told otherwise,
ignore_prerequisites overrides prerequisites but never an undeclared condition, restart_services restarts each service
once, and restore_from puts a value back under its recorded spelling (and refuses an expanded REG_EXPAND_SZ)."""

from __future__ import annotations

import copy
import json

from ansible_collections.legacy_exchange.exchange55.plugins.action import kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, parse_key_path
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.action.test_owa_url_protocol import run_action
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import FakeHost
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.test_kb import IMC, PRIVATE, server

CLEANUP = 'Background Cleanup'


def fake(**spec):
    return FakeHost.from_spec(copy.deepcopy(server(**spec)))


def sp3_host():
    """Exchange 5.5 SP3: Q294406 (SP4) is blocked; Q243581 (no service pack named) needs its change."""
    return fake(service_pack_build=2650, store='5.5.2650.21', private={CLEANUP: ('REG_DWORD', 0)})


def writes(target):
    return [call for call in target.calls if call[0] in ('set_value', 'delete_value')]


def test_a_blocked_kb_with_a_change_fails_the_task_after_the_others_are_applied():
    target = sp3_host()
    result, _opened = run_action(kb, target, {'ids': ['Q294406', 'Q243581'], 'owa_ssl_required': 'true'})
    assert result['failed'] is True and result['error_kind'] == 'blocked', result
    assert result['msg'].startswith(f'{kb.REFUSAL} Q294406: Q294406: ') and 'needs Service Pack 4' in result['msg']
    assert result['msg'].endswith('(set ignore_prerequisites: true to write anyway, or fail_on_blocked: false to report them only)')
    assert '\n' not in result['msg']
    assert result['kb']['Q294406']['status'] == 'blocked' and result['kb']['Q294406']['changes'] == []
    assert result['kb']['Q243581']['status'] == 'changed' and result['changed'] is True
    assert target.value(PRIVATE, 'OWA Url Protocol') is None
    assert target.value(PRIVATE, CLEANUP) == RegValue('REG_DWORD', 60000)


def test_check_mode_fails_the_same_way_and_writes_nothing():
    target = sp3_host()
    result, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true'}, check_mode=True)
    assert result['error_kind'] == 'blocked' and writes(target) == []


def test_fail_on_blocked_false_only_reports_the_blocked_kb():
    target = sp3_host()
    result, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true', 'fail_on_blocked': False})
    assert not result.get('failed') and result['kb']['Q294406']['status'] == 'blocked' and result['changed'] is False
    assert writes(target) == []


def test_a_blocked_kb_without_a_change_does_not_fail():
    target = fake(service_pack_build=2650, store='5.5.2650.21', owa_url_protocol=('REG_SZ', 'https:'))
    result, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true'})
    assert not result.get('failed') and result['kb']['Q294406']['status'] == 'blocked'


def test_ignore_prerequisites_writes_a_kb_whose_service_pack_is_too_low(tmp_path):
    target = sp3_host()
    result, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true', 'ignore_prerequisites': True,
                                              'backup': True, 'backup_dir': str(tmp_path)})
    assert not result.get('failed'), result
    assert target.value(PRIVATE, 'OWA Url Protocol') == RegValue('REG_SZ', 'https:')
    entry = result['kb']['Q294406']
    # as owa_url_protocol: the prerequisites are still missing, so the status stays blocked; the value was written
    assert result['changed'] is True and entry['status'] == 'blocked' and entry['backups']
    assert entry['changes'][0]['after'] == {'type': 'REG_SZ', 'data': 'https:'}


def test_ignore_prerequisites_never_writes_an_undeclared_condition_nor_a_not_applicable_kb():
    target = fake(service_pack_build=2650, store='5.5.2650.21', ccmc=('5.5.2424.0', '5.5.2424.0', {}))
    result, _opened = run_action(kb, target, {'ids': ['Q195203', 'Q294406'], 'owa_ssl_required': 'false',
                                              'ignore_prerequisites': True})
    assert result['kb']['Q195203']['status'] == 'blocked' and result['kb']['Q195203']['condition'] == 'not_checkable'
    assert result['kb']['Q294406']['status'] == 'not_applicable'
    assert writes(target) == []
    assert result['error_kind'] == 'blocked'
    assert 'Q195203' in result['msg'] and 'Q294406' not in result['msg']
    assert 'ignore_prerequisites does not override this: its condition cannot be checked remotely' in result['msg']


def test_override_refused_names_what_ignore_prerequisites_leaves_alone():
    entry = _kb.CATALOG['Q285023']
    facts = {'exchange': {'conflict': None}, 'keys': {_kb.key_id(IMC + '\\Parameters'): _kb.DENIED}}
    assert kb.override_refused(entry, {'condition': True}, facts) == \
        f'{IMC}\\Parameters could not be read, so the prior state of its values is unknown'
    assert kb.override_refused(entry, {'condition': None}, facts) == 'its condition could not be read'
    assert kb.override_refused(entry, {'condition': False}, facts) == 'its condition does not hold, so it does not apply here'
    assert kb.write_allowed(entry, {'status': 'blocked', 'condition': 'not_checkable'}, facts, True) is False
    facts['keys'] = {}
    assert kb.override_refused(entry, {'condition': True}, dict(facts, keys={_kb.key_id(IMC + '\\Parameters'): {'values': {}}})) is None
    assert kb.write_allowed(entry, {'status': 'not_applicable', 'condition': True}, facts, True) is False
    assert kb.write_allowed(entry, {'status': 'needs_change', 'condition': True}, facts, False) is True


def test_restart_order_lists_each_service_once_in_kb_order():
    reports = {'Q243581': {'restart_required': True, 'restart_services': ['MSExchangeIS']},
               'Q285023': {'restart_required': False, 'restart_services': ['MSExchangeIMC']},
               'Q185693': {'restart_required': True, 'restart_services': ['MSExchangeSA', 'MSExchangeDS', 'msexchangeis']}}
    assert kb.restart_order(reports) == ['MSExchangeIS', 'MSExchangeSA', 'MSExchangeDS']


def test_restart_services_restarts_the_service_once_after_the_changes():
    target = fake(private={CLEANUP: ('REG_DWORD', 0)}, public={CLEANUP: ('REG_DWORD', 0)})
    result, _opened = run_action(kb, target, {'ids': ['Q243581', 'Q294406'], 'owa_ssl_required': 'true', 'restart_services': True,
                                              'restart_timeout': 5})
    assert not result.get('failed'), result
    controls = [call for call in target.calls if call[0] == 'control_service']
    assert controls == [('control_service', 'MSExchangeIS', 'stop'), ('control_service', 'MSExchangeIS', 'start')]
    last_write = max(index for index, call in enumerate(target.calls) if call[0] == 'set_value')
    assert target.calls.index(controls[0]) > last_write
    entry = result['kb']['Q243581']
    assert entry['restarted'] is True and entry['restart_required'] is False
    assert result['restarted'] is True and result['restart_required'] is False
    assert result['kb']['Q294406']['restarted'] is False       # Q294406 asks for no restart


def test_a_stopped_service_is_left_stopped_and_the_restart_stays_required():
    target = fake(private={CLEANUP: ('REG_DWORD', 0)})
    target.services['msexchangeis'] = 'Stopped'
    result, _opened = run_action(kb, target, {'ids': ['Q243581'], 'restart_services': True})
    assert not result.get('failed'), result
    assert not [call for call in target.calls if call[0] == 'control_service']
    entry = result['kb']['Q243581']
    assert entry['restarted'] is False and entry['restart_required'] is True
    assert entry['restart_note'].startswith('MSExchangeIS was Stopped, so it was left Stopped')
    assert result['restarted'] is False and result['restart_required'] is True and result['restart_note'] == entry['restart_note']


def test_without_restart_services_nothing_is_restarted():
    target = fake(private={CLEANUP: ('REG_DWORD', 0)})
    result, _opened = run_action(kb, target, {'ids': ['Q243581']})
    assert not [call for call in target.calls if call[0] == 'control_service']
    assert result['restarted'] is False and result['kb']['Q243581']['restart_required'] is True


def test_apply_writes_under_the_stored_spelling_and_restore_puts_that_spelling_back(tmp_path):
    target = fake(private={'background cleanup': ('REG_DWORD', 0)})
    applied, _opened = run_action(kb, target, {'ids': ['Q243581'], 'backup': True, 'backup_dir': str(tmp_path)})
    assert not applied.get('failed'), applied
    private = target.registry[_key(PRIVATE)][1]
    assert 'background cleanup' in private and CLEANUP not in private
    records = [item['backup_record'] for entry in applied['kb'].values() for item in entry['backups']]
    with open(records[0], encoding='utf-8') as handle:
        assert json.load(handle)['value_name'] == 'background cleanup'
    # someone re-creates the value under another case
    target.delete_value(PRIVATE, 'background cleanup')
    target.set_value(PRIVATE, 'BACKGROUND CLEANUP', RegValue('REG_DWORD', 0))
    restored, _opened = run_action(kb, target, {'ids': ['Q243581'], 'restore_from': records[:1]}, diff=True)
    assert not restored.get('failed'), restored
    private = target.registry[_key(PRIVATE)][1]
    assert private.get('background cleanup') == RegValue('REG_DWORD', 0) and 'BACKGROUND CLEANUP' not in private
    assert restored['changed'] is True and restored['restore_exact'] is True
    assert restored['diff'][0]['before'].startswith('BACKGROUND CLEANUP = ') and restored['diff'][0]['after'].startswith('background cleanup = ')


def test_restore_refuses_an_expanded_reg_expand_sz_unless_restore_expanded(tmp_path):
    target = fake(owa_url_protocol=('REG_EXPAND_SZ', 'https:'))
    applied, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true', 'backup': True,
                                               'backup_dir': str(tmp_path)})
    record = applied['kb']['Q294406']['backups'][0]['backup_record']
    with open(record, encoding='utf-8') as handle:
        saved = json.load(handle)
    saved['prior_expanded_by_server'] = True          # what a WinRM backup of this value says
    with open(record, 'w', encoding='utf-8') as handle:
        json.dump(saved, handle)
    refused, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true', 'restore_from': [record]})
    assert refused['failed'] is True and refused['error_kind'] == 'not_restorable' and 'restore_expanded: true' in refused['msg']
    assert target.value(PRIVATE, 'OWA Url Protocol') == RegValue('REG_SZ', 'https:')
    done, _opened = run_action(kb, target, {'ids': ['Q294406'], 'owa_ssl_required': 'true', 'restore_from': [record],
                                            'restore_expanded': True})
    assert not done.get('failed'), done
    assert done['restore_exact'] is False and target.value(PRIVATE, 'OWA Url Protocol') == RegValue('REG_EXPAND_SZ', 'https:')


def _key(key):
    hive, subkey = parse_key_path(key)
    return f'{hive}\\{subkey}'.lower()


def test_newest_per_value_keeps_the_newest_record_of_each_value():
    older = ('Q243581', PRIVATE, CLEANUP, None, {'created': '2026-12-01T10:00:00+00:00'})
    newer = ('Q243581', PRIVATE.upper(), CLEANUP.lower(), None, {'created': '2026-12-01T11:00:00+00:00'})
    other = ('Q294406', PRIVATE, 'OWA Url Protocol', None, {'created': '2026-12-01T09:00:00+00:00'})
    assert kb.newest_per_value([newer, other, older]) == [newer, other]
    assert kb.newest_per_value([older, other, newer]) == [other, newer]


def test_rollback_from_every_record_of_a_host_skips_unrelated_ones_and_restores_the_newest(tmp_path):
    ttl = IMC + '\\Parameters'
    target = fake(imc=('C:\\exchsrvr\\connect\\msexcimc\\bin\\msexcimc.exe', '5.5.2654.52', {}), private={CLEANUP: ('REG_DWORD', 0)})

    def apply(ids, **params):
        result, _opened = run_action(kb, target, {'ids': ids, 'params': params, 'backup': True, 'backup_dir': str(tmp_path)})
        assert not result.get('failed'), result
        return [item['backup_record'] for entry in result['kb'].values() for item in entry['backups']]

    records = apply(['Q243581'])                                  # a record of another KB's value
    records += apply(['Q285023'], Q285023={'enable_ttl': 1})     # EnableTTL: absent -> 1
    records += apply(['Q285023'], Q285023={'enable_ttl': 0})     # EnableTTL: 1 -> 0, the newest record of it
    args = {'ids': ['Q285023'], 'params': {'Q285023': {'enable_ttl': 0}}, 'restore_from': records}
    refused, opened = run_action(kb, target, args)
    assert refused['error_kind'] == 'invalid_option' and refused['msg'].endswith('or set restore_skip_unrelated: true')
    opened.assert_not_called()
    done, _opened = run_action(kb, target, dict(args, restore_skip_unrelated=True))
    assert not done.get('failed'), done
    assert target.value(ttl, 'EnableTTL') == RegValue('REG_DWORD', 1)      # the state before the last change
    assert target.value(PRIVATE, CLEANUP) == RegValue('REG_DWORD', 60000)  # the other KB's value is left alone
    assert [(item['name'], item['after']) for item in done['restored']] == [('EnableTTL', {'type': 'REG_DWORD', 'data': 1})]


def test_a_restore_whose_records_were_all_left_out_applies_nothing(tmp_path):
    ttl, _opened = run_action(kb, fake(imc=('C:\\exchsrvr\\connect\\msexcimc\\bin\\msexcimc.exe', '5.5.2654.52', {})),
                              {'ids': ['Q285023'], 'params': {'Q285023': {'enable_ttl': 1}}, 'backup': True, 'backup_dir': str(tmp_path)})
    records = [item['backup_record'] for entry in ttl['kb'].values() for item in entry['backups']]
    target = fake(private={CLEANUP: ('REG_DWORD', 0)})
    result, _opened = run_action(kb, target, {'ids': ['Q243581'], 'restore_from': records, 'restore_skip_unrelated': True})
    assert not result.get('failed') and result['changed'] is False and result['restored'] == []
    assert writes(target) == [] and result['kb']['Q243581']['status'] == 'needs_change'
