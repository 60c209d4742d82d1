# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WinRMHost: which StdRegProv / CIM_DataFile / Win32_Service calls each RemoteHost method makes,
how it reads their ReturnValues, and how connection settings are checked before any connection."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._winrm import CIM_DATAFILE, WIN32_SERVICE, WinRMHost
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils._remote.wsman_fakes import (
    NS, PASSWORD, STDREGPROV, USER, FakeTransport, access_denied_fault, capture, get_response, get_response_from, method_output,
    not_found_fault, reg_output,
)

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
SUBKEY = 'SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
HKLM = '2147483650'
OWA = 'OWA Url Protocol'
TYPE_MISMATCH = 2147749893


def host_with(*answers) -> tuple[WinRMHost, FakeTransport]:
    host = WinRMHost('127.0.20.1', 5985, 'http', USER, PASSWORD)
    transport = FakeTransport(*answers)
    host.client.protocol.transport = transport
    return host, transport


def calls(transport: FakeTransport) -> list[str]:
    """The WMI method (or WS-Man verb) of each request, in order."""
    names = []
    for sent in transport.requests():
        names.append(sent.action.rpartition('/')[2])
    return names


def failure(call, kind: str) -> RemoteError:
    with pytest.raises(RemoteError) as info:
        call()
    assert info.value.kind == kind, str(info.value)
    assert info.value.host == '127.0.20.1'
    assert PASSWORD not in str(info.value)
    return info.value


# ---------------------------------------------------------------- get_value


def test_typed_read_costs_one_request_and_sends_the_stdregprov_inputs():
    host, transport = host_with(reg_output('GetDWORDValue', 0, uValue=1960))
    assert host.get_value(KEY, 'NewestBuild', 'REG_DWORD') == RegValue('REG_DWORD', 1960)
    assert host.requests == 1
    sent = transport.requests()[0]
    assert sent.action == STDREGPROV + '/GetDWORDValue' and sent.resource_uri == STDREGPROV and sent.selectors is None
    assert sent.params('GetDWORDValue') == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY), ('sValueName', 'NewestBuild')]


@pytest.mark.parametrize('code, type_', [(1, 'REG_SZ'), (2, 'REG_EXPAND_SZ')])
def test_a_string_read_takes_its_type_from_enum_values(code, type_):
    """GetStringValue answers 0 for REG_SZ and REG_EXPAND_SZ alike (REGMETHODS.CPP GetStr), so the type comes from
    EnumValues; the getter's data is kept (for REG_EXPAND_SZ it is already expanded, as GetExpandedStringValue's)."""
    host, transport = host_with(reg_output('GetStringValue', 0, sValue='C:\\WINNT\\owa'),
                                reg_output('EnumValues', 0, sNames=['DB Path', 'OWA URL PROTOCOL'], Types=[1, code]))
    assert host.get_value(KEY, OWA, 'REG_SZ') == RegValue(type_, 'C:\\WINNT\\owa')
    assert calls(transport) == ['GetStringValue', 'EnumValues']
    sent = transport.requests()[0]
    assert sent.params('GetStringValue') == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY), ('sValueName', OWA)]
    assert host.get_value(KEY, OWA, 'REG_SZ') == RegValue(type_, 'C:\\WINNT\\owa')   # kept: no third request
    assert host.requests == 2


def test_a_listed_key_costs_one_read_with_the_listed_type():
    host, transport = host_with(reg_output('EnumValues', 0, sNames=['OWA Url Protocol'], Types=[2]),
                                reg_output('GetExpandedStringValue', 0, sValue='https:'))
    assert host.enum_values(KEY) == {'OWA Url Protocol': 'REG_EXPAND_SZ'}
    assert host.get_value(KEY, OWA, 'REG_SZ') == RegValue('REG_EXPAND_SZ', 'https:')
    assert calls(transport) == ['EnumValues', 'GetExpandedStringValue']


def test_type_mismatch_falls_back_to_enum_values_and_the_right_getter():
    """Only a non-string value gives a type mismatch to GetStringValue; a DWORD getter on a string does too."""
    host, transport = host_with(
        reg_output('GetStringValue', TYPE_MISMATCH),
        reg_output('EnumValues', 0, sNames=['DB Path', 'OWA URL PROTOCOL'], Types=[1, 4]),
        reg_output('GetDWORDValue', 0, uValue=1),
    )
    assert host.get_value(KEY, OWA, 'REG_SZ') == RegValue('REG_DWORD', 1)
    assert calls(transport) == ['GetStringValue', 'EnumValues', 'GetDWORDValue']
    requests = transport.requests()
    assert requests[1].params('EnumValues') == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY)]
    assert requests[2].params('GetDWORDValue')[2] == ('sValueName', 'OWA URL PROTOCOL')   # the name as stored


def test_read_without_a_hint_asks_enum_values_first():
    host, transport = host_with(reg_output('EnumValues', 0, sNames=['NewestBuild'], Types=[4]), reg_output('GetDWORDValue', 0, uValue=1960))
    assert host.get_value('HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Exchange\\Setup', 'newestbuild') == RegValue('REG_DWORD', 1960)
    assert calls(transport) == ['EnumValues', 'GetDWORDValue']


@pytest.mark.parametrize('code', [1, 2])
def test_missing_value_or_key_is_none(code):
    host, transport = host_with(reg_output('GetStringValue', code))
    assert host.get_value(KEY, OWA, 'REG_SZ') is None
    assert len(transport.sent) == 1


def test_missing_key_or_name_without_hint_is_none():
    host, _transport = host_with(reg_output('EnumValues', 2, sNames=None, Types=None))
    assert host.get_value(KEY, OWA) is None
    host, transport = host_with(reg_output('EnumValues', 0, sNames=['DB Path'], Types=[1]))
    assert host.get_value(KEY, OWA) is None
    assert calls(transport) == ['EnumValues']


def test_read_return_codes_become_errors():
    host, _transport = host_with(reg_output('GetStringValue', 5))
    assert str(failure(lambda: host.get_value(KEY, OWA, 'REG_SZ'), 'access_denied')) == f'access denied: StdRegProv.GetStringValue on {KEY}\\{OWA}'
    host, _transport = host_with(reg_output('GetStringValue', 2147749890))
    error = failure(lambda: host.get_value(KEY, OWA, 'REG_SZ'), 'protocol')
    assert str(error) == f'StdRegProv.GetStringValue on {KEY}\\{OWA} returned 2147749890 (0x80041002)'
    assert error.code == 2147749890


@pytest.mark.parametrize('type_, outputs, expected', [
    ('REG_SZ', {'sValue': ''}, ''),
    ('REG_SZ', {'sValue': '  spaced  '}, '  spaced  '),
    ('REG_EXPAND_SZ', {'sValue': '%SystemRoot%\\x'}, '%SystemRoot%\\x'),
    ('REG_DWORD', {'uValue': 4294967295}, 4294967295),
    ('REG_QWORD', {'uValue': 18446744073709551615}, 18446744073709551615),
    ('REG_MULTI_SZ', {'sValue': ['a', 'b c']}, ('a', 'b c')),
    ('REG_MULTI_SZ', {'sValue': None}, ()),
    ('REG_BINARY', {'uValue': [0, 1, 255]}, b'\x00\x01\xff'),
])
def test_each_getter_output_becomes_reg_value_data(type_, outputs, expected):
    getter = {'REG_SZ': 'GetStringValue', 'REG_EXPAND_SZ': 'GetExpandedStringValue', 'REG_DWORD': 'GetDWORDValue',
              'REG_QWORD': 'GetQWORDValue', 'REG_MULTI_SZ': 'GetMultiStringValue', 'REG_BINARY': 'GetBinaryValue'}[type_]
    code = {'REG_SZ': 1, 'REG_EXPAND_SZ': 2, 'REG_DWORD': 4, 'REG_QWORD': 11, 'REG_MULTI_SZ': 7, 'REG_BINARY': 3}[type_]
    host, transport = host_with(reg_output('EnumValues', 0, sNames=['v'], Types=[code]), reg_output(getter, 0, **outputs))
    assert host.enum_values(KEY) == {'v': type_}
    assert host.get_value(KEY, 'v', type_) == RegValue(type_, expected)
    assert calls(transport) == ['EnumValues', getter]


def test_unusable_getter_data_is_a_protocol_error():
    host, _transport = host_with(reg_output('GetDWORDValue', 0, uValue='ten'))
    failure(lambda: host.get_value(KEY, 'v', 'REG_DWORD'), 'protocol')


# ---------------------------------------------------------------- enum_values / get_values


def test_enum_values_names_types_including_ones_regvalue_cannot_hold():
    host, _transport = host_with(reg_output('EnumValues', 0, sNames=['DB Path', 'Flags', 'Blob', 'Nothing'], Types=[1, 4, 3, 0]))
    assert host.enum_values(KEY) == {'DB Path': 'REG_SZ', 'Flags': 'REG_DWORD', 'Blob': 'REG_BINARY', 'Nothing': 'REG_NONE'}


def test_enum_values_of_an_empty_key_and_a_missing_key():
    host, _transport = host_with(reg_output('EnumValues', 0, sNames=None, Types=None), reg_output('EnumValues', 2, sNames=None, Types=None))
    assert host.enum_values(KEY) == {}
    assert host.enum_values(KEY) is None


def test_enum_values_failures():
    host, _transport = host_with(reg_output('EnumValues', 0, sNames=['a', 'b'], Types=[1]), reg_output('EnumValues', 5))
    assert 'returned 2 names but 1 types' in str(failure(lambda: host.enum_values(KEY), 'protocol'))
    failure(lambda: host.enum_values(KEY), 'access_denied')


def test_get_values_reads_each_value_with_its_own_getter():
    host, transport = host_with(
        reg_output('EnumValues', 0, sNames=['DB Path', 'Flags', 'Gone'], Types=[1, 4, 1]),
        reg_output('GetStringValue', 0, sValue='C:\\exchsrvr\\mdbdata\\priv.edb'),
        reg_output('GetDWORDValue', 0, uValue=10),
        reg_output('GetStringValue', 1),            # deleted between EnumValues and the read
    )
    assert host.get_values(KEY) == {'DB Path': RegValue('REG_SZ', 'C:\\exchsrvr\\mdbdata\\priv.edb'), 'Flags': RegValue('REG_DWORD', 10)}
    assert calls(transport) == ['EnumValues', 'GetStringValue', 'GetDWORDValue', 'GetStringValue']
    assert host.requests == 4


def test_get_values_refuses_a_type_it_cannot_read():
    host, _transport = host_with(reg_output('EnumValues', 0, sNames=['Res'], Types=[8]))
    assert 'REG_RESOURCE_LIST' in str(failure(lambda: host.get_values(KEY), 'unsupported'))


def test_get_values_of_missing_key_is_none():
    host, _transport = host_with(reg_output('EnumValues', 2))
    assert host.get_values(KEY) is None


# ---------------------------------------------------------------- set_value / delete_value


@pytest.mark.parametrize('value, method, parameter, text', [
    (RegValue('REG_SZ', 'https:'), 'SetStringValue', 'sValue', 'https:'),
    (RegValue('REG_EXPAND_SZ', '%SystemRoot%'), 'SetExpandedStringValue', 'sValue', '%SystemRoot%'),
    (RegValue('REG_DWORD', 4294967295), 'SetDWORDValue', 'uValue', '4294967295'),
    (RegValue('REG_QWORD', 2 ** 64 - 1), 'SetQWORDValue', 'uValue', '18446744073709551615'),
])
def test_set_value_calls_the_typed_setter(value, method, parameter, text):
    host, transport = host_with(reg_output(method, 0))
    assert host.set_value(KEY, OWA, value) is None
    sent = transport.requests()[0]
    assert sent.action == f'{STDREGPROV}/{method}'
    assert sent.params(method) == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY), ('sValueName', OWA), (parameter, text)]


@pytest.mark.parametrize('value, method, parameter, items', [
    (RegValue('REG_MULTI_SZ', ['SMTP', 'X.400', 'a "quoted" \\ b']), 'SetMultiStringValue', 'sValue', ['SMTP', 'X.400', 'a "quoted" \\ b']),
    (RegValue('REG_BINARY', b'\x00\x01\xff'), 'SetBinaryValue', 'uValue', ['0', '1', '255']),
])
def test_array_setters_send_one_element_per_item(value, method, parameter, items):
    host, transport = host_with(reg_output(method, 0))
    host.set_value(KEY, 'name with \\ and = and "', value)
    params = transport.requests()[0].params(method)
    assert params[:3] == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY), ('sValueName', 'name with \\ and = and "')]
    assert params[3:] == [(parameter, item) for item in items]


@pytest.mark.parametrize('value', [RegValue('REG_MULTI_SZ', []), RegValue('REG_BINARY', b'')])
def test_an_empty_array_value_is_refused_before_sending(value):
    host, transport = host_with()
    message = str(failure(lambda: host.set_value(KEY, 'x', value), 'unsupported'))
    assert 'empty' in message and 'smb' in message
    assert not transport.sent


# ---------------------------------------------------------------- keys: EnumKey, CreateKey, DeleteKey


def test_enum_keys_lists_subkeys_an_empty_key_and_a_missing_key():
    host, transport = host_with(reg_output('EnumKey', 0, sNames=['nest1', 'nest2']), reg_output('EnumKey', 0), reg_output('EnumKey', 2))
    assert host.enum_keys(KEY) == ['nest1', 'nest2']
    assert host.enum_keys(KEY) == []          # no subkeys: ReturnValue 0 and no sNames (REGMETHODS.CPP EnumKey)
    assert host.enum_keys(KEY) is None
    assert transport.requests()[0].params('EnumKey') == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY)]


def test_create_key_sends_the_whole_path_once():
    host, transport = host_with(reg_output('CreateKey', 0), reg_output('CreateKey', 5))
    host.create_key(KEY + '\\new\\deeper')
    assert transport.requests()[0].params('CreateKey') == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY + '\\new\\deeper')]
    failure(lambda: host.create_key(KEY), 'access_denied')
    failure(lambda: host.create_key('HKLM'), 'unsupported')


def test_delete_key_deletes_the_deepest_keys_first():
    host, transport = host_with(
        reg_output('EnumKey', 0, sNames=['nest1', 'nest2']),
        reg_output('EnumKey', 0, sNames=['nested']),
        reg_output('EnumKey', 0),
        reg_output('DeleteKey', 0),      # nest1\nested
        reg_output('DeleteKey', 0),      # nest1
        reg_output('EnumKey', 0),
        reg_output('DeleteKey', 0),      # nest2
        reg_output('DeleteKey', 0),      # the key
    )
    assert host.delete_key(KEY) is True
    deleted = [sent.params('DeleteKey')[1][1] for sent in transport.requests() if sent.action.endswith('/DeleteKey')]
    assert deleted == [SUBKEY + '\\nest1\\nested', SUBKEY + '\\nest1', SUBKEY + '\\nest2', SUBKEY]


def test_delete_key_of_a_missing_key_and_a_refused_delete():
    host, _transport = host_with(reg_output('EnumKey', 2), reg_output('EnumKey', 0), reg_output('DeleteKey', 5))
    assert host.delete_key(KEY) is False
    failure(lambda: host.delete_key(KEY), 'access_denied')
    failure(lambda: host.delete_key('HKEY_LOCAL_MACHINE'), 'unsupported')


def test_a_write_forgets_what_was_read_under_the_key():
    listing = reg_output('EnumValues', 0, sNames=[OWA], Types=[1])
    host, transport = host_with(reg_output('GetStringValue', 0, sValue='http:'), listing, reg_output('SetStringValue', 0),
                                reg_output('GetStringValue', 0, sValue='https:'), listing)
    assert host.get_value(KEY, OWA, 'REG_SZ') == RegValue('REG_SZ', 'http:')
    host.set_value(KEY, OWA, RegValue('REG_SZ', 'https:'))
    assert host.get_value(KEY, OWA, 'REG_SZ') == RegValue('REG_SZ', 'https:')
    # a string's type always comes from EnumValues (GetStringValue also answers for REG_EXPAND_SZ), listed again after the write
    assert calls(transport) == ['GetStringValue', 'EnumValues', 'SetStringValue', 'GetStringValue', 'EnumValues']


def test_set_value_failures():
    host, _transport = host_with(reg_output('SetStringValue', 2), reg_output('SetStringValue', 5), reg_output('SetStringValue', 87))
    error = failure(lambda: host.set_value(KEY, OWA, RegValue('REG_SZ', 'https:')), 'not_found')
    assert str(error) == f"registry key {KEY} does not exist: create it before writing '{OWA}'"
    failure(lambda: host.set_value(KEY, OWA, RegValue('REG_SZ', 'https:')), 'access_denied')
    assert 'returned 87' in str(failure(lambda: host.set_value(KEY, OWA, RegValue('REG_SZ', 'https:')), 'protocol'))


def test_delete_value():
    host, transport = host_with(reg_output('DeleteValue', 0), reg_output('DeleteValue', 2), reg_output('DeleteValue', 1), reg_output('DeleteValue', 5))
    assert host.delete_value(KEY, OWA) is True
    assert host.delete_value(KEY, OWA) is False
    assert host.delete_value(KEY, OWA) is False
    failure(lambda: host.delete_value(KEY, OWA), 'access_denied')
    assert transport.requests()[0].params('DeleteValue') == [('hDefKey', HKLM), ('sSubKeyName', SUBKEY), ('sValueName', OWA)]


# ---------------------------------------------------------------- files and services


def _datafile(version):
    return get_response('CIM_DataFile', ('Caption', 'c:\\exchsrvr\\bin\\store.exe'), ('Extension', 'exe'), ('FileSize', 5017360),
                        ('LastModified', None), ('Name', 'c:\\exchsrvr\\bin\\store.exe'), ('Version', version))


def test_file_version_gets_cim_datafile_by_name():
    host, transport = host_with(_datafile('5.5.2654.81'))
    assert host.file_version('C:\\exchsrvr\\bin\\store.exe') == '5.5.2654.81'
    sent = transport.requests()[0]
    assert sent.action == 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get' and sent.resource_uri == CIM_DATAFILE
    assert sent.selectors == [('Name', 'C:\\exchsrvr\\bin\\store.exe')]


def test_file_version_without_version_resource_missing_file_and_denied():
    host, _transport = host_with(_datafile(None), not_found_fault(), access_denied_fault())
    assert host.file_version('C:\\exchsrvr\\bin\\notes.txt') == ''
    assert host.file_version('C:\\exchsrvr\\bin\\nothere.exe') is None
    failure(lambda: host.file_version('C:\\exchsrvr\\bin\\store.exe'), 'access_denied')


def test_service_state_from_a_real_win32_service_instance():
    instance = ET.fromstring(capture('txwinrm__win2008_Win32_Service_props_XmlFragment_PullResponse_last.xml')).find('.//n:Items', NS)[0]
    typed = ET.fromstring(capture('txwinrm__win2008_Win32_Service_star_EnumerateResponse.xml')).find('.//w:Items', NS)[0]
    host, transport = host_with(get_response_from(instance), get_response_from(typed), not_found_fault())
    assert host.service_state('wuauserv') == 'Running'
    assert host.service_state('AeLookupSvc') == 'Stopped'
    assert host.service_state('MSExchangeIS') is None
    assert transport.requests()[0].resource_uri == WIN32_SERVICE
    assert transport.requests()[2].selectors == [('Name', 'MSExchangeIS')]


@pytest.mark.parametrize('action, method', [('start', 'StartService'), ('stop', 'StopService')])
def test_control_service_invokes_the_instance_method(action, method):
    host, transport = host_with(method_output(method, ('ReturnValue', 0), resource_uri=WIN32_SERVICE))
    host.control_service('MSExchangeIS', action)
    sent = transport.requests()[0]
    assert sent.action == f'{WIN32_SERVICE}/{method}' and sent.selectors == [('Name', 'MSExchangeIS')]
    assert sent.params(method, WIN32_SERVICE) == []


def test_control_service_failures_name_the_win32_service_code():
    host, _transport = host_with(method_output('StartService', ('ReturnValue', 10), resource_uri=WIN32_SERVICE),
                                 method_output('StopService', ('ReturnValue', 2), resource_uri=WIN32_SERVICE),
                                 not_found_fault())
    error = failure(lambda: host.control_service('MSExchangeIS', 'start'), 'protocol')
    assert str(error) == 'cannot start service MSExchangeIS: the service is already running (Win32_Service.StartService returned 10)'
    assert error.code == 10
    failure(lambda: host.control_service('MSExchangeIS', 'stop'), 'access_denied')
    failure(lambda: host.control_service('NoSuch', 'start'), 'not_found')
    failure(lambda: host.control_service('MSExchangeIS', 'restart'), 'unsupported')


# ---------------------------------------------------------------- one connection, request counts


def test_an_audit_costs_one_request_per_fact_on_one_protocol():
    """What gather_facts asks of an Exchange 5.5 server: the Setup key listed once, then one typed read per value."""
    host, transport = host_with(
        reg_output('EnumValues', 0, sNames=['Services', 'NewestBuild', 'ServicePackBuild'], Types=[1, 4, 4]),
        reg_output('GetStringValue', 0, sValue='C:\\exchsrvr'),
        reg_output('GetDWORDValue', 0, uValue=1960),
        reg_output('GetDWORDValue', 0, uValue=2653),
        _datafile('5.5.2654.81'),
        reg_output('EnumValues', 0, sNames=['DB Path'], Types=[1]),
    )
    protocol = host.client.protocol
    setup = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
    assert host.enum_values(setup) == {'Services': 'REG_SZ', 'NewestBuild': 'REG_DWORD', 'ServicePackBuild': 'REG_DWORD'}
    assert host.get_value(setup, 'Services', 'REG_SZ') == RegValue('REG_SZ', 'C:\\exchsrvr')
    assert host.get_value(setup, 'NewestBuild', 'REG_DWORD').data == 1960
    assert host.get_value(setup, 'ServicePackBuild', 'REG_DWORD').data == 2653
    assert host.file_version('C:\\exchsrvr\\bin\\store.exe') == '5.5.2654.81'
    assert host.enum_values(KEY) == {'DB Path': 'REG_SZ'}
    assert host.get_value(KEY, OWA, 'REG_SZ') is None          # not listed: no request
    assert host.requests == len(transport.sent) == 6
    assert host.client.protocol is protocol
    with host:
        pass
    host.close()
    assert transport.closed == 2


@pytest.mark.parametrize('written, stored, same', [
    (RegValue('REG_EXPAND_SZ', '%SystemRoot%\\owa'), RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\owa'), True),
    (RegValue('REG_EXPAND_SZ', '%SystemRoot%\\owa'), RegValue('REG_EXPAND_SZ', '%SystemRoot%\\owa'), True),
    (RegValue('REG_EXPAND_SZ', '%A%-%B%'), RegValue('REG_EXPAND_SZ', 'x-y'), True),
    (RegValue('REG_EXPAND_SZ', '%A%;%a%\\bin'), RegValue('REG_EXPAND_SZ', 'C:\\x;C:\\x\\bin'), True),
    (RegValue('REG_EXPAND_SZ', '%A%;%A%\\bin'), RegValue('REG_EXPAND_SZ', 'C:\\x;D:\\y\\bin'), False),
    (RegValue('REG_EXPAND_SZ', '%SystemRoot%\\owa'), RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\other'), False),
    (RegValue('REG_EXPAND_SZ', '%SystemRoot%\\owa'), RegValue('REG_SZ', 'C:\\WINNT\\owa'), False),
    (RegValue('REG_EXPAND_SZ', 'https:'), RegValue('REG_EXPAND_SZ', 'https:'), True),
    (RegValue('REG_SZ', 'https:'), RegValue('REG_EXPAND_SZ', 'https:'), False),
    (RegValue('REG_SZ', '%X%'), RegValue('REG_SZ', 'y'), False),
    (RegValue('REG_SZ', 'https:'), None, False),
    (None, None, True),
])
def test_read_back_allows_for_the_expansion_stdregprov_does(written, stored, same):
    """REG.CPP Registry::GetStr expands REG_EXPAND_SZ data, so a read-back can only match the text around %NAME%."""
    host, _transport = host_with()
    assert host.same_as_written(written, stored) is same


# ---------------------------------------------------------------- settings


def test_basic_auth_over_plain_http_is_refused_before_connecting():
    for transport in ('basic', 'plaintext', 'ssl', 'Basic'):
        with pytest.raises(RemoteError) as info:
            WinRMHost('exsrv01', 5985, 'http', USER, PASSWORD, transport=transport)
        assert info.value.kind == 'unsupported'
        assert 'clear text' in str(info.value) and PASSWORD not in str(info.value)
    assert WinRMHost('exsrv01', 5986, 'https', USER, PASSWORD, transport='basic').endpoint == 'https://exsrv01:5986/wsman'


@pytest.mark.parametrize('port, scheme, endpoint', [
    (5985, None, 'http://exsrv01:5985/wsman'),
    (None, None, 'https://exsrv01:5986/wsman'),
    (None, 'http', 'http://exsrv01:5985/wsman'),
    ('8080', 'HTTP', 'http://exsrv01:8080/wsman'),
])
def test_scheme_and_port_follow_ansible_rules(port, scheme, endpoint):
    assert WinRMHost('exsrv01', port, scheme, USER, PASSWORD).endpoint == endpoint


# Ports, schemes, timeouts and certificate validation from an inventory are checked once, in
# _connection.resolve_settings (test_connection.py); WinRMHost keeps only what pywinrm cannot check.
@pytest.mark.parametrize('kwargs, text', [
    ({'message_encryption': 'sometimes'}, 'auto, always or never'),
    ({'transport': 'basic'}, 'clear text'),
])
def test_bad_settings_are_one_line_errors(kwargs, text):
    settings = {'host': 'exsrv01', 'port': 5985, 'username': USER, 'password': PASSWORD, **kwargs}
    with pytest.raises(RemoteError) as info:
        WinRMHost(**settings)
    assert text in str(info.value) and info.value.kind == 'unsupported'


def test_missing_credentials_are_an_auth_error():
    with pytest.raises(RemoteError) as info:
        WinRMHost('exsrv01', 5985, 'http', None, None)
    assert info.value.kind == 'auth'
    assert str(info.value) == 'auth method ntlm requires a username for http://exsrv01:5985/wsman: set ansible_user and ansible_password'


def test_from_settings_takes_ansible_option_names_and_extras():
    host = WinRMHost.from_settings({
        'remote_addr': '127.0.20.7', 'remote_user': USER, 'remote_password': PASSWORD, 'port': 5986, 'scheme': None,
        'path': '/wsman', 'transport': ['ntlm', 'kerberos'], 'connection_timeout': 15,
        '_extras': {'ansible_winrm_server_cert_validation': 'ignore', 'ansible_winrm_send_cbt': False, 'ansible_winrm_unknown': 'x'},
    })
    protocol = host.client.protocol
    assert host.endpoint == 'https://127.0.20.7:5986/wsman'
    assert (protocol.username, protocol.operation_timeout_sec, protocol.read_timeout_sec) == (USER, 15, 25)
    assert protocol.server_cert_validation == 'ignore'
    assert protocol.transport.auth_method == 'ntlm' and protocol.transport.send_cbt is False
    with pytest.raises(RemoteError):
        WinRMHost.from_settings({'remote_user': USER})
