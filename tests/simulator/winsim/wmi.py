# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One simulated Windows machine seen through WMI: StdRegProv, Win32_Service and CIM_DataFile.

Return codes follow Windows: a StdRegProv method reports failure in ReturnValue (1 missing value,
2 missing key, 5 access denied, 0x80041005 type mismatch), never as a fault.

GetStringValue and GetExpandedStringValue are one function on Windows (Microsoft REGMETHODS.CPP:
``!_wcsicmp(MethodName, L"GetStringValue") || !_wcsicmp(MethodName, L"GetExpandedStringValue")`` ->
``GetStr``, "this works with either normal strings or expanded registry strings"): both read REG_SZ and
REG_EXPAND_SZ, return REG_EXPAND_SZ data through ExpandEnvironmentStrings (REG.CPP ``Registry::GetStr``),
and answer WBEM_E_TYPE_MISMATCH only for a value of another type.
"""

from __future__ import annotations

import dataclasses
import re
import typing as t
import zlib

from winsim.fleetfile import SERVICE_STATES, START_MODES, HostSpec
from winsim.registry import HIVE_BY_HANDLE, TYPE_CODES, Key, Registry, split_subkey

WBEM_E_TYPE_MISMATCH = 2147749893
WBEM_E_INVALID_PARAMETER = 2147749896
HKLM = 2147483650
# Access bits that need write permission (KEY_SET_VALUE, KEY_CREATE_SUB_KEY, KEY_CREATE_LINK, DELETE, WRITE_DAC, WRITE_OWNER).
_WRITE_ACCESS = 0x2 | 0x4 | 0x20 | 0x10000 | 0x40000 | 0x80000
_FILE_DATE = '2001-04-27T12:00:00Z'

# Output parameters of each StdRegProv method, in order: (name, is_array).
REG_METHODS: dict[str, tuple[tuple[str, bool], ...]] = {
    'EnumKey': (('sNames', True),),
    'EnumValues': (('sNames', True), ('Types', True)),
    'GetStringValue': (('sValue', False),),
    'GetExpandedStringValue': (('sValue', False),),
    'GetDWORDValue': (('uValue', False),),
    'GetQWORDValue': (('uValue', False),),
    'GetMultiStringValue': (('sValue', True),),
    'GetBinaryValue': (('uValue', True),),
    'SetStringValue': (), 'SetExpandedStringValue': (), 'SetDWORDValue': (), 'SetQWORDValue': (),
    'SetMultiStringValue': (), 'SetBinaryValue': (),
    'CreateKey': (), 'DeleteKey': (), 'DeleteValue': (),
    'CheckAccess': (('bGranted', False),),
}
_GETTERS = {
    'GetStringValue': 'REG_SZ', 'GetExpandedStringValue': 'REG_EXPAND_SZ', 'GetDWORDValue': 'REG_DWORD',
    'GetQWORDValue': 'REG_QWORD', 'GetMultiStringValue': 'REG_MULTI_SZ', 'GetBinaryValue': 'REG_BINARY',
}
# The value types each getter reads (the string getters share Registry::GetStr, which takes either string type).
_READS = {method: (reg_type,) for method, reg_type in _GETTERS.items()}
_READS['GetStringValue'] = _READS['GetExpandedStringValue'] = ('REG_SZ', 'REG_EXPAND_SZ')
_SETTERS = {
    'SetStringValue': 'REG_SZ', 'SetExpandedStringValue': 'REG_EXPAND_SZ', 'SetDWORDValue': 'REG_DWORD',
    'SetQWORDValue': 'REG_QWORD', 'SetMultiStringValue': 'REG_MULTI_SZ', 'SetBinaryValue': 'REG_BINARY',
}
# Defaults declared in StdRegProv's MOF for an omitted value parameter.
_SET_DEFAULTS = {'SetStringValue': 'hello', 'SetDWORDValue': 3}

# Names, descriptions and image paths of the services an Exchange 5.5 server runs.
_KNOWN_SERVICES = {
    'msexchangeis': ('Microsoft Exchange Information Store', 'C:\\exchsrvr\\bin\\store.exe'),
    'msexchangesa': ('Microsoft Exchange System Attendant', 'C:\\exchsrvr\\bin\\mad.exe'),
    'msexchangeds': ('Microsoft Exchange Directory', 'C:\\exchsrvr\\bin\\dsamain.exe'),
    'msexchangemta': ('Microsoft Exchange Message Transfer Agent', 'C:\\exchsrvr\\bin\\emsmta.exe'),
    'msexchangeimc': ('Microsoft Exchange Internet Mail Service', 'C:\\exchsrvr\\connect\\msexcimc\\bin\\msexcimc.exe'),
    'msexchangees': ('Microsoft Exchange Event Service', 'C:\\exchsrvr\\bin\\events.exe'),
    'w3svc': ('World Wide Web Publishing Service', 'C:\\WINNT\\System32\\inetsrv\\inetinfo.exe'),
}


class Datetime(str):
    """A CIM datetime property value (rendered inside <cim:Datetime>)."""


@dataclasses.dataclass(frozen=True)
class WmiClass:
    name: str
    key: str | None            # the key property selectors name; None for a singleton such as StdRegProv
    properties: tuple[str, ...]
    methods: tuple[str, ...]


_SERVICE_PROPERTIES = (
    'AcceptPause', 'AcceptStop', 'Caption', 'CheckPoint', 'CreationClassName', 'Description', 'DesktopInteract',
    'DisplayName', 'ErrorControl', 'ExitCode', 'InstallDate', 'Name', 'PathName', 'ProcessId', 'ServiceSpecificExitCode',
    'ServiceType', 'Started', 'StartMode', 'StartName', 'State', 'Status', 'SystemCreationClassName', 'SystemName',
    'TagId', 'WaitHint',
)
_FILE_PROPERTIES = (
    'AccessMask', 'Archive', 'Caption', 'Compressed', 'CompressionMethod', 'CreationClassName', 'CreationDate',
    'CSCreationClassName', 'CSName', 'Description', 'Drive', 'EightDotThreeFileName', 'Encrypted', 'EncryptionMethod',
    'Extension', 'FileName', 'FileSize', 'FileType', 'FSCreationClassName', 'FSName', 'Hidden', 'InstallDate',
    'InUseCount', 'LastAccessed', 'LastModified', 'Manufacturer', 'Name', 'Path', 'Readable', 'Status', 'System',
    'Version', 'Writeable',
)
STDREGPROV = WmiClass('StdRegProv', None, (), tuple(REG_METHODS))
WIN32_SERVICE = WmiClass('Win32_Service', 'Name', _SERVICE_PROPERTIES, ('StartService', 'StopService'))
CIM_DATAFILE = WmiClass('CIM_DataFile', 'Name', _FILE_PROPERTIES, ())
NAMESPACES = {
    'root/cimv2': {c.name.lower(): c for c in (STDREGPROV, WIN32_SERVICE, CIM_DATAFILE)},
    'root/default': {STDREGPROV.name.lower(): STDREGPROV},
}


def find_class(namespace: str, name: str) -> WmiClass | None:
    """The class of that name (case-insensitive) in a namespace such as 'root/cimv2', or None."""
    return NAMESPACES.get(namespace.lower().replace('\\', '/'), {}).get(name.lower())


@dataclasses.dataclass
class Service:
    name: str
    display_name: str
    state: str
    start_mode: str
    accept_stop: bool


class _ReturnValue(Exception):
    """Ends a StdRegProv method early with this ReturnValue."""

    def __init__(self, code: int):
        super().__init__(code)
        self.code = code


class _Params:
    """A method's input parameters: lower-cased name -> list of element texts (None for xsi:nil)."""

    def __init__(self, raw: dict[str, list[str | None]]):
        self.raw = raw

    def text(self, name: str, default: str | None = None) -> str | None:
        items = self.raw.get(name.lower())
        return items[0] if items and items[0] is not None else default

    def uint(self, name: str, bits: int, default: int | None = None) -> int:
        text = self.text(name)
        if text is None:
            if default is None:
                raise _ReturnValue(WBEM_E_INVALID_PARAMETER)
            return default
        try:
            value = int(text.strip())
        except ValueError:
            raise _ReturnValue(WBEM_E_INVALID_PARAMETER) from None
        if not 0 <= value < 2 ** bits:
            raise _ReturnValue(WBEM_E_INVALID_PARAMETER)
        return value

    def texts(self, name: str) -> list[str]:
        items = self.raw.get(name.lower())
        if not items or items == [None]:
            raise _ReturnValue(WBEM_E_INVALID_PARAMETER)
        return [item or '' for item in items]


class Machine:
    """The WMI view of one host. Every change calls on_change() (which persists the state)."""

    def __init__(self, spec: HostSpec, registry: Registry, services: dict[str, Service], on_change: t.Callable[[], None]):
        self.spec = spec
        self.netbios = spec.name.upper()[:15]
        self.registry = registry
        self.services = services
        self.on_change = on_change

    @classmethod
    def build(cls, spec: HostSpec, saved: dict | None, on_change: t.Callable[[], None]) -> Machine:
        """A machine from the fleet spec, or from a saved state record (registry and service states win)."""
        registry = Registry.from_records(saved['registry'] if saved else spec.registry)
        services = {}
        for low, svc in spec.services.items():
            known = _KNOWN_SERVICES.get(low, (svc.name, ''))
            services[low] = Service(svc.name, svc.display_name or known[0], svc.state, svc.start_mode, svc.accept_stop)
        for name, record in (saved or {}).get('services', {}).items():
            if name.lower() in services:
                services[name.lower()].state = SERVICE_STATES[record['state'].lower()]
                services[name.lower()].start_mode = START_MODES[record['start_mode'].lower()]
        return cls(spec, registry, services, on_change)

    def state_record(self) -> dict:
        """What the state file holds: the registry and each service's state."""
        return {
            'host': self.spec.name,
            'registry': self.registry.to_records(),
            'services': {s.name: {'state': s.state, 'start_mode': s.start_mode} for s in self.services.values()},
        }

    # ---- instances -------------------------------------------------------------------------------------------

    def instances(self, wmi_class: WmiClass) -> list[dict]:
        """Every instance of the class as {property: value}; StdRegProv has none."""
        if wmi_class is WIN32_SERVICE:
            return [self._service_instance(s) for s in self.services.values()]
        if wmi_class is CIM_DATAFILE:
            return [self._file_instance(f) for f in self.spec.files.values()]
        return []

    def find_instance(self, wmi_class: WmiClass, key_value: str) -> dict | None:
        """The instance whose key property equals key_value (case-insensitive), or None."""
        if wmi_class is WIN32_SERVICE:
            svc = self.services.get(key_value.lower())
            return self._service_instance(svc) if svc else None
        if wmi_class is CIM_DATAFILE:
            spec = self.spec.files.get(key_value.lower())
            return self._file_instance(spec) if spec else None
        return None

    def _service_instance(self, svc: Service) -> dict:
        started = svc.state in ('Running', 'Paused', 'Stop Pending')
        path = _KNOWN_SERVICES.get(svc.name.lower(), ('', f'C:\\WINNT\\System32\\{svc.name.lower()}.exe'))[1]
        return {
            'AcceptPause': False, 'AcceptStop': svc.accept_stop and svc.state in ('Running', 'Paused'),
            'Caption': svc.display_name, 'CheckPoint': 0, 'CreationClassName': 'Win32_Service',
            'Description': svc.display_name, 'DesktopInteract': False, 'DisplayName': svc.display_name,
            'ErrorControl': 'Normal', 'ExitCode': 0 if started else 1077, 'InstallDate': None, 'Name': svc.name,
            'PathName': path, 'ProcessId': 400 + (zlib.crc32(svc.name.lower().encode()) % 3000) * 4 if started else 0,
            'ServiceSpecificExitCode': 0, 'ServiceType': 'Own Process', 'Started': started, 'StartMode': svc.start_mode,
            'StartName': 'LocalSystem', 'State': svc.state, 'Status': 'OK', 'SystemCreationClassName': 'Win32_ComputerSystem',
            'SystemName': self.netbios, 'TagId': 0, 'WaitHint': 0,
        }

    def _file_instance(self, spec) -> dict:
        name = spec.path.lower()
        directory, _sep, filename = name[2:].rpartition('\\')
        stem, dot, extension = filename.rpartition('.')
        if not dot:
            stem, extension = filename, ''
        return {
            'AccessMask': 2032127, 'Archive': True, 'Caption': name, 'Compressed': False, 'CompressionMethod': None,
            'CreationClassName': 'CIM_LogicalFile', 'CreationDate': Datetime(_FILE_DATE),
            'CSCreationClassName': 'Win32_ComputerSystem', 'CSName': self.netbios, 'Description': name, 'Drive': name[:2],
            'EightDotThreeFileName': name, 'Encrypted': False, 'EncryptionMethod': None, 'Extension': extension,
            'FileName': stem, 'FileSize': spec.size, 'FileType': 'Application' if extension == 'exe' else f'{extension.upper()} File',
            'FSCreationClassName': 'Win32_FileSystem', 'FSName': 'NTFS', 'Hidden': False, 'InstallDate': Datetime(_FILE_DATE),
            'InUseCount': None, 'LastAccessed': Datetime(_FILE_DATE), 'LastModified': Datetime(_FILE_DATE),
            'Manufacturer': 'Microsoft Corporation' if spec.version else None, 'Name': name, 'Path': directory + '\\',
            'Readable': True, 'Status': 'OK', 'System': False, 'Version': spec.version, 'Writeable': True,
        }

    # ---- methods ---------------------------------------------------------------------------------------------

    def control_service(self, name: str, method: str) -> int:
        """Win32_Service.StartService/StopService: 0 and a state change, 5 (cannot accept the control),
        10 (already running) or 14 (disabled)."""
        svc = self.services[name.lower()]
        if method == 'StopService':
            if svc.state not in ('Running', 'Paused') or not svc.accept_stop:
                return 5
            svc.state = 'Stopped'
        else:
            if svc.state in ('Running', 'Paused', 'Start Pending'):
                return 10
            if svc.state == 'Stop Pending':
                return 5
            if svc.start_mode == 'Disabled':
                return 14
            svc.state = 'Running'
        self.on_change()
        return 0

    def call_stdregprov(self, method: str, raw_params: dict[str, list[str | None]]) -> list[tuple[str, object]]:
        """Run a StdRegProv method (name as in REG_METHODS); returns the output parameters, ReturnValue last.

        Array outputs are lists (an empty list stands for a null array); a failed call gives null outputs.
        """
        outputs: dict[str, object] = {}
        try:
            params = _Params(raw_params)
            handle = params.uint('hDefKey', 32, default=HKLM)
            hive = HIVE_BY_HANDLE.get(handle)
            if hive is None:
                raise _ReturnValue(6)     # ERROR_INVALID_HANDLE
            parts = split_subkey(params.text('sSubKeyName', '') or '')
            code = self._registry_method(method, params, hive, parts, outputs)
        except _ReturnValue as exc:
            outputs.clear()
            code = exc.code
        result = [(name, outputs.get(name, [] if is_array else None)) for name, is_array in REG_METHODS[method]]
        result.append(('ReturnValue', code))
        return result

    def _denied(self, hive: str, parts: tuple[str, ...]) -> bool:
        path = '\\'.join((hive,) + parts).lower()
        return any(path == deny or path.startswith(deny + '\\') for deny in self.spec.deny_write)

    def _writable_key(self, hive: str, parts: tuple[str, ...]) -> Key:
        key = self.registry.open(hive, parts)
        if key is None:
            raise _ReturnValue(2)
        if self._denied(hive, parts):
            raise _ReturnValue(5)
        return key

    def _commit(self) -> None:
        """Record a change, unless the host loses its writes (then the caller still reports success)."""
        if not self.spec.faults.lost_write:
            self.on_change()

    def _registry_method(self, method: str, params: _Params, hive: str, parts: tuple[str, ...], outputs: dict) -> int:
        if method in _GETTERS or method in ('EnumKey', 'EnumValues'):
            key = self.registry.open(hive, parts)
            if key is None:
                return 2
            if method == 'EnumKey':
                outputs['sNames'] = [child.name for child in key.sorted_subkeys()]
                return 0
            if method == 'EnumValues':
                outputs['sNames'] = [name for name, _type, _data in key.values.values()]
                outputs['Types'] = [TYPE_CODES[reg_type] for _name, reg_type, _data in key.values.values()]
                return 0
            found = key.values.get((params.text('sValueName', '') or '').lower())
            if found is None:
                return 1
            _name, reg_type, data = found
            if reg_type not in _READS[method]:
                return WBEM_E_TYPE_MISMATCH
            outputs[REG_METHODS[method][0][0]] = _output_data(reg_type, data, self.spec.environment)
            return 0
        if method in _SETTERS:
            reg_type = _SETTERS[method]
            data = _input_data(method, reg_type, params)
            key = self._writable_key(hive, parts)
            name = params.text('sValueName', '') or ''
            if not self.spec.faults.lost_write:
                key.values[name.lower()] = (name, reg_type, data)
            self._commit()
            return 0
        if method == 'CreateKey':
            if self._denied(hive, parts):
                return 5
            if not self.spec.faults.lost_write:
                self.registry.create(hive, parts)
            self._commit()
            return 0
        if method == 'DeleteValue':
            key = self._writable_key(hive, parts)
            name = (params.text('sValueName', '') or '').lower()
            if name not in key.values:
                return 2
            if not self.spec.faults.lost_write:
                del key.values[name]
            self._commit()
            return 0
        if method == 'DeleteKey':
            key = self._writable_key(hive, parts)
            if key.subkeys or not parts:
                return 5
            if not self.spec.faults.lost_write:
                del self.registry.open(hive, parts[:-1]).subkeys[parts[-1].lower()]
            self._commit()
            return 0
        # CheckAccess
        required = params.uint('uRequired', 32, default=3)
        outputs['bGranted'] = False
        if self.registry.open(hive, parts) is None:
            return 2
        if required & _WRITE_ACCESS and self._denied(hive, parts):
            return 5
        outputs['bGranted'] = True
        return 0


def _expand(text: str, environment: dict) -> str:
    """Expand %VAR% like ExpandEnvironmentStrings: known names (case-insensitive) only, others kept as written."""
    def value(match):
        entry = environment.get(match.group(1).lower())
        return match.group(0) if entry is None else entry[1]
    return re.sub(r'%([^%]+)%', value, text)


def _output_data(reg_type: str, data: object, environment: dict) -> object:
    if reg_type == 'REG_EXPAND_SZ':
        return _expand(data, environment)
    if reg_type == 'REG_MULTI_SZ':
        return list(data)
    if reg_type == 'REG_BINARY':
        return list(data)
    return data


def _input_data(method: str, reg_type: str, params: _Params) -> object:
    if reg_type in ('REG_SZ', 'REG_EXPAND_SZ'):
        text = params.text('sValue', _SET_DEFAULTS.get(method))
        if text is None:
            raise _ReturnValue(WBEM_E_INVALID_PARAMETER)
        return text
    if reg_type == 'REG_DWORD':
        return params.uint('uValue', 32, _SET_DEFAULTS.get(method))
    if reg_type == 'REG_QWORD':
        return params.uint('uValue', 64)
    if reg_type == 'REG_MULTI_SZ':
        return tuple(params.texts('sValue'))
    try:
        return bytes(int(item) for item in params.texts('uValue'))
    except ValueError:
        raise _ReturnValue(WBEM_E_INVALID_PARAMETER) from None
