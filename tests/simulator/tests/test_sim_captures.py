# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The simulator's responses agree in structure with real Windows captures: the same actions, element
names and namespaces, attributes, nil and array conventions, fault codes. Text content is not compared
(host names, ids and values differ); repeated siblings (arrays, lists of items) count once."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from simhelpers import ACTION_ENUMERATE, ACTION_PULL, CIMV2, NS, REG_URI, WQL, Fleet, WinrmClient, envelope

SUBNET = '127.0.2'
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CAPTURE_DIRS = [os.path.join(REPO, 'tests', 'unit', 'plugins', 'plugin_utils', '_remote', 'captures'),
                os.path.join(os.path.dirname(REPO), 'shared', 'reference', 'captures')]
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'
# The property list of the real XmlFragment capture's query (txwinrm's Win32_Service.properties).
FRAGMENT_PROPERTIES = ('AcceptPause, AcceptStop, Caption, CheckPoint, CreationClassName, Description, DesktopInteract, DisplayName, '
                       'ErrorControl, ExitCode, InstallDate, Name, PathName, ProcessId, ServiceSpecificExitCode, ServiceType, Started, '
                       'StartMode, StartName, State, Status, SystemCreationClassName, SystemName, TagId, WaitHint')


def capture(name: str) -> ET.Element:
    for directory in CAPTURE_DIRS:
        path = os.path.join(directory, name)
        if os.path.exists(path):
            return ET.parse(path).getroot()
    pytest.fail(f'capture {name} not found in {CAPTURE_DIRS}')


def shape(element: ET.Element) -> tuple:
    """(qualified tag, attribute names, children shapes); a run of same-tag siblings counts as its first."""
    children: list[tuple] = []
    for child in element:
        if not children or children[-1][0] != child.tag:
            children.append(shape(child))
    return element.tag, tuple(sorted(element.attrib)), tuple(children)


def action(root: ET.Element) -> str:
    return root.findtext('s:Header/a:Action', '', NS).strip()


def header_tags(root: ET.Element) -> list[str]:
    return [child.tag for child in root.find('s:Header', NS)]


def body(root: ET.Element) -> ET.Element:
    return root.find('s:Body', NS)


def assert_same_structure(ours: ET.Element, real: ET.Element) -> None:
    assert action(ours) == action(real)
    assert header_tags(ours) == header_tags(real)
    assert shape(body(ours)) == shape(body(real))


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    services = {name: {'state': 'Running' if name != 'MSExchangeMTA' else 'Stopped'} for name in ('MSExchangeIS', 'MSExchangeMTA', 'W3SVC')}
    hosts = {
        'real-like': {'registry': {f'HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{n}': {} for n in ('AddressBook', 'IE40', 'KB968930')},
                      'services': services},
        'busy': {'faults': {'internal_error_rate': 1.0}},
    }
    fleet_file = {'defaults': {'username': 'Administrator', 'password': 'Exch55!Sim'}, 'hosts': hosts}
    running = Fleet(str(tmp_path_factory.mktemp('captures')), fleet_file, SUBNET)
    yield running
    assert running.stop() == 0


@pytest.fixture(scope='module')
def client(fleet):
    return WinrmClient(fleet.hostvars['real-like'])


def enumerate_and_pull(client: WinrmClient, query: str) -> tuple[ET.Element, list[ET.Element]]:
    """A WQL enumeration one item at a time, as the captured clients ran it: (EnumerateResponse, PullResponses)."""
    first = client.send(ACTION_ENUMERATE, CIMV2 + '*', f'<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>1</w:MaxElements>'
                                                       f'<w:Filter Dialect="{WQL}">{query}</w:Filter></n:Enumerate>')
    pulls, context = [], first.findtext('s:Body/n:EnumerateResponse/n:EnumerationContext', '', NS)
    while context:
        pull = client.send(ACTION_PULL, CIMV2 + '*', f'<n:Pull><n:EnumerationContext>{context}</n:EnumerationContext>'
                                                     '<n:MaxElements>1</n:MaxElements></n:Pull>')
        pulls.append(pull)
        context = pull.findtext('s:Body/n:PullResponse/n:EnumerationContext', '', NS)
    return first, pulls


def test_enumkey_output_matches_the_real_enumkey_response(client):
    request = (f'<p:EnumKey_INPUT xmlns:p="{REG_URI}"><p:hDefKey>2147483650</p:hDefKey>'
               '<p:sSubKeyName>SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Uninstall</p:sSubKeyName></p:EnumKey_INPUT>')
    ours = client.send(f'{REG_URI}/EnumKey', REG_URI, request)
    real = capture('openwsman__win2003_StdRegProv_EnumKey_response.xml')
    assert_same_structure(ours, real)
    output = body(ours)[0]
    assert [child.text for child in output] == ['AddressBook', 'IE40', 'KB968930', '0']      # array items first, ReturnValue last


def test_typed_wql_enumerate_and_pull_match_the_real_win32_service_responses(client):
    first, pulls = enumerate_and_pull(client, 'select * from Win32_Service')
    assert len(pulls) == 2
    real_first = capture('txwinrm__win2008_Win32_Service_star_EnumerateResponse.xml')
    real_last = capture('txwinrm__win2008_Win32_Service_star_PullResponse_last.xml')
    assert_same_structure(first, real_first)
    assert_same_structure(pulls[-1], real_last)
    for ours, real in ((first, real_first), (pulls[-1], real_last)):
        ours_item, real_item = body(ours)[0].find('*/*'), body(real)[0].find('*/*')
        assert ours_item.get(XSI_TYPE) == real_item.get(XSI_TYPE) == 'p:Win32_Service_Type'
        assert [c.tag for c in ours_item] == [c.tag for c in real_item]        # the same properties in the same order
    # A middle PullResponse keeps its context and has no EndOfSequence.
    assert [c.tag for c in body(pulls[0])[0]] == [f'{{{NS["n"]}}}EnumerationContext', f'{{{NS["n"]}}}Items']


def test_property_wql_returns_xmlfragments_like_the_real_responses(client):
    first, pulls = enumerate_and_pull(client, f'select {FRAGMENT_PROPERTIES} from Win32_Service')
    assert_same_structure(first, capture('txwinrm__win2008_Win32_Service_props_XmlFragment_EnumerateResponse.xml'))
    assert_same_structure(pulls[-1], capture('txwinrm__win2008_Win32_Service_props_XmlFragment_PullResponse_last.xml'))
    fragment = body(first).find('n:EnumerateResponse/w:Items/w:XmlFragment', NS)
    assert all('}' not in child.tag for child in fragment)       # un-namespaced children


def test_an_enumeration_that_fits_ends_in_the_enumerate_response_like_windows_2003(client):
    ours = client.send(ACTION_ENUMERATE, CIMV2 + '*', f'<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>'
                                                      f'<w:Filter Dialect="{WQL}">select * from Win32_Service</w:Filter></n:Enumerate>')
    real = capture('txwinrm__win2003_Win32_OperatingSystem_star_EnumerateResponse_EndOfSequence.xml')
    response, real_response = body(ours)[0], body(real)[0]
    assert [c.tag for c in response] == [c.tag for c in real_response]      # empty context, w:Items, w:EndOfSequence
    assert response.findtext('n:EnumerationContext', None, NS) == ''
    assert len(response.find('w:Items', NS)) == 3


def _fault(client: WinrmClient, request: str) -> ET.Element:
    with pytest.raises(client.fault_type) as raised:
        client.protocol.send_message(request)
    return ET.fromstring(raised.value.response)


def test_bad_wql_class_fault_matches_the_real_cannotprocessfilter(client):
    ours = _fault(client, envelope(ACTION_ENUMERATE, CIMV2 + '*', f'<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>32000</w:MaxElements>'
                                   f'<w:Filter Dialect="{WQL}">Select * from Win32_Processa where name="sshd.exe"</w:Filter></n:Enumerate>'))
    real = capture('winrm-rb__win2008r2_fault_CannotProcessFilter_bad_wql_class.xml')
    assert_same_structure(ours, real)
    for path in ('s:Body/s:Fault/s:Code/s:Value', 's:Body/s:Fault/s:Code/s:Subcode/s:Value'):
        assert ours.findtext(path, None, NS) == real.findtext(path, None, NS)
    fault_ns = '{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}'
    assert [e.get('Code') for e in ours.iter(f'{fault_ns}WSManFault')] == [e.get('Code') for e in real.iter(f'{fault_ns}WSManFault')]
    status = '{http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/__ExtendedStatus}ParameterInfo'
    assert next(ours.iter(status)).text == 'Select * from Win32_Processa where name="sshd.exe"'


def test_injected_internal_error_matches_the_real_max_concurrent_operations_fault(fleet):
    busy = WinrmClient(fleet.hostvars['busy'])
    ours = _fault(busy, envelope(f'{REG_URI}/EnumKey', REG_URI, f'<p:EnumKey_INPUT xmlns:p="{REG_URI}"/>'))
    real = capture('txwinrm__fault_InternalError_max_concurrent_operations.xml')
    assert_same_structure(ours, real)
    for path in ('s:Body/s:Fault/s:Code/s:Value', 's:Body/s:Fault/s:Code/s:Subcode/s:Value'):
        assert ours.findtext(path, '', NS).strip() == real.findtext(path, '', NS).strip()
    fault_ns = '{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}'
    assert next(ours.iter(f'{fault_ns}WSManFault')).get('Code') == next(real.iter(f'{fault_ns}WSManFault')).get('Code') == '2150859174'


def test_a_request_without_a_body_gets_the_real_invalid_header_fault(client):
    request = envelope(f'{REG_URI}/EnumKey', REG_URI).replace('<s:Body></s:Body>', '')
    request = request.replace(request[request.index('<a:MessageID>'):request.index('</a:MessageID>') + len('</a:MessageID>')], '')
    ours = _fault(client, request)
    real = capture('pywinrm__fault_InvalidMessageInformationHeader.xml')
    assert_same_structure(ours, real)
    message = '{http://schemas.microsoft.com/wbem/wsman/1/wsmanfault}Message'
    assert next(ours.iter(message)).text == next(real.iter(message)).text.strip() + ' '
