# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""RemoteHost over WinRM: the registry through WMI ``StdRegProv``, file versions through
``CIM_DataFile``, services through ``Win32_Service``.  WS-Man calls only; no WinRS shell."""

from __future__ import annotations

import inspect
import re

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import TYPE_NAMES, RegValue, hive_handle, parse_key_path
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._wsman import PYWINRM_MISSING, WSManClient, wmi_uri

try:
    from winrm.exceptions import AuthenticationError
    from winrm.protocol import Protocol
except ImportError:  # reported when a WinRMHost is created
    AuthenticationError = Protocol = None

STDREGPROV = wmi_uri('root/default', 'StdRegProv')
CIM_DATAFILE = wmi_uri('root/cimv2', 'CIM_DataFile')
WIN32_SERVICE = wmi_uri('root/cimv2', 'Win32_Service')

# StdRegProv's ReturnValue (Microsoft REGMETHODS.CPP / REG.CPP, docs/windows-semantics.md): 0 done; 1 value
# missing (Registry::GetStr/GetDWORD return the enum `failed`); 2 key missing and 5 access denied (RegOpenKeyEx's
# status); 0x80041005 WBEM_E_TYPE_MISMATCH only when the value has a type the getter does not read.
WBEM_E_TYPE_MISMATCH = 2147749893       # 0x80041005: the value exists with another type
WBEM_E_INVALID_PARAMETER = 2147749896   # 0x80041008: e.g. an array parameter that is null (REGMETHODS.CPP)
ERROR_ACCESS_DENIED = 5
MISSING = (1, 2)                        # StdRegProv: value (1) or key/file (2) not found
# GetStringValue and GetExpandedStringValue are one function (GetStr) that reads REG_SZ and REG_EXPAND_SZ alike
# and returns REG_EXPAND_SZ data expanded (ExpandEnvironmentStrings, in the WMI service's environment): neither
# tells the two types apart, so the type of a string value always comes from EnumValues.
STRING_TYPES = ('REG_SZ', 'REG_EXPAND_SZ')
_ENV_REFERENCE = re.compile(r'%[^%]+%')

# type -> (getter, output parameter); REG_MULTI_SZ and REG_BINARY outputs are arrays.
GETTERS = {
    'REG_SZ': ('GetStringValue', 'sValue'),
    'REG_EXPAND_SZ': ('GetExpandedStringValue', 'sValue'),
    'REG_DWORD': ('GetDWORDValue', 'uValue'),
    'REG_QWORD': ('GetQWORDValue', 'uValue'),
    'REG_MULTI_SZ': ('GetMultiStringValue', 'sValue'),
    'REG_BINARY': ('GetBinaryValue', 'uValue'),
}
# Every setter of StdRegProv (MS docs "StdRegProv class"; REGMETHODS.CPP in tongzx/nt5src
# Source/XPSP1/NT/admin/wmi/wbem/winmgmt/stdprov): sValue is a string or, for SetMultiStringValue,
# an array of strings; uValue a uint32 / uint64 or, for SetBinaryValue, an array of uint8.
SETTERS = {
    'REG_SZ': ('SetStringValue', 'sValue'),
    'REG_EXPAND_SZ': ('SetExpandedStringValue', 'sValue'),
    'REG_DWORD': ('SetDWORDValue', 'uValue'),
    'REG_QWORD': ('SetQWORDValue', 'uValue'),
    'REG_MULTI_SZ': ('SetMultiStringValue', 'sValue'),
    'REG_BINARY': ('SetBinaryValue', 'uValue'),
}
# Registry types RegValue cannot hold, for messages and enum_values().
OTHER_TYPES = {0: 'REG_NONE', 5: 'REG_DWORD_BIG_ENDIAN', 6: 'REG_LINK', 8: 'REG_RESOURCE_LIST',
               9: 'REG_FULL_RESOURCE_DESCRIPTOR', 10: 'REG_RESOURCE_REQUIREMENTS_LIST'}

# Win32_Service.StartService / StopService return codes.
SERVICE_CODES = {
    1: 'the request is not supported', 2: 'the user did not have the necessary access',
    3: 'the service cannot be stopped because other services that are running depend on it',
    4: 'the requested control code is not valid, or it is unacceptable to the service',
    5: 'the requested control code cannot be sent to the service because its state does not allow it',
    6: 'the service has not been started', 7: 'the service did not respond to the start request in a timely fashion',
    8: 'unknown failure when starting the service', 9: 'the directory path to the service executable file was not found',
    10: 'the service is already running', 11: 'the database to add a new service is locked',
    12: 'a dependency this service relies on has been removed from the system',
    13: 'the service failed to find the service needed from a dependent service', 14: 'the service has been disabled from the system',
    15: 'the service does not have the correct authentication to run on the system',
    16: 'this service is being removed from the system', 17: 'the service has no execution thread',
    18: 'the service has circular dependencies when it starts', 19: 'a service is running under the same name',
    20: 'the service name has invalid characters', 21: 'invalid parameters have been passed to the service',
    22: 'the account under which this service runs is either invalid or lacks the permissions to run the service',
    23: 'the service exists in the database of services available from the system', 24: 'the service is currently paused in the system',
}

# Connection-setting aliases accepted by from_settings() (ansible's winrm option and Protocol names).
_ALIASES = {'remote_addr': 'host', 'remote_user': 'username', 'user': 'username', 'remote_password': 'password',
            'read_timeout_sec': 'read_timeout', 'operation_timeout_sec': 'operation_timeout'}
_CLEAR_TEXT_AUTH = ('basic', 'plaintext', 'ssl')


def _key_id(key: str) -> str:
    """One spelling per registry key (hive short name, subkey case-folded), for what WinRMHost keeps."""
    hive, subkey = parse_key_path(key)
    return f'{hive}\\{subkey.lower()}'


def _type_label(code: int) -> str:
    return TYPE_NAMES.get(code) or OTHER_TYPES.get(code) or f'REG_TYPE_{code}'


class WinRMHost(RemoteHost):
    """A Windows host reached over WS-Management with pywinrm.

    One ``Protocol`` (one HTTP session, one NTLM handshake) serves every call; ``requests``
    counts the WS-Man requests sent.  Creating the object does not connect.

    The object lives for one task, so what it read is not asked again: :meth:`get_value`,
    :meth:`get_values` and the type lookups reuse values already read and the last value list
    (``EnumValues``) of the key; :meth:`enum_values` always asks.  A write or delete under a key
    forgets what was kept for that key, so a read after a write always asks the server.
    """

    transport = 'winrm'

    def __init__(self, host: str, port: int | None = None, scheme: str | None = None, username: str | None = None,
                 password: str | None = None, transport: str = 'ntlm', server_cert_validation: str = 'validate',
                 ca_trust_path: str | None = None, path: str = '/wsman', read_timeout: int = 30, operation_timeout: int = 20,
                 message_encryption: str = 'auto', retries: int = 0, retry_delay: float = 1.0, task_timeout: float = 0, **extra):
        if not host or not str(host).strip():
            raise RemoteError('no host address: set ansible_host', 'unsupported')
        self.host = host = str(host).strip()
        if Protocol is None:
            raise RemoteError(PYWINRM_MISSING, 'unsupported', host=host)
        scheme = str(scheme or ('http' if port == 5985 else 'https')).lower()
        port = int(port) if port is not None else (5985 if scheme == 'http' else 5986)
        transport = str(transport or 'ntlm').lower()
        # Settings from an inventory are checked once, in _connection.resolve_settings; these guard direct callers.
        if scheme == 'http' and transport in _CLEAR_TEXT_AUTH:
            raise self._bad(f'refusing {transport} authentication over plain http: the password would cross the network in clear text; '
                            'use ansible_winrm_scheme=https or ansible_winrm_transport=ntlm')
        if message_encryption not in ('auto', 'always', 'never'):
            raise self._bad(f'ansible_winrm_message_encryption must be auto, always or never, got {message_encryption!r}')
        read_timeout, operation_timeout = int(read_timeout), int(operation_timeout)
        address = f'[{host}]' if ':' in host and not host.startswith('[') else host
        self.endpoint = f'{scheme}://{address}:{port}/{str(path or "/wsman").lstrip("/")}'
        kwargs = {name: value for name, value in extra.items() if name in _protocol_arguments() and value is not None}
        if ca_trust_path is not None:
            kwargs['ca_trust_path'] = ca_trust_path
        kwargs.update(transport=transport, username=username, password=password, server_cert_validation=server_cert_validation,
                      read_timeout_sec=read_timeout, operation_timeout_sec=operation_timeout, message_encryption=message_encryption)
        try:
            protocol = Protocol(self.endpoint, **kwargs)
        except AuthenticationError as exc:     # no user or password for a transport that needs them
            raise RemoteError(f'{exc} for {self.endpoint}: set ansible_user and ansible_password', 'auth', host=host) from None
        except Exception as exc:
            message = str(exc).replace(password, '********') if password else str(exc)
            raise self._bad(f'cannot set up WinRM to {self.endpoint}: {message}') from None
        self.client = WSManClient(protocol, host=host, retries=retries, retry_delay=retry_delay, task_timeout=task_timeout)
        self._listings: dict[str, list[tuple[str, int]] | None] = {}      # _key_id(key) -> EnumValues answer
        self._values: dict[tuple[str, str], RegValue] = {}                 # (_key_id(key), lower-case name) -> value read
        self._expanded: set[tuple[str, str]] = set()                      # REG_EXPAND_SZ values read (expanded by the server)

    @classmethod
    def from_settings(cls, settings: dict) -> WinRMHost:
        """Build from a dict of connection settings: the constructor's names, ansible's winrm option
        names (remote_addr, remote_user, remote_password, transport as a list: first one wins,
        connection_timeout) and ``_extras`` (``ansible_winrm_<Protocol argument>`` variables).
        None values mean "use the default"."""
        values = {}
        extras = settings.get('_extras') or {}
        for name, value in extras.items():
            if name.startswith('ansible_winrm_'):
                values[name[len('ansible_winrm_'):]] = value
        for name, value in settings.items():
            if name != '_extras':
                values[name] = value
        values = {_ALIASES.get(name, name): value for name, value in values.items() if value is not None}
        timeout = values.pop('connection_timeout', None)
        if timeout:
            values.setdefault('operation_timeout', int(timeout))
            values.setdefault('read_timeout', int(timeout) + 10)
        transport = values.get('transport')
        if isinstance(transport, (list, tuple)):
            values['transport'] = transport[0] if transport else 'ntlm'
        if 'host' not in values:
            raise RemoteError('no host address: set ansible_host', 'unsupported')
        return cls(**values)

    def _bad(self, message: str) -> RemoteError:
        return RemoteError(message, 'unsupported', host=self.host)

    @property
    def requests(self) -> int:
        """WS-Man requests sent so far (authentication round trips not counted)."""
        return self.client.requests

    @property
    def retried(self) -> int:
        """Operations sent again after a transient failure."""
        return self.client.retried

    # -- registry -------------------------------------------------------

    def _reg(self, method: str, key: str, name: str | None = None, arrays=(), **params) -> tuple[int, dict]:
        """Call a StdRegProv method on ``key``; return (ReturnValue, outputs)."""
        hive, subkey = parse_key_path(key)
        inputs = {'hDefKey': hive_handle(hive), 'sSubKeyName': subkey}
        if name is not None:
            inputs['sValueName'] = name
        inputs.update(params)
        # Every StdRegProv method used here is safe to repeat: reads, and setters that store the same data again.
        result = self.client.invoke(STDREGPROV, method, inputs, arrays=arrays, idempotent=True)
        return result['ReturnValue'], result

    def _reg_failure(self, method: str, key: str, name: str | None, code: int) -> RemoteError:
        where = f'{key}\\{name}' if name is not None else key
        if code == ERROR_ACCESS_DENIED:
            return RemoteError(f'access denied: StdRegProv.{method} on {where}', 'access_denied', host=self.host, code=code)
        if code == WBEM_E_TYPE_MISMATCH:
            return RemoteError(f'StdRegProv.{method} on {where}: the value has another type', 'type_mismatch', host=self.host, code=code)
        if code == WBEM_E_INVALID_PARAMETER:
            return RemoteError(f'StdRegProv.{method} on {where} rejected its parameters (WBEM_E_INVALID_PARAMETER)', 'protocol',
                               host=self.host, code=code)
        hexcode = f' (0x{code:08x})' if code > 0xffff else ''
        return RemoteError(f'StdRegProv.{method} on {where} returned {code}{hexcode}', 'protocol', host=self.host, code=code)

    def _read_typed(self, key: str, name: str, type_: str) -> tuple[int, RegValue | None]:
        """One typed getter: (ReturnValue, value when 0).  Only a value read with its listed type is kept."""
        method, output = GETTERS[type_]
        arrays = (output,) if type_ in ('REG_MULTI_SZ', 'REG_BINARY') else ()
        code, result = self._reg(method, key, name, arrays=arrays)
        if code != 0:
            return code, None
        data = result.get(output)
        try:
            if type_ in ('REG_SZ', 'REG_EXPAND_SZ'):
                data = data if isinstance(data, str) else ''
            elif type_ in ('REG_DWORD', 'REG_QWORD'):
                data = int(data)
            elif type_ == 'REG_MULTI_SZ':
                data = tuple(item or '' for item in data)
            else:
                data = bytes(int(item) for item in data)
            return 0, RegValue(type_, data)
        except (TypeError, ValueError) as exc:
            raise RemoteError(f'StdRegProv.{method} on {key}\\{name} returned unusable data: {exc}', 'protocol', host=self.host) from None

    def _enum(self, key: str, fresh: bool = False) -> list[tuple[str, int]] | None:
        if fresh or _key_id(key) not in self._listings:
            self._listings[_key_id(key)] = self._list_values(key)
        return self._listings[_key_id(key)]

    def _list_values(self, key: str) -> list[tuple[str, int]] | None:
        code, result = self._reg('EnumValues', key, arrays=('sNames', 'Types'))
        if code in MISSING:
            return None
        if code != 0:
            raise self._reg_failure('EnumValues', key, None, code)
        names, types = result['sNames'], result['Types']
        if len(names) != len(types):
            raise RemoteError(f'StdRegProv.EnumValues on {key} returned {len(names)} names but {len(types)} types', 'protocol', host=self.host)
        try:
            return [(name or '', int(code)) for name, code in zip(names, types)]
        except (TypeError, ValueError):
            raise RemoteError(f'StdRegProv.EnumValues on {key} returned a non-numeric type', 'protocol', host=self.host) from None

    def _read(self, key: str, name: str, code: int) -> RegValue | None:
        type_ = TYPE_NAMES.get(code)
        if type_ is None:
            raise RemoteError(f'{key}\\{name} has type {_type_label(code)}, which this collection cannot read', 'unsupported', host=self.host)
        known = self._values.get((_key_id(key), name.lower()))
        if known is not None and known.type == type_:
            return known
        rv, value = self._read_typed(key, name, type_)
        if rv in MISSING:
            return None
        if rv != 0:
            raise self._reg_failure(GETTERS[type_][0], key, name, rv)
        return self._keep(key, name, value)

    def _keep(self, key: str, name: str, value: RegValue) -> RegValue:
        """Remember a value read with its real type; a REG_EXPAND_SZ one came back expanded (see STRING_TYPES)."""
        self._values[_key_id(key), name.lower()] = value
        if value.type == 'REG_EXPAND_SZ':
            self._expanded.add((_key_id(key), name.lower()))
        return value

    def get_value(self, key: str, name: str, expected_type: str | None = None) -> RegValue | None:
        """One typed read when the type is known (listed, or a non-string hint); a string also needs the listing.

        A key already listed in this session costs one call (the getter of the listed type).  A REG_DWORD
        (QWORD, MULTI_SZ, BINARY) hint costs one call, plus EnumValues and the right getter on a type
        mismatch.  A REG_SZ / REG_EXPAND_SZ hint costs the getter plus EnumValues for the real type, because
        the getters cannot tell them apart (see STRING_TYPES); the getter's data is right for both types.
        """
        known = self._values.get((_key_id(key), name.lower()))
        if known is not None:
            return known
        first = None
        if _key_id(key) not in self._listings and expected_type in GETTERS:
            rv, first = self._read_typed(key, name, expected_type)
            if rv in MISSING:
                return None
            if rv == 0 and expected_type not in STRING_TYPES:
                return self._keep(key, name, first)
            if rv not in (0, WBEM_E_TYPE_MISMATCH):
                raise self._reg_failure(GETTERS[expected_type][0], key, name, rv)
        entries = self._enum(key)
        if entries is None:
            return None
        match = next(((stored, code) for stored, code in entries if stored.lower() == name.lower()), None)
        if match is None:
            return None
        listed = TYPE_NAMES.get(match[1])
        if first is not None and listed in STRING_TYPES:
            return self._keep(key, match[0], RegValue(listed, first.data))
        return self._read(key, match[0], match[1])

    def same_as_written(self, written: RegValue | None, stored: RegValue | None) -> bool:
        """Does a value read back match what was written?  REG_EXPAND_SZ data comes back expanded over WMI.

        StdRegProv returns REG_EXPAND_SZ data through ExpandEnvironmentStrings (REG.CPP), and no getter
        returns the raw text, so for written data holding %NAME% references the type and the text around
        each reference are compared; a reference may come back as any text (or unexpanded), but every
        reference to the same name (ignoring case) as the same text, as one environment expands them.
        SetExpandedStringValue stores the text as given (REGMETHODS.CPP SetStringValue(..., EXPANDED) ->
        REG.CPP Registry::SetExpandStr -> RegSetValueEx(REG_EXPAND_SZ)), so this is also how a later run
        judges whether the value already holds what is wanted.
        """
        if written is None or stored is None or written.type != 'REG_EXPAND_SZ' or stored.type != 'REG_EXPAND_SZ':
            return written == stored
        if not isinstance(written.data, str) or not isinstance(stored.data, str):
            return written == stored
        pieces = _ENV_REFERENCE.split(written.data)
        if len(pieces) == 1:
            return written == stored
        groups, pattern = {}, re.escape(pieces[0])
        for reference, piece in zip(_ENV_REFERENCE.findall(written.data), pieces[1:]):
            name = reference.lower()
            if name in groups:
                pattern += f'(?P={groups[name]})'
            else:
                groups[name] = f'r{len(groups)}'
                pattern += f'(?P<{groups[name]}>.*?)'
            pattern += re.escape(piece)
        return re.fullmatch(pattern, stored.data, re.DOTALL) is not None

    def enum_values(self, key: str) -> dict[str, str] | None:
        entries = self._enum(key, fresh=True)
        return None if entries is None else {name: _type_label(code) for name, code in entries}

    def get_values(self, key: str) -> dict[str, RegValue] | None:
        entries = self._enum(key)
        if entries is None:
            return None
        values = {}
        for name, code in entries:
            value = self._read(key, name, code)
            if value is not None:          # deleted between the two calls
                values[name] = value
        return values

    def set_value(self, key: str, name: str, value: RegValue) -> None:
        if value.type not in SETTERS:
            raise RemoteError(f'cannot write {value.type} over WinRM (supported: {", ".join(SETTERS)})', 'unsupported', host=self.host)
        method, parameter = SETTERS[value.type]
        data = value.data
        if value.type in ('REG_MULTI_SZ', 'REG_BINARY'):
            # An empty array goes over WS-Man as no element at all, i.e. a null parameter, and
            # StdRegProv answers WBEM_E_INVALID_PARAMETER for it (REGMETHODS.CPP, SetMultiStrValue /
            # SetBinaryValue: "if(var.vt != (VT_ARRAY | ...)) return WBEM_E_INVALID_PARAMETER").
            data = list(data)
            if not data:
                raise RemoteError(f'cannot write an empty {value.type} to {key}\\{name} over WinRM: StdRegProv.{method} '
                                  'refuses an empty array; use transport smb for it', 'unsupported', host=self.host)
        self._forget(key)
        rv, _result = self._reg(method, key, name, **{parameter: data})
        if rv in MISSING:
            raise RemoteError(f'registry key {key} does not exist: create it before writing {name!r}', 'not_found', host=self.host, code=rv)
        if rv != 0:
            raise self._reg_failure(method, key, name, rv)

    def enum_keys(self, key: str) -> list[str] | None:
        """StdRegProv.EnumKey.  A key without subkeys answers ReturnValue 0 and no sNames (REGMETHODS.CPP EnumKey)."""
        code, result = self._reg('EnumKey', key, arrays=('sNames',))
        if code in MISSING:
            return None
        if code != 0:
            raise self._reg_failure('EnumKey', key, None, code)
        return [name or '' for name in result['sNames']]

    def create_key(self, key: str) -> None:
        """StdRegProv.CreateKey, which creates every missing key of the path (MS docs: CreateKey method)."""
        self._not_a_hive(key, 'create')
        self._forget(key)
        rv, _result = self._reg('CreateKey', key)
        if rv != 0:
            raise self._reg_failure('CreateKey', key, None, rv)

    def delete_key(self, key: str) -> bool:
        """Subkeys first, deepest first, then the key: StdRegProv.DeleteKey is RegDeleteKey (REGMETHODS.CPP), which
        on Windows NT deletes only a key without subkeys (MS-RRP 3.1.5.8: ERROR_ACCESS_DENIED when it has subkeys)."""
        self._not_a_hive(key, 'delete')
        children = self.enum_keys(key)
        if children is None:
            return False
        for child in children:
            self.delete_key(f'{key}\\{child}')
        self._forget(key, tree=True)
        rv, _result = self._reg('DeleteKey', key)
        if rv in MISSING:
            return False
        if rv != 0:
            raise self._reg_failure('DeleteKey', key, None, rv)
        return True

    def _not_a_hive(self, key: str, verb: str) -> None:
        if not parse_key_path(key)[1]:
            raise RemoteError(f'cannot {verb} {key}: it is a hive root', 'unsupported', host=self.host)

    def delete_value(self, key: str, name: str) -> bool:
        self._forget(key)
        rv, _result = self._reg('DeleteValue', key, name)
        if rv in MISSING:
            return False
        if rv != 0:
            raise self._reg_failure('DeleteValue', key, name, rv)
        return True

    @property
    def writable_types(self):
        """The types this host has a StdRegProv setter for."""
        return frozenset(SETTERS)

    def expanded_by_server(self, key: str, name: str) -> bool:
        """Every REG_EXPAND_SZ read over WinRM is expanded: StdRegProv's GetStringValue and GetExpandedStringValue
        both run ``GetStr``, which calls ExpandEnvironmentStrings for REG_EXPAND_SZ, and GetBinaryValue and
        GetMultiStringValue refuse the type (``Registry::GetBinary``: ``if (dwType != REG_BINARY) return failed``,
        then WBEM_E_TYPE_MISMATCH); tongzx/nt5src Source/XPSP1/NT/admin/wmi/wbem/winmgmt/stdprov/regmethods.cpp
        and common REG.CPP.  No StdRegProv method returns the unexpanded text."""
        return (_key_id(key), name.lower()) in self._expanded

    def _forget(self, key: str, tree: bool = False) -> None:
        """Drop what was read under ``key`` (and with ``tree`` under its subkeys): it is about to change."""
        key = _key_id(key)

        def hit(other: str) -> bool:
            return other == key or (tree and other.startswith(key + '\\'))

        for listed in [listed for listed in self._listings if hit(listed)]:
            del self._listings[listed]
        for known in [known for known in self._values if hit(known[0])]:
            del self._values[known]

    # -- files and services -------------------------------------------

    def _get_or_none(self, resource_uri: str, selectors: dict) -> dict | None:
        try:
            return self.client.get(resource_uri, selectors)
        except RemoteError as exc:
            if exc.kind == 'not_found':
                return None
            raise

    def file_version(self, path: str) -> str | None:
        instance = self._get_or_none(CIM_DATAFILE, {'Name': path})
        if instance is None:
            return None
        version = instance.get('Version')
        return version.strip() if isinstance(version, str) else ''

    def service_state(self, name: str) -> str | None:
        instance = self._get_or_none(WIN32_SERVICE, {'Name': name})
        return None if instance is None else instance.get('State')

    def control_service(self, name: str, action: str) -> None:
        methods = {'start': 'StartService', 'stop': 'StopService'}
        if action not in methods:
            raise RemoteError(f"control_service action must be 'start' or 'stop', got {action!r}", 'unsupported', host=self.host)
        result = self.client.invoke(WIN32_SERVICE, methods[action], {}, selectors={'Name': name})
        rv = result['ReturnValue']
        if rv != 0:
            meaning = SERVICE_CODES.get(rv, 'unknown Win32_Service return code')
            kind = 'access_denied' if rv == 2 else 'protocol'
            raise RemoteError(f'cannot {action} service {name}: {meaning} (Win32_Service.{methods[action]} returned {rv})', kind, host=self.host, code=rv)

    def close(self) -> None:
        transport = getattr(self.client.protocol, 'transport', None)
        if transport is not None:
            transport.close_session()


def _protocol_arguments() -> frozenset:
    """Names ``Protocol.__init__`` accepts (what ``ansible_winrm_*`` variables may set)."""
    return frozenset(inspect.signature(Protocol.__init__).parameters) - {'self', 'endpoint'}
