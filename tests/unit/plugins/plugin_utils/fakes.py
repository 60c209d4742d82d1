# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""An in-memory RemoteHost for unit tests, and named Exchange servers described in the fleet-file shape.

FakeHost follows Windows' rules that callers rely on: key paths and value
names are case-insensitive, a missing key or value reads as None, writing
into a missing key raises not_found.  Every call is recorded in ``calls``
(one entry per call, i.e. per network round trip on a real transport).
"""

from __future__ import annotations

import copy

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, parse_key_path
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost

SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
PARAMETERS_PRIVATE = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'


def _key_id(key: str) -> str:
    hive, subkey = parse_key_path(key)
    return f'{hive}\\{subkey}'.lower()


class FakeHost(RemoteHost):
    """A RemoteHost held in dicts.

    ``registry`` maps key -> {name: RegValue}; ``files`` maps path -> version
    ('' for a file without a version resource); ``services`` maps name -> state.
    Reads of a key listed in ``deny_read`` (writes: ``deny_write``) raise
    RemoteError(kind='access_denied'); ``faults`` maps a method name to a
    RemoteError that every call of that method raises.
    """

    transport = 'fake'

    def __init__(self, registry=None, files=None, services=None, deny_read=(), deny_write=(), faults=None, name='fakehost'):
        self.name = name
        self.registry = {}
        for key, values in (registry or {}).items():       # every ancestor exists too, as in a real registry
            hive, subkey = parse_key_path(key)
            parts = subkey.split('\\') if subkey else []
            for depth in range(1, len(parts)):
                ancestor = '\\'.join([hive, *parts[:depth]])
                self.registry.setdefault(_key_id(ancestor), (ancestor, {}))
            self.registry[_key_id(key)] = (key, dict(values))
        self.files = {path.lower(): version for path, version in (files or {}).items()}
        self.services = {svc.lower(): state for svc, state in (services or {}).items()}
        self.deny_read = {_key_id(key) for key in deny_read}
        self.deny_write = {_key_id(key) for key in deny_write}
        self.faults = dict(faults or {})
        self.calls = []
        self.closed = False

    @classmethod
    def from_spec(cls, spec: dict, name: str = 'fakehost') -> FakeHost:
        """Build a host from a fleet-file host entry (registry/files/services/deny_read/deny_write)."""
        registry = {key: {vname: RegValue.from_record(rec) for vname, rec in values.items()}
                    for key, values in spec.get('registry', {}).items()}
        files = {path: info['version'] for path, info in spec.get('files', {}).items()}
        services = {svc: info['state'] for svc, info in spec.get('services', {}).items()}
        return cls(registry, files, services, spec.get('deny_read', ()), spec.get('deny_write', ()), name=name)

    # -- helpers -------------------------------------------------------------
    def _call(self, method: str, *args):
        self.calls.append((method,) + args)
        if method in self.faults:
            raise self.faults[method]

    def _key(self, key: str, write: bool = False) -> dict | None:
        key_id = _key_id(key)
        if key_id in (self.deny_write if write else self.deny_read):
            raise RemoteError(f'access denied to {key}', kind='access_denied', host=self.name, code=5)
        entry = self.registry.get(key_id)
        return None if entry is None else entry[1]

    @staticmethod
    def _stored(values: dict, name: str) -> str | None:
        return next((stored for stored in values if stored.lower() == name.lower()), None)

    # -- RemoteHost ------------------------------------------------------------
    def get_value(self, key, name, expected_type=None):
        self._call('get_value', key, name, expected_type)
        values = self._key(key)
        stored = None if values is None else self._stored(values, name)
        return None if stored is None else values[stored]

    def enum_values(self, key):
        self._call('enum_values', key)
        values = self._key(key)
        return None if values is None else {name: value.type for name, value in values.items()}

    def get_values(self, key):
        self._call('get_values', key)
        values = self._key(key)
        return None if values is None else dict(values)

    def set_value(self, key, name, value):
        self._call('set_value', key, name, value)
        values = self._key(key, write=True)
        if values is None:
            raise RemoteError(f'registry key {key} not found', kind='not_found', host=self.name, code=2)
        values[self._stored(values, name) or name] = value

    def delete_value(self, key, name):
        self._call('delete_value', key, name)
        values = self._key(key, write=True)
        stored = None if values is None else self._stored(values, name)
        if stored is None:
            return False
        del values[stored]
        return True

    def enum_keys(self, key):
        self._call('enum_keys', key)
        if self._key(key) is None:
            return None
        prefix = _key_id(key) + '\\'
        names = {}
        for key_id, (path, _values) in self.registry.items():
            if key_id.startswith(prefix):
                child = path.split('\\')[len(prefix.rstrip('\\').split('\\'))]
                names.setdefault(child.lower(), child)
        return [names[folded] for folded in sorted(names)]

    def create_key(self, key):
        self._call('create_key', key)
        hive, subkey = parse_key_path(key)
        path = hive
        for part in subkey.split('\\'):
            path += '\\' + part
            if _key_id(path) in self.deny_write:
                raise RemoteError(f'access denied to {path}', kind='access_denied', host=self.name, code=5)
            self.registry.setdefault(_key_id(path), (path, {}))

    def delete_key(self, key):
        self._call('delete_key', key)
        if self._key(key, write=True) is None:
            return False
        prefix = _key_id(key)
        for key_id in [key_id for key_id in self.registry if key_id == prefix or key_id.startswith(prefix + '\\')]:
            del self.registry[key_id]
        return True

    def file_version(self, path):
        self._call('file_version', path)
        return self.files.get(path.lower())

    def service_state(self, name):
        self._call('service_state', name)
        return self.services.get(name.lower())

    def control_service(self, name, action):
        self._call('control_service', name, action)
        if name.lower() not in self.services:
            raise RemoteError(f'service {name} not found', kind='not_found', host=self.name)
        self.services[name.lower()] = {'start': 'Running', 'stop': 'Stopped'}[action]

    def close(self):
        self.closed = True

    # -- for assertions ----------------------------------------------------------
    def value(self, key: str, name: str) -> RegValue | None:
        """The value as stored now, without counting a call."""
        entry = self.registry.get(_key_id(key))
        stored = None if entry is None else self._stored(entry[1], name)
        return None if stored is None else entry[1][stored]


def exchange55_server(*, service_pack_build=2653, newest_build=1960, store='5.5.2654.81', owa_url_protocol=None,
                      ssl_required=True, install_path='C:\\exchsrvr', services_version=None, service_pack_number=None,
                      parameters_private=True) -> dict:
    """A fleet-file host entry for an Exchange 5.5 server; ``owa_url_protocol`` is (type, data) or None.

    A build given as a string is stored as REG_SZ; None leaves the value out (``store=None``: no Store.exe).
    """
    setup = {'Services': {'type': 'REG_SZ', 'data': install_path}}
    for name, build in (('Services Version', services_version), ('NewestBuild', newest_build),
                        ('ServicePackNumber', service_pack_number), ('ServicePackBuild', service_pack_build)):
        if build is not None:
            setup[name] = {'type': 'REG_SZ' if isinstance(build, str) else 'REG_DWORD', 'data': build}
    private = {'DB Path': {'type': 'REG_SZ', 'data': install_path + '\\mdbdata\\priv.edb'},
               'Reset Views': {'type': 'REG_DWORD', 'data': 0}}
    if owa_url_protocol is not None:
        private['OWA Url Protocol'] = {'type': owa_url_protocol[0], 'data': owa_url_protocol[1]}
    registry = {SETUP: setup}
    if parameters_private:
        registry[PARAMETERS_PRIVATE] = private
    return {
        'registry': registry,
        'files': {} if store is None else {install_path + '\\bin\\store.exe': {'version': store}},
        'services': {'MSExchangeIS': {'state': 'Running'}},
        'owa': {'ssl_required': ssl_required},
    }


def _access_denied_parameters_private() -> dict:
    spec = exchange55_server(owa_url_protocol=('REG_SZ', 'https:'))
    spec['deny_read'] = [PARAMETERS_PRIVATE]
    return spec


# The Setup-key shapes real servers show (docs/identification.md), each named after the server it describes,
# with the status Q294406 gives it (value absent, OWA SSL-only) and the item that decides the family.
IDENTIFICATION = {
    # Services + ServicePackBuild only (no NewestBuild): an SP4 server with a post-SP4 Store.exe.
    'sp4_services_and_service_pack_build_only': (
        exchange55_server(newest_build=None), 'needs_change', '5.5', 'Store.exe 5.5.2654.81'),
    # NewestBuild follows the service pack (Q158956 on 4.0): 2653 on SP4.
    'sp4_newest_build_2653': (
        exchange55_server(newest_build=2653, service_pack_build=None), 'needs_change', '5.5', 'Store.exe 5.5.2654.81'),
    # Services Version 55 and no NewestBuild (Nessus smb_hotfixes).
    'sp4_services_version_55': (
        exchange55_server(newest_build=None, services_version=55), 'needs_change', '5.5', 'Store.exe 5.5.2654.81'),
    # ServicePackNumber 4 and no build values at all.
    'sp4_service_pack_number_only': (
        exchange55_server(newest_build=None, service_pack_build=None, service_pack_number=4), 'needs_change', '5.5',
        'Store.exe 5.5.2654.81'),
    # An Alpha server whose Store.exe version prints as "5.05.x" (Q193485's spelling, Q266638: Alpha builds).
    'alpha_store_version_5_05': (
        exchange55_server(store='5.05.2654.89'), 'needs_change', '5.5', 'Store.exe 5.05.2654.89'),
    # Exchange 5.0 SP2: Services Version 50, NewestBuild 1460, Store.exe 5.0.1460.x (Q158530).
    'exchange_50_sp2': (
        exchange55_server(services_version=50, newest_build=1460, service_pack_build=None, store='5.0.1460.8'),
        'not_applicable', '5.0', 'Store.exe 5.0.1460.8'),
    # Exchange 2000 SP1: ServicePackBuild 4712 (Nessus owa-version), Store.exe 6.0.x, Services Version 60.
    'exchange_2000_sp1': (
        exchange55_server(services_version=60, newest_build=4417, service_pack_build=4712, store='6.0.4712.0',
                          install_path='C:\\Program Files\\Exchsrvr'), 'not_applicable', '2000', 'Store.exe 6.0.4712.0'),
    # Exchange 2000 with only ServicePackBuild and Store.exe (no Services Version, no NewestBuild).
    'exchange_2000_service_pack_build_and_store_only': (
        exchange55_server(newest_build=None, service_pack_build=4712, store='6.0.6249.0',
                          install_path='C:\\Program Files\\Exchsrvr'), 'not_applicable', '2000', 'Store.exe 6.0.6249.0'),
    # Exchange 2003: Services Version 65, Store.exe 6.5.x.
    'exchange_2003': (
        exchange55_server(services_version=65, newest_build=6944, service_pack_build=None, store='6.5.6944.0',
                          install_path='C:\\Program Files\\Exchsrvr'), 'not_applicable', '2003', 'Store.exe 6.5.6944.0'),
    # Exchange 4.0 SP2: NewestBuild 993 (Q158956), Store.exe 4.0.993.x.
    'exchange_40_sp2': (
        exchange55_server(newest_build=993, service_pack_build=None, store=None), 'not_applicable', '4.0', 'NewestBuild 993'),
    # Exchange was removed with Setup "Remove All": the Setup key stays (Q178975), the Information Store key is gone.
    'stale_setup_key_after_uninstall': (
        exchange55_server(store=None, parameters_private=False), 'not_applicable', '5.5', 'NewestBuild 1960'),
    # Services Version 55 but Store.exe 6.0.x: the evidence conflicts.
    'conflicting_services_version_55_store_6_0': (
        exchange55_server(services_version=55, newest_build=None, store='6.0.4417.0'), 'blocked', None, None),
    # NewestBuild 4417 (Exchange 2000) but Store.exe 5.5.x: the evidence conflicts.
    'conflicting_newest_build_4417_store_5_5': (
        exchange55_server(newest_build=4417), 'blocked', None, None),
}

# One entry per server the tests talk about, named after what makes it special.
SERVERS = {
    'compliant': exchange55_server(owa_url_protocol=('REG_SZ', 'https:')),
    'value_absent': exchange55_server(),
    'expand_sz_https': exchange55_server(owa_url_protocol=('REG_EXPAND_SZ', 'https:')),
    'http_value': exchange55_server(owa_url_protocol=('REG_SZ', 'http:')),
    'sp3': exchange55_server(service_pack_build=2650, store='5.5.2650.21'),
    'store_2654_80': exchange55_server(store='5.5.2654.80'),
    'store_2656_84': exchange55_server(store='5.5.2656.84'),
    'no_exchange': {'registry': {'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion': {
        'CurrentVersion': {'type': 'REG_SZ', 'data': '5.0'}}}, 'owa': {'ssl_required': None}},
    'exchange_2000': IDENTIFICATION['exchange_2000_sp1'][0],
    'owa_not_ssl_only': exchange55_server(ssl_required=False),
    'owa_unknown': exchange55_server(ssl_required=None),
    'build_as_reg_sz': exchange55_server(newest_build='1960', service_pack_build=' 2653'),
    'access_denied_parameters_private': _access_denied_parameters_private(),
    **{name: entry[0] for name, entry in IDENTIFICATION.items()},
}


def fake_server(name: str) -> FakeHost:
    """A fresh FakeHost for one of SERVERS (each call gets its own copy)."""
    return FakeHost.from_spec(copy.deepcopy(SERVERS[name]), name=name)
