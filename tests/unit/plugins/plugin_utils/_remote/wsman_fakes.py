# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test doubles for the WS-Man client.

A real ``winrm.protocol.Protocol`` is used (so the real ``build_wsman_header`` and pywinrm's own
fault handling in ``send_message`` run); only its HTTP transport is replaced by
:class:`FakeTransport`, which records each XML request and answers canned bytes, or raises what
pywinrm's transport raises (``WinRMTransportError`` for an HTTP 500 fault body, etc.).
"""

from __future__ import annotations

import pathlib
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape

from winrm.exceptions import WinRMTransportError
from winrm.protocol import Protocol

CAPTURES = pathlib.Path(__file__).parent / 'captures'
USER = 'Administrator'
PASSWORD = 'Exch55!Sim-s3cret'
ENDPOINT = 'http://127.0.20.1:5985/wsman'

NS = {
    's': 'http://www.w3.org/2003/05/soap-envelope',
    'a': 'http://schemas.xmlsoap.org/ws/2004/08/addressing',
    'w': 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd',
    'n': 'http://schemas.xmlsoap.org/ws/2004/09/enumeration',
    'xsi': 'http://www.w3.org/2001/XMLSchema-instance',
}
WMI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/'
STDREGPROV = WMI + 'root/default/StdRegProv'


def capture(name: str) -> bytes:
    """The exact bytes of a capture file."""
    return (CAPTURES / name).read_bytes()


class FakeTransport:
    """Stands in for ``winrm.transport.Transport``: records requests, plays answers in order.

    An answer is bytes/str (an HTTP 200 body) or an exception instance (raised).
    """

    def __init__(self, *answers, endpoint: str = ENDPOINT):
        self.endpoint = endpoint
        self.answers = list(answers)
        self.sent: list[str] = []
        self.closed = 0

    def send_message(self, message):
        self.sent.append(message.decode() if isinstance(message, bytes) else message)
        if not self.answers:
            raise AssertionError(f'unexpected request #{len(self.sent)}')
        answer = self.answers.pop(0)
        if isinstance(answer, BaseException):
            raise answer
        return answer.encode() if isinstance(answer, str) else answer

    def close_session(self):
        self.closed += 1

    def requests(self) -> list[Sent]:
        return [Sent(text) for text in self.sent]


def http_fault(body) -> WinRMTransportError:
    """What pywinrm's transport raises for an HTTP 500 carrying a SOAP fault."""
    return WinRMTransportError('http', 500, body.decode() if isinstance(body, bytes) else body)


def make_protocol(*answers, **kwargs) -> tuple[Protocol, FakeTransport]:
    """A real pywinrm Protocol (ntlm, user/password set) whose transport is a FakeTransport."""
    protocol = Protocol(ENDPOINT, transport='ntlm', username=USER, password=PASSWORD, **kwargs)
    protocol.transport = FakeTransport(*answers)
    return protocol, protocol.transport


class Sent:
    """A request the client sent, parsed: header fields and the Body element."""

    def __init__(self, text: str):
        self.text = text
        self.root = ET.fromstring(text)
        header = self.root.find('s:Header', NS)
        self.action = header.findtext('a:Action', namespaces=NS)
        self.resource_uri = header.findtext('w:ResourceURI', namespaces=NS)
        self.operation_timeout = header.findtext('w:OperationTimeout', namespaces=NS)
        self.max_envelope_size = header.findtext('w:MaxEnvelopeSize', namespaces=NS)
        selector_set = header.find('w:SelectorSet', NS)
        self.selectors = None if selector_set is None else [(s.get('Name'), s.text) for s in selector_set.findall('w:Selector', NS)]
        self.body = self.root.find('s:Body', NS)

    def input(self, method: str, resource_uri: str = STDREGPROV) -> ET.Element:
        """The ``<method>_INPUT`` element, which must be in the resource URI's namespace."""
        element = self.body.find(f'{{{resource_uri}}}{method}_INPUT')
        assert element is not None, f'no {method}_INPUT in {resource_uri} namespace: {self.text}'
        return element

    def params(self, method: str, resource_uri: str = STDREGPROV) -> list[tuple[str, str | None]]:
        """(name, text) for each input parameter, in order; every one in the resource URI's namespace."""
        result = []
        for child in self.input(method, resource_uri):
            namespace, _sep, name = child.tag[1:].partition('}')
            assert namespace == resource_uri, child.tag
            result.append((name, None if child.get(f'{{{NS["xsi"]}}}nil') == 'true' else child.text))
        return result


def _envelope(action: str, body: str) -> bytes:
    """A response envelope laid out as Windows sends it (one line)."""
    return (
        '<s:Envelope xml:lang="en-US" xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:x="http://schemas.xmlsoap.org/ws/2004/09/transfer" '
        'xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" xmlns:p="http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd">'
        f'<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:0C2B3B4E-6F21-4D3A-9A11-2F1D3C4B5A60</a:MessageID>'
        '<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>'
        '<a:RelatesTo>uuid:6E063D19-4AF3-0005-0000-000000010000</a:RelatesTo></s:Header>'
        f'<s:Body>{body}</s:Body></s:Envelope>'
    ).encode()


def _properties(params) -> str:
    parts = []
    for name, value in params:
        for item in (value if isinstance(value, list) else [value]):
            parts.append(f'<p:{name} xsi:nil="true"/>' if item is None else f'<p:{name}>{escape(str(item))}</p:{name}>')
    return ''.join(parts)


def method_output(method: str, *params, resource_uri: str = STDREGPROV) -> bytes:
    """A method response shaped like the real EnumKey capture: outputs (a list value repeats the
    element, None is xsi:nil), then ``ReturnValue`` last, e.g. ``method_output('GetDWORDValue', ('uValue', 10), ('ReturnValue', 0))``."""
    body = (f'<p:{method}_OUTPUT xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:p="{resource_uri}" '
            f'xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common">{_properties(params)}</p:{method}_OUTPUT>')
    return _envelope(f'{resource_uri}/{method}Response', body)


def reg_output(method: str, return_value: int, **outputs) -> bytes:
    """A StdRegProv response: ``reg_output('GetStringValue', 0, sValue='https:')``."""
    return method_output(method, *outputs.items(), ('ReturnValue', return_value))


def get_response(class_name: str, *params, namespace: str = 'root/cimv2') -> bytes:
    """A transfer GetResponse with one typed instance, like Windows' Get of a WMI instance."""
    uri = f'{WMI}{namespace}/{class_name}'
    body = (f'<p:{class_name} xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:p="{uri}" '
            f'xmlns:cim="http://schemas.dmtf.org/wbem/wscim/1/common" xsi:type="p:{class_name}_Type">{_properties(params)}</p:{class_name}>')
    return _envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse', body)


def get_response_from(element: ET.Element) -> bytes:
    """A GetResponse carrying an instance element taken from a capture."""
    return _envelope('http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse', ET.tostring(element, encoding='unicode'))


def fault_envelope(subcode: str, code: int, message: str, *, value: str = 's:Sender', detail: str | None = None,
                   provider_code: int | None = None, provider_message: str | None = None) -> str:
    """A WS-Man fault as Windows writes it (MS-WSMV 4.10): Code/Subcode, Reason, optional FaultDetail,
    WSManFault with an optional nested WMI ProviderFault."""
    detail_xml = f'<w:FaultDetail>http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/{detail}</w:FaultDetail>' if detail else ''
    if provider_code is not None:
        inner = (f'<f:ProviderFault provider="WMI Provider" path="%systemroot%\\system32\\WsmWmiPl.dll">'
                 f'<f:WSManFault Code="{provider_code}" Machine="exsrv01"><f:Message>{escape(provider_message or "")}</f:Message></f:WSManFault>'
                 '</f:ProviderFault>')
    else:
        inner = escape(message)
    return _envelope(
        'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault',
        f'<s:Fault><s:Code><s:Value>{value}</s:Value><s:Subcode><s:Value>{subcode}</s:Value></s:Subcode></s:Code>'
        f'<s:Reason><s:Text xml:lang="en-US">{escape(message)}</s:Text></s:Reason>'
        f'<s:Detail>{detail_xml}<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" Code="{code}" Machine="exsrv01">'
        f'<f:Message>{inner}</f:Message></f:WSManFault></s:Detail></s:Fault>',
    ).decode()


NOT_FOUND_MESSAGE = 'The WS-Management service cannot process the request. The service cannot find the resource identified by the resource URI and selectors.'


def not_found_fault(provider_code: int = 2150858752, provider_message: str = NOT_FOUND_MESSAGE) -> WinRMTransportError:
    """HTTP 500 DestinationUnreachable / ResourceNotFound, as for a Get of an instance that does not exist."""
    return http_fault(fault_envelope('a:DestinationUnreachable', 2150858752, NOT_FOUND_MESSAGE, detail='ResourceNotFound',
                                     provider_code=provider_code, provider_message=provider_message))


def access_denied_fault() -> WinRMTransportError:
    """HTTP 500 InternalError with WSManFault 2147942405 (0x80070005), the reported access-denied shape."""
    return http_fault(fault_envelope('w:InternalError', 2147942405, 'Access is denied.', value='s:Receiver'))
