# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Load and validate a fleet file (the format is described in tests/simulator/README.md)."""

from __future__ import annotations

import dataclasses
import re
import typing as t

import yaml

from winsim.registry import parse_key_path, parse_value

SERVICE_STATES = {s.lower(): s for s in ('Running', 'Stopped', 'Paused', 'Start Pending', 'Stop Pending')}
START_MODES = {s.lower(): s for s in ('Auto', 'Manual', 'Disabled')}
HOST_FIELDS = ('username', 'password', 'auth', 'scheme', 'registry', 'files', 'services', 'owa', 'deny_write', 'faults',
               'environment')
# owa.page: what IIS answers a plain-http GET of /exchange/ with when ssl_required is true (docs/owa-probe.md).
OWA_PAGES = ('default', 'meta_refresh', 'redirect_https', 'forbidden_other')
# The environment REG_EXPAND_SZ data is expanded with (StdRegProv expands in the WMI service's environment,
# REG.CPP Registry::GetStr -> ExpandEnvironmentStrings): an NT-era install in C:\WINNT.
DEFAULT_ENVIRONMENT = {'systemroot': ('SystemRoot', 'C:\\WINNT'), 'windir': ('windir', 'C:\\WINNT'),
                       'systemdrive': ('SystemDrive', 'C:'), 'programfiles': ('ProgramFiles', 'C:\\Program Files')}
_HOST_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$')
_VERSION = re.compile(r'^\d+(\.\d+){0,3}$')
_FILE_PATH = re.compile(r'^[A-Za-z]:\\')


class FleetError(Exception):
    """A fleet file problem; str() is one line naming the file, the host and the field."""


@dataclasses.dataclass(frozen=True)
class Faults:
    """Misbehaviour injected into one host (all off by default)."""

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    http_500_rate: float = 0.0
    internal_error_rate: float = 0.0
    reset_rate: float = 0.0
    hang: bool = False
    lost_write: bool = False
    access_denied: bool = False
    fail_after_write: bool = False
    seed: int | None = None


@dataclasses.dataclass(frozen=True)
class FileSpec:
    path: str
    version: str | None
    size: int


@dataclasses.dataclass(frozen=True)
class ServiceSpec:
    name: str
    state: str
    start_mode: str
    display_name: str | None
    accept_stop: bool


@dataclasses.dataclass(frozen=True)
class HostSpec:
    """One host of the fleet, with the defaults merged in and every field validated."""

    name: str
    username: str
    password: str = dataclasses.field(repr=False)
    auth: str = 'ntlm'
    scheme: str = 'http'
    registry: dict = dataclasses.field(default_factory=dict)      # {key path: {value name: {type, data}}}
    files: dict = dataclasses.field(default_factory=dict)         # lower path -> FileSpec
    services: dict = dataclasses.field(default_factory=dict)      # lower name -> ServiceSpec
    owa_ssl_required: bool | None = None                          # None: the host has no OWA page
    owa_page: str = 'default'                                     # one of OWA_PAGES
    environment: dict = dataclasses.field(default_factory=lambda: dict(DEFAULT_ENVIRONMENT))  # lower name -> (name, value)
    deny_write: tuple = ()                                        # lower-cased 'HKLM\\...' key paths
    faults: Faults = Faults()


def canonical_key(path: object) -> str:
    """Return 'HKLM\\Part\\Part' for any accepted spelling of a key path (ValueError if malformed)."""
    hive, parts = parse_key_path(path)
    return '\\'.join((hive,) + parts)


class _Where:
    """Names the place being validated so that every error is one line saying file, host and field."""

    def __init__(self, source: str, label: str):
        self.source = source
        self.label = label

    def fail(self, field: str, problem: str) -> t.NoReturn:
        raise FleetError(f'{self.source}: {self.label}: {field}: {problem}')

    def mapping(self, field: str, value: object) -> dict:
        if not isinstance(value, dict):
            self.fail(field, f'must be a mapping, got {type(value).__name__}')
        return value

    def number(self, field: str, value: object, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            self.fail(field, f'must be a number from {low:g} to {high:g}, got {value!r}')
        return float(value)

    def boolean(self, field: str, value: object) -> bool:
        if not isinstance(value, bool):
            self.fail(field, f'must be true or false, got {value!r}')
        return value

    def string(self, field: str, value: object) -> str:
        if not isinstance(value, str) or not value:
            self.fail(field, 'must be a non-empty string')
        return value

    def choice(self, field: str, value: object, choices: dict) -> str:
        if not isinstance(value, str) or value.lower() not in choices:
            self.fail(field, f'must be one of {", ".join(choices.values())}, got {value!r}')
        return choices[value.lower()]

    def unknown(self, field: str, given: dict, allowed: t.Iterable[str]) -> None:
        extra = sorted(set(given) - set(allowed), key=str)
        if extra:
            self.fail(field, f'unknown field {extra[0]!r} (expected one of {", ".join(allowed)})')


def _registry(where: _Where, raw: object) -> dict:
    """{lower key: (key, {lower name: (name, record) or None}) or None}; None entries delete defaults."""
    out: dict = {}
    for path, values in where.mapping('registry', raw).items():
        try:
            key = canonical_key(path)
        except ValueError as exc:
            where.fail(f'registry[{path!r}]', str(exc))
        if key.lower() in out:
            where.fail(f'registry[{path!r}]', 'the key is listed twice (key names are case-insensitive)')
        if values is None:
            out[key.lower()] = None
            continue
        entries: dict = {}
        for name, record in where.mapping(f'registry[{path!r}]', values).items():
            field = f'registry[{path!r}][{name!r}]'
            if not isinstance(name, str):
                where.fail(field, 'value names must be strings')
            if name.lower() in entries:
                where.fail(field, 'the value is listed twice (value names are case-insensitive)')
            if record is not None:
                where.unknown(field, where.mapping(field, record), ('type', 'data'))
                try:
                    parse_value(record.get('type'), record.get('data'))
                except ValueError as exc:
                    where.fail(field, str(exc))
                record = {'type': record['type'], 'data': record['data']}
            entries[name.lower()] = None if record is None else (name, record)
        out[key.lower()] = (key, entries)
    return out


def _files(where: _Where, raw: object) -> dict:
    out: dict = {}
    for path, spec in where.mapping('files', raw).items():
        field = f'files[{path!r}]'
        if not isinstance(path, str) or not _FILE_PATH.match(path):
            where.fail(field, 'a file path must be absolute with a drive letter, such as C:\\exchsrvr\\bin\\store.exe')
        if spec is None:
            out[path.lower()] = None
            continue
        where.unknown(field, where.mapping(field, spec), ('version', 'size'))
        version = spec.get('version')
        if version is not None and (not isinstance(version, str) or not _VERSION.match(version)):
            where.fail(f'{field}.version', f'must be a quoted dotted version such as "5.5.2654.81" or null, got {version!r}')
        size = spec.get('size', 1024 * 1024)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            where.fail(f'{field}.size', f'must be a non-negative integer, got {size!r}')
        out[path.lower()] = FileSpec(path, version, size)
    return out


def _services(where: _Where, raw: object) -> dict:
    out: dict = {}
    for name, spec in where.mapping('services', raw).items():
        field = f'services[{name!r}]'
        if not isinstance(name, str) or not name or '\\' in name or '/' in name:
            where.fail(field, 'a service name must be a non-empty string without slashes')
        if spec is None:
            out[name.lower()] = None
            continue
        where.unknown(field, where.mapping(field, spec), ('state', 'start_mode', 'display_name', 'accept_stop'))
        display = spec.get('display_name')
        if display is not None:
            where.string(f'{field}.display_name', display)
        out[name.lower()] = ServiceSpec(
            name=name,
            state=where.choice(f'{field}.state', spec.get('state', 'Running'), SERVICE_STATES),
            start_mode=where.choice(f'{field}.start_mode', spec.get('start_mode', 'Auto'), START_MODES),
            display_name=display,
            accept_stop=where.boolean(f'{field}.accept_stop', spec.get('accept_stop', True)),
        )
    return out


def _faults(where: _Where, raw: object) -> dict:
    given = where.mapping('faults', raw)
    allowed = [f.name for f in dataclasses.fields(Faults)]
    where.unknown('faults', given, allowed)
    out: dict = {}
    for name, value in given.items():
        field = f'faults.{name}'
        if name in ('latency_ms', 'jitter_ms'):
            out[name] = where.number(field, value, 0, 600000)
        elif name.endswith('_rate'):
            out[name] = where.number(field, value, 0, 1)
        elif name == 'seed':
            if isinstance(value, bool) or not isinstance(value, int):
                where.fail(field, f'must be an integer, got {value!r}')
            out[name] = value
        else:
            out[name] = where.boolean(field, value)
    return out


def _section(where: _Where, raw: object) -> dict:
    """Validate one host's (or the defaults') own fields; None values are kept to mean 'remove the default'."""
    section = where.mapping('host', raw if raw is not None else {})
    where.unknown('host', section, HOST_FIELDS)
    out: dict = {}
    for field, value in section.items():
        if value is None:
            out[field] = None
        elif field in ('username', 'password'):
            if not isinstance(value, str) or not value:
                where.fail(field, 'must be a non-empty string')   # never echo a password
            out[field] = value
        elif field == 'auth':
            out[field] = where.choice(field, value, {'ntlm': 'ntlm', 'basic': 'basic'})
        elif field == 'scheme':
            out[field] = where.choice(field, value, {'http': 'http', 'https': 'https'})
        elif field == 'registry':
            out[field] = _registry(where, value)
        elif field == 'files':
            out[field] = _files(where, value)
        elif field == 'services':
            out[field] = _services(where, value)
        elif field == 'faults':
            out[field] = _faults(where, value)
        elif field == 'owa':
            owa = where.mapping('owa', value)
            where.unknown('owa', owa, ('ssl_required', 'page'))
            if 'ssl_required' not in owa:
                where.fail('owa', 'needs ssl_required: true or false (leave owa out for a host without an OWA page)')
            page = where.choice('owa.page', owa.get('page', 'default'), {page: page for page in OWA_PAGES})
            out[field] = (where.boolean('owa.ssl_required', owa['ssl_required']), page)
        elif field == 'environment':
            given = where.mapping('environment', value)
            env = {}
            for name, text in given.items():
                if not isinstance(name, str) or not name or '%' in name or '=' in name:
                    where.fail('environment', f'variable names must be non-empty strings without % or =, got {name!r}')
                if text is not None and not isinstance(text, str):
                    where.fail(f'environment.{name}', 'must be a string (quote it in YAML) or null to remove it')
                env[name.lower()] = None if text is None else (name, text)
            out[field] = env
        elif field == 'deny_write':
            if not isinstance(value, list):
                where.fail(field, 'must be a list of registry key paths')
            try:
                out[field] = tuple(canonical_key(path).lower() for path in value)
            except ValueError as exc:
                where.fail(field, str(exc))
    return out


def _merge_entries(base: dict, override: dict) -> dict:
    merged = dict(base)
    for low, entry in override.items():
        if entry is None:
            merged.pop(low, None)
        else:
            merged[low] = entry
    return merged


def _merge(defaults: dict, host: dict) -> dict:
    """Merge a host's fields over the defaults: maps merge entry by entry, a null removes, scalars replace."""
    merged = {k: v for k, v in defaults.items() if v is not None}
    for field, value in host.items():
        if value is None:
            merged.pop(field, None)
        elif field == 'registry':
            base = {low: entry for low, entry in merged.get('registry', {}).items() if entry is not None}
            for low, entry in value.items():
                if entry is None:
                    base.pop(low, None)
                    continue
                old = base.get(low)
                values = _merge_entries(old[1] if old else {}, entry[1])
                base[low] = (old[0] if old else entry[0], values)   # an existing key keeps its spelling
            merged['registry'] = base
        elif field in ('files', 'services', 'faults'):
            merged[field] = _merge_entries(merged.get(field, {}), value)
        elif field == 'environment':        # nulls are kept: they remove a built-in default in _host()
            merged[field] = {**merged.get(field, {}), **value}
        else:
            merged[field] = value
    return merged


def _host(where: _Where, name: str, fields: dict) -> HostSpec:
    for required in ('username', 'password'):
        if required not in fields:
            where.fail(required, 'is required (set it on the host or under defaults)')
    auth, scheme = fields.get('auth', 'ntlm'), fields.get('scheme', 'http')
    if auth == 'basic' and scheme != 'https':
        where.fail('auth', 'basic needs scheme: https (WinRM refuses Basic over plain http)')
    registry = {}
    for entry in fields.get('registry', {}).values():
        if entry is not None:
            key, values = entry
            registry[key] = {v[0]: v[1] for v in values.values() if v is not None}
    return HostSpec(
        name=name,
        username=fields['username'],
        password=fields['password'],
        auth=auth,
        scheme=scheme,
        registry=registry,
        files={low: spec for low, spec in fields.get('files', {}).items() if spec is not None},
        services={low: spec for low, spec in fields.get('services', {}).items() if spec is not None},
        owa_ssl_required=fields['owa'][0] if fields.get('owa') else None,
        owa_page=fields['owa'][1] if fields.get('owa') else 'default',
        environment=_merge_entries(DEFAULT_ENVIRONMENT, fields.get('environment', {})),
        deny_write=fields.get('deny_write', ()),
        faults=Faults(**fields.get('faults', {})),
    )


def parse_fleet(document: object, source: str) -> list[HostSpec]:
    """Validate a loaded fleet document and return its hosts in file order; FleetError (one line) if invalid."""
    top = _Where(source, 'fleet')
    if not isinstance(document, dict):
        top.fail('top level', 'must be a mapping with "hosts" (and optionally "defaults")')
    extra = [k for k in document if k not in ('defaults', 'hosts') and not str(k).startswith('x-')]
    if extra:
        top.fail('top level', f'unknown field {extra[0]!r} (expected defaults, hosts, or x-* for YAML anchors)')
    hosts = document.get('hosts')
    if not isinstance(hosts, dict) or not hosts:
        top.fail('hosts', 'must be a non-empty mapping of host name to host settings')
    defaults = _section(_Where(source, 'defaults'), document.get('defaults'))
    seen: dict[str, str] = {}
    specs = []
    for name, raw in hosts.items():
        if not isinstance(name, str) or not _HOST_NAME.match(name):
            top.fail(f'hosts[{name!r}]', 'a host name must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit')
        if name.lower() in seen:
            top.fail(f'hosts[{name!r}]', f'duplicates host {seen[name.lower()]!r} (host names are case-insensitive)')
        seen[name.lower()] = name
        where = _Where(source, f'host {name!r}')
        specs.append(_host(where, name, _merge(defaults, _section(where, raw))))
    return specs


def load_fleet(path: str) -> list[HostSpec]:
    """Read and validate a fleet file; FleetError (one line) if it cannot be read or is invalid."""
    try:
        with open(path, encoding='utf-8') as handle:
            document = yaml.safe_load(handle)
    except OSError as exc:
        raise FleetError(f'{path}: cannot read the fleet file: {exc.strerror}') from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, 'problem_mark', None)
        where = f' at line {mark.line + 1}, column {mark.column + 1}' if mark else ''
        problem = getattr(exc, 'problem', None) or 'invalid YAML'
        raise FleetError(f'{path}: not valid YAML{where}: {problem}') from None
    return parse_fleet(document, path)
