# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Windows semantics of StdRegProv, CIM_DataFile and Win32_Service, through two independent clients
(pywinrm with hand-built envelopes, pypsrp's WSMan) over NTLM + message encryption on http, Basic on
https with the fleet CA validated, and NTLM on https (channel bindings)."""

from __future__ import annotations

import pytest

from simhelpers import CIMV2, PARAMS_KEY, REG_URI, Fleet, PsrpClient, WinrmClient, return_value

SUBNET = '127.0.1'
TYPE_MISMATCH = 2147749893
SETUP_KEY = 'SOFTWARE\\Microsoft\\Exchange\\Setup'
VALUES = {
    'OWA Url Protocol': {'type': 'REG_EXPAND_SZ', 'data': 'https:'},
    'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'},
    'Log Path': {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\logs'},
    'Sessions': {'type': 'REG_DWORD', 'data': 4000},
    'Big': {'type': 'REG_QWORD', 'data': 2 ** 40 + 7},
    'Servers': {'type': 'REG_MULTI_SZ', 'data': ['EX1', 'EX2']},
    'Blob': {'type': 'REG_BINARY', 'data': '00 7f ff'},
    'Data Path': {'type': 'REG_EXPAND_SZ', 'data': '%ExchSrvr%\\mdbdata;%Unset%;%systemroot%'},
}
DEFAULTS = {
    'username': 'Administrator', 'password': 'Exch55!Sim',
    'registry': {
        'HKLM\\' + PARAMS_KEY: VALUES,
        'HKLM\\' + SETUP_KEY: {'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653}},
        'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Empty': {},
        'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Admin': {},
    },
    'files': {'C:\\Exchsrvr\\bin\\Store.exe': {'version': '5.5.2654.81', 'size': 5124368}, 'C:\\exchsrvr\\bin\\noversion.dll': {'version': None}},
    'services': {'MSExchangeIS': {}, 'MSExchangeMTA': {'state': 'Stopped'}, 'MSExchangeES': {'state': 'Stopped', 'start_mode': 'Disabled'},
                 'MSExchangeSA': {}, 'W3SVC': {}},
    'environment': {'ExchSrvr': 'D:\\exchsrvr'},     # added to the built-in SystemRoot=C:\WINNT, windir, ...
}
DENY = {'deny_write': ['HKLM\\' + PARAMS_KEY]}
# (client class, host settings) per variant; every variant has its own hosts so their writes do not meet.
VARIANTS = {
    'pywinrm-ntlm-http': (WinrmClient, {}),
    'pypsrp-negotiate-http': (PsrpClient, {}),
    'pywinrm-basic-https': (WinrmClient, {'scheme': 'https', 'auth': 'basic'}),
    'pypsrp-basic-https': (PsrpClient, {'scheme': 'https', 'auth': 'basic'}),
    'pywinrm-ntlm-https': (WinrmClient, {'scheme': 'https'}),
}


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    hosts = {}
    for name, (_client, settings) in VARIANTS.items():
        hosts[name] = dict(settings)
        hosts[f'{name}-deny'] = {**settings, **DENY}
    running = Fleet(str(tmp_path_factory.mktemp('clients')), {'defaults': DEFAULTS, 'hosts': hosts}, SUBNET)
    yield running
    assert running.stop() == 0


@pytest.fixture(params=list(VARIANTS))
def variant(request, fleet):
    """(client, its host's name, a client for the write-denied twin host, the fleet)."""
    client_class = VARIANTS[request.param][0]
    return (client_class(fleet.hostvars[request.param]), request.param,
            client_class(fleet.hostvars[f'{request.param}-deny']), fleet)


def test_typed_getters_return_each_type(variant):
    client = variant[0]
    assert client.reg('GetStringValue', sValueName='DB Path') == {'sValue': ['C:\\exchsrvr\\mdbdata\\priv.edb'], 'ReturnValue': ['0']}
    assert client.reg('GetExpandedStringValue', sValueName='Log Path')['sValue'] == ['C:\\WINNT\\logs']
    assert client.reg('GetDWORDValue', sValueName='Sessions')['uValue'] == ['4000']
    assert client.reg('GetQWORDValue', sValueName='Big')['uValue'] == [str(2 ** 40 + 7)]
    assert client.reg('GetMultiStringValue', sValueName='Servers')['sValue'] == ['EX1', 'EX2']
    assert client.reg('GetBinaryValue', sValueName='Blob')['uValue'] == ['0', '127', '255']


def test_enumerations_list_names_types_and_null_arrays(variant):
    client = variant[0]
    values = client.reg('EnumValues')
    assert values['sNames'] == list(VALUES) and values['Types'] == ['2', '1', '2', '4', '11', '7', '3', '2'] and return_value(values) == 0
    assert client.reg('EnumKey', key='SOFTWARE\\Microsoft\\Exchange') == {'sNames': ['Admin', 'Empty', 'Setup'], 'ReturnValue': ['0']}
    assert client.reg('EnumKey', key='SOFTWARE\\Microsoft\\Exchange\\Empty') == {'sNames': [None], 'ReturnValue': ['0']}
    assert client.reg('EnumValues', key='SOFTWARE\\Microsoft\\Exchange\\Empty') == {'sNames': [None], 'Types': [None], 'ReturnValue': ['0']}


def test_stdregprov_also_answers_in_root_cimv2(variant):
    client = variant[0]
    output = client.invoke(CIMV2 + 'StdRegProv', 'GetDWORDValue', [('hDefKey', 2147483650), ('sSubKeyName', PARAMS_KEY), ('sValueName', 'Sessions')])
    assert output == {'uValue': ['4000'], 'ReturnValue': ['0']}


def test_names_are_case_insensitive_and_case_preserving(variant):
    client = variant[0]
    assert client.reg('GetDWORDValue', key=PARAMS_KEY.upper(), sValueName='sessions')['uValue'] == ['4000']
    assert client.reg('EnumKey', key='software\\microsoft')['sNames'] == ['Exchange']


@pytest.mark.parametrize('getter', ['GetStringValue', 'GetExpandedStringValue'])
def test_string_getters_are_one_function(variant, getter):
    """REGMETHODS.CPP sends GetStringValue and GetExpandedStringValue to the same GetStr: both read REG_SZ and
    REG_EXPAND_SZ with ReturnValue 0, and REG.CPP's Registry::GetStr expands REG_EXPAND_SZ data
    (ExpandEnvironmentStrings: unknown names stay as written) from the host's environment."""
    client = variant[0]
    assert client.reg(getter, sValueName='DB Path') == {'sValue': ['C:\\exchsrvr\\mdbdata\\priv.edb'], 'ReturnValue': ['0']}
    assert client.reg(getter, sValueName='OWA Url Protocol') == {'sValue': ['https:'], 'ReturnValue': ['0']}
    assert client.reg(getter, sValueName='Log Path') == {'sValue': ['C:\\WINNT\\logs'], 'ReturnValue': ['0']}
    assert client.reg(getter, sValueName='Data Path')['sValue'] == ['D:\\exchsrvr\\mdbdata;%Unset%;C:\\WINNT']
    for other in ('Sessions', 'Big', 'Servers', 'Blob'):            # type mismatch only for a non-string type
        answer = client.reg(getter, sValueName=other)
        assert return_value(answer) == TYPE_MISMATCH and answer['sValue'] == [None]
    assert return_value(client.reg(getter, sValueName='No Such Value')) == 1
    assert return_value(client.reg(getter, key=PARAMS_KEY + '\\Missing', sValueName='DB Path')) == 2


def test_type_mismatch_missing_value_and_missing_key(variant):
    client = variant[0]
    assert return_value(client.reg('GetDWORDValue', sValueName='DB Path')) == TYPE_MISMATCH
    assert return_value(client.reg('GetDWORDValue', sValueName='OWA Url Protocol')) == TYPE_MISMATCH
    assert return_value(client.reg('GetBinaryValue', sValueName='Log Path')) == TYPE_MISMATCH
    assert return_value(client.reg('GetStringValue', sValueName='No Such Value')) == 1
    assert return_value(client.reg('GetStringValue', key=PARAMS_KEY + '\\Missing', sValueName='DB Path')) == 2
    assert client.reg('EnumKey', key='SOFTWARE\\Missing') == {'sNames': [None], 'ReturnValue': ['2']}
    assert return_value(client.reg('SetStringValue', key='SOFTWARE\\Missing', sValueName='X', sValue='y')) == 2


def test_writes_are_read_back_and_kept_in_the_state_file(variant):
    client, host, _deny, fleet = variant
    assert return_value(client.reg('SetStringValue', sValueName='OWA Url Protocol', sValue='https:')) == 0
    assert client.reg('GetStringValue', sValueName='owa url protocol') == {'sValue': ['https:'], 'ReturnValue': ['0']}
    assert return_value(client.reg('CreateKey', key=SETUP_KEY + '\\New\\Deeper')) == 0
    assert return_value(client.reg('SetDWORDValue', key=SETUP_KEY + '\\New\\Deeper', sValueName='N', uValue=7)) == 0
    assert return_value(client.reg('SetMultiStringValue', key=SETUP_KEY + '\\New', sValueName='M', sValue=['a', 'b'])) == 0
    assert return_value(client.reg('DeleteValue', sValueName='Blob')) == 0
    assert return_value(client.reg('DeleteValue', sValueName='Blob')) == 2
    registry = fleet.state(host)['registry']
    params = registry['HKLM\\' + PARAMS_KEY]
    assert params['OWA Url Protocol'] == {'type': 'REG_SZ', 'data': 'https:'} and 'Blob' not in params
    assert list(params)[0] == 'OWA Url Protocol'    # replacing a value keeps its place
    assert registry['HKLM\\' + SETUP_KEY + '\\New\\Deeper'] == {'N': {'type': 'REG_DWORD', 'data': 7}}
    assert registry['HKLM\\' + SETUP_KEY + '\\New'] == {'M': {'type': 'REG_MULTI_SZ', 'data': ['a', 'b']}}


def test_denied_writes_return_5_and_leave_reads_alone(variant):
    _client, _host, denied, fleet = variant
    assert return_value(denied.reg('SetStringValue', sValueName='OWA Url Protocol', sValue='https:')) == 5
    assert return_value(denied.reg('DeleteValue', sValueName='DB Path')) == 5
    assert return_value(denied.reg('CreateKey', key=PARAMS_KEY + '\\Sub')) == 5
    assert denied.reg('GetExpandedStringValue', sValueName='OWA Url Protocol')['sValue'] == ['https:']
    assert denied.reg('CheckAccess', uRequired=2) == {'bGranted': ['false'], 'ReturnValue': ['5']}     # KEY_SET_VALUE
    assert denied.reg('CheckAccess', uRequired=1) == {'bGranted': ['true'], 'ReturnValue': ['0']}      # KEY_QUERY_VALUE
    assert variant[0].reg('CheckAccess', uRequired=2) == {'bGranted': ['true'], 'ReturnValue': ['0']}
    host = variant[1] + '-deny'
    assert fleet.state(host)['registry']['HKLM\\' + PARAMS_KEY]['OWA Url Protocol'] == VALUES['OWA Url Protocol']


def test_file_version_by_get_and_by_wql(variant):
    client = variant[0]
    store = client.get('CIM_DataFile', Name='c:\\EXCHSRVR\\bin\\store.exe')
    assert (store['Version'], store['Name'], store['FileSize'], store['Manufacturer']) == (
        '5.5.2654.81', 'c:\\exchsrvr\\bin\\store.exe', '5124368', 'Microsoft Corporation')
    items, _requests = client.wql("select Version, Name from CIM_DataFile where Name = 'C:\\\\exchsrvr\\\\bin\\\\store.exe'")
    assert items == [{'Name': 'c:\\exchsrvr\\bin\\store.exe', 'Version': '5.5.2654.81'}]
    assert client.get('CIM_DataFile', name='C:\\exchsrvr\\bin\\noversion.dll')['Version'] is None
    with pytest.raises(client.fault_type) as raised:
        client.get('CIM_DataFile', Name='C:\\exchsrvr\\bin\\missing.exe')
    assert client.fault_code(raised.value) == 2150858752


def test_service_state_and_control(variant):
    client, host, _deny, fleet = variant
    assert client.get('Win32_Service', NAME='msexchangeis')['State'] == 'Running'
    service_uri = CIMV2 + 'Win32_Service'
    assert return_value(client.invoke(service_uri, 'StopService', selectors={'Name': 'MSExchangeIS'})) == 0
    assert client.get('Win32_Service', Name='MSExchangeIS')['State'] == 'Stopped'
    assert fleet.state(host)['services']['MSExchangeIS'] == {'state': 'Stopped', 'start_mode': 'Auto'}
    assert return_value(client.invoke(service_uri, 'StopService', selectors={'Name': 'MSExchangeIS'})) == 5
    assert return_value(client.invoke(service_uri, 'StartService', selectors={'Name': 'MSExchangeIS'})) == 0
    assert return_value(client.invoke(service_uri, 'StartService', selectors={'Name': 'MSExchangeIS'})) == 10
    assert return_value(client.invoke(service_uri, 'StartService', selectors={'Name': 'MSExchangeES'})) == 14
    items, _requests = client.wql("select * from Win32_Service where State = 'running' and StartMode = 'Auto'")
    assert sorted(i['Name'] for i in items) == ['MSExchangeIS', 'MSExchangeSA', 'W3SVC']
    assert items[0]['Started'] == 'true' and items[0]['InstallDate'] is None


def test_wql_pages_honour_max_elements(variant):
    client = variant[0]
    everything, requests = client.wql('select Name from Win32_Service')
    assert requests == 1 and len(everything) == 5
    paged, requests = client.wql('select Name from Win32_Service', max_elements=2)
    assert requests == 3 and paged == everything


@pytest.mark.parametrize('call, code', [
    (lambda c: c.get('Win32_NoSuchClass', Name='x'), 2150858752),                         # unknown class: ResourceNotFound
    (lambda c: c.get('Win32_Service', Name='NoSuchService'), 2150858752),                 # unknown instance
    (lambda c: c.get('Win32_Service', ServiceName='MSExchangeIS'), 2150858813),           # InvalidSelectors
    (lambda c: c.get('Win32_Service'), 2150858813),
    (lambda c: c.wql('select * from Win32_Processa'), 2150858778),                        # CannotProcessFilter
    (lambda c: c.wql("select Nope from Win32_Service"), 2150858778),
    (lambda c: c.wql("select * from CIM_DataFile where Name = 'c:\\exchsrvr'"), 2150858778),   # unescaped backslash
    (lambda c: c.invoke(REG_URI, 'NoSuchMethod'), 2150858771),                             # ActionNotSupported
])
def test_faults_reach_the_client_as_wsman_faults(variant, call, code):
    client = variant[0]
    with pytest.raises(client.fault_type) as raised:
        call(client)
    assert client.fault_code(raised.value) == code


def test_a_wrong_password_is_refused_with_401(variant):
    client_class, host, _deny, fleet = type(variant[0]), variant[1], variant[2], variant[3]
    with pytest.raises(client_class.auth_error):
        client_class(fleet.hostvars[host], password='Wrong-Password').reg('GetStringValue', sValueName='DB Path')
