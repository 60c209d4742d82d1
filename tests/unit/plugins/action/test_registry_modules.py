# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""registry and registry_info against an in-memory host (tests/e2e/test_registry_peer.py runs them for real)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.action import registry, registry_info
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.action.test_owa_url_protocol import run_action
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import FakeHost

KEY = 'HKLM\\SOFTWARE\\MyCompany'
NT4 = {'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion': {'CurrentVersion': RegValue('REG_SZ', '4.0')}}


def host(**registry):
    return FakeHost({KEY: {'data_string': RegValue('REG_SZ', 'new hello world')}, **registry})


def regedit(server, check_mode=False, diff=False, **args):
    result, _opened = run_action(registry, server, args, check_mode=check_mode, diff=diff)
    return result


def test_change_string_to_binary_check_then_apply_then_idempotent():
    server = host()
    args = {'path': 'HKLM:\\SOFTWARE\\MyCompany', 'name': 'data_string', 'data': 'hex:00,01', 'type': 'binary'}
    checked = regedit(server, check_mode=True, **args)
    assert (checked['changed'], checked['data_changed'], checked['data_type_changed']) == (True, True, True)
    assert server.value(KEY, 'data_string') == RegValue('REG_SZ', 'new hello world')
    applied = regedit(server, **args)
    assert applied['changed'] and server.value(KEY, 'data_string') == RegValue('REG_BINARY', b'\x00\x01')
    assert regedit(server, **args)['changed'] is False


def test_default_value_and_a_value_called_default_are_different():
    server = host()
    regedit(server, path=KEY, data='default value')
    regedit(server, path=KEY, name='(Default)', data='custom default value', type='expandstring')
    assert server.value(KEY, '') == RegValue('REG_SZ', 'default value')
    assert server.value(KEY, '(Default)') == RegValue('REG_EXPAND_SZ', 'custom default value')
    regedit(server, path=KEY, state='absent', delete_key=False)
    assert server.value(KEY, '') is None and server.value(KEY, '(Default)') is not None


def test_a_new_value_reports_no_data_change_as_win_regedit_does():
    result = regedit(host(), path=KEY, name='fresh', data=5, type='dword')
    assert (result['changed'], result['data_changed'], result['data_type_changed']) == (True, False, False)


@pytest.mark.parametrize('data, type_, message', [
    ('0xffffffff1', 'dword', 'data cannot be larger than 0xffffffff when type is dword'),
    (0xffffffffffffffff1, 'qword', 'data cannot be larger than 0xffffffffffffffff when type is qword'),
    (256, 'binary', "cannot convert binary data '256' to byte array"),
    ('xyz', 'dword', 'must be a number'),
])
def test_bad_data_fails_before_connecting(data, type_, message):
    result, opened = run_action(registry, host(), {'path': KEY, 'name': 'test', 'data': data, 'type': type_})
    assert result['failed'] and message in result['msg'] and '\n' not in result['msg']
    opened.assert_not_called()


@pytest.mark.parametrize('args, message', [
    ({'path': 'HKCU:\\Software\\X'}, 'no current user'),
    ({'path': 'ABCD:\\efg'}, 'is not a valid registry path'),
    ({'path': KEY, 'hive': 'C:\\Users\\Default\\NTUSER.dat'}, 'cannot be done remotely'),
])
def test_paths_and_options_that_cannot_work_remotely(args, message):
    result, opened = run_action(registry, host(), args)
    assert result['failed'] and message in result['msg']
    opened.assert_not_called()


def test_create_key_false_refuses_a_missing_key():
    server = host()
    result = regedit(server, path=KEY + '\\Missing', name='x', data='y', create_key=False)
    assert result['failed'] and result['error_kind'] == 'not_found' and 'create_key' in result['msg']
    assert server.enum_keys(KEY) == []


def test_qword_is_refused_on_nt4_only():
    nt4 = host(**NT4)
    result = regedit(nt4, path=KEY, name='big', data=1, type='qword')
    assert result['failed'] and result['error_kind'] == 'unsupported' and 'Windows NT 4.0' in result['msg']
    assert nt4.value(KEY, 'big') is None
    windows2000 = host(**{'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion': {'CurrentVersion': RegValue('REG_SZ', '5.0')}})
    assert regedit(windows2000, path=KEY, name='big', data=1, type='qword')['changed'] is True


def test_delete_key_with_subkeys_backup_and_restore(tmp_path):
    server = host()
    for sub in ('nest1', 'nest2', 'nest1\\nested'):
        regedit(server, path=f'{KEY}\\{sub}')
    regedit(server, path=f'{KEY}\\nest1\\nested', name='deep "quoted" = \\ name', data=['a', 'b'], type='multistring')
    assert server.enum_keys(KEY) == ['nest1', 'nest2']
    removed = regedit(server, path=KEY, state='absent', backup=True, backup_dir=str(tmp_path))
    assert removed['changed'] and server.enum_keys(KEY) is None
    saved = json.loads(open(removed['backup_record'], encoding='utf-8').read())
    assert saved['scope'] == 'tree' and set(saved['prior']['subkeys']) == {'nest1', 'nest2'}
    assert '[HKEY_LOCAL_MACHINE\\SOFTWARE\\MyCompany\\nest1\\nested]' in open(removed['backup_file'], encoding='cp1252').read()
    assert regedit(server, path=KEY, state='absent')['changed'] is False
    restored = regedit(server, path=KEY, restore_from=removed['backup_record'])
    assert restored['changed'] and not restored.get('failed')
    assert server.value(f'{KEY}\\nest1\\nested', 'deep "quoted" = \\ name') == RegValue('REG_MULTI_SZ', ['a', 'b'])
    assert server.value(KEY, 'data_string') == RegValue('REG_SZ', 'new hello world')
    assert regedit(server, path=KEY, restore_from=removed['backup_record'])['changed'] is False


def test_registry_info_returns_win_reg_stat_fields():
    server = host()
    server.create_key(KEY + '\\sub')
    server.set_value(KEY, 'bin', RegValue('REG_BINARY', b'\x00\x01'))
    key, _opened = run_action(registry_info, server, {'path': 'HKLM:\\SOFTWARE\\MyCompany'})
    assert key['exists'] and key['sub_keys'] == ['sub'] and not key['changed']
    assert key['properties']['bin'] == {'type': 'REG_BINARY', 'value': [0, 1], 'raw_value': ['0x00', '0x01']}
    value, _opened = run_action(registry_info, server, {'path': KEY, 'name': 'data_string'})
    assert (value['exists'], value['type'], value['value'], value['raw_value']) == (True, 'REG_SZ', 'new hello world', 'new hello world')
    missing, _opened = run_action(registry_info, server, {'path': KEY + '\\nope'})
    assert missing['exists'] is False and 'properties' not in missing


def test_registry_refuses_to_delete_what_the_transport_could_not_write_back(tmp_path):
    """The pipeline's rule for owa_url_protocol holds for registry: over a transport without a REG_NONE setter, a key
    holding a REG_NONE is not deleted (no rollback could put it back), and nothing is sent."""
    server = FakeHost({KEY: {'marker': RegValue('REG_NONE', b'')}})
    server.writable_types = frozenset({'REG_SZ', 'REG_DWORD'})
    result = regedit(server, path=KEY, state='absent', delete_key=True, backup=True, backup_dir=str(tmp_path))
    assert result['failed'] and result['error_kind'] == 'not_restorable' and 'REG_NONE' in result['msg']
    assert server.value(KEY, 'marker') == RegValue('REG_NONE', b'') and not list(tmp_path.iterdir())


def test_type_none_is_written_where_the_transport_can_and_refused_in_one_line_where_not():
    server = host()
    result = regedit(server, path=KEY, name='marker', data='hex:01,02', type='none')
    assert result['changed'] and server.value(KEY, 'marker') == RegValue('REG_NONE', b'\x01\x02')
    assert regedit(server, path=KEY, name='marker', data='hex:01,02', type='none')['changed'] is False
    winrm_like = host()
    winrm_like.writable_types = frozenset({'REG_SZ', 'REG_BINARY'})
    refused = regedit(winrm_like, path=KEY, name='marker', data='', type='none')
    assert refused['failed'] and refused['error_kind'] == 'unsupported' and 'use transport smb' in refused['msg']
    assert '\n' not in refused['msg'] and 'write_sent' not in refused and winrm_like.value(KEY, 'marker') is None


def test_backup_encoding_and_its_check_mode_precheck(tmp_path):
    server = FakeHost({KEY: {'name': RegValue('REG_SZ', 'Привет')}})
    args = {'path': KEY, 'name': 'name', 'data': 'x', 'backup': True, 'backup_dir': str(tmp_path)}
    checked = regedit(server, check_mode=True, **args)
    assert checked['failed'] and checked['error_kind'] == 'backup_failed' and 'backup_encoding' in checked['msg']
    refused = regedit(server, **args)
    assert refused['error_kind'] == 'backup_failed' and server.value(KEY, 'name') == RegValue('REG_SZ', 'Привет')
    done = regedit(server, backup_encoding='utf-16', **args)
    assert done['changed'] and open(done['backup_file'], 'rb').read().startswith(b'\xff\xfe')
    with open(done['backup_record'], encoding='utf-8') as handle:
        assert json.load(handle)['expanded_by_server'] == []


ENVIRONMENT = {'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion': {'SystemRoot': RegValue('REG_SZ', 'D:\\WINNT')},
               'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment': {
                   'windir': RegValue('REG_EXPAND_SZ', '%SystemRoot%')}}


def test_registry_info_expands_reg_expand_sz_as_win_reg_stat_does():
    """win_reg_stat: value expanded, raw_value as stored.  A transport that reads the stored text (smb) expands it with
    the server's system environment from its registry; unknown names stay as written."""
    server = FakeHost({KEY: {'p': RegValue('REG_EXPAND_SZ', '%SystemRoot%\\x;%windir%;%Nope%'), 'plain': RegValue('REG_EXPAND_SZ', 'y')},
                       **ENVIRONMENT})
    one, _opened = run_action(registry_info, server, {'path': KEY, 'name': 'p'})
    assert (one['type'], one['value'], one['raw_value']) == ('REG_EXPAND_SZ', 'D:\\WINNT\\x;D:\\WINNT;%Nope%', '%SystemRoot%\\x;%windir%;%Nope%')
    key, _opened = run_action(registry_info, server, {'path': KEY})
    assert key['properties']['p']['value'] == 'D:\\WINNT\\x;D:\\WINNT;%Nope%'
    assert key['properties']['plain'] == {'type': 'REG_EXPAND_SZ', 'value': 'y', 'raw_value': 'y'}


def test_registry_info_reads_no_environment_without_a_reference_and_none_when_the_server_expanded():
    server = FakeHost({KEY: {'plain': RegValue('REG_EXPAND_SZ', 'y')}, **ENVIRONMENT})
    run_action(registry_info, server, {'path': KEY})
    assert not [call for call in server.calls if 'Session Manager' in str(call)]
    # WinRM says so of every REG_EXPAND_SZ it reads: what is left of a reference is the server's answer, not expanded again
    expanded = FakeHost({KEY: {'p': RegValue('REG_EXPAND_SZ', '%windir%\\x')}, **ENVIRONMENT})
    expanded.expanded_by_server = lambda key, name: True
    one, _opened = run_action(registry_info, expanded, {'path': KEY, 'name': 'p'})
    assert one['value'] == one['raw_value'] == '%windir%\\x'
