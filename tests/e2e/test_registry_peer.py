# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The peer suite: ansible.windows' own win_regedit integration cases, run against this collection's registry module.

Source: ansible-collections/ansible.windows ``tests/integration/targets/win_regedit/tasks/tests.yml``. Each case that
applies to a remote registry is ported as one test named after it. Every case runs with real ``ansible-playbook`` over
both transports (the WinRM simulator, and real Samba for smb), three times: in check mode, applied, and applied again;
each run is asserted against the server's registry as the server holds it (the simulator's state file; Samba's
registry exported with Samba's own ``net registry export``), never through the module under test.

Every case gets its own key under ``HKLM\\SOFTWARE\\Peer``, seeded (tests/e2e/fleets/registry_peer.yml) with what
tests.yml had created before that case ran, so the cases are independent and each run covers all of them at once.

Left out, and why:
- "check warning is fired if path with / as separators is used": a deprecation of win_regedit's PowerShell path
  parsing. Here ``/`` is read as a separator, like ``\\`` (parse_key_path), so there is nothing to deprecate.
- "create key in HKEY_CLASSES_ROOT": HKCR is a view that Windows merges from HKLM\\SOFTWARE\\Classes and the user's
  classes; Samba's registry has no such view to assert against independently. HKCR paths are accepted (unit tests).
- every "... in loaded hive" case (create/set/remove with ``hive: C:\\Users\\Default\\NTUSER.dat``): loading a hive
  file needs RegLoadKey by a process on the server, which no remote protocol offers. Ported instead as
  ``test_hive_is_refused_with_one_line``.
- The asserts that read back with ``win_shell`` + ``reg.exe``: replaced by reading the server's registry directly.
Added: ``create_key: false`` (this module's option) and the NT 4.0 REG_QWORD refusal (winrm only: Samba serves
``CurrentVersion`` itself, read-only, so no Samba host can pose as NT 4.0; the unit tests cover the rule).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import pytest

from fleetctl import REPO_ROOT, Fleet
from registry_runs import RegistryRuns
SUBNETS = {'winrm': '127.0.64', 'smb': '127.0.65'}
PEER = 'HKLM\\SOFTWARE\\Peer'
HOST = 'win2000_server'


def key(case: str) -> str:
    return f'{PEER}\\{case}'


# case -> module arguments (ported from tests.yml; each on its own seeded key)
CASES = {
    'fail_run_win_regedit_with_larger_dword': {'path': key('larger'), 'name': 'test', 'data': '0xffffffff1', 'type': 'dword'},
    'fail_run_win_regedit_with_larger_qword': {'path': key('larger'), 'name': 'test', 'data': '0xffffffffffffffff1', 'type': 'qword'},
    'run_win_regedit_with_invalid_path': {'path': 'ABCD:\\efg'},
    'change_string_to_binary': {'path': 'HKLM:\\SOFTWARE\\Peer\\change_string_to_binary', 'name': 'data_string',
                                'data': 'hex:00,01', 'type': 'binary'},
    'modify_the_default_key_property': {'path': key('modify_the_default_key_property'), 'data': 'default value'},
    'create_an_actual_property_called_default': {'path': key('create_an_actual_property_called_default'), 'name': '(Default)',
                                                 'data': 'custom default value', 'type': 'expandstring'},
    'delete_property': {'path': key('delete_property'), 'name': 'data_binary', 'state': 'absent'},
    'delete_the_keys_default_property': {'path': key('delete_the_keys_default_property'), 'state': 'absent', 'delete_key': False},
    'delete_the_custom_default_property': {'path': key('delete_the_custom_default_property'), 'name': '(Default)',
                                           'state': 'absent', 'delete_key': False},
    'delete_key_and_its_sub_keys': {'path': key('delete_key_and_its_sub_keys'), 'state': 'absent', 'delete_key': True},
    'create_a_new_key_without_specifying_the_property': {'path': key('create_a_new_key_without_specifying_the_property') + '\\new'},
    'create_property_like_a_json_string': {'path': key('create_property_like_a_json_string') + '\\NewKey',
                                           'name': '{7f51bda7-bcea-465a-9eb6-5a2bcd9cb52f}', 'data': 'test data', 'type': 'string'},
    'create_key_with_create_key_false': {'path': key('create_key_with_create_key_false') + '\\absent', 'name': 'x', 'data': 'y',
                                         'create_key': False},
    'hive_is_refused': {'path': key('hive'), 'hive': 'C:\\Users\\Default\\NTUSER.dat'},
    'qword_on_nt4': {'path': key('qword_on_nt4'), 'name': 'big', 'data': 1, 'type': 'qword'},
}
HOSTS = {case: ('nt4_server' if case == 'qword_on_nt4' else HOST) for case in CASES}
# Samba answers HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion itself and refuses writes to it
# (source3/registry/reg_backend_current_version.c), so no Samba host can pose as NT 4.0: that case is winrm only.
WINRM_ONLY = {'qword_on_nt4'}


def tree(fleet: Fleet, host: str, root: str) -> dict:
    """{key path (lower case): {value name: {type, data}}} of ``root`` and every key below it, as the server holds them."""
    if fleet.transport == 'smb':
        conf = os.path.join(fleet.state_dir, host, 'smb.conf')
        net = [path for path in ('/usr/bin/net', '/usr/sbin/net') if os.path.exists(path)][0]
        with tempfile.TemporaryDirectory() as scratch:
            out = os.path.join(scratch, 'export.reg')
            done = subprocess.run([net, '-s', conf, 'registry', 'export', root.replace('HKLM', 'HKEY_LOCAL_MACHINE', 1), out],
                                  capture_output=True, text=True, check=False, timeout=60)
            if done.returncode != 0 or not os.path.exists(out):
                return {}
            sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'smbhost'))
            import smbfleet  # pylint: disable=import-outside-toplevel
            with open(out, encoding='utf-8', errors='replace') as handle:
                exported = smbfleet.parse_reg(handle.read())
        return {path.replace('HKEY_LOCAL_MACHINE', 'HKLM', 1).lower(): values for path, values in exported.items()}
    import json  # pylint: disable=import-outside-toplevel
    with open(os.path.join(fleet.state_dir, f'{host}.json'), encoding='utf-8') as handle:
        records = json.load(handle)['registry']
    prefix = root.lower()
    return {path.lower(): values for path, values in records.items() if path.lower() == prefix or path.lower().startswith(prefix + '\\')}


def keys(fleet, host, root):
    return tree(fleet, host, root)


def values(fleet, host, path):
    return keys(fleet, host, path).get(path.lower())


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def peer(request, tmp_path_factory, env_factory):
    runner = RegistryRuns(request, tmp_path_factory, env_factory, 'registry-peer', SUBNETS)
    fleet = runner.fleet
    cases = [{'case': case, 'host': HOSTS[case], 'args': args} for case, args in CASES.items()
             if request.param == 'winrm' or case not in WINRM_ONLY]
    hosts = {case['host'] for case in cases}
    runs = {'fleet': fleet, 'transport': request.param, 'initial': {h: keys(fleet, h, PEER) for h in hosts}}
    for phase, flags in (('check', ('--check', '--diff')), ('apply', ('--diff',)), ('again', ())):
        runs[phase] = runner.play(phase, cases, *flags)
        runs[f'after_{phase}'] = {h: keys(fleet, h, PEER) for h in hosts}
    return runs


def result(peer, phase, case):
    return peer[phase][case]


def unchanged_by_check(peer):
    assert peer['after_check'] == peer['initial'], 'check mode changed the registry'


def test_check_mode_changes_nothing_on_the_server(peer):
    unchanged_by_check(peer)


def test_every_case_is_idempotent(peer):
    for case, outcome in peer['again'].items():
        assert outcome.get('changed') is False, (case, outcome)
    assert peer['after_again'] == peer['after_apply']


@pytest.mark.parametrize('case, message', [
    ('fail_run_win_regedit_with_larger_dword', 'data cannot be larger than 0xffffffff when type is dword'),
    ('fail_run_win_regedit_with_larger_qword', 'data cannot be larger than 0xffffffffffffffff when type is qword'),
    ('run_win_regedit_with_invalid_path', 'path: ABCD:\\efg is not a valid registry path'),
    ('hive_is_refused', 'hive: loading a hive file cannot be done remotely'),
])
def test_refused_options_fail_with_win_regedit_message(peer, case, message):
    for phase in ('check', 'apply'):
        outcome = result(peer, phase, case)
        assert outcome['failed'] and outcome['msg'].startswith(message), outcome['msg']
        assert '\n' not in outcome['msg']
    assert values(peer['fleet'], HOST, key('larger')) is None


def test_change_string_to_binary(peer):
    path = key('change_string_to_binary').lower()
    check = result(peer, 'check', 'change_string_to_binary')
    assert check['changed'] and check['data_changed'] and check['data_type_changed']
    assert peer['after_check'][HOST][path]['data_string'] == {'type': 'REG_SZ', 'data': 'new hello world'}
    applied = result(peer, 'apply', 'change_string_to_binary')
    assert applied['changed'] and applied['data_changed'] and applied['data_type_changed']
    assert peer['after_apply'][HOST][path]['data_string'] == {'type': 'REG_BINARY', 'data': '0001'}


def test_modify_the_default_key_property(peer):
    path = key('modify_the_default_key_property').lower()
    assert result(peer, 'check', 'modify_the_default_key_property')['changed']
    assert '' not in peer['after_check'][HOST][path]
    assert result(peer, 'apply', 'modify_the_default_key_property')['changed']
    assert peer['after_apply'][HOST][path][''] == {'type': 'REG_SZ', 'data': 'default value'}


def test_create_an_actual_property_called_default(peer):
    path = key('create_an_actual_property_called_default').lower()
    assert result(peer, 'check', 'create_an_actual_property_called_default')['changed']
    assert '(Default)' not in peer['after_check'][HOST][path]
    assert result(peer, 'apply', 'create_an_actual_property_called_default')['changed']
    assert peer['after_apply'][HOST][path] == {'': {'type': 'REG_SZ', 'data': 'default value'},
                                               '(Default)': {'type': 'REG_EXPAND_SZ', 'data': 'custom default value'}}


def test_delete_property(peer):
    path = key('delete_property').lower()
    assert result(peer, 'check', 'delete_property')['changed']
    assert 'data_binary' in peer['after_check'][HOST][path]
    assert result(peer, 'apply', 'delete_property')['changed']
    assert peer['after_apply'][HOST][path] == {'data_string': {'type': 'REG_SZ', 'data': 'new hello world'}}
    assert result(peer, 'again', 'delete_property')['changed'] is False      # "delete property again"


def test_delete_the_keys_default_property(peer):
    path = key('delete_the_keys_default_property').lower()
    assert result(peer, 'check', 'delete_the_keys_default_property')['changed']
    assert '' in peer['after_check'][HOST][path]
    assert result(peer, 'apply', 'delete_the_keys_default_property')['changed']
    assert peer['after_apply'][HOST][path] == {'(Default)': {'type': 'REG_EXPAND_SZ', 'data': 'custom default value'}}


def test_delete_the_custom_default_property(peer):
    path = key('delete_the_custom_default_property').lower()
    assert result(peer, 'check', 'delete_the_custom_default_property')['changed']
    assert '(Default)' in peer['after_check'][HOST][path]
    assert result(peer, 'apply', 'delete_the_custom_default_property')['changed']
    assert peer['after_apply'][HOST][path] == {'': {'type': 'REG_SZ', 'data': 'default value'}}


def test_delete_key_and_its_sub_keys(peer):
    root = key('delete_key_and_its_sub_keys').lower()
    assert result(peer, 'check', 'delete_key_and_its_sub_keys')['changed']
    assert {f'{root}\\nest1', f'{root}\\nest2', f'{root}\\nest1\\nested'} <= set(peer['after_check'][HOST])
    assert result(peer, 'apply', 'delete_key_and_its_sub_keys')['changed']
    assert not [path for path in peer['after_apply'][HOST] if path == root or path.startswith(root + '\\')]
    assert result(peer, 'again', 'delete_key_and_its_sub_keys')['changed'] is False     # "... again"


def test_create_a_new_key_without_specifying_the_property(peer):
    path = (key('create_a_new_key_without_specifying_the_property') + '\\new').lower()
    assert path not in peer['after_check'][HOST]
    applied = result(peer, 'apply', 'create_a_new_key_without_specifying_the_property')
    assert applied['changed'] and not applied['data_changed'] and not applied['data_type_changed']
    assert peer['after_apply'][HOST][path] == {}


def test_create_property_like_a_json_string(peer):
    path = (key('create_property_like_a_json_string') + '\\NewKey').lower()
    assert result(peer, 'check', 'create_property_like_a_json_string')['changed']
    assert path not in peer['after_check'][HOST]
    assert result(peer, 'apply', 'create_property_like_a_json_string')['changed']
    assert peer['after_apply'][HOST][path] == {'{7f51bda7-bcea-465a-9eb6-5a2bcd9cb52f}': {'type': 'REG_SZ', 'data': 'test data'}}


def test_create_key_with_create_key_false(peer):
    outcome = result(peer, 'apply', 'create_key_with_create_key_false')
    assert outcome['failed'] and outcome['error_kind'] == 'not_found' and 'create_key' in outcome['msg']
    assert (key('create_key_with_create_key_false') + '\\absent').lower() not in peer['after_apply'][HOST]


def test_qword_on_nt4(peer):
    if peer['transport'] != 'winrm':
        pytest.skip('no Samba host can pose as Windows NT 4.0 (see WINRM_ONLY)')
    outcome = result(peer, 'apply', 'qword_on_nt4')
    assert outcome['failed'] and outcome['error_kind'] == 'unsupported' and 'Windows NT 4.0' in outcome['msg']
    assert peer['after_apply']['nt4_server'][key('qword_on_nt4').lower()] == {'marker': {'type': 'REG_SZ', 'data': 'parent'}}
