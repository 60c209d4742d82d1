# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups: the .reg file and the prior-state record are written whole, privately, and read back strictly."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import RECORD_FORMAT, load_record, write_backup
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, parse_regedit4

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
NAME = 'OWA Url Protocol'
VALUES = {'DB Path': RegValue('REG_SZ', 'E:\\exchsrvr\\mdbdata\\priv.edb'), NAME: RegValue('REG_EXPAND_SZ', 'https:'),
          'Reset Views': RegValue('REG_DWORD', 0)}


def backup(tmp_path, host='exsrv01', prior=VALUES[NAME]):
    return write_backup(str(tmp_path), host, remote_host='10.0.0.5', transport='smb', key=KEY, values=VALUES,
                        value_name=NAME, prior=prior, planned=RegValue('REG_SZ', 'https:'))


def test_the_reg_file_holds_the_whole_key_and_the_record_the_prior_value(tmp_path):
    reg_path, record_path = backup(tmp_path)
    with open(reg_path, 'rb') as handle:
        key, values = parse_regedit4(handle.read().decode('cp1252'))
    assert key == 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
    assert values == VALUES
    prior, record = load_record(record_path, 'exsrv01', KEY, NAME)
    assert prior == RegValue('REG_EXPAND_SZ', 'https:')
    assert record['reg_file'] == os.path.basename(reg_path) and record['planned'] == {'type': 'REG_SZ', 'data': 'https:'}
    for path in (reg_path, record_path):
        assert os.stat(path).st_mode & 0o777 == 0o600
    assert os.stat(os.path.dirname(reg_path)).st_mode & 0o777 == 0o700
    assert sorted(os.listdir(os.path.dirname(reg_path))) == sorted([os.path.basename(reg_path), os.path.basename(record_path)])


def test_an_absent_prior_value_is_recorded_as_null(tmp_path):
    _reg, record_path = backup(tmp_path, prior=None)
    assert load_record(record_path, 'exsrv01', KEY, NAME)[0] is None


def test_host_names_cannot_escape_the_backup_directory(tmp_path):
    reg_path, _record = backup(tmp_path, host='../../etc')
    assert os.path.realpath(reg_path).startswith(str(tmp_path) + os.sep)


@pytest.mark.parametrize('content,message', [
    ('not json', 'invalid JSON'),
    ('[]', 'format legacy_exchange.exchange55/q294406-backup/1 expected'),
    (json.dumps({'format': RECORD_FORMAT, 'inventory_hostname': 'other', 'key': KEY, 'value_name': NAME}), "records host 'other'"),
    (json.dumps({'format': RECORD_FORMAT, 'inventory_hostname': 'exsrv01', 'key': 'HKLM\\SOFTWARE\\X', 'value_name': NAME}), 'not HKLM'),
    (json.dumps({'format': RECORD_FORMAT, 'inventory_hostname': 'exsrv01', 'key': KEY, 'value_name': NAME,
                 'prior': {'type': 'REG_SZ', 'data': 5}}), 'invalid prior value'),
])
def test_a_record_that_is_not_this_hosts_is_refused_in_one_line(tmp_path, content, message):
    path = tmp_path / 'record.json'
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as raised:
        load_record(str(path), 'exsrv01', KEY, NAME)
    assert '\n' not in str(raised.value)


def test_a_missing_record_says_so(tmp_path):
    with pytest.raises(ValueError, match='cannot read the backup record'):
        load_record(str(tmp_path / 'missing.json'), 'exsrv01', KEY, NAME)
