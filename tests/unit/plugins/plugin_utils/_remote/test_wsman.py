# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WSManClient: the envelopes it builds, how it reads real Windows captures, and how every
failure (SOAP faults, pywinrm and requests exceptions) becomes a one-line RemoteError."""

from __future__ import annotations

import http.server
import socket
import threading
import xml.etree.ElementTree as ET

import pytest
import requests
import urllib3
from winrm.exceptions import InvalidCredentialsError, WinRMError, WinRMTransportError, WSManFaultError
from winrm.protocol import Protocol

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._wsman import Fault, WSManClient, wmi_uri, wql_string
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils._remote.wsman_fakes import (
    CAPTURES, NS, PASSWORD, STDREGPROV, USER, FakeTransport, Sent, access_denied_fault, capture, fault_envelope, get_response,
    get_response_from, http_fault, make_protocol, method_output, not_found_fault,
)

CIMV2_ALL = wmi_uri('root/cimv2', '*')
WIN32_SERVICE = wmi_uri('root/cimv2', 'Win32_Service')
ENUMERATE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate'
PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull'
WQL = 'http://schemas.microsoft.com/wbem/wsman/1/WQL'


def client_with(*answers) -> tuple[WSManClient, FakeTransport]:
    protocol, transport = make_protocol(*answers)
    return WSManClient(protocol, host='exsrv01'), transport


def assert_standard_header(sent: Sent):
    """pywinrm's header: OperationTimeout from the Protocol (20 s default) and MaxEnvelopeSize."""
    assert sent.operation_timeout == 'PT20S'
    assert sent.max_envelope_size == '153600'


def raises(client_call, kind: str) -> RemoteError:
    with pytest.raises(RemoteError) as info:
        client_call()
    error = info.value
    assert error.kind == kind, str(error)
    assert '\n' not in str(error) and '\t' not in str(error)
    assert PASSWORD not in str(error)
    assert error.host == 'exsrv01'
    return error


def test_captures_folder_holds_exactly_the_files_the_readme_lists():
    readme = (CAPTURES / 'README.md').read_text()
    files = sorted(path.name for path in CAPTURES.glob('*.xml'))
    assert len(files) == 13
    for name in files:
        size = len(capture(name))
        assert f'| `{name}` | {size} |' in readme, name   # byte count in the README matches the file


# ---------------------------------------------------------------- Get


def test_get_sends_transfer_get_with_selectors_and_empty_body():
    instance = ET.fromstring(capture('txwinrm__win2008_Win32_Service_star_EnumerateResponse.xml')).find('.//w:Items', NS)[0]
    client, transport = client_with(get_response_from(instance))
    props = client.get(WIN32_SERVICE, {'Name': 'AeLookupSvc'})
    sent = Sent(transport.sent[0])
    assert sent.action == 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
    assert sent.resource_uri == WIN32_SERVICE
    assert sent.selectors == [('Name', 'AeLookupSvc')]
    assert_standard_header(sent)
    assert len(sent.body) == 0 and not (sent.body.text or '').strip()
    assert props['State'] == 'Stopped'
    assert props['Name'] == 'AeLookupSvc'
    assert props['InstallDate'] is None
    assert props['PathName'] == 'C:\\Windows\\system32\\svchost.exe -k netsvcs'
    assert len(props) == 25
    assert client.requests == 1


def test_selector_values_are_escaped_and_sent_with_single_backslashes():
    client, transport = client_with(get_response('CIM_DataFile', ('Name', 'x'), ('Version', '5.5.2654.81')))
    path = 'C:\\exchsrvr\\bin\\store<&>"\'.exe'
    client.get(wmi_uri('root/cimv2', 'CIM_DataFile'), {'Name': path})
    assert '&lt;&amp;&gt;' in transport.sent[0]
    assert Sent(transport.sent[0]).selectors == [('Name', path)]


def test_get_unwraps_datetimes_and_keeps_empty_and_nil_apart():
    os_item = ET.fromstring(capture('txwinrm__win2003_Win32_OperatingSystem_star_EnumerateResponse_EndOfSequence.xml')).find('.//w:Items', NS)[0]
    client, _transport = client_with(get_response_from(os_item))
    props = client.get(wmi_uri('root/cimv2', 'Win32_OperatingSystem'))
    assert props['InstallDate'] == '2013-03-11T21:28:04Z'
    assert props['LastBootUpTime'] == '2013-04-15T16:28:38.376625Z'
    assert props['Description'] == ''          # empty element: empty string
    assert props['PAEEnabled'] is None          # xsi:nil: None
    assert props['BootDevice'] == '\\Device\\HarddiskVolume1'


def test_repeated_properties_become_lists():
    client, _transport = client_with(get_response('Win32_Thing', ('Tags', ['a', 'b', 'c']), ('One', 'x')))
    props = client.get(wmi_uri('root/cimv2', 'Win32_Thing'))
    assert props == {'Tags': ['a', 'b', 'c'], 'One': 'x'}


# ---------------------------------------------------------------- Enumerate / Pull


def test_enumerate_typed_items_then_pull_until_end_of_sequence():
    client, transport = client_with(capture('txwinrm__win2008_Win32_Service_star_EnumerateResponse.xml'),
                                    capture('txwinrm__win2008_Win32_Service_star_PullResponse_last.xml'))
    items = client.enumerate(CIMV2_ALL, 'select * from Win32_Service')
    assert len(items) == 20                         # 1 in the EnumerateResponse + 19 in the last PullResponse
    assert items[0]['Name'] == 'AeLookupSvc'
    assert items[1]['Name'] == 'upnphost' and items[1]['StartName'] == 'NT AUTHORITY\\LocalService'
    assert items[-1]['Name'] == 'wudfsvc' and items[-1]['State'] == 'Stopped'
    assert all(item['InstallDate'] is None for item in items)
    assert client.requests == 2

    enumerate_request, pull_request = transport.requests()
    assert enumerate_request.action == ENUMERATE and enumerate_request.resource_uri == CIMV2_ALL
    assert enumerate_request.selectors is None
    assert_standard_header(enumerate_request)
    enum = enumerate_request.body.find('n:Enumerate', NS)
    assert [child.tag for child in enum] == [f'{{{NS["w"]}}}OptimizeEnumeration', f'{{{NS["w"]}}}MaxElements', f'{{{NS["w"]}}}Filter']
    assert enum.findtext('w:MaxElements', namespaces=NS) == '32000'
    query = enum.find('w:Filter', NS)
    assert query.get('Dialect') == WQL and query.text == 'select * from Win32_Service'

    assert pull_request.action == PULL and pull_request.resource_uri == CIMV2_ALL
    assert_standard_header(pull_request)
    pull = pull_request.body.find('n:Pull', NS)
    assert pull.findtext('n:EnumerationContext', namespaces=NS) == 'uuid:6854B090-BBDB-486B-B750-5BF34D000933'
    assert pull.findtext('n:MaxElements', namespaces=NS) == '32000'


def test_enumerate_xml_fragment_items():
    client, _transport = client_with(capture('txwinrm__win2008_Win32_Service_props_XmlFragment_EnumerateResponse.xml'),
                                     capture('txwinrm__win2008_Win32_Service_props_XmlFragment_PullResponse_last.xml'))
    items = client.enumerate(CIMV2_ALL, 'select Name, State from Win32_Service', max_elements=2)
    assert [item['Name'] for item in items] == ['AeLookupSvc', 'wuauserv', 'wudfsvc']
    assert [item['State'] for item in items] == ['Stopped', 'Running', 'Stopped']
    assert items[1]['ProcessId'] == '756' and items[1]['InstallDate'] is None
    assert len(items[0]) == 25


def test_enumerate_2003_empty_context_with_end_of_sequence_needs_no_pull():
    client, transport = client_with(capture('txwinrm__win2003_Win32_OperatingSystem_star_EnumerateResponse_EndOfSequence.xml'))
    items = client.enumerate(wmi_uri('root/cimv2', 'Win32_OperatingSystem'))
    assert len(transport.sent) == 1
    assert len(items) == 1
    assert items[0]['Caption'] == 'Microsoft(R) Windows(R) Server 2003 Datacenter x64 Edition'
    assert items[0]['LocalDateTime'] == '2013-04-15T20:27:39.762Z'
    assert items[0]['TotalSwapSpaceSize'] is None
    assert Sent(transport.sent[0]).body.find('n:Enumerate/w:Filter', NS) is None   # no WQL: no Filter


def test_enumerate_pretty_printed_process_pages():
    client, _transport = client_with(capture('winrm-rb__win2008r2_wql_Win32_Process_EnumerateResponse.xml'),
                                     capture('winrm-rb__win2008r2_wql_Win32_Process_PullResponse_last.xml'))
    items = client.enumerate(CIMV2_ALL, 'select * from Win32_Process')
    assert [item['Name'] for item in items] == ['System Idle Process', 'System', 'conhost.exe']
    assert items[0]['CreationDate'] is None
    assert items[1]['CreationDate'] == '2013-04-29T11:43:11.203125-07:00'      # cim:Datetime across indented lines
    assert items[2]['CommandLine'] == '\\??\\C:\\Windows\\system32\\conhost.exe'
    assert [item['ProcessId'] for item in items] == ['0', '4', '1100']


def test_a_pull_page_without_context_keeps_the_previous_context():
    middle = capture('txwinrm__win2008_Win32_Service_star_PullResponse_last.xml').replace(b'<n:EndOfSequence/>', b'')
    client, transport = client_with(capture('txwinrm__win2008_Win32_Service_star_EnumerateResponse.xml'), middle,
                                    capture('txwinrm__win2008_Win32_Service_star_PullResponse_last.xml'))
    assert len(client.enumerate(CIMV2_ALL, 'select * from Win32_Service')) == 39
    contexts = [sent.body.findtext('n:Pull/n:EnumerationContext', namespaces=NS) for sent in transport.requests()[1:]]
    assert contexts == ['uuid:6854B090-BBDB-486B-B750-5BF34D000933'] * 2


def test_enumerate_without_context_or_end_is_a_protocol_error():
    page = (capture('txwinrm__win2003_Win32_OperatingSystem_star_EnumerateResponse_EndOfSequence.xml')
            .replace(b'<w:EndOfSequence/>', b''))
    client, _transport = client_with(page)
    error = raises(lambda: client.enumerate(CIMV2_ALL, 'select * from Win32_OperatingSystem'), 'protocol')
    assert 'without EndOfSequence' in str(error)


def test_wql_string_escapes_quotes_and_backslashes():
    assert wql_string("C:\\exchsrvr\\it's") == "'C:\\\\exchsrvr\\\\it\\'s'"


# ---------------------------------------------------------------- Invoke


def test_invoke_enum_key_capture():
    client, transport = client_with(capture('openwsman__win2003_StdRegProv_EnumKey_response.xml'))
    result = client.invoke(STDREGPROV, 'EnumKey', {'hDefKey': 2147483650, 'sSubKeyName': 'Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall'},
                           arrays=('sNames',))
    assert result['ReturnValue'] == 0
    assert len(result['sNames']) == 26
    assert result['sNames'][0] == 'AddressBook' and result['sNames'][-1] == '{F8FBDC28-C265-4F0D-8B91-6E92913E19F6}'
    assert 'Mozilla Firefox 9.0.1 (x86 en-US)' in result['sNames']

    sent = Sent(transport.sent[0])
    assert sent.action == STDREGPROV + '/EnumKey'
    assert sent.resource_uri == STDREGPROV
    assert sent.selectors is None                  # StdRegProv is a singleton
    assert_standard_header(sent)
    assert len(sent.body) == 1
    assert sent.params('EnumKey') == [('hDefKey', '2147483650'), ('sSubKeyName', 'Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall')]


def test_invoke_encodes_each_input_type():
    client, transport = client_with(method_output('Demo', ('ReturnValue', 0)))
    client.invoke(STDREGPROV, 'Demo', {'s': 'a<b&c', 'i': 4294967295, 't': True, 'f': False, 'l': ['x', 'y'], 'n': None, 'e': []})
    sent = Sent(transport.sent[0])
    assert sent.params('Demo') == [('s', 'a<b&c'), ('i', '4294967295'), ('t', 'true'), ('f', 'false'), ('l', 'x'), ('l', 'y'), ('n', None)]


def test_invoke_rejects_text_xml_cannot_carry():
    client, transport = client_with()
    raises(lambda: client.invoke(STDREGPROV, 'SetStringValue', {'sValue': 'bell\x07'}), 'unsupported')
    assert not transport.sent


def test_invoke_outputs_arrays_nil_and_return_value():
    client, _transport = client_with(method_output('EnumValues', ('sNames', None), ('Types', None), ('ReturnValue', '0')))
    result = client.invoke(STDREGPROV, 'EnumValues', {}, arrays=('sNames', 'Types', 'Absent'))
    assert result == {'sNames': [], 'Types': [], 'Absent': [], 'ReturnValue': 0}

    client, _transport = client_with(method_output('GetMultiStringValue', ('sValue', ['only']), ('ReturnValue', 0)))
    assert client.invoke(STDREGPROV, 'GetMultiStringValue', {}, arrays=('sValue',))['sValue'] == ['only']


def test_instance_method_sends_selectors_and_an_empty_input_element():
    client, transport = client_with(method_output('StopService', ('ReturnValue', 0), resource_uri=WIN32_SERVICE))
    assert client.invoke(WIN32_SERVICE, 'StopService', {}, selectors={'Name': 'MSExchangeIS'}) == {'ReturnValue': 0}
    sent = Sent(transport.sent[0])
    assert sent.action == WIN32_SERVICE + '/StopService'
    assert sent.selectors == [('Name', 'MSExchangeIS')]
    element = sent.input('StopService', WIN32_SERVICE)
    assert len(element) == 0 and not (element.text or '').strip()


def test_invoke_answer_without_output_or_return_value_is_a_protocol_error():
    client, _transport = client_with(method_output('Other', ('ReturnValue', 0)))
    assert 'expected GetStringValue_OUTPUT, got Other_OUTPUT' in str(raises(lambda: client.invoke(STDREGPROV, 'GetStringValue', {}), 'protocol'))
    client, _transport = client_with(method_output('GetStringValue', ('sValue', 'x')))
    assert 'without a numeric ReturnValue' in str(raises(lambda: client.invoke(STDREGPROV, 'GetStringValue', {}), 'protocol'))


def test_names_that_are_not_xml_names_are_refused_before_sending():
    client, transport = client_with()
    with pytest.raises(ValueError):
        client.invoke(STDREGPROV, 'Get><x', {})
    with pytest.raises(ValueError):
        client.invoke(STDREGPROV, 'GetStringValue', {'a b': 1})
    assert not transport.sent


# ---------------------------------------------------------------- faults from the captures


FAULT_CAPTURES = [
    # file, kind, code, text in the message
    ('txwinrm__fault_InternalError_max_concurrent_operations.xml', 'transient', 2150859174,
     'InternalError 2150859174 (0x803381a6): The WS-Management service cannot process the request. '
     'This user is allowed a maximum number of 15 concurrent operations, which has been exceeded.'),
    ('winrm-rb__win2008r2_fault_CannotProcessFilter_bad_wql_class.xml', 'protocol', 2150858778,
     'rejected the WQL query of Enumerate root/cimv2/* (select * from Win32_Processa): The specified class does not exist in the given namespace.'),
    ('winrm-rb__fault_QuotaLimit_MSFT_WmiError.xml', 'transient', 2150859173,
     'QuotaLimit 2150859173 (0x803381a5): The WS-Management service cannot process the request. This user is allowed a maximum number of 30 concurrent shells'),
    ('pywinrm__fault_InvalidMessageInformationHeader.xml', 'protocol', 2150858767,
     'InvalidMessageInformationHeader 2150858767 (0x8033800f): The WS-Management service cannot process the request. '
     'The SOAP packet that WS-Management received did not contain a valid Body element.'),
    ('pywinrm__win2016_fault_TimedOut_Receive.xml', 'timeout', 2150858793, 'timed out on the host'),
]


@pytest.mark.parametrize('name, kind, code, text', FAULT_CAPTURES, ids=[row[0] for row in FAULT_CAPTURES])
def test_fault_captures_become_remote_errors(name, kind, code, text):
    client, _transport = client_with(http_fault(capture(name)))
    error = raises(lambda: client.enumerate(CIMV2_ALL, 'select * from Win32_Processa'), kind)
    assert text in str(error)
    assert error.code == code


def test_fault_parser_reads_every_fault_capture():
    parsed = {name: Fault.from_text(capture(name)) for name, *_rest in FAULT_CAPTURES}
    internal = parsed['txwinrm__fault_InternalError_max_concurrent_operations.xml']
    assert (internal.code, internal.subcode, internal.codes) == ('Receiver', 'InternalError', (2150859174,))   # whitespace inside text nodes
    cannot = parsed['winrm-rb__win2008r2_fault_CannotProcessFilter_bad_wql_class.xml']
    assert (cannot.code, cannot.subcode, cannot.codes) == ('Sender', 'CannotProcessFilter', (2150858778, 2150858778))
    assert cannot.reason.startswith('The data source could not process the filter.')
    quota = parsed['winrm-rb__fault_QuotaLimit_MSFT_WmiError.xml']
    assert (quota.subcode, quota.codes) == ('QuotaLimit', (2150859173,))
    timed_out = parsed['pywinrm__win2016_fault_TimedOut_Receive.xml']
    assert (timed_out.code, timed_out.subcode, timed_out.codes) == ('Receiver', 'TimedOut', (2150858793,))
    header = parsed['pywinrm__fault_InvalidMessageInformationHeader.xml']
    assert (header.subcode, header.codes) == ('InvalidMessageInformationHeader', (2150858767,))
    assert Fault.from_text(capture('openwsman__win2003_StdRegProv_EnumKey_response.xml')) is None
    assert Fault.from_text('not xml') is None


# ---------------------------------------------------------------- faults Windows sends for our calls


def test_missing_instance_is_not_found():
    client, _transport = client_with(not_found_fault())
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'NoSuchService'}), 'not_found')
    assert str(error) == "no Win32_Service instance with Name='NoSuchService'"


def test_missing_class_is_a_protocol_error_naming_the_class():
    client, _transport = client_with(not_found_fault(2147749904, "The WMI service returned an 'invalid class' error."))
    error = raises(lambda: client.get(wmi_uri('root/cimv2', 'CIM_DataFile'), {'Name': 'C:\\x'}), 'protocol')
    assert str(error).startswith('WMI class CIM_DataFile (root/cimv2) is not available on this host')
    client, _transport = client_with(not_found_fault())
    error = raises(lambda: client.invoke(STDREGPROV, 'GetStringValue', {}), 'protocol')   # no selectors: the class itself
    assert str(error).startswith('WMI class StdRegProv (root/default) is not available on this host')


def test_access_denied_fault():
    client, _transport = client_with(access_denied_fault())
    error = raises(lambda: client.invoke(STDREGPROV, 'SetStringValue', {}), 'access_denied')
    assert str(error) == "access denied for user 'Administrator': Invoke StdRegProv.SetStringValue was refused (Access is denied.)"
    assert error.code == 2147942405


@pytest.mark.parametrize('subcode, code, message', [
    ('w:InvalidSelectors', 2150858843, 'The WS-Management service cannot process the request because the request contained invalid selectors.'),
    ('w:InternalError', 2150859174, 'The maximum number of concurrent operations for this user has been exceeded.'),
    ('w:QuotaLimit', 2150859173, 'The maximum number of concurrent shells for this user has been exceeded.'),
])
def test_other_faults_keep_their_wsman_message(subcode, code, message):
    client, _transport = client_with(http_fault(fault_envelope(subcode, code, message)))
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'protocol' if subcode == 'w:InvalidSelectors' else 'transient')
    assert str(error).startswith(f"Get Win32_Service (Name='x') failed with WS-Management fault {subcode[2:]} {code} (0x{code:08x}): ")
    assert str(error).endswith(message)


def test_fault_in_an_http_200_body_is_still_a_fault():
    client, _transport = client_with(fault_envelope('w:TimedOut', 2150858793, 'The operation timed out.', value='s:Receiver'))
    raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'timeout')


def test_answers_that_are_not_soap_are_protocol_errors():
    client, _transport = client_with(b'<html>busy</html', b'<html/>')
    assert 'is not XML' in str(raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'protocol'))
    assert 'not a SOAP envelope' in str(raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'protocol'))


# ---------------------------------------------------------------- pywinrm / requests exceptions


def test_wsman_fault_error_raised_directly_is_classified_from_its_response():
    body = fault_envelope('w:AccessDenied', 2147942405, 'Access is denied.')
    exc = WSManFaultError(500, 'Bad HTTP response returned from server. Code 500', body, 'Access is denied.', 's:Sender', 'w:AccessDenied', 2147942405)
    client, _transport = client_with(exc)
    raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'access_denied')
    exc = WSManFaultError(500, 'Bad HTTP response', '', 'The WS-Management service cannot complete the operation.', 's:Receiver', 'w:TimedOut', 2150858793)
    client, _transport = client_with(exc)
    raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'timeout')


def test_invalid_credentials_is_auth_and_names_the_user_not_the_password():
    client, _transport = client_with(InvalidCredentialsError('the specified credentials were rejected by the server'))
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'auth')
    # the action adds the advice once (check ansible_user and ansible_password); the message does not repeat it
    assert str(error) == f"login refused for user '{USER}' at http://127.0.20.1:5985/wsman"


def test_transport_http_errors():
    client, _transport = client_with(WinRMTransportError('http', 404, ''), WinRMTransportError('http', 403, ''), WinRMTransportError('http', 413, ''))
    assert 'HTTP 404' in str(raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'protocol'))
    raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'access_denied')
    assert raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'protocol').code == 413


def test_password_is_scrubbed_from_any_exception_text():
    client, _transport = client_with(WinRMError(f'odd failure while using {PASSWORD}'))
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'protocol')
    assert '********' in str(error)


def test_dns_failure_is_unreachable():
    reason = urllib3.exceptions.NameResolutionError('nohost.invalid', None, socket.gaierror(-2, 'Name or service not known'))
    exc = requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(None, '/wsman', reason))
    client, _transport = client_with(exc)
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'unreachable')
    assert "Failed to resolve 'nohost.invalid'" in str(error)


# Real sockets on 127.0.20.x: the real pywinrm transport and requests raise the exceptions.

class _Unauthorized(http.server.BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server naming)
        self.rfile.read(int(self.headers.get('Content-Length', 0)))
        self.send_response(401)
        self.send_header('WWW-Authenticate', 'Basic realm="WSMAN"')
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = http.server.ThreadingHTTPServer(('127.0.20.1', 0), _Unauthorized)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def real_client(url: str, **kwargs) -> WSManClient:
    kwargs.setdefault('transport', 'ntlm')
    return WSManClient(Protocol(url, username=USER, password=PASSWORD, **kwargs), host='exsrv01')


def test_real_401_is_auth(http_server):
    # Basic over plain http is only for this test server; WinRMHost refuses it.
    client = real_client(f'http://127.0.20.1:{http_server}/wsman', transport='basic')
    assert 'login refused' in str(raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'auth'))


def test_real_tls_failure_is_unreachable(http_server):
    client = real_client(f'https://127.0.20.1:{http_server}/wsman')
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'unreachable')
    assert str(error).startswith(f'TLS handshake with https://127.0.20.1:{http_server}/wsman failed: ')
    # the test server speaks plain http: the advice is about the scheme, not about a CA file
    assert 'set ansible_winrm_scheme: http' in str(error) and 'ca_trust_path' not in str(error)
    assert error.advice == ''


def test_real_connection_refused_is_unreachable():
    with socket.socket() as probe:
        probe.bind(('127.0.20.1', 0))
        port = probe.getsockname()[1]          # closed again: nothing listens there
    client = real_client(f'http://127.0.20.1:{port}/wsman')
    error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'unreachable')
    assert str(error) == f'cannot connect to http://127.0.20.1:{port}/wsman: Connection refused'


def test_real_read_timeout_is_timeout():
    with socket.socket() as silent:
        silent.bind(('127.0.20.1', 0))
        silent.listen(1)                        # accepts, never answers
        url = f'http://127.0.20.1:{silent.getsockname()[1]}/wsman'
        client = real_client(url, transport='basic', read_timeout_sec=2, operation_timeout_sec=1)
        error = raises(lambda: client.get(WIN32_SERVICE, {'Name': 'x'}), 'timeout')
    assert str(error) == f"no answer from {url} to Get Win32_Service (Name='x') within 2s (read timeout)"
