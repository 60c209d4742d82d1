# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""win_regedit's rules as pure functions: paths, types, data forms, plans, restores."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _regedit
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._regedit import KeyState, RegeditError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue


@pytest.mark.parametrize('path, expected', [
    ('HKLM:\\SOFTWARE\\MyCompany', 'HKLM\\SOFTWARE\\MyCompany'),
    ('HKLM\\SOFTWARE\\MyCompany', 'HKLM\\SOFTWARE\\MyCompany'),
    ('HKEY_LOCAL_MACHINE\\SOFTWARE\\MyCompany\\', 'HKLM\\SOFTWARE\\MyCompany'),
    ('HKU:\\.DEFAULT\\Keyboard Layout', 'HKU\\.DEFAULT\\Keyboard Layout'),
    ('HKCR:\\.txt', 'HKCR\\.txt'),
    ('HKCC:\\Software', 'HKCC\\Software'),
    ('hklm:\\software\\x', 'HKLM\\software\\x'),
])
def test_paths_in_every_form(path, expected):
    assert _regedit.normalize_path(path) == expected


@pytest.mark.parametrize('path, message', [
    ('HKCU:\\Software\\X', 'no current user'),
    ('HKEY_CURRENT_USER\\Software', 'no current user'),
    ('ABCD:\\efg', 'path: ABCD:\\efg is not a valid registry path'),
    ('', 'path is required'),
])
def test_bad_paths(path, message):
    with pytest.raises(RegeditError, match=None) as raised:
        _regedit.normalize_path(path)
    assert message in str(raised.value)


def test_a_hive_root_cannot_be_written():
    assert _regedit.normalize_path('HKLM:\\') == 'HKLM'
    with pytest.raises(RegeditError, match='hive root'):
        _regedit.normalize_path('HKLM:\\', for_write=True)


@pytest.mark.parametrize('given, reg_type', [
    ('string', 'REG_SZ'), ('dword', 'REG_DWORD'), ('REG_MULTI_SZ', 'REG_MULTI_SZ'),
    ('expandstring', 'REG_EXPAND_SZ'), ('QWORD', 'REG_QWORD'), (None, 'REG_SZ'),
])
def test_type_names(given, reg_type):
    assert _regedit.normalize_type(given) == reg_type


@pytest.mark.parametrize('text, expected', [
    ('hex:be,ef,be,ef', b'\xbe\xef\xbe\xef'), ('be,ef', b'\xbe\xef'), ('beef', b'\xbe\xef'), ('0xbe,0xef', b'\xbe\xef'),
    ('hex:00,01', b'\x00\x01'), ('a', b'\x0a'), ('', b''), ('hex:', b''), ('HEX:BE, EF', b'\xbe\xef'),
])
def test_binary_text_forms(text, expected):
    assert _regedit.hex_to_bytes(text) == expected


@pytest.mark.parametrize('data, reg_type, expected', [
    (1337, 'REG_DWORD', 1337), ('0xff2500ae', 'REG_DWORD', 0xff2500ae), ('1960', 'REG_DWORD', 1960), (None, 'REG_DWORD', 0),
    (-1, 'REG_DWORD', 0xffffffff), ('0xffffffffffffffff', 'REG_QWORD', 2 ** 64 - 1), (-1, 'REG_QWORD', 2 ** 64 - 1),
])
def test_number_forms(data, reg_type, expected):
    assert _regedit.to_value(data, reg_type, 'x') == RegValue(reg_type, expected)


@pytest.mark.parametrize('data, reg_type, message', [
    ('0xffffffff1', 'REG_DWORD', 'data cannot be larger than 0xffffffff when type is dword'),
    (2 ** 64, 'REG_QWORD', 'data cannot be larger than 0xffffffffffffffff when type is qword'),
    (True, 'REG_DWORD', 'must be a number'),
    (256, 'REG_BINARY', "cannot convert binary data '256' to byte array"),
    ([1, 300], 'REG_BINARY', 'from 0 to 255'),
    (['a', ''], 'REG_MULTI_SZ', 'cannot be empty'),
    (['a'], 'REG_SZ', 'use type multistring'),
    ('zz', 'REG_BINARY', 'is not hex'),
])
def test_bad_data(data, reg_type, message):
    with pytest.raises(RegeditError) as raised:
        _regedit.to_value(data, reg_type, 'x')
    assert message in str(raised.value)


def test_strings_lists_and_the_default_value():
    assert _regedit.to_value(None, 'REG_SZ', '') is None                 # no data, default value: only the key
    assert _regedit.to_value(None, 'REG_SZ', 'named') == RegValue('REG_SZ', '')
    assert _regedit.to_value(5, 'REG_SZ', 'x') == RegValue('REG_SZ', '5')
    assert _regedit.to_value('one', 'REG_MULTI_SZ', 'x') == RegValue('REG_MULTI_SZ', ['one'])
    assert _regedit.to_value(None, 'REG_MULTI_SZ', 'x') == RegValue('REG_MULTI_SZ', [])
    assert _regedit.to_value([0xbe, 0xef], 'REG_BINARY', 'x') == RegValue('REG_BINARY', b'\xbe\xef')


def test_plans_report_what_win_regedit_reports():
    sz, binary = RegValue('REG_SZ', 'new hello world'), RegValue('REG_BINARY', b'\x00\x01')
    change = _regedit.plan_present('K', True, 'data_string', sz, binary)
    assert (change.action, change.data_changed, change.data_type_changed) == ('set', True, True)
    same_data = _regedit.plan_present('K', True, 'n', RegValue('REG_DWORD', 1), RegValue('REG_QWORD', 1))
    assert (same_data.data_changed, same_data.data_type_changed) == (False, True)
    fresh = _regedit.plan_present('K', True, 'n', None, sz)
    assert (fresh.action, fresh.data_changed, fresh.data_type_changed) == ('set', False, False)
    assert _regedit.plan_present('K', False, '', None, None).action == 'create_key'
    assert _regedit.plan_present('K', True, 'n', sz, sz).action == 'none'
    assert _regedit.plan_absent('K', True, None, KeyState({}), True).action == 'delete_key'
    assert _regedit.plan_absent('K', True, 'n', None, True).action == 'none'
    assert _regedit.plan_absent('K', False, None, None, True).action == 'none'


@pytest.mark.parametrize('version, refused', [('4.0', True), ('3.51', True), ('5.0', False), ('5.2', False), (None, False)])
def test_qword_refusal_on_nt4(version, refused):
    assert bool(_regedit.qword_refusal('REG_QWORD', version)) is refused
    assert _regedit.qword_refusal('REG_DWORD', version) is None


def test_restore_ops_bring_back_values_and_subkeys():
    prior = KeyState({'a': RegValue('REG_SZ', '1'), '': RegValue('REG_SZ', '')},
                     {'Sub': KeyState({'d': RegValue('REG_DWORD', 7)})})
    current = KeyState({'A': RegValue('REG_SZ', 'changed'), 'extra': RegValue('REG_DWORD', 1)},
                       {'new': KeyState({}), 'sub': KeyState({'d': RegValue('REG_DWORD', 7)})})
    ops = _regedit.restore_ops('K', current, prior, 'tree')
    # 'A' is recorded as 'a': deleted and written again under the recorded spelling (Windows would keep 'A' on a write)
    assert ops == [('delete_value', 'K', 'A'), ('set', 'K', 'a', RegValue('REG_SZ', '1')), ('set', 'K', '', RegValue('REG_SZ', '')),
                   ('delete_value', 'K', 'extra'), ('delete_key', 'K\\new')]
    assert _regedit.restore_ops('K', None, prior, 'key')[0] == ('create_key', 'K')
    assert _regedit.restore_ops('K', current, None, 'tree') == [('delete_key', 'K')]
    assert _regedit.restore_ops('K', prior, prior, 'tree') == []
    assert _regedit.same_state(prior, KeyState.from_record(prior.to_record()), 'tree')
    assert not _regedit.same_state(prior, current, 'key')


def test_a_restore_puts_back_the_recorded_spelling_when_only_the_case_differs():
    prior = KeyState({'owa url protocol': RegValue('REG_SZ', 'http:')}, {})
    current = KeyState({'OWA Url Protocol': RegValue('REG_SZ', 'http:')}, {})
    assert _regedit.restore_ops('K', current, prior, 'key') == [
        ('delete_value', 'K', 'OWA Url Protocol'), ('set', 'K', 'owa url protocol', RegValue('REG_SZ', 'http:'))]
    assert _regedit.same_state(current, prior, 'key') and not _regedit.same_state(current, prior, 'key', spelling=True)
    assert _regedit.restore_ops('K', prior, prior, 'key') == []


def test_what_a_change_overwrites_is_what_a_rollback_must_write_back():
    tree = KeyState({'a': RegValue('REG_SZ', '1')}, {'Sub': KeyState({'': RegValue('REG_NONE', b'')})})
    assert _regedit.overwritten('K', _regedit.plan_present('K', True, 'a', RegValue('REG_SZ', '1'), RegValue('REG_SZ', '2'))) == [
        ('K\\a', RegValue('REG_SZ', '1'))]
    assert _regedit.overwritten('K', _regedit.plan_present('K', True, 'a', None, RegValue('REG_SZ', '2'))) == []
    assert _regedit.overwritten('K', _regedit.plan_absent('K', True, None, tree, True)) == [
        ('K\\a', RegValue('REG_SZ', '1')), ('K\\Sub\\(default)', RegValue('REG_NONE', b''))]
    current = KeyState({'a': RegValue('REG_SZ', 'changed'), 'extra': RegValue('REG_DWORD', 1)}, {'new': KeyState({'x': RegValue('REG_NONE', b'')})})
    ops = _regedit.restore_ops('K', current, KeyState({'a': RegValue('REG_SZ', '1')}), 'tree')
    assert _regedit.ops_overwrite(current, 'K', ops) == [('K\\a', RegValue('REG_SZ', 'changed')), ('K\\extra', RegValue('REG_DWORD', 1)),
                                                         ('K\\new\\x', RegValue('REG_NONE', b''))]


def test_same_state_takes_the_hosts_comparison():
    """A restore over WinRM reads REG_EXPAND_SZ back expanded: same_state compares with the host's same_as_written."""
    wanted = KeyState({'p': RegValue('REG_EXPAND_SZ', '%SystemRoot%\\x')})
    stored = KeyState({'p': RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\x')})
    assert not _regedit.same_state(stored, wanted, 'key')
    assert _regedit.same_state(stored, wanted, 'key', lambda want, got: got.data == 'C:\\WINNT\\x')


@pytest.mark.parametrize('given', ['none', 'REG_NONE', 'reg_none'])
def test_type_none_is_accepted_as_win_regedit_accepts_it(given):
    assert _regedit.normalize_type(given) == 'REG_NONE'
    assert _regedit.to_value('hex:be,ef', 'REG_NONE', 'v') == RegValue('REG_NONE', b'\xbe\xef')
    assert _regedit.to_value(None, 'REG_NONE', 'v') == RegValue('REG_NONE', b'')


def test_plan_present_takes_the_hosts_comparison():
    """Over WinRM a REG_EXPAND_SZ is read expanded: with the host's comparison a second run of %SystemRoot%\\x is no change."""
    wanted = RegValue('REG_EXPAND_SZ', '%SystemRoot%\\x')
    read = RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\x')
    assert _regedit.plan_present('K', True, 'p', read, wanted).action == 'set'
    assert _regedit.plan_present('K', True, 'p', read, wanted, same=lambda want, got: got.data == 'C:\\WINNT\\x').action == 'none'


def test_expand_is_expand_environment_strings():
    environment = {'systemroot': 'C:\\WINNT', 'custom': 'x'}
    assert _regedit.expand('%SystemRoot%\\system32;%CUSTOM%;%nope%;100%', environment) == 'C:\\WINNT\\system32;x;%nope%;100%'


def test_the_system_environment_from_the_registry():
    """SystemRoot and SystemDrive from CurrentVersion\\SystemRoot; Session Manager\\Environment's REG_SZ values, then its
    REG_EXPAND_SZ values expanded with what is known."""
    session = {'windir': RegValue('REG_EXPAND_SZ', '%SystemRoot%'), 'OS': RegValue('REG_SZ', 'Windows_NT'),
               'Path': RegValue('REG_EXPAND_SZ', '%SystemRoot%\\system32;%windir%'), 'Flags': RegValue('REG_DWORD', 1)}
    environment = _regedit.system_environment('C:\\WINNT', session)
    assert environment['systemroot'] == 'C:\\WINNT' and environment['systemdrive'] == 'C:' and environment['os'] == 'Windows_NT'
    assert environment['windir'] == 'C:\\WINNT' and environment['path'] == 'C:\\WINNT\\system32;C:\\WINNT' and 'flags' not in environment
    assert _regedit.system_environment(None, {}) == {}
