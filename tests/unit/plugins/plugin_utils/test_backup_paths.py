# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups are found again: one host-name mapping without collisions, one path resolution for every
controller path, the lookup the rollback uses, and .reg files in the server's code page or as Version 5.00."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.lookup.backup_records import LookupModule
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import (
    find_records,
    host_directory_name,
    load_record,
    resolve_path,
    write_backup,
)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, export_regedit4, parse_regedit4

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
NAME = 'OWA Url Protocol'
ODD_NAMES = ['norm@05', 'norm 07', 'col@x', 'col_x', 'col x', 'col%40x', '.hidden', '..', '.', 'UPPER', 'upper', 'Größe',
             'a/b', 'a\\b', '東京', 'tab\there', 'x' * 200, '_', '-', 'col__x']


def backup(directory, host, values=None, encoding='cp1252', prior=RegValue('REG_SZ', 'http:')):
    values = values if values is not None else {NAME: prior}
    return write_backup(directory, host, remote_host='10.0.0.5', transport='winrm', key=KEY, values=values,
                        value_name=NAME, prior=prior, planned=RegValue('REG_SZ', 'https:'), encoding=encoding)


def test_host_names_map_to_distinct_plain_directory_names():
    names = {host_directory_name(host) for host in ODD_NAMES}
    assert len(names) == len(ODD_NAMES)              # no two hosts share a directory
    for name in names:
        assert name not in ('', '.', '..') and '/' not in name and '\\' not in name and '\0' not in name
        assert not name.startswith('.')
    assert host_directory_name('exsrv01.corp-1_a') == 'exsrv01.corp-1_a'      # ordinary names unchanged


def test_every_odd_host_name_finds_its_own_records_and_no_other(tmp_path):
    for host in ODD_NAMES:
        backup(str(tmp_path), host)
    for host in ODD_NAMES:
        records = find_records(str(tmp_path), host)
        assert len(records) == 1, host
        assert load_record(records[0], host, KEY, NAME)[1]['inventory_hostname'] == host


def test_records_in_the_old_sanitised_directory_are_found_only_for_their_host(tmp_path):
    old = tmp_path / 'col_x'          # before: 'col@x' and 'col_x' both went here
    old.mkdir()
    for host, stamp in (('col@x', '1'), ('col_x', '2')):
        (old / f'ParametersPrivate.2026010{stamp}T000000.000000Z.json').write_text(json.dumps({
            'format': 'legacy_exchange.exchange55/q294406-backup/1', 'inventory_hostname': host, 'key': KEY,
            'value_name': NAME, 'prior': None}))
    assert [os.path.basename(p) for p in find_records(str(tmp_path), 'col@x')] == ['ParametersPrivate.20260101T000000.000000Z.json']
    assert [os.path.basename(p) for p in find_records(str(tmp_path), 'col_x')] == ['ParametersPrivate.20260102T000000.000000Z.json']


def test_relative_and_home_paths_resolve_the_same_way_everywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv('HOME', str(tmp_path / 'home'))
    assert resolve_path('backups') == str(tmp_path / 'backups')
    assert resolve_path('~/b') == str(tmp_path / 'home' / 'b')
    assert resolve_path(None, '~/.ansible/x') == str(tmp_path / 'home' / '.ansible' / 'x')
    reg_path, record_path = backup('backups', 'exsrv01')
    assert reg_path.startswith(str(tmp_path / 'backups') + os.sep) and os.path.isabs(record_path)
    assert find_records('backups', 'exsrv01') == [record_path]
    assert find_records(str(tmp_path / 'backups'), 'exsrv01') == [record_path]
    backup('~/bk', 'exsrv02')
    assert find_records('~/bk', 'exsrv02') == find_records(str(tmp_path / 'home' / 'bk'), 'exsrv02')
    # restore_from takes a relative record path too
    relative = os.path.relpath(record_path, str(tmp_path))
    assert load_record(relative, 'exsrv01', KEY, NAME)[0] == RegValue('REG_SZ', 'http:')


def test_the_lookup_finds_newest_records_without_warning(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    first, = backup('bk', 'norm@05')[1:]
    second, = backup('bk', 'norm@05')[1:]
    lookup = LookupModule()
    assert lookup.run(['norm@05', 'nobody'], backup_dir='bk') == [second, '']
    assert lookup.run([['norm@05', 'nobody']], backup_dir='bk', want='all') == [first, second]
    assert lookup.run([], backup_dir='bk', want='directory') == [str(tmp_path / 'bk')]


@pytest.mark.parametrize('encoding, text', [('cp1251', 'Сервер'), ('cp932', '東京サーバ'), ('cp1252', 'Größe')])
def test_the_reg_file_is_written_in_the_servers_code_page(tmp_path, encoding, text):
    values = {NAME: RegValue('REG_SZ', 'http:'), text: RegValue('REG_SZ', text), 'X': RegValue('REG_EXPAND_SZ', text + '%SystemRoot%')}
    reg_path, record_path = backup(str(tmp_path), 'exsrv01', values, encoding)
    raw = open(reg_path, 'rb').read()
    plain = {name: value for name, value in values.items() if value.type == 'REG_SZ'}
    key, parsed = parse_regedit4(export_regedit4(KEY, plain, encoding))     # the text form reads back
    assert raw.startswith(b'REGEDIT4\r\n') and key.endswith('ParametersPrivate')
    assert parsed[text] == RegValue('REG_SZ', text)
    hex_bytes = ','.join(f'{b:02x}' for b in (text + '%SystemRoot%').encode(encoding) + b'\0')
    assert hex_bytes[:30] in raw.decode(encoding)          # REG_EXPAND_SZ in hex(2): the code page's bytes
    assert json.load(open(record_path))['reg_encoding'] == encoding


def test_a_character_outside_the_code_page_names_both_ways_out(tmp_path):
    with pytest.raises(ValueError) as raised:
        backup(str(tmp_path), 'exsrv01', {NAME: RegValue('REG_SZ', 'http:'), 'Name': RegValue('REG_SZ', 'Сервер')})
    assert 'backup_encoding' in str(raised.value) and 'cp1251' in str(raised.value) and 'utf-16' in str(raised.value)
    assert 'Windows Registry Editor Version 5.00' in str(raised.value)
    assert not os.listdir(tmp_path)                  # nothing half-written


def test_utf16_writes_a_version_5_file_with_a_bom(tmp_path):
    values = {NAME: RegValue('REG_SZ', 'http:'), 'Имя': RegValue('REG_SZ', '東京'), 'Path': RegValue('REG_EXPAND_SZ', '%SystemRoot%\\x'),
              'List': RegValue('REG_MULTI_SZ', ('a', 'б'))}
    reg_path, _record = backup(str(tmp_path), 'exsrv01', values, 'utf-16')
    raw = open(reg_path, 'rb').read()
    assert raw.startswith(b'\xff\xfe' + 'Windows Registry Editor Version 5.00\r\n\r\n'.encode('utf-16-le'))
    text = raw[2:].decode('utf-16-le')
    assert '"Имя"="東京"' in text
    # REG_EXPAND_SZ in hex(2) as UTF-16LE with a two-byte NUL ("all those interspersed zeroes", regporte.c)
    expected = ','.join(f'{b:02x}' for b in '%SystemRoot%\\x'.encode('utf-16-le') + b'\0\0')
    assert expected[:40] in text.replace('\\\r\n  ', '')


def test_an_unknown_code_page_is_one_line(tmp_path):
    with pytest.raises(ValueError, match="backup_encoding 'klingon' is not a code page"):
        backup(str(tmp_path), 'exsrv01', encoding='klingon')


def test_the_backup_precheck_finds_what_would_stop_the_backup(tmp_path):
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import check_backup
    values = {NAME: RegValue('REG_SZ', 'http:')}
    check_backup(str(tmp_path / 'new' / 'dir'), KEY, values)                     # creatable: fine, nothing created
    assert not (tmp_path / 'new').exists()
    (tmp_path / 'file').write_text('x')
    with pytest.raises(ValueError, match='is not a directory'):
        check_backup(str(tmp_path / 'file' / 'sub'), KEY, values)
    with pytest.raises(ValueError, match='backup_encoding'):
        check_backup(str(tmp_path), KEY, {NAME: RegValue('REG_SZ', 'Сервер')})
    check_backup(str(tmp_path), KEY, {NAME: RegValue('REG_SZ', 'Сервер')}, 'utf-16')
    locked = tmp_path / 'locked'
    locked.mkdir(mode=0o500)
    if os.geteuid() != 0:                                                       # root writes anywhere
        with pytest.raises(ValueError, match='not writable'):
            check_backup(str(locked / 'b'), KEY, values)
