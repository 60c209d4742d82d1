# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WS-Management calls to WMI over a pywinrm ``Protocol``: Get, Enumerate/Pull (WQL) and method Invoke.

No WinRS shell is ever opened: each call is one SOAP envelope (header from
``Protocol.build_wsman_header``) sent with ``Protocol.send_message``.  Requests
are built with xmltodict, which escapes every text and attribute.  Responses are
parsed with ElementTree by local element name, so prefixes, extra elements and
pretty-printing do not matter.  Every failure leaves as :class:`RemoteError`.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import time
import xml.etree.ElementTree as ET

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _trail
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, run_retrying

try:
    import requests
    import xmltodict
    from winrm import exceptions as winrm_exc
except ImportError:  # ansible-test's import sanity runs without pywinrm; WSManClient() reports it
    requests = xmltodict = winrm_exc = None

PYWINRM_MISSING = 'the winrm transport needs pywinrm on the controller: pip install pywinrm'

NS_ENUMERATION = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration'
NS_WSMAN = 'http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd'
NS_XSI = 'http://www.w3.org/2001/XMLSchema-instance'
WMI_URI = 'http://schemas.microsoft.com/wbem/wsman/1/wmi/'
ACTION_GET = 'http://schemas.xmlsoap.org/ws/2004/09/transfer/Get'
ACTION_ENUMERATE = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate'
ACTION_PULL = 'http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull'
WQL_DIALECT = 'http://schemas.microsoft.com/wbem/wsman/1/WQL'

# Codes the client reacts to (WSManFault Code, nested provider codes, MSFT_WmiError error_Code).
E_ACCESS_DENIED = (2147942405, 2147749891)        # 0x80070005 E_ACCESSDENIED, 0x80041003 WBEM_E_ACCESS_DENIED
E_TIMED_OUT = 2150858793                          # 0x80338029 ERROR_WSMAN_OPERATION_TIMEDOUT
E_RESOURCE_NOT_FOUND = 2150858752                 # 0x80338000 the resource URI and selectors name nothing
# Faults a busy server gives that a repeat may not get (MS-WSMV quota faults; captures
# txwinrm__fault_InternalError_max_concurrent_operations.xml and winrm-rb__fault_QuotaLimit_MSFT_WmiError.xml).
E_TRANSIENT = (2150859174, 2150859173)            # 0x803381A6 max concurrent operations, 0x803381A5 max shells
TRANSIENT_HTTP = (500, 502, 503)                  # HTTP errors without a SOAP fault (HTTP.sys, a proxy, an overloaded IIS)
E_NO_CLASS = (2147749902, 2147749904)             # 0x8004100E WBEM_E_INVALID_NAMESPACE, 0x80041010 WBEM_E_INVALID_CLASS
_NO_CLASS_TEXT = re.compile(r'invalid (class|namespace)|class does not exist|namespace does not exist', re.IGNORECASE)

MAX_PULLS = 10000          # a server that never says EndOfSequence is a protocol error, not a hang
_MESSAGE_LIMIT = 300
_NAME = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')
_XML_INVALID = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]')
_DATETIME_TAGS = frozenset(('Datetime', 'Interval', 'Date', 'Time'))


def wmi_uri(namespace: str, class_name: str) -> str:
    """Return the WS-Man resource URI of a WMI class, e.g. ('root/cimv2', 'Win32_Service')."""
    return f'{WMI_URI}{namespace.strip("/")}/{class_name}'


def wql_string(text: str) -> str:
    """Return ``text`` as a quoted WQL string literal (backslash and quote escaped)."""
    return "'" + text.replace('\\', '\\\\').replace("'", "\\'") + "'"


def _local(tag: str) -> str:
    return tag.rpartition('}')[2]


def _is_nil(element: ET.Element) -> bool:
    return any(_local(name) == 'nil' and value.strip() in ('true', '1') for name, value in element.attrib.items())


def _value(element: ET.Element):
    """One property: None for xsi:nil, the text for a leaf (kept exactly), the Datetime inside a
    ``cim:Datetime`` wrapper, or a dict for an embedded object."""
    if _is_nil(element):
        return None
    children = list(element)
    if not children:
        return element.text or ''
    if len(children) == 1 and _local(children[0].tag) in _DATETIME_TAGS:
        return (children[0].text or '').strip()
    return instance_to_dict(element)


def instance_to_dict(element: ET.Element) -> dict:
    """Map a WMI instance (typed ``p:Class``, ``w:XmlFragment`` or ``p:Method_OUTPUT``) to
    ``{property: value}``; a property that repeats becomes a list in document order."""
    result: dict = {}
    repeated = set()
    for child in element:
        name = _local(child.tag)
        value = _value(child)
        if name in repeated:
            result[name].append(value)
        elif name in result:
            result[name] = [result[name], value]
            repeated.add(name)
        else:
            result[name] = value
    return result


def as_list(value) -> list:
    """An array output as a list: None (absent or a single xsi:nil) is []."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _one_line(text: str | None, limit: int = _MESSAGE_LIMIT) -> str:
    text = ' '.join((text or '').split())
    return text if len(text) <= limit else text[:limit - 3] + '...'


def _code_text(code: int) -> str:
    return f'{code} (0x{code:08x})' if code > 0xffff else str(code)


@dataclasses.dataclass
class Fault:
    """The parts of a SOAP fault a caller can act on (prefixes stripped, whitespace collapsed)."""

    code: str = ''          # 'Sender' / 'Receiver'
    subcode: str = ''       # 'InvalidSelectors', 'DestinationUnreachable', ...
    reason: str = ''
    detail: str = ''        # last segment of a FaultDetail URI, e.g. 'ResourceNotFound'
    codes: tuple = ()       # WSManFault Codes outermost first, then MSFT_WmiError error_Code
    message: str = ''       # the most specific message (innermost WSManFault, else Reason)

    @classmethod
    def from_element(cls, fault: ET.Element) -> Fault:
        found = cls()
        codes, messages = [], []
        for element in fault.iter():
            name = _local(element.tag)
            if name == 'Code' and not found.code:
                for part in element.iter():
                    if _local(part.tag) == 'Value' and part.text:
                        value = part.text.strip().rpartition(':')[2]
                        if found.code:
                            found.subcode = value
                        else:
                            found.code = value
            elif name == 'Reason':
                found.reason = _one_line(''.join(element.itertext()))
            elif name == 'FaultDetail' and element.text:
                found.detail = element.text.strip().rpartition('/')[2]
            elif name in ('WSManFault', 'MSFT_WmiError'):
                code = element.get('Code')
                for child in element:
                    child_name = _local(child.tag)
                    if child_name == 'error_Code':
                        code = child.text
                    elif child_name == 'Message' and (child.text or '').strip():
                        messages.append(child.text)
                if code and code.strip().isdigit():
                    codes.append(int(code))
            elif name == 'ProviderFault' and (element.text or '').strip():
                messages.append(element.text)
        found.codes = tuple(codes)
        found.message = _one_line(messages[-1]) if messages else found.reason
        return found

    @classmethod
    def from_text(cls, text) -> Fault | None:
        """Parse a fault envelope; None when the text is not XML or holds no fault."""
        try:
            root = ET.fromstring(text)
        except (ET.ParseError, TypeError, ValueError):
            return None
        fault = next((element for element in root.iter() if _local(element.tag) == 'Fault'), None)
        return cls.from_element(fault) if fault is not None else None


@dataclasses.dataclass(frozen=True)
class Operation:
    """What a request was doing, for error messages."""

    verb: str                    # 'Get', 'Enumerate', 'Invoke'
    resource_uri: str
    selectors: tuple = ()        # ((name, value), ...)
    method: str = ''
    query: str = ''
    target: str = ''             # what a method works on, for the -vvv trail (a StdRegProv key and value name)

    @property
    def class_name(self) -> str:
        return self.resource_uri.rstrip('/').rpartition('/')[2]

    @property
    def namespace(self) -> str:
        if self.resource_uri.startswith(WMI_URI):
            return self.resource_uri[len(WMI_URI):].rpartition('/')[0]
        return self.resource_uri.rpartition('/')[0]

    def selector_text(self) -> str:
        return ', '.join(f"{name}='{value}'" for name, value in self.selectors)

    def trail_text(self, action: str) -> str:
        """The operation as the -vvv trail shows it: ``StdRegProv.EnumValues HKLM\\...``, ``Get CIM_DataFile (Name=...)``,
        ``Pull ...`` (named after the request actually sent)."""
        if self.method:
            return f'{self.class_name}.{self.method} {self.target}'.rstrip()
        verb = action.rpartition('/')[2] or self.verb
        return verb + str(self)[len(self.verb):]

    def __str__(self) -> str:
        if self.method:
            target = f'{self.class_name}.{self.method}'
        elif self.class_name == '*':
            target = self.namespace + '/*'
        else:
            target = self.class_name
        text = f'{self.verb} {target}'
        if self.selectors:
            text += f' ({self.selector_text()})'
        if self.query:
            text += f' ({_one_line(self.query, 120)})'
        return text


def _return_value(body: ET.Element) -> str:
    """A method's ReturnValue for the trail, or 'ok' for an answer without one."""
    for output in body:
        for child in output:
            if _local(child.tag) == 'ReturnValue':
                return (child.text or '').strip() or 'ok'
    return 'ok'


def fault_error(fault: Fault, operation: Operation, user: str | None = None) -> RemoteError:
    """Classify a WS-Management fault as a RemoteError of the right kind."""
    code = fault.codes[0] if fault.codes else None
    message = fault.message or fault.reason or 'no message in the fault'
    subcode = fault.subcode or fault.code or 'unknown'
    if fault.subcode == 'AccessDenied' or any(c in E_ACCESS_DENIED for c in fault.codes):
        who = f' for user {user!r}' if user else ''
        return RemoteError(f'access denied{who}: {operation} was refused ({message})', 'access_denied', code=code)
    if fault.subcode == 'TimedOut' or E_TIMED_OUT in fault.codes:
        return RemoteError(f'{operation} timed out on the host (WS-Management OperationTimeout): {message}', 'timeout', code=code)
    if fault.subcode == 'DestinationUnreachable' or fault.detail == 'ResourceNotFound' or E_RESOURCE_NOT_FOUND in fault.codes:
        class_missing = any(c in E_NO_CLASS for c in fault.codes) or _NO_CLASS_TEXT.search(message)
        if operation.selectors and not class_missing:
            return RemoteError(f'no {operation.class_name} instance with {operation.selector_text()}', 'not_found', code=code)
        return RemoteError(f'WMI class {operation.class_name} ({operation.namespace}) is not available on this host: {message}', 'protocol', code=code)
    if fault.subcode == 'CannotProcessFilter':
        return RemoteError(f'the host rejected the WQL query of {operation}: {message}', 'protocol', code=code)
    codes = f' {_code_text(code)}' if code is not None else ''
    return RemoteError(f'{operation} failed with WS-Management fault {subcode}{codes}: {message}', 'protocol', code=code)


def _exception_reason(exc: BaseException) -> str:
    """The innermost reason of a requests/urllib3 error, without object reprs."""
    seen = set()
    while id(exc) not in seen:
        seen.add(id(exc))
        inner = getattr(exc, 'reason', None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in getattr(exc, 'args', ()) if isinstance(arg, BaseException)), None)
        if inner is None:
            break
        exc = inner
    text = str(exc)
    for pattern in (r'<[^<>]*object at 0x[0-9a-fA-F]+>:?\s*', r"\w+\(host='[^']*', port=\d+\):\s*",
                    r'Failed to establish a new connection:\s*', r'\[Errno -?\d+\]\s*', r'\s*\(_ssl\.c:\d+\)'):
        text = re.sub(pattern, '', text)
    return _one_line(text, 200) or type(exc).__name__


class _NotXml(ValueError):
    """Text that XML 1.0 cannot carry."""


def _encode(value):
    """A Python input parameter as xmltodict content (see :meth:`WSManClient.invoke`)."""
    if value is None:
        return {'@xsi:nil': 'true'}
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        if _XML_INVALID.search(value):
            raise _NotXml(f'{value!r} contains control characters that WS-Management (XML) cannot carry')
        return value
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    raise TypeError(f'cannot send a {type(value).__name__} as a WMI method parameter')


def _check_name(kind: str, name: str) -> str:
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f'invalid {kind} name {name!r}: letters, digits and _ only')
    return name


class WSManClient:
    """WMI over WS-Management through one ``winrm.protocol.Protocol`` (one HTTP session).

    ``requests`` counts the WS-Man requests sent (authentication round trips not included).
    Every method raises :class:`RemoteError` for any failure: transport, authentication,
    SOAP fault or an answer it does not understand.
    """

    def __init__(self, protocol, host: str | None = None, retries: int = 0, retry_delay: float = 1.0, task_timeout: float = 0,
                 sleep=time.sleep, clock=time.monotonic):
        if xmltodict is None:
            raise RemoteError(PYWINRM_MISSING, 'unsupported', host=host)
        self.protocol = protocol
        self.host = host
        self.requests = 0
        self.retries = retries
        self.retry_delay = retry_delay
        self.retried = 0             # operations sent again after a transient failure
        self.answered = False        # the server has answered at least once (for the https-to-http-port hint)
        self.task_timeout = task_timeout
        self._sleep, self._clock = sleep, clock
        self.deadline = clock() + task_timeout if task_timeout else None

    def _retrying(self, operation: Operation, call, safe: bool = True):
        """Run ``call()``; repeat it after a transient failure (HTTP 500, a busy server, a lost connection) while
        ``safe`` (a read, or a write that sets the same data again) with a doubling delay, at most ``retries`` times."""
        def again(exc):
            self.retried += 1
            transport = getattr(self.protocol, 'transport', None)
            if getattr(exc, 'reconnect', False) and transport is not None:
                transport.close_session()   # a new connection needs a new login (HTTP.sys authenticates per connection)

        def still_failing(exc, repeats):
            return self._error(f'{exc} (still failing after {repeats} retries; raise retries or retry_delay, '
                               'or check the server\'s load)', exc.kind, exc.code, transient=True)

        return run_retrying(call, retries=self.retries, retry_delay=self.retry_delay, deadline=self.deadline, clock=self._clock,
                            sleep=self._sleep, again=again, still_failing=still_failing, safe=safe)

    @property
    def endpoint(self) -> str:
        return getattr(getattr(self.protocol, 'transport', None), 'endpoint', None) or 'the WinRM endpoint'

    # -- public calls -------------------------------------------------

    def get(self, resource_uri: str, selectors: dict | None = None) -> dict:
        """Transfer Get of one instance: ``{property: value}`` (str values, None for nil,
        lists for repeated elements, datetimes unwrapped).  A missing instance raises
        RemoteError(kind='not_found'); a missing class kind='protocol'."""
        operation = Operation('Get', resource_uri, tuple((selectors or {}).items()))
        body = self._retrying(operation, lambda: self._call(operation, ACTION_GET, {}))
        instance = next(iter(body), None)
        if instance is None:
            raise self._error(f'empty answer to {operation}')
        return instance_to_dict(instance)

    def enumerate(self, resource_uri: str, wql: str | None = None, max_elements: int = 32000) -> list[dict]:
        """Enumerate (optimized, with an optional WQL filter), then Pull until EndOfSequence.

        For WQL, ``resource_uri`` is the namespace's ``.../root/cimv2/*``.  Items may be typed
        instances or ``w:XmlFragment``s (a WQL naming properties); both become dicts as in :meth:`get`.
        """
        operation = Operation('Enumerate', resource_uri, query=wql or '')
        # The whole enumeration is repeated after a transient failure: a context may not survive it.
        return self._retrying(operation, lambda: self._enumerate(operation, resource_uri, wql, max_elements))

    def _enumerate(self, operation: Operation, resource_uri: str, wql: str | None, max_elements: int) -> list[dict]:
        request = {'@xmlns:n': NS_ENUMERATION, '@xmlns:w': NS_WSMAN, 'w:OptimizeEnumeration': None, 'w:MaxElements': str(int(max_elements))}
        if wql:
            request['w:Filter'] = {'@Dialect': WQL_DIALECT, '#text': self._encode(wql)}
        items, context, done = self._page(operation, self._call(operation, ACTION_ENUMERATE, {'n:Enumerate': request}), 'EnumerateResponse')
        pulls = 0
        while not done:
            if not context:
                raise self._error(f'the host ended {operation} without EndOfSequence or an EnumerationContext')
            pulls += 1
            if pulls > MAX_PULLS:
                raise self._error(f'{operation} did not end after {MAX_PULLS} Pull requests')
            pull = {'n:Pull': {'@xmlns:n': NS_ENUMERATION, 'n:EnumerationContext': context, 'n:MaxElements': str(int(max_elements))}}
            more, new_context, done = self._page(operation, self._call(operation, ACTION_PULL, pull), 'PullResponse')
            items.extend(more)
            context = new_context or context
        return items

    def invoke(self, resource_uri: str, method: str, params: dict | None = None, selectors: dict | None = None, arrays=(),
               idempotent: bool = False) -> dict:
        """Invoke a WMI method; return its output parameters.

        Inputs: str as is, int as decimal, bool as 'true'/'false', list/tuple as repeated
        elements, None as xsi:nil; parameters go in the order given.  Outputs are str (None for
        nil), ``ReturnValue`` is an int, and every name in ``arrays`` is a list ([] when null).
        A static method (StdRegProv) has no ``selectors``; an instance method names its instance.
        ``idempotent`` says that sending the call twice does no harm (a read, or a set of the same data): only
        then is it repeated after a transient failure.
        """
        _check_name('method', method)
        operation = Operation('Invoke', resource_uri, tuple((selectors or {}).items()), method=method,
                              target=_trail.registry_target(params or {}) if 'sSubKeyName' in (params or {}) else
                              ' '.join(f"{name}='{value}'" for name, value in (selectors or {}).items()))
        request = {'@xmlns:p': resource_uri, '@xmlns:xsi': NS_XSI}
        for name, value in (params or {}).items():
            request['p:' + _check_name('parameter', name)] = self._encode(value)
        body = self._retrying(operation, lambda: self._call(operation, f'{resource_uri}/{method}', {f'p:{method}_INPUT': request}),
                              safe=idempotent)
        output = next((child for child in body if _local(child.tag).lower() == f'{method}_OUTPUT'.lower()), None)
        if output is None:
            found = ', '.join(_local(child.tag) for child in body) or 'an empty body'
            raise self._error(f'unexpected answer to {operation}: expected {method}_OUTPUT, got {found}')
        result = instance_to_dict(output)
        for name in arrays:
            result[name] = as_list(result.get(name))
        try:
            result['ReturnValue'] = int(result['ReturnValue'])
        except (KeyError, TypeError, ValueError):
            raise self._error(f'{operation} answered without a numeric ReturnValue') from None
        return result

    # -- plumbing -------------------------------------------------------

    def _error(self, message: str, kind: str = 'protocol', code: int | None = None, transient: bool = False,
               advice: str | None = None) -> RemoteError:
        password = getattr(self.protocol, 'password', None)
        if password:
            message = message.replace(password, '********')
        error = RemoteError(message, kind, host=self.host, code=code, advice=advice)
        error.transient = transient
        return error

    def _encode(self, value):
        try:
            return _encode(value)
        except _NotXml as exc:
            raise self._error(str(exc), 'unsupported') from None

    def _envelope(self, action: str, operation: Operation, body: dict) -> str:
        envelope = self.protocol.build_wsman_header(action=action, resource_uri=operation.resource_uri)
        if operation.selectors:
            envelope['env:Header']['w:SelectorSet'] = {
                '@xmlns:w': NS_WSMAN,
                'w:Selector': [{'@Name': _check_name('selector', name), '#text': self._encode(str(value))} for name, value in operation.selectors],
            }
        envelope['env:Body'] = body
        # XML parsers turn a literal CR (and CR LF) in character data into LF (XML 1.0 section 2.11), so a CR must
        # travel as the character reference &#13;. xmltodict's XMLGenerator escapes CR in attributes (quoteattr) but
        # not in text, so every CR left in the document is one in character data: replace them all.
        return xmltodict.unparse({'env:Envelope': envelope}).replace('\r', '&#13;')

    def _call(self, operation: Operation, action: str, body: dict) -> ET.Element:
        """Send one envelope; return the response's SOAP Body element.  Each request is one line of the -vvv trail."""
        message = self._envelope(action, operation, body)
        self._check_deadline(operation)
        self.requests += 1
        started = time.monotonic()
        try:
            body_element = self._send(operation, message)
        except RemoteError as exc:
            _trail.record(self.host, 'winrm', operation.trail_text(action), _trail.failure(exc), time.monotonic() - started)
            raise
        _trail.record(self.host, 'winrm', operation.trail_text(action), _return_value(body_element), time.monotonic() - started)
        return body_element

    def _send(self, operation: Operation, message: str) -> ET.Element:
        try:
            raw = self.protocol.send_message(message)
        except Exception as exc:
            raise self._from_exception(exc, operation) from None
        self.answered = True
        try:
            root = ET.fromstring(raw)
        except ET.ParseError as exc:
            text = raw.decode('utf-8', 'replace') if isinstance(raw, bytes) else str(raw)
            bad = _XML_INVALID.search(text) or re.search(r'&#(?:x0*[0-8bcefBCEF]|x0*1[0-9a-fA-F]|0*(?:[0-8]|1[124-9]|2[0-9]|3[01]));', text)
            if bad:
                shown = repr(bad.group())[1:-1]
                raise self._error(f'the answer to {operation} holds {shown}, a character that XML 1.0 cannot carry, so WS-Management '
                                  'cannot deliver this data intact; read this host over the smb transport (exchange55_transport: smb)',
                                  'unsupported') from None
            raise self._error(f'the answer to {operation} is not XML ({exc})') from None
        body_element = next((child for child in root if _local(child.tag) == 'Body'), None)
        if _local(root.tag) != 'Envelope' or body_element is None:
            raise self._error(f'the answer to {operation} is not a SOAP envelope')
        fault = next((child for child in body_element if _local(child.tag) == 'Fault'), None)
        if fault is not None:
            raise self._fault(Fault.from_element(fault), operation)
        return body_element

    def _check_deadline(self, operation: Operation) -> None:
        """Fail once the task's deadline has passed; otherwise let no request wait beyond it."""
        if self.deadline is None:
            return
        left = self.deadline - self._clock()
        if left <= 0:
            raise self._error(f'task_timeout of {self.task_timeout:g}s reached before {operation} '
                              f'({self.requests} requests sent); raise task_timeout, or check why the server is slow', 'timeout',
                              advice='')
        transport = getattr(self.protocol, 'transport', None)
        if getattr(transport, 'read_timeout_sec', None):
            if not hasattr(self, '_read_timeout'):
                self._read_timeout = transport.read_timeout_sec     # pylint: disable=attribute-defined-outside-init
            transport.read_timeout_sec = max(1, min(self._read_timeout, int(left + 0.999)))

    def _page(self, operation: Operation, body: ET.Element, expected: str) -> tuple[list, str, bool]:
        response = next((child for child in body if _local(child.tag) == expected), None)
        if response is None:
            raise self._error(f'unexpected answer to {operation}: no {expected}')
        items, context, done = [], '', False
        for child in response:
            name = _local(child.tag)
            if name == 'EnumerationContext':
                context = (child.text or '').strip()
            elif name == 'Items':
                items.extend(instance_to_dict(item) for item in child)
            elif name == 'EndOfSequence':
                done = True
        return items, context, done

    def _fault(self, fault: Fault, operation: Operation) -> RemoteError:
        error = fault_error(fault, operation, getattr(self.protocol, 'username', None))
        # InternalError also carries provider failures (WMI access denied, ...): only the quota codes make it transient.
        transient = error.kind == 'protocol' and (fault.subcode == 'QuotaLimit' or any(code in E_TRANSIENT for code in fault.codes))
        return self._error(str(error), 'transient' if transient else error.kind, error.code, transient=transient)

    def _from_exception(self, exc: Exception, operation: Operation) -> RemoteError:
        """Map what pywinrm/requests raise to a one-line RemoteError."""
        user = getattr(self.protocol, 'username', None)
        endpoint = self.endpoint
        if isinstance(exc, RemoteError):
            return self._error(str(exc), exc.kind, exc.code, transient=getattr(exc, 'transient', False), advice=exc.advice)
        if isinstance(exc, winrm_exc.WSManFaultError):
            fault = Fault.from_text(exc.response) or Fault(
                code=exc.fault_code or '', subcode=(exc.fault_subcode or '').rpartition(':')[2], reason=_one_line(exc.reason),
                codes=tuple(c for c in (exc.wsman_fault_code, exc.wmierror_code) if c is not None), message=_one_line(exc.reason))
            return self._fault(fault, operation)
        if isinstance(exc, winrm_exc.WinRMOperationTimeoutError):
            timeout = getattr(self.protocol, 'operation_timeout_sec', '?')
            return self._error(f'{operation} timed out on the host (WS-Management OperationTimeout of {timeout}s)', 'timeout', E_TIMED_OUT)
        if isinstance(exc, winrm_exc.AuthenticationError):
            if 'requires a' in str(exc):
                return self._error(f'no credentials for {endpoint}: {exc}', 'auth')
            return self._error(f'login refused for user {user!r} at {endpoint}', 'auth')
        if isinstance(exc, winrm_exc.WinRMTransportError):
            if exc.code in TRANSIENT_HTTP:
                return self._error(f'{endpoint} answered HTTP {exc.code} to {operation} without a WS-Management fault', 'transient',
                                   exc.code, transient=True)
            if exc.code == 403:
                return self._error(f'{endpoint} answered HTTP 403 Forbidden to {operation} for user {user!r}', 'access_denied', 403)
            hint = ': check ansible_port and ansible_winrm_path' if exc.code == 404 else ''
            return self._error(f'{endpoint} answered HTTP {exc.code} to {operation}{hint}', 'protocol', exc.code)
        if isinstance(exc, requests.exceptions.ReadTimeout):
            timeout = getattr(getattr(self.protocol, 'transport', None), 'read_timeout_sec', None) or \
                getattr(self.protocol, 'read_timeout_sec', '?')
            hint = ''
            if endpoint.startswith('https:') and not self.answered:
                hint = ('; nothing ever answered on this https connection: if this port serves plain http '
                        '(5985 is WinRM\'s http port), set ansible_winrm_scheme: http or use the https port (5986)')
            return self._error(f'no answer from {endpoint} to {operation} within {timeout}s (read timeout){hint}', 'timeout')
        if isinstance(exc, requests.exceptions.SSLError):
            reason = _exception_reason(exc)
            return self._error(f'TLS handshake with {endpoint} failed: {reason}; {tls_advice(reason)}', 'unreachable', advice='')
        if isinstance(exc, requests.exceptions.ConnectionError):
            if _connection_lost(exc):
                error = self._error(f'the connection to {endpoint} was lost during {operation} ({_exception_reason(exc)})', 'transient',
                                    transient=True)
                error.reconnect = True
                return error
            return self._error(f'cannot connect to {endpoint}: {_exception_reason(exc)}', 'unreachable')
        if isinstance(exc, (requests.exceptions.RequestException, winrm_exc.WinRMError)):
            return self._error(f'{operation} failed at {endpoint}: {_one_line(str(exc))}')
        return self._error(f'{operation} failed at {endpoint}: {type(exc).__name__}: {_one_line(str(exc))}')


def _connection_lost(exc: BaseException) -> bool:
    """An established connection that broke (reset, closed without an answer), as opposed to one never made."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, http.client.RemoteDisconnected)):
            return True
        if isinstance(exc, ConnectionRefusedError):
            return False
        inner = getattr(exc, 'reason', None)
        if not isinstance(inner, BaseException):
            inner = next((arg for arg in getattr(exc, 'args', ()) if isinstance(arg, BaseException)), None)
        exc = inner or exc.__context__
    return False


# TLS failure -> what to do (OpenSSL's reason texts as Python's ssl module reports them).
_TLS_ADVICE = (
    (re.compile(r'wrong version number|record layer failure|http request|packet length too long', re.I),
     'the port does not speak TLS: if it is WinRM\'s http port (5985), set ansible_winrm_scheme: http, or use the https port (5986)'),
    (re.compile(r"hostname mismatch|doesn't match|not valid for", re.I),
     'the certificate names another host: connect by a name the certificate holds (ansible_host), or fix the certificate'),
    (re.compile(r'certificate has expired|not yet valid', re.I),
     'the server\'s certificate is outside its validity period: renew it, or check the clocks'),
    (re.compile(r'unsupported protocol|protocol version|no protocols available|sslv3 alert handshake failure|no shared cipher', re.I),
     'the server and this controller share no TLS version or cipher: enable TLS 1.2 on the server, or use http with ntlm'),
    (re.compile(r'self.signed|unable to get local issuer|unknown ca|certificate verify failed', re.I),
     'set ansible_winrm_ca_trust_path to the CA file that signed the server\'s certificate, '
     'or ansible_winrm_server_cert_validation: ignore'),
)


def tls_advice(reason: str) -> str:
    """What to do about a TLS handshake failure, chosen by its reason."""
    for pattern, advice in _TLS_ADVICE:
        if pattern.search(reason):
            return advice
    return 'check the server\'s certificate and TLS settings'
