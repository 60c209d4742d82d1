# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WS-Management over one machine: Identify, Get, Enumerate/Pull/Release with WQL, Invoke, and faults.

Response shapes follow the real Windows captures in the shared reference (one-line XML, the same
prefixes, element names, namespaces, nil and array conventions).
"""

from __future__ import annotations

import collections
import dataclasses
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape, quoteattr

from winsim import wql
from winsim.wmi import STDREGPROV, WIN32_SERVICE, Datetime, Machine, WmiClass, find_class

NS_S = 'http://www.w3.org/2003/05/soap-envelope'
NS_A = 'http://schemas.xmlsoap.org/ws/2004/08/addressing'
NS_X = 'http://schemas.xmlsoap.org/ws/2004/09/transfer'
NS_E = 'http://schemas.xmlsoap.org/ws/2004/08/eventing'
NS_N = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration'
NS_W = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
NS_P = 'http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd'
NS_F = 'http://schemas.microsoft.com/wbem/wsman/1/wsmanfault'
NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance'
NS_CIM = 'http://schemas.dmtf.org/wbem/wscim/1/common'
NS_WSMID = 'http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd'
WMI_PREFIX = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/'
CIM_PREFIX = 'http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/'
WQL_DIALECT = 'http://schemas.microsoft.com/wbem/wsman/1/WQL'
ANONYMOUS = 'http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous'
FAULT_DETAIL = 'http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/'
ACTION_GET = NS_X + '/Get'
ACTION_ENUMERATE = NS_N + '/Enumerate'
ACTION_PULL = NS_N + '/Pull'
ACTION_RELEASE = NS_N + '/Release'
_FAULT_ACTIONS = {'a': NS_A + '/fault', 'n': NS_N + '/fault', 'x': NS_X + '/fault', 'w': 'http://schemas.dmtf.org/wbem/wsman/1/wsman/fault'}
_ENVELOPE = (f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_S}" xmlns:a="{NS_A}" xmlns:x="{NS_X}" xmlns:e="{NS_E}" '
             f'xmlns:n="{NS_N}" xmlns:w="{NS_W}" xmlns:p="{NS_P}">')
_MAX_OPEN_ENUMERATIONS = 100
_WSMAN_PREFIX = 'The WS-Management service cannot process the request. '


def _text(value: object) -> str:
    """A property value as XML text: booleans as true/false, CR kept as a character reference."""
    if isinstance(value, bool):
        return 'true' if value else 'false'
    return escape(str(value)).replace('\r', '&#13;')


@dataclasses.dataclass(eq=False)
class Fault(Exception):
    """A SOAP fault shaped like Windows' (sent with HTTP 500)."""

    code: str
    subcode: str
    reason: str
    wsman_code: int
    detail_uri: str | None = None
    message: str | None = None              # the WSManFault message (defaults to the reason)
    provider: bool = False                  # the message comes from WMI: wrap it in an f:ProviderFault
    extended: str = ''                      # rendered <f:ExtendedError> for the ProviderFault

    def __str__(self) -> str:
        return f'{self.subcode}: {self.reason}'


def _extended_status(operation: str, parameter_info: str, provider: str) -> str:
    return (f'<f:ExtendedError><p:__ExtendedStatus xmlns:p="{WMI_PREFIX}root/cimv2/__ExtendedStatus" xmlns:xsi="{NS_XSI}" '
            f'xmlns:cim="{NS_CIM}" xsi:type="p:__ExtendedStatus_Type"><p:Description xsi:nil="true"/>'
            f'<p:Operation>{escape(operation)}</p:Operation><p:ParameterInfo>{escape(parameter_info)}</p:ParameterInfo>'
            f'<p:ProviderName>{escape(provider)}</p:ProviderName><p:StatusCode xsi:nil="true"/></p:__ExtendedStatus></f:ExtendedError>')


def resource_not_found(operation: str = 'GetObject', parameter_info: str = '', provider: str = 'WinMgmt') -> Fault:
    message = _WSMAN_PREFIX + 'The service cannot find the resource identified by the resource URI and selectors. '
    return Fault('s:Sender', 'a:DestinationUnreachable', message, 2150858752, FAULT_DETAIL + 'InvalidResourceURI',
                 provider=True, extended=_extended_status(operation, parameter_info, provider))


def invalid_selectors(detail: str) -> Fault:
    return Fault('s:Sender', 'w:InvalidSelectors',
                 'The WS-Management service cannot process the request because the request contained invalid selectors for the resource. ',
                 2150858813, FAULT_DETAIL + detail)


def cannot_process_filter(query: str, message: str) -> Fault:
    return Fault('s:Sender', 'n:CannotProcessFilter',
                 'The data source could not process the filter. The filter might be missing or it might be invalid. '
                 'Change the filter and try the request again.  ', 2150858778,
                 message=message, provider=True, extended=_extended_status('ExecQuery', query, 'WinMgmt'))


def invalid_enumeration_context() -> Fault:
    return Fault('s:Receiver', 'n:InvalidEnumerationContext',
                 'The WS-Enumeration context in the enumeration is not valid. Enumeration may have been completed or canceled. '
                 'You cannot use this enumeration context anymore. Start a new enumeration. ', 2150858779)


def action_not_supported() -> Fault:
    return Fault('s:Sender', 'a:ActionNotSupported',
                 'The WS-Management service does not support the action specified in the request. ', 2150858771)


def invalid_header(message: str) -> Fault:
    return Fault('s:Sender', 'a:InvalidMessageInformationHeader',
                 _WSMAN_PREFIX + 'The request contains one or more invalid SOAP headers. ', 2150858767, message=message)


def invalid_representation(message: str) -> Fault:
    return Fault('s:Sender', 'x:InvalidRepresentation', _WSMAN_PREFIX + message, 2150858773,
                 FAULT_DETAIL + 'InvalidValue')


def internal_error() -> Fault:
    """The transient 'too many operations' fault a busy Windows host sends (shape of the real capture)."""
    return Fault('s:Receiver', 'w:InternalError',
                 _WSMAN_PREFIX + 'The maximum number of concurrent operations for this user has been exceeded. '
                 'Close existing operations for this user, or raise the quota for this user. ', 2150859174,
                 message=_WSMAN_PREFIX + 'This user is allowed a maximum number of 15 concurrent operations, which has been exceeded. '
                 'Close existing operations for this user, or raise the quota for this user. ')


def access_denied() -> Fault:
    """WMI refusing an account that may log on but not use WMI (w:InternalError with 0x80070005)."""
    return Fault('s:Receiver', 'w:InternalError', 'Access is denied. ', 2147942405,
                 message=_WSMAN_PREFIX + "The WMI service returned an 'access denied' error. ", provider=True)


@dataclasses.dataclass
class Request:
    action: str | None
    message_id: str | None
    resource_uri: str | None
    selectors: dict          # lower name -> (name, value)
    body: ET.Element | None  # the first child of s:Body

    @property
    def is_identify(self) -> bool:
        return self.action is None and self.body is not None and self.body.tag.endswith('}Identify')


def parse_request(data: bytes) -> Request:
    """Parse a SOAP envelope; Fault (InvalidMessageInformationHeader) when it is not one."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise invalid_header(f'The request is not well-formed XML: {exc}. ') from None
    if root.tag != f'{{{NS_S}}}Envelope':
        raise invalid_header('The request is not a SOAP 1.2 envelope. ')
    header = root.find(f'{{{NS_S}}}Header')
    body = root.find(f'{{{NS_S}}}Body')
    if body is None:
        raise invalid_header(_WSMAN_PREFIX + 'The SOAP packet that WS-Management received did not contain a valid Body element. ')

    def header_text(ns: str, name: str) -> str | None:
        element = header.find(f'{{{ns}}}{name}') if header is not None else None
        return element.text.strip() if element is not None and element.text else None

    selectors = {}
    if header is not None:
        for selector in header.iterfind(f'{{{NS_W}}}SelectorSet/{{{NS_W}}}Selector'):
            name = selector.get('Name', '')
            selectors[name.lower()] = (name, (selector.text or '').strip())
    return Request(header_text(NS_A, 'Action'), header_text(NS_A, 'MessageID'), header_text(NS_W, 'ResourceURI'),
                   selectors, next(iter(body), None))


def _resolve_uri(uri: str | None) -> tuple[str, str] | None:
    """('root/cimv2', 'Win32_Service') for a WMI or DMTF CIM resource URI ('*' for WQL); None otherwise."""
    if not uri:
        return None
    if uri.lower().startswith(WMI_PREFIX):
        namespace, _sep, name = uri[len(WMI_PREFIX):].rpartition('/')
        return (namespace, name) if namespace and name else None
    if uri.lower().startswith(CIM_PREFIX) and '/' not in uri[len(CIM_PREFIX):]:
        return 'root/cimv2', uri[len(CIM_PREFIX):]
    return None


def _properties(instance: dict, names: tuple[str, ...], prefix: str) -> str:
    out = []
    for name in sorted(names, key=str.lower):
        value = instance.get(name)
        tag = prefix + name
        if value is None:
            out.append(f'<{tag} xsi:nil="true"/>')
        elif isinstance(value, Datetime):
            out.append(f'<{tag}><cim:Datetime>{escape(value)}</cim:Datetime></{tag}>')
        else:
            out.append(f'<{tag}>{_text(value)}</{tag}>')
    return ''.join(out)


def render_instance(wmi_class: WmiClass, class_uri: str, instance: dict) -> str:
    """A typed instance, as Get and 'select *' return it."""
    return (f'<p:{wmi_class.name} xmlns:xsi="{NS_XSI}" xmlns:p={quoteattr(class_uri)} xmlns:cim="{NS_CIM}" '
            f'xsi:type="p:{wmi_class.name}_Type">{_properties(instance, wmi_class.properties, "p:")}</p:{wmi_class.name}>')


def render_fragment(names: tuple[str, ...], instance: dict) -> str:
    """An untyped item with un-namespaced children, as a WQL query naming properties returns it."""
    return f'<w:XmlFragment xmlns:xsi="{NS_XSI}" xmlns:w="{NS_W}" xmlns:cim="{NS_CIM}">{_properties(instance, names, "")}</w:XmlFragment>'


def render_output(method: str, class_uri: str, outputs: list[tuple[str, object]]) -> str:
    """A method's _OUTPUT element: arrays as repeated elements, a null array as one xsi:nil element."""
    parts = []
    for name, value in outputs:
        if isinstance(value, list) and value:
            parts.extend(f'<p:{name}>{_text(item)}</p:{name}>' for item in value)
        elif value is None or isinstance(value, list):
            parts.append(f'<p:{name} xsi:nil="true"/>')
        else:
            parts.append(f'<p:{name}>{_text(value)}</p:{name}>')
    return (f'<p:{method}_OUTPUT xmlns:xsi="{NS_XSI}" xmlns:p={quoteattr(class_uri)} xmlns:cim="{NS_CIM}">'
            f'{"".join(parts)}</p:{method}_OUTPUT>')


class WsmanService:
    """Answers the WS-Man requests of one machine; keeps its open enumerations."""

    def __init__(self, machine: Machine, address: str):
        self.machine = machine
        self.address = address
        self.enumerations: collections.OrderedDict[str, list[str]] = collections.OrderedDict()

    def envelope(self, action: str, relates_to: str | None, body: str) -> bytes:
        relates = f'<a:RelatesTo>{escape(relates_to)}</a:RelatesTo>' if relates_to else ''
        return (f'{_ENVELOPE}<s:Header><a:Action>{escape(action)}</a:Action><a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>'
                f'<a:To>{ANONYMOUS}</a:To>{relates}</s:Header><s:Body>{body}</s:Body></s:Envelope>').encode('utf-8')

    def render_fault(self, fault: Fault, relates_to: str | None) -> bytes:
        detail = f'<w:FaultDetail>{fault.detail_uri}</w:FaultDetail>' if fault.detail_uri else ''
        message = escape(fault.message or fault.reason)
        if fault.provider:
            message = (f'<f:ProviderFault provider="WMI Provider" path="%systemroot%\\system32\\WsmWmiPl.dll">'
                       f'<f:WSManFault xmlns:f="{NS_F}" Code="{fault.wsman_code}" Machine="{escape(self.machine.spec.name)}">'
                       f'<f:Message>{message}</f:Message></f:WSManFault>{fault.extended}</f:ProviderFault>')
        body = (f'<s:Fault><s:Code><s:Value>{fault.code}</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value></s:Subcode></s:Code>'
                f'<s:Reason><s:Text xml:lang="en-US">{escape(fault.reason)}</s:Text></s:Reason><s:Detail>{detail}'
                f'<f:WSManFault xmlns:f="{NS_F}" Code="{fault.wsman_code}" Machine="{self.address}"><f:Message>{message}</f:Message>'
                f'</f:WSManFault></s:Detail></s:Fault>')
        return self.envelope(_FAULT_ACTIONS[fault.subcode[0]], relates_to, body)

    def handle(self, data: bytes, inject: Fault | None = None) -> tuple[int, bytes, str]:
        """Answer one request: (HTTP status, response XML, operation name for the statistics).

        inject, when given, is returned as the answer to any operation but Identify.
        """
        try:
            request = parse_request(data)
        except Fault as fault:
            return 500, self.render_fault(fault, None), 'Invalid'
        if request.is_identify:
            return 200, identify_response(), 'Identify'
        operation = self._operation_name(request)
        try:
            if inject is not None:
                raise inject
            if not request.action or not request.message_id:
                missing = 'Action' if not request.action else 'MessageID'
                raise invalid_header(f'The request does not contain the required {missing} header. ')
            return 200, self._dispatch(request), operation
        except Fault as fault:
            return 500, self.render_fault(fault, request.message_id), operation

    @staticmethod
    def _operation_name(request: Request) -> str:
        action = request.action or ''
        for known, name in ((ACTION_GET, 'Get'), (ACTION_ENUMERATE, 'Enumerate'), (ACTION_PULL, 'Pull'), (ACTION_RELEASE, 'Release')):
            if action == known:
                return name
        resolved = _resolve_uri(request.resource_uri)
        if resolved and action.lower().startswith((request.resource_uri or '').lower() + '/'):
            return f'{resolved[1]}.{action[len(request.resource_uri) + 1:]}'
        return 'Unsupported'

    def _dispatch(self, request: Request) -> bytes:
        if request.action == ACTION_GET:
            body = self._get(request)
        elif request.action == ACTION_ENUMERATE:
            body = self._enumerate(request)
        elif request.action == ACTION_PULL:
            body = self._pull(request)
        elif request.action == ACTION_RELEASE:
            context = self._context_id(request)
            if self.enumerations.pop(context, None) is None:
                raise invalid_enumeration_context()
            body = ''
        else:
            body = self._invoke(request)
        return self.envelope(request.action + 'Response', request.message_id, body)

    def _class(self, request: Request) -> tuple[WmiClass, str]:
        """The class a Get/Invoke addresses and the canonical resource URI for it; ResourceNotFound if none."""
        resolved = _resolve_uri(request.resource_uri)
        wmi_class = find_class(*resolved) if resolved else None
        if wmi_class is None:
            raise resource_not_found('GetObject', resolved[1] if resolved else (request.resource_uri or ''))
        return wmi_class, request.resource_uri[:len(request.resource_uri) - len(resolved[1])] + wmi_class.name

    @staticmethod
    def _key_value(wmi_class: WmiClass, selectors: dict) -> str | None:
        given = {low: value for low, value in selectors.items() if low != '__cimnamespace'}
        if wmi_class.key is None:
            if given:
                raise invalid_selectors('UnexpectedSelectors')
            return None
        if not given:
            raise invalid_selectors('InsufficientSelectors')
        if set(given) != {wmi_class.key.lower()}:
            raise invalid_selectors('UnexpectedSelectors')
        return given[wmi_class.key.lower()][1]

    def _instance(self, wmi_class: WmiClass, selectors: dict) -> tuple[str | None, dict]:
        key_value = self._key_value(wmi_class, selectors)
        if key_value is None:
            return None, {}
        instance = self.machine.find_instance(wmi_class, key_value)
        if instance is None:
            raise resource_not_found('GetObject', f'{wmi_class.name}.{wmi_class.key}="{key_value}"', 'CIMWin32')
        return key_value, instance

    def _get(self, request: Request) -> str:
        wmi_class, class_uri = self._class(request)
        _key, instance = self._instance(wmi_class, request.selectors)
        return render_instance(wmi_class, class_uri, instance)

    def _invoke(self, request: Request) -> str:
        wmi_class, class_uri = self._class(request)
        if not request.action.lower().startswith(request.resource_uri.lower() + '/'):
            raise action_not_supported()
        asked = request.action[len(request.resource_uri) + 1:]
        method = next((m for m in wmi_class.methods if m.lower() == asked.lower()), None)
        if method is None:
            raise action_not_supported()
        key_value, _instance = self._instance(wmi_class, request.selectors)
        params = self._input_params(request, method, class_uri)
        if wmi_class is STDREGPROV:
            outputs = self.machine.call_stdregprov(method, params)
        elif wmi_class is WIN32_SERVICE:
            outputs = [('ReturnValue', self.machine.control_service(key_value, method))]
        else:
            raise action_not_supported()
        return render_output(method, class_uri, outputs)

    @staticmethod
    def _input_params(request: Request, method: str, class_uri: str) -> dict[str, list[str | None]]:
        """The <Method>_INPUT element's parameters: lower name -> texts ('' for empty, None for xsi:nil)."""
        element = request.body
        expected = f'{{{class_uri.lower()}}}{method.lower()}_input'
        if element is None or element.tag.lower() != expected:
            raise invalid_representation(f'The body must be a {method}_INPUT element in the namespace {class_uri}. ')
        params: dict[str, list[str | None]] = {}
        namespace = element.tag[1:element.tag.index('}')]
        for child in element:
            if not child.tag.startswith(f'{{{namespace}}}'):
                continue
            name = child.tag[len(namespace) + 2:].lower()
            nil = child.get(f'{{{NS_XSI}}}nil', '').lower() == 'true'
            params.setdefault(name, []).append(None if nil else (child.text or ''))
        return params

    @staticmethod
    def _child_text(element: ET.Element | None, ns: str, name: str) -> str | None:
        child = element.find(f'{{{ns}}}{name}') if element is not None else None
        return (child.text or '').strip() if child is not None else None

    def _max_elements(self, element: ET.Element | None, ns: str) -> int:
        text = self._child_text(element, ns, 'MaxElements')
        try:
            return max(1, int(text)) if text is not None else 1
        except ValueError:
            raise invalid_representation('MaxElements must be a positive integer. ') from None

    def _query_items(self, request: Request, namespace: str, query_text: str) -> list[str]:
        try:
            query = wql.parse(query_text)
        except wql.WqlError:
            raise cannot_process_filter(query_text, 'Invalid query ') from None
        wmi_class = find_class(namespace, query.class_name)
        if wmi_class is None:
            raise cannot_process_filter(query_text, 'The specified class does not exist in the given namespace. ')
        spelled = {name.lower(): name for name in wmi_class.properties}
        try:
            selected = tuple(spelled[p.lower()] for p in query.properties) if query.properties is not None else None
            conditions = tuple((spelled[p.lower()], op, value) for p, op, value in query.conditions)
        except KeyError:
            raise cannot_process_filter(query_text, 'Invalid query ') from None
        class_uri = f'{request.resource_uri[:-1]}{wmi_class.name}'
        found = [i for i in self.machine.instances(wmi_class) if wql.matches(i, conditions)]
        if selected is None:
            return [render_instance(wmi_class, class_uri, i) for i in found]
        return [render_fragment(selected, i) for i in found]

    def _enumerate(self, request: Request) -> str:
        element = request.body
        if element is None or element.tag != f'{{{NS_N}}}Enumerate':
            raise invalid_representation('The body of an Enumerate request must be an n:Enumerate element. ')
        resolved = _resolve_uri(request.resource_uri)
        filter_element = element.find(f'{{{NS_W}}}Filter')
        if filter_element is not None:
            if filter_element.get('Dialect', WQL_DIALECT) != WQL_DIALECT or not resolved or resolved[1] != '*':
                raise Fault('s:Sender', 'n:FilterDialectRequestedUnavailable',
                            'The filter dialect (the type associated with the filter) was not supported for this resource. ', 2150858777)
            items = self._query_items(request, resolved[0], (filter_element.text or '').strip())
        else:
            wmi_class, class_uri = self._class(request)
            items = [render_instance(wmi_class, class_uri, i) for i in self.machine.instances(wmi_class)]
        if element.find(f'{{{NS_W}}}OptimizeEnumeration') is None:
            return f'<n:EnumerateResponse><n:EnumerationContext>{self._open(items)}</n:EnumerationContext></n:EnumerateResponse>'
        count = self._max_elements(element, NS_W)
        first, rest = items[:count], items[count:]
        if rest:
            return (f'<n:EnumerateResponse><n:EnumerationContext>{self._open(rest)}</n:EnumerationContext>'
                    f'<w:Items>{"".join(first)}</w:Items></n:EnumerateResponse>')
        return f'<n:EnumerateResponse><n:EnumerationContext></n:EnumerationContext><w:Items>{"".join(first)}</w:Items><w:EndOfSequence/></n:EnumerateResponse>'

    def _open(self, items: list[str]) -> str:
        context = f'uuid:{str(uuid.uuid4()).upper()}'
        self.enumerations[context] = items
        while len(self.enumerations) > _MAX_OPEN_ENUMERATIONS:
            self.enumerations.popitem(last=False)
        return context

    def _context_id(self, request: Request) -> str:
        return self._child_text(request.body, NS_N, 'EnumerationContext') or ''

    def _pull(self, request: Request) -> str:
        context = self._context_id(request)
        items = self.enumerations.pop(context, None)
        if items is None:
            raise invalid_enumeration_context()
        count = self._max_elements(request.body, NS_N)
        batch, rest = items[:count], items[count:]
        if rest:
            self.enumerations[context] = rest
            return f'<n:PullResponse><n:EnumerationContext>{context}</n:EnumerationContext><n:Items>{"".join(batch)}</n:Items></n:PullResponse>'
        return f'<n:PullResponse><n:Items>{"".join(batch)}</n:Items><n:EndOfSequence/></n:PullResponse>'


def identify_response() -> bytes:
    """The Identify answer (no addressing headers, as Windows sends it)."""
    return (f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_S}"><s:Header/><s:Body><wsmid:IdentifyResponse xmlns:wsmid="{NS_WSMID}">'
            f'<wsmid:ProtocolVersion>{NS_W}</wsmid:ProtocolVersion><wsmid:ProductVendor>Microsoft Corporation</wsmid:ProductVendor>'
            '<wsmid:ProductVersion>OS: 5.0.2195 SP: 4.0 Stack: 1.1</wsmid:ProductVersion></wsmid:IdentifyResponse></s:Body></s:Envelope>').encode()


def is_identify(data: bytes) -> bool:
    """True when the request is an Identify (which Windows also answers without authentication)."""
    try:
        request = parse_request(data)
    except Fault:
        return False
    return request.is_identify
