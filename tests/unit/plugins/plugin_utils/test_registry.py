# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of the registry value model, key paths and REGEDIT4 export/import."""

from __future__ import annotations

import json

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import (
    REGEDIT4_ENCODING,
    REGEDIT5_ENCODING,
    TYPE_CODES,
    RegValue,
    export_reg_file,
    decode_value,
    encode_value,
    export_regedit4,
    hive_handle,
    long_key_path,
    parse_key_path,
    parse_regedit4,
    type_name,
)

PARAMETERS_PRIVATE = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
PARAMETERS_PRIVATE_LONG = 'HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'


# --- RegValue ------------------------------------------------------------------------------------

@pytest.mark.parametrize('kind, data, stored', [
    ('REG_SZ', 'https:', 'https:'),
    ('REG_SZ', '', ''),
    ('REG_EXPAND_SZ', '%SystemRoot%\\temp', '%SystemRoot%\\temp'),
    ('REG_DWORD', 0, 0),
    ('REG_DWORD', 2 ** 32 - 1, 2 ** 32 - 1),
    ('REG_QWORD', 2 ** 64 - 1, 2 ** 64 - 1),
    ('REG_MULTI_SZ', ['SMTP', 'X.400'], ('SMTP', 'X.400')),
    ('REG_MULTI_SZ', (), ()),
    ('REG_BINARY', b'\x01\x02', b'\x01\x02'),
    ('REG_BINARY', bytearray(b'\x01\x02'), b'\x01\x02'),
    ('REG_BINARY', memoryview(b'\x01\x02'), b'\x01\x02'),
    ('REG_BINARY', [1, 2, 255], b'\x01\x02\xff'),
])
def test_regvalue_accepts_and_normalises_data(kind, data, stored):
    value = RegValue(kind, data)
    assert value.data == stored
    assert type(value.data) is type(stored)


@pytest.mark.parametrize('kind, data, message', [
    ('REG_FOO', '', 'unsupported registry value type'),
    ('REG_TYPE_', b'', 'unsupported registry value type'),
    ('REG_TYPE_4294967296', b'', 'unsupported registry value type'),
    ('REG_TYPE_5', b'', 'unsupported registry value type'),     # 5 has a name: REG_DWORD_BIG_ENDIAN
    ('REG_NONE', 'abc', 'REG_NONE data must be bytes'),
    ('REG_TYPE_4242', 'abc', 'REG_TYPE_4242 data must be bytes'),
    ('reg_sz', 'x', 'unsupported registry value type'),
    ('REG_SZ', 5, 'REG_SZ data must be a string'),
    ('REG_SZ', b'https:', 'REG_SZ data must be a string'),
    ('REG_EXPAND_SZ', None, 'REG_EXPAND_SZ data must be a string'),
    ('REG_DWORD', -1, 'from 0 to 4294967295'),
    ('REG_DWORD', 2 ** 32, 'from 0 to 4294967295'),
    ('REG_DWORD', True, 'from 0 to 4294967295'),
    ('REG_DWORD', '10', 'from 0 to 4294967295'),
    ('REG_QWORD', 2 ** 64, 'from 0 to 18446744073709551615'),
    ('REG_MULTI_SZ', 'SMTP', 'must be a list of strings'),
    ('REG_MULTI_SZ', ['SMTP', 5], 'must be a list of strings'),
    ('REG_MULTI_SZ', 7, 'must be a list of strings'),
    ('REG_MULTI_SZ', (item for item in ['SMTP']), 'must be a list of strings'),
    ('REG_MULTI_SZ', ['a\0b'], 'cannot contain NUL'),
    ('REG_BINARY', 'abc', 'REG_BINARY data must be bytes'),
    ('REG_BINARY', [1, 256], 'integers from 0 to 255'),
    ('REG_BINARY', [1, -1], 'integers from 0 to 255'),
    ('REG_BINARY', [1, 'a'], 'integers from 0 to 255'),
])
def test_regvalue_rejects_bad_data_with_one_line_message(kind, data, message):
    with pytest.raises(ValueError, match=message) as caught:
        RegValue(kind, data)
    assert '\n' not in str(caught.value)


def test_regvalue_type_change_is_a_change():
    assert RegValue('REG_SZ', 'https:') == RegValue('REG_SZ', 'https:')
    assert RegValue('REG_SZ', 'https:') != RegValue('REG_EXPAND_SZ', 'https:')
    assert RegValue('REG_SZ', 'https:') != RegValue('REG_SZ', 'http:')
    assert RegValue('REG_SZ', 'https:') != RegValue('REG_SZ', 'HTTPS:')
    assert RegValue('REG_DWORD', 1) != RegValue('REG_QWORD', 1)
    assert RegValue('REG_MULTI_SZ', ['a']) == RegValue('REG_MULTI_SZ', ('a',))
    assert len({RegValue('REG_SZ', 'x'), RegValue('REG_SZ', 'x'), RegValue('REG_EXPAND_SZ', 'x')}) == 2


def test_regvalue_is_immutable():
    value = RegValue('REG_SZ', 'https:')
    with pytest.raises(AttributeError):
        value.data = 'http:'


@pytest.mark.parametrize('name, code', sorted(TYPE_CODES.items()))
def test_type_codes_round_trip(name, code):
    assert type_name(code) == name
    sample = {'REG_SZ': 'x', 'REG_EXPAND_SZ': 'x', 'REG_BINARY': b'x', 'REG_DWORD': 1, 'REG_MULTI_SZ': ['x'], 'REG_QWORD': 1}[name]
    value = RegValue.from_code(code, sample)
    assert value.type == name
    assert value.type_code == code


@pytest.mark.parametrize('code', ['x', None, -1, 2 ** 32, True, 1.0])
def test_type_name_rejects_what_is_not_a_type_number(code):
    with pytest.raises(ValueError, match='unsupported registry value type'):
        type_name(code)


@pytest.mark.parametrize('code, name', [
    (0, 'REG_NONE'), (5, 'REG_DWORD_BIG_ENDIAN'), (6, 'REG_LINK'), (8, 'REG_RESOURCE_LIST'),
    (9, 'REG_FULL_RESOURCE_DESCRIPTOR'), (10, 'REG_RESOURCE_REQUIREMENTS_LIST'), (12, 'REG_TYPE_12'),
    (0x4242, 'REG_TYPE_16962'), (2 ** 32 - 1, 'REG_TYPE_4294967295'),
])
def test_every_type_number_has_a_name_and_bytes_data(code, name):
    assert type_name(code) == name
    value = RegValue.from_raw(code, b'\x01\x02\x03')
    assert (value.type, value.type_code, value.data, value.raw) == (name, code, b'\x01\x02\x03', None)
    assert RegValue.from_record(json.loads(json.dumps(value.to_record()))) == value
    assert value.to_text() == f'{name} hex:01,02,03'


@pytest.mark.parametrize('value, text', [
    (RegValue('REG_SZ', 'https:'), 'REG_SZ "https:"'),
    (RegValue('REG_SZ', 'C:\\exchsrvr\\"x"'), 'REG_SZ "C:\\\\exchsrvr\\\\\\"x\\""'),
    (RegValue('REG_EXPAND_SZ', '%SystemRoot%'), 'REG_EXPAND_SZ "%SystemRoot%"'),
    (RegValue('REG_DWORD', 10), 'REG_DWORD 0x0000000a (10)'),
    (RegValue('REG_QWORD', 10), 'REG_QWORD 0x000000000000000a (10)'),
    (RegValue('REG_MULTI_SZ', ['SMTP', 'X.400']), 'REG_MULTI_SZ ["SMTP", "X.400"]'),
    (RegValue('REG_MULTI_SZ', []), 'REG_MULTI_SZ []'),
    (RegValue('REG_BINARY', b'\x01\xab'), 'REG_BINARY hex:01,ab'),
    (RegValue('REG_BINARY', b''), 'REG_BINARY hex:'),
])
def test_to_text(value, text):
    assert value.to_text() == text


ALL_KINDS = [
    RegValue('REG_SZ', 'https:'),
    RegValue('REG_SZ', ''),
    RegValue('REG_EXPAND_SZ', '%SystemRoot%\\temp'),
    RegValue('REG_BINARY', bytes(range(256))),
    RegValue('REG_BINARY', b''),
    RegValue('REG_DWORD', 2 ** 32 - 1),
    RegValue('REG_MULTI_SZ', ['SMTP', '', 'X.400']),
    RegValue('REG_MULTI_SZ', []),
    RegValue('REG_QWORD', 2 ** 64 - 1),
]


@pytest.mark.parametrize('value', ALL_KINDS, ids=lambda value: value.type)
def test_record_round_trips_through_json(value):
    record = json.loads(json.dumps(value.to_record()))
    assert record['type'] == value.type
    assert RegValue.from_record(record) == value


def test_record_shape():
    assert RegValue('REG_BINARY', b'\x01\xab').to_record() == {'type': 'REG_BINARY', 'data': '01ab'}
    assert RegValue('REG_MULTI_SZ', ('a',)).to_record() == {'type': 'REG_MULTI_SZ', 'data': ['a']}
    assert RegValue('REG_SZ', 'https:').to_record() == {'type': 'REG_SZ', 'data': 'https:'}


@pytest.mark.parametrize('record, message', [
    ({'type': 'REG_SZ'}, 'needs "type" and "data"'),
    ({'data': 'x'}, 'needs "type" and "data"'),
    (['REG_SZ', 'x'], 'needs "type" and "data"'),
    ({'type': 'REG_BINARY', 'data': 'zz'}, 'hex string'),
    ({'type': 'REG_BINARY', 'data': [1, 2]}, 'hex string'),
    ({'type': 'REG_DWORD', 'data': 'ten'}, 'REG_DWORD data must be an integer'),
    ({'type': 'REG_FOO', 'data': 'x'}, 'unsupported registry value type'),
])
def test_from_record_rejects_malformed_records(record, message):
    with pytest.raises(ValueError, match=message):
        RegValue.from_record(record)


# --- key paths -----------------------------------------------------------------------------------

@pytest.mark.parametrize('key, parsed', [
    (PARAMETERS_PRIVATE, ('HKLM', 'SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate')),
    (PARAMETERS_PRIVATE_LONG, ('HKLM', 'SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate')),
    ('hklm\\SOFTWARE\\Microsoft', ('HKLM', 'SOFTWARE\\Microsoft')),
    ('HKLM:\\SOFTWARE', ('HKLM', 'SOFTWARE')),
    ('HKLM/SOFTWARE/Microsoft', ('HKLM', 'SOFTWARE\\Microsoft')),
    ('  HKLM\\SOFTWARE\\\\Microsoft\\  ', ('HKLM', 'SOFTWARE\\Microsoft')),
    ('HKLM', ('HKLM', '')),
    ('HKEY_USERS\\.DEFAULT', ('HKU', '.DEFAULT')),
    ('HKCU\\Software', ('HKCU', 'Software')),
    ('HKEY_CLASSES_ROOT\\.reg', ('HKCR', '.reg')),
    ('HKCC\\System', ('HKCC', 'System')),
])
def test_parse_key_path(key, parsed):
    assert parse_key_path(key) == parsed


@pytest.mark.parametrize('key, message', [
    ('', 'a registry key path is required'),
    ('   ', 'a registry key path is required'),
    (None, 'a registry key path is required'),
    ('SOFTWARE\\Microsoft', 'does not start with a hive'),
    ('HKXX\\SOFTWARE', 'does not start with a hive'),
])
def test_parse_key_path_rejects(key, message):
    with pytest.raises(ValueError, match=message):
        parse_key_path(key)


def test_hive_handles_and_long_paths():
    assert hive_handle('HKLM') == 2147483650
    assert hive_handle('HKCR') == 2147483648
    assert long_key_path(PARAMETERS_PRIVATE) == PARAMETERS_PRIVATE_LONG
    assert long_key_path('hkcu') == 'HKEY_CURRENT_USER'


# --- REGEDIT4 export -----------------------------------------------------------------------------

def parameters_private_values():
    """A realistic ParametersPrivate key as an Exchange 5.5 server might hold it."""
    return {
        'DB Path': RegValue('REG_SZ', 'C:\\exchsrvr\\mdbdata\\priv.edb'),
        'Background Cleanup': RegValue('REG_DWORD', 60000),
        'Admin "Note"': RegValue('REG_SZ', 'set by "Q294406"'),
        'Working Directory': RegValue('REG_EXPAND_SZ', '%SystemRoot%\\temp'),
        'Gateway Names': RegValue('REG_MULTI_SZ', ['SMTP', 'X.400']),
        'Private MDB Signature': RegValue('REG_BINARY', bytes(range(48))),
        'lazy Commit': RegValue('REG_DWORD', 1),
        'OWA Url Protocol': RegValue('REG_SZ', 'https:'),
        '': RegValue('REG_SZ', 'Private Information Store'),
    }


# Written by hand from the format rules, not produced by the code under test.  The binary value's
# first line holds 17 bytes (its prefix is 28 characters and regedit wraps once a comma reaches
# column 77), later lines 25; the EXPAND_SZ wraps just before its terminating NUL.  "lazy Commit"
# sorts between G and O: the order is case-insensitive.
PARAMETERS_PRIVATE_REG = (
    b'REGEDIT4\r\n'
    b'\r\n'
    b'[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate]\r\n'
    b'@="Private Information Store"\r\n'
    b'"Admin \\"Note\\""="set by \\"Q294406\\""\r\n'
    b'"Background Cleanup"=dword:0000ea60\r\n'
    b'"DB Path"="C:\\\\exchsrvr\\\\mdbdata\\\\priv.edb"\r\n'
    b'"Gateway Names"=hex(7):53,4d,54,50,00,58,2e,34,30,30,00,00\r\n'
    b'"lazy Commit"=dword:00000001\r\n'
    b'"OWA Url Protocol"="https:"\r\n'
    b'"Private MDB Signature"=hex:00,01,02,03,04,05,06,07,08,09,0a,0b,0c,0d,0e,0f,10,\\\r\n'
    b'  11,12,13,14,15,16,17,18,19,1a,1b,1c,1d,1e,1f,20,21,22,23,24,25,26,27,28,29,\\\r\n'
    b'  2a,2b,2c,2d,2e,2f\r\n'
    b'"Working Directory"=hex(2):25,53,79,73,74,65,6d,52,6f,6f,74,25,5c,74,65,6d,70,\\\r\n'
    b'  00\r\n'
    b'\r\n'
)


def test_export_parameters_private_byte_for_byte():
    text = export_regedit4(PARAMETERS_PRIVATE, parameters_private_values())
    assert text.encode(REGEDIT4_ENCODING) == PARAMETERS_PRIVATE_REG


def test_export_parameters_private_round_trips():
    values = parameters_private_values()
    assert parse_regedit4(export_regedit4(PARAMETERS_PRIVATE, values)) == (PARAMETERS_PRIVATE_LONG, values)


def test_export_does_not_depend_on_mapping_order():
    values = parameters_private_values()
    reordered = dict(reversed(list(values.items())))
    assert export_regedit4(PARAMETERS_PRIVATE, reordered) == export_regedit4(PARAMETERS_PRIVATE, values)


def test_export_empty_key():
    assert export_regedit4('HKEY_LOCAL_MACHINE\\SOFTWARE\\Empty', {}) == 'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Empty]\r\n\r\n'


@pytest.mark.parametrize('value, line', [
    (RegValue('REG_SZ', ''), '"v"=""'),
    (RegValue('REG_SZ', 'a\\b"c'), '"v"="a\\\\b\\"c"'),
    (RegValue('REG_SZ', 'line1\r\nline2'), '"v"=hex(1):6c,69,6e,65,31,0d,0a,6c,69,6e,65,32,00'),
    (RegValue('REG_SZ', 'a\0b'), '"v"=hex(1):61,00,62,00'),
    (RegValue('REG_DWORD', 10), '"v"=dword:0000000a'),
    (RegValue('REG_DWORD', 2 ** 32 - 1), '"v"=dword:ffffffff'),
    (RegValue('REG_BINARY', b'\x01\x02'), '"v"=hex:01,02'),
    (RegValue('REG_BINARY', b''), '"v"=hex:'),
    (RegValue('REG_EXPAND_SZ', ''), '"v"=hex(2):00'),
    (RegValue('REG_MULTI_SZ', []), '"v"=hex(7):00'),
    (RegValue('REG_MULTI_SZ', ['']), '"v"=hex(7):00,00'),
    (RegValue('REG_MULTI_SZ', ['a', '', 'b']), '"v"=hex(7):61,00,00,62,00,00'),
    (RegValue('REG_QWORD', 0x0102030405060708), '"v"=hex(b):08,07,06,05,04,03,02,01'),
    (RegValue('REG_QWORD', 0), '"v"=hex(b):00,00,00,00,00,00,00,00'),
])
def test_export_value_forms(value, line):
    text = export_regedit4('HKLM\\SOFTWARE\\T', {'v': value})
    assert text == f'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\T]\r\n{line}\r\n\r\n'


@pytest.mark.parametrize('name, written', [
    ('', '@='),
    ('plain', '"plain"='),
    ('C:\\path', '"C:\\\\path"='),
    ('say "hi"', '"say \\"hi\\""='),
    ('@', '"@"='),
])
def test_export_value_names(name, written):
    text = export_regedit4('HKLM\\SOFTWARE\\T', {name: RegValue('REG_DWORD', 0)})
    assert text.split('\r\n')[3] == written + 'dword:00000000'


def hex_lines(name: str, size: int) -> list[str]:
    text = export_regedit4('HKLM\\SOFTWARE\\T', {name: RegValue('REG_BINARY', bytes(size))})
    return text.split('\r\n')[3:-2]


def bytes_per_line(lines: list[str]) -> list[int]:
    counts = []
    for index, line in enumerate(lines):
        data = line.split('=hex:', 1)[1] if index == 0 else line
        counts.append(len([item for item in data.strip().removesuffix('\\').split(',') if item]))
    return counts


@pytest.mark.parametrize('size, expected', [
    (0, [0]),
    (1, [1]),
    (18, [18]),                  # no comma after the last byte, so nothing to wrap for
    (19, [18, 1]),
    (18 + 25, [18, 25]),
    (18 + 26, [18, 25, 1]),
    (18 + 25 * 4 + 7, [18, 25, 25, 25, 25, 7]),
])
def test_hex_wrapping_bytes_per_line(size, expected):
    # The 25-character prefix "Presentation Cache"=hex: also occurs in a Windows export kept in
    # Wine's programs/regedit/tests/orig.reg, whose first line holds 18 bytes and later ones 25.
    lines = hex_lines('Presentation Cache', size)
    assert bytes_per_line(lines) == expected
    assert all(line.endswith(',\\') for line in lines[:-1])
    assert not lines[-1].endswith('\\')
    assert all(line.startswith('  ') and not line.startswith('   ') for line in lines[1:])
    assert [len(line) for line in lines[:-1]] == ([80] + [78] * (len(lines) - 2) if len(lines) > 1 else [])


@pytest.mark.parametrize('name_length', range(1, 70))
def test_hex_lines_stay_within_80_characters(name_length):
    # Up to 69 characters the prefix "name"=hex: ends before column 77; longer names: see below.
    lines = hex_lines('n' * name_length, 200)
    assert all(len(line) <= 80 for line in lines)
    assert all(len(line) == 78 for line in lines[1:-1])
    data = ''.join(line.split('=', 1)[1] if index == 0 else line for index, line in enumerate(lines))
    assert data.replace(',\\  ', ',') == 'hex:' + ','.join(['00'] * 200)


def test_hex_after_a_prefix_past_column_77_wraps_after_the_first_byte():
    # As Windows does for very long names (Wine's orig.reg has one): the first line holds one byte
    # and is longer than 80 characters, then 25 bytes a line.
    lines = hex_lines('x' * 80, 30)
    assert lines[0] == '"' + 'x' * 80 + '"=hex:00,\\'
    assert lines[1] == '  ' + ','.join(['00'] * 25) + ',\\'
    assert lines[2] == '  ' + ','.join(['00'] * 4)


# --- cp1252 --------------------------------------------------------------------------------------

def test_export_writes_ansi_cp1252():
    values = {
        'Café': RegValue('REG_SZ', 'Prix 5 € – «ok»'),
        'Pfad': RegValue('REG_EXPAND_SZ', '€'),
        'Liste': RegValue('REG_MULTI_SZ', ['ä', 'ß']),
    }
    data = export_regedit4('HKLM\\SOFTWARE\\T', values).encode(REGEDIT4_ENCODING)
    assert b'"Caf\xe9"="Prix 5 \x80 \x96 \xabok\xbb"\r\n' in data
    assert b'"Pfad"=hex(2):80,00\r\n' in data
    assert b'"Liste"=hex(7):e4,00,df,00,00\r\n' in data
    assert parse_regedit4(data.decode(REGEDIT4_ENCODING)) == ('HKEY_LOCAL_MACHINE\\SOFTWARE\\T', values)


@pytest.mark.parametrize('key, values, what', [
    ('HKLM\\SOFTWARE\\T', {'v': RegValue('REG_SZ', '日本')}, "value 'v'"),
    ('HKLM\\SOFTWARE\\T', {'v': RegValue('REG_EXPAND_SZ', '%TEMP%\\Ω')}, "value 'v'"),
    ('HKLM\\SOFTWARE\\T', {'v': RegValue('REG_MULTI_SZ', ['ok', '\u2603'])}, "value 'v'"),
    ('HKLM\\SOFTWARE\\T', {'': RegValue('REG_SZ', '\u0100')}, 'the default value'),
    ('HKLM\\SOFTWARE\\T', {'Ω': RegValue('REG_DWORD', 1)}, "the name of value 'Ω'"),
    ('HKLM\\SOFTWARE\\Ω', {}, 'registry key'),
])
def test_export_rejects_text_outside_cp1252(key, values, what):
    with pytest.raises(ValueError) as caught:
        export_regedit4(key, values)
    message = str(caught.value)
    assert message.startswith(what)
    assert 'REGEDIT4' in message and 'cp1252' in message
    assert '\n' not in message


@pytest.mark.parametrize('key, values, message', [
    ('SOFTWARE\\T', {}, 'does not start with a hive'),
    ('HKLM\\SOFTWARE\\T\nX', {}, 'line break'),
    ('HKLM\\SOFTWARE\\T', {'a\nb': RegValue('REG_SZ', 'x')}, 'without line breaks'),
    ('HKLM\\SOFTWARE\\T', {5: RegValue('REG_SZ', 'x')}, 'must be a string'),
    ('HKLM\\SOFTWARE\\T', {'v': 'x'}, 'must be a RegValue'),
    ('HKLM\\SOFTWARE\\T', {'Name': RegValue('REG_SZ', 'x'), 'NAME': RegValue('REG_SZ', 'y')}, 'differ only in case'),
])
def test_export_rejects_what_regedit4_cannot_hold(key, values, message):
    with pytest.raises(ValueError, match=message):
        export_regedit4(key, values)


# --- round trip ----------------------------------------------------------------------------------

ROUND_TRIP = [
    RegValue('REG_SZ', ''),
    RegValue('REG_SZ', 'https:'),
    RegValue('REG_SZ', 'C:\\exchsrvr\\mdbdata\\'),
    RegValue('REG_SZ', '"quoted" \\"escaped\\"'),
    RegValue('REG_SZ', 'two\r\nlines\nand\rreturns'),
    RegValue('REG_SZ', 'nul\0inside'),
    RegValue('REG_SZ', 'ends with nul\0'),
    RegValue('REG_SZ', '; not a comment [nor a key] = "'),
    RegValue('REG_SZ', 'é€ÿ' * 40),
    RegValue('REG_EXPAND_SZ', ''),
    RegValue('REG_EXPAND_SZ', '%SystemRoot%\\System32\\' * 10),
    RegValue('REG_BINARY', b''),
    RegValue('REG_BINARY', bytes(range(256)) * 3),
    RegValue('REG_DWORD', 0),
    RegValue('REG_DWORD', 0xDEADBEEF),
    RegValue('REG_DWORD', 2 ** 32 - 1),
    RegValue('REG_MULTI_SZ', []),
    RegValue('REG_MULTI_SZ', ['']),
    RegValue('REG_MULTI_SZ', ['', '']),
    RegValue('REG_MULTI_SZ', ['a', '']),
    RegValue('REG_MULTI_SZ', ['', 'a']),
    RegValue('REG_MULTI_SZ', ['SMTP', 'X.400', 'MS', 'é€'] * 20),
    RegValue('REG_QWORD', 0),
    RegValue('REG_QWORD', 2 ** 64 - 1),
]


@pytest.mark.parametrize('value', ROUND_TRIP, ids=lambda value: value.to_text()[:30])
@pytest.mark.parametrize('name', ['', 'v', 'A "long" name \\ with = and [brackets] ' * 3])
def test_round_trip_every_type(name, value):
    key, values = parse_regedit4(export_regedit4(PARAMETERS_PRIVATE, {name: value}))
    assert key == PARAMETERS_PRIVATE_LONG
    assert values == {name: value}
    assert type(values[name].data) is type(value.data)


def test_round_trip_all_values_in_one_key():
    values = {f'value {index:02d}': value for index, value in enumerate(ROUND_TRIP)}
    assert parse_regedit4(export_regedit4(PARAMETERS_PRIVATE, values)) == (PARAMETERS_PRIVATE_LONG, values)


# --- REGEDIT4 parsing ----------------------------------------------------------------------------

def test_parse_accepts_lf_comments_and_blank_lines_and_hand_written_forms():
    text = (
        'REGEDIT4\n'
        '; saved by hand\n'
        '\n'
        '[hkey_local_machine\\SOFTWARE\\T]\n'
        '"short dword"=dword:a\n'
        '"upper hex"=hex:0A,FF\n'
        '"spaced"=hex: 01 , 2 \n'
        '"as dword"=hex(4):0a,00,00,00\n'
        '"binary type"=hex(3):01\n'
        '"unterminated"=hex(2):41,42\n'
        '"windows empty multi"=hex(7):00,00\n'
        '"continued"=hex:01,\\\n'
        '    02,\\\n'
        '  03\n'
        '\n'
    )
    assert parse_regedit4(text) == ('HKEY_LOCAL_MACHINE\\SOFTWARE\\T', {
        'short dword': RegValue('REG_DWORD', 10),
        'upper hex': RegValue('REG_BINARY', b'\x0a\xff'),
        'spaced': RegValue('REG_BINARY', b'\x01\x02'),
        'as dword': RegValue('REG_DWORD', 10),
        'binary type': RegValue('REG_BINARY', b'\x01'),
        'unterminated': RegValue.from_raw(2, b'A\0B\0'),      # regedit imports it as exactly these bytes
        'windows empty multi': RegValue('REG_MULTI_SZ', ['']),
        'continued': RegValue('REG_BINARY', b'\x01\x02\x03'),
    })


HEADER = 'REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\T]\r\n'


@pytest.mark.parametrize('text, message', [
    ('', 'starts with the line REGEDIT4'),
    ('REGEDIT5\r\n', 'starts with the line REGEDIT4'),
    ('Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\T]\r\n', 'Version 5.00'),
    ('\ufeffWindows Registry Editor Version 5.00\r\n', 'Version 5.00'),
    ('REGEDIT4\r\n\r\n', 'holds no \\[key\\] line'),
    ('REGEDIT4\r\n"v"="x"\r\n', 'line 2: a value line before any'),
    (HEADER + '[HKEY_LOCAL_MACHINE\\SOFTWARE\\U]\r\n', 'line 4: a second key'),
    ('REGEDIT4\r\n\r\n[-HKEY_LOCAL_MACHINE\\SOFTWARE\\T]\r\n', 'line 3: a \\[-key\\] line deletes'),
    ('REGEDIT4\r\n\r\n[HKLM\\SOFTWARE\\T]\r\n', 'long hive name'),
    ('REGEDIT4\r\n\r\n[SOFTWARE\\T]\r\n', 'long hive name'),
    ('REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\T\r\n', 'expected a key line'),
    (HEADER + '"v"=-\r\n', 'deletes a value'),
    (HEADER + 'v=1\r\n', 'expected a value line'),
    (HEADER + '"v"\r\n', 'followed by "="'),
    (HEADER + '"v="x"\r\n', 'followed by "="'),
    (HEADER + '"v"="x\r\n', 'no closing quote'),
    (HEADER + '"v"="x"y\r\n', 'after the closing quote'),
    (HEADER + '"v"="a\\tb"\r\n', 'unknown escape'),
    (HEADER + '"v"=dword:123456789\r\n', 'unknown value data'),
    (HEADER + '"v"=dword:xyz\r\n', 'unknown value data'),
    (HEADER + '"v"=str:"x"\r\n', 'unknown value data'),
    (HEADER + '"v"=hex:01,0g\r\n', 'hex data must be bytes'),
    (HEADER + '"v"=hex:01,\r\n', 'hex data must be bytes'),
    (HEADER + '"v"=hex:100\r\n', 'hex data must be bytes'),
    (HEADER + '"v"=hex(2):81,00\r\n', 'not a character in cp1252'),
    (HEADER + '"v"=hex:01,\\', 'ends inside a hex value'),
    (HEADER + '"v"="x"\r\n"V"="y"\r\n', "line 5: value 'V' appears twice"),
    (HEADER + '"v"="x"\rjunk\r\n', 'carriage return'),
])
def test_parse_rejects_with_clear_one_line_errors(text, message):
    with pytest.raises(ValueError, match=message) as caught:
        parse_regedit4(text)
    assert '\n' not in str(caught.value)


def test_parse_rejects_bytes():
    with pytest.raises(ValueError, match='decode the file with cp1252'):
        parse_regedit4(PARAMETERS_PRIVATE_REG)


def test_parse_reads_the_hand_written_parameters_private_file():
    assert parse_regedit4(PARAMETERS_PRIVATE_REG.decode(REGEDIT4_ENCODING)) == (PARAMETERS_PRIVATE_LONG, parameters_private_values())


# --- any stored bytes (a server may hold values no data of their type encodes to) ------------------

def utf16(text: str) -> bytes:
    return text.encode('utf-16-le')


# (type code, stored bytes, expected data, whether the bytes must be kept as raw)
STORED_SHAPES = [
    pytest.param(1, utf16('https:\0'), 'https:', False, id='sz well formed'),
    pytest.param(1, utf16('abc'), 'abc', True, id='sz without terminator'),
    pytest.param(1, utf16('abc\0def\0'), 'abc\0def', False, id='sz embedded nul'),
    pytest.param(1, utf16('abc\0\0'), 'abc\0', False, id='sz two terminators'),
    pytest.param(1, utf16('ab') + b'c', 'ab', True, id='sz odd length'),
    pytest.param(1, b'', '', True, id='sz no bytes'),
    pytest.param(1, b'\x00\xd8\x00\x00', '\ufffd', True, id='sz unpaired surrogate'),
    pytest.param(2, utf16('%SystemRoot%'), '%SystemRoot%', True, id='expand sz without terminator'),
    pytest.param(7, utf16('a\0\0b\0\0'), ('a', '', 'b'), False, id='multi sz empty string inside'),
    pytest.param(7, utf16('a\0b\0'), ('a', 'b'), True, id='multi sz without final nul'),
    pytest.param(7, utf16('a'), ('a',), True, id='multi sz without any nul'),
    pytest.param(7, b'', (), True, id='multi sz no bytes'),
    pytest.param(7, utf16('\0'), (), False, id='multi sz empty list'),
    pytest.param(4, b'\x01\x02', 0x0201, True, id='dword of 2 bytes'),
    pytest.param(4, b'\x01\x00\x00\x00\xff\xff\xff\xff', 1, True, id='dword of 8 bytes'),
    pytest.param(4, b'', 0, True, id='dword of no bytes'),
    pytest.param(11, b'\x01\x00\x00\x00', 1, True, id='qword of 4 bytes'),
    pytest.param(3, b'\x00\x01', b'\x00\x01', False, id='binary'),
    pytest.param(0, b'\x00\x01', b'\x00\x01', False, id='none'),
    pytest.param(0, b'', b'', False, id='none without bytes'),
    pytest.param(6, utf16('\\Registry\\Machine\\X'), utf16('\\Registry\\Machine\\X'), False, id='link'),
    pytest.param(0x4242, b'\xff', b'\xff', False, id='unknown type'),
]


@pytest.mark.parametrize('code, raw, data, kept', STORED_SHAPES)
def test_from_raw_keeps_every_stored_byte(code, raw, data, kept):
    value = RegValue.from_raw(code, raw)
    assert value.type_code == code
    assert value.data == data
    assert value.stored_bytes() == raw
    assert (value.raw is not None) == kept
    assert RegValue.from_raw(code, value.stored_bytes()) == value


@pytest.mark.parametrize('code, raw, data, kept', STORED_SHAPES)
def test_stored_bytes_survive_a_json_record(code, raw, data, kept):
    value = RegValue.from_raw(code, raw)
    record = json.loads(json.dumps(value.to_record()))
    assert ('raw' in record) == kept
    again = RegValue.from_record(record)
    assert again == value and again.stored_bytes() == raw


def test_unusual_bytes_are_a_difference():
    """The same text stored without its terminator is another value: it differs, and a rewrite makes it usual."""
    assert RegValue.from_raw(1, utf16('https:')) != RegValue('REG_SZ', 'https:')
    assert RegValue.from_raw(1, utf16('https:\0')) == RegValue('REG_SZ', 'https:')
    assert RegValue('REG_SZ', 'https:', raw=utf16('https:\0')).raw is None      # usual bytes are not kept twice


def test_to_text_names_unusual_bytes():
    assert RegValue.from_raw(1, utf16('ab')).to_text() == 'REG_SZ "ab" (stored as 4 bytes: 61,00,62,00)'
    assert RegValue.from_raw(4, b'\x01\x02').to_text() == 'REG_DWORD 0x00000201 (513) (stored as 2 bytes: 01,02)'


def test_record_raw_decides_and_must_be_hex():
    assert RegValue.from_record({'type': 'REG_SZ', 'data': 'ignored', 'raw': '6100'}) == RegValue.from_raw(1, b'a\0')
    with pytest.raises(ValueError, match='"raw" bytes of a record must be a hex string'):
        RegValue.from_record({'type': 'REG_SZ', 'data': 'a', 'raw': 'xyz'})
    with pytest.raises(ValueError, match='unsupported registry value type'):
        RegValue.from_record({'type': 'REG_BOGUS', 'data': '', 'raw': ''})


@pytest.mark.parametrize('code, raw, data, kept', STORED_SHAPES)
def test_regedit4_holds_stored_bytes_exactly(code, raw, data, kept):
    value = RegValue.from_raw(code, raw)
    if code in (1, 2, 7) and (len(raw) % 2 or b'\x00\xd8' in raw):
        with pytest.raises(ValueError, match='a REGEDIT4 file cannot hold it|cannot hold it') as caught:
            export_regedit4(PARAMETERS_PRIVATE, {'v': value})
        assert '\n' not in str(caught.value)
        return
    text = export_regedit4(PARAMETERS_PRIVATE, {'v': value})
    _key, values = parse_regedit4(text)
    assert values['v'] == value and values['v'].stored_bytes() == raw


@pytest.mark.parametrize('value, line', [
    (RegValue.from_raw(1, utf16('abc')), '"v"=hex(1):61,62,63'),            # ANSI bytes, no terminator: RegSetValueExA gives back 6 bytes
    (RegValue.from_raw(4, b'\x01\x02'), '"v"=hex(4):01,02'),
    (RegValue.from_raw(0, b'\x01\x02'), '"v"=hex(0):01,02'),
    (RegValue.from_raw(0x4242, b''), '"v"=hex(4242):'),
    (RegValue.from_raw(11, b'\x01'), '"v"=hex(b):01'),
])
def test_regedit4_lines_of_unusual_values(value, line):
    assert export_regedit4(PARAMETERS_PRIVATE, {'v': value}).split('\r\n')[3] == line


@pytest.mark.parametrize('code, raw, data, kept', STORED_SHAPES)
def test_version5_files_hold_every_stored_byte_as_it_is(code, raw, data, kept):
    """regedit 5 imports hex(N) with RegSetValueExW, which keeps UTF-16 bytes as given: odd lengths too."""
    text = export_reg_file(PARAMETERS_PRIVATE, {'v': RegValue.from_raw(code, raw)}, REGEDIT5_ENCODING)[2:].decode('utf-16-le')
    line = ''.join(part.strip() for part in text.split('\r\n')[3:]).replace('\\', '')
    if line.startswith('"v"=hex'):
        written = line.split(':', 1)[1]
        assert bytes.fromhex(written.replace(',', '')) == raw
    else:                                   # the ordinary forms of well-formed values
        assert not kept and (line.startswith('"v"="') or line.startswith('"v"=dword:'))


# --- the wire codec: decoding what MS-RRP returns, encoding what it takes ---------------------------------------------------------------

@pytest.mark.parametrize('code, data, expected', [
    (1, utf16('https:\0'), RegValue('REG_SZ', 'https:')),
    (1, utf16('https:'), RegValue('REG_SZ', 'https:', raw=utf16('https:'))),          # stored without terminator: kept
    (1, utf16('https:\0junk after the terminator\0'), RegValue('REG_SZ', 'https:\0junk after the terminator')),
    (1, utf16('ab\0') + b'\x00', RegValue('REG_SZ', 'ab', raw=utf16('ab\0') + b'\x00')),   # odd length: kept
    (1, b'', RegValue('REG_SZ', '', raw=b'')),
    (2, utf16('%SystemRoot%\\system32\0'), RegValue('REG_EXPAND_SZ', '%SystemRoot%\\system32')),
    (4, b'\xa8\x07\x00\x00', RegValue('REG_DWORD', 1960)),
    (4, b'\xff\xff\xff\xff', RegValue('REG_DWORD', 0xFFFFFFFF)),
    (4, b'\x05', RegValue('REG_DWORD', 5, raw=b'\x05')),                                   # short data: kept
    (11, (2 ** 40 + 5).to_bytes(8, 'little'), RegValue('REG_QWORD', 2 ** 40 + 5)),
    (7, utf16('a\0bc\0\0'), RegValue('REG_MULTI_SZ', ('a', 'bc'))),
    (7, utf16('a\0\0ignored\0\0'), RegValue('REG_MULTI_SZ', ('a', '', 'ignored'))),      # an empty string inside is data
    (7, utf16('\0'), RegValue('REG_MULTI_SZ', ())),
    (7, utf16('no terminator'), RegValue('REG_MULTI_SZ', ('no terminator',), raw=utf16('no terminator'))),
    (3, b'\x00\x01\xff', RegValue('REG_BINARY', b'\x00\x01\xff')),
    (0, b'\x00\x01', RegValue('REG_NONE', b'\x00\x01')),
    (8, b'\x01', RegValue('REG_RESOURCE_LIST', b'\x01')),
    (0x4242, b'', RegValue('REG_TYPE_16962', b'')),
])
def test_decode_value(code, data, expected):
    value = decode_value(code, data)
    assert value == expected
    assert encode_value(value) == (code, data)       # whatever was read is written back byte for byte


@pytest.mark.parametrize('value', [
    RegValue('REG_SZ', 'https:'),
    RegValue('REG_SZ', ''),
    RegValue('REG_SZ', 'Größe ✓'),
    RegValue('REG_EXPAND_SZ', '%SystemRoot%'),
    RegValue('REG_DWORD', 0),
    RegValue('REG_DWORD', 0xFFFFFFFF),
    RegValue('REG_QWORD', 2 ** 64 - 1),
    RegValue('REG_MULTI_SZ', ('a', 'b')),
    RegValue('REG_MULTI_SZ', ()),
    RegValue('REG_BINARY', b''),
    RegValue('REG_BINARY', b'\x00\xff'),
])
def test_encode_then_decode_is_identity(value):
    code, data = encode_value(value)
    assert code == value.type_code
    assert decode_value(code, data) == value


def test_strings_are_written_nul_terminated():
    assert encode_value(RegValue('REG_SZ', 'https:')) == (1, utf16('https:\0'))
    assert encode_value(RegValue('REG_MULTI_SZ', ('a', 'b'))) == (7, utf16('a\0b\0\0'))
    assert encode_value(RegValue('REG_DWORD', 1960)) == (4, b'\xa8\x07\x00\x00')


def test_encode_value_needs_a_regvalue():
    with pytest.raises(TypeError):
        encode_value('https:')
