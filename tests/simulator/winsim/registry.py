# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A Windows registry in memory: case-insensitive, case-preserving keys and values.

Written independently of the collection's plugin code on purpose: a simulator that shared
the client's code could hide the client's bugs.
"""

from __future__ import annotations

# Short hive names, the long names Windows also accepts, and StdRegProv's hDefKey numbers.
HIVE_ALIASES = {
    'HKCR': 'HKCR', 'HKEY_CLASSES_ROOT': 'HKCR',
    'HKCU': 'HKCU', 'HKEY_CURRENT_USER': 'HKCU',
    'HKLM': 'HKLM', 'HKEY_LOCAL_MACHINE': 'HKLM',
    'HKU': 'HKU', 'HKEY_USERS': 'HKU',
    'HKCC': 'HKCC', 'HKEY_CURRENT_CONFIG': 'HKCC',
}
HIVE_BY_HANDLE = {2147483648: 'HKCR', 2147483649: 'HKCU', 2147483650: 'HKLM', 2147483651: 'HKU', 2147483653: 'HKCC'}
TYPE_CODES = {'REG_SZ': 1, 'REG_EXPAND_SZ': 2, 'REG_BINARY': 3, 'REG_DWORD': 4, 'REG_MULTI_SZ': 7, 'REG_QWORD': 11}
_UINT_LIMITS = {'REG_DWORD': 2 ** 32 - 1, 'REG_QWORD': 2 ** 64 - 1}


def parse_key_path(path: object) -> tuple[str, tuple[str, ...]]:
    """Split 'HKLM\\SOFTWARE\\X' into ('HKLM', ('SOFTWARE', 'X')); ValueError with the reason if malformed."""
    if not isinstance(path, str) or not path.strip():
        raise ValueError('a registry key path must be a non-empty string such as HKLM\\SOFTWARE\\Microsoft')
    hive, _sep, rest = path.strip().partition('\\')
    short = HIVE_ALIASES.get(hive.upper())
    if short is None:
        raise ValueError(f'registry key {path!r} must start with a hive: {", ".join(sorted(set(HIVE_ALIASES.values())))}')
    parts = tuple(rest.split('\\')) if rest else ()
    if any(not part.strip() for part in parts):
        raise ValueError(f'registry key {path!r} has an empty component (a doubled or trailing backslash)')
    return short, parts


def split_subkey(subkey: str) -> tuple[str, ...]:
    """Split a StdRegProv sSubKeyName the way the registry API does; empty components are ignored."""
    return tuple(part for part in subkey.split('\\') if part)


def parse_value(reg_type: object, data: object) -> object:
    """Validate a value given as {type, data} in a fleet or state file and return its data in memory form.

    Memory forms: str (REG_SZ, REG_EXPAND_SZ), int (REG_DWORD, REG_QWORD), tuple of str (REG_MULTI_SZ),
    bytes (REG_BINARY, given as a hex string). Raises ValueError naming what is wrong.
    """
    if reg_type not in TYPE_CODES:
        raise ValueError(f'type must be one of {", ".join(TYPE_CODES)}, got {reg_type!r}')
    if reg_type in ('REG_SZ', 'REG_EXPAND_SZ'):
        if not isinstance(data, str):
            raise ValueError(f'{reg_type} data must be a string (quote it in YAML), got {type(data).__name__}')
        return data
    if reg_type in _UINT_LIMITS:
        limit = _UINT_LIMITS[reg_type]
        if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data <= limit:
            raise ValueError(f'{reg_type} data must be an integer from 0 to {limit}, got {data!r}')
        return data
    if reg_type == 'REG_MULTI_SZ':
        if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
            raise ValueError('REG_MULTI_SZ data must be a list of strings')
        return tuple(data)
    if not isinstance(data, str):
        raise ValueError('REG_BINARY data must be a hex string such as "01 ff 2a"')
    try:
        return bytes.fromhex(data.replace(':', ' '))
    except ValueError:
        raise ValueError(f'REG_BINARY data must be a hex string such as "01 ff 2a", got {data[:40]!r}') from None


def value_record(reg_type: str, data: object) -> dict:
    """Return the {type, data} record of a value, as fleet and state files write it."""
    if reg_type == 'REG_BINARY':
        return {'type': reg_type, 'data': data.hex()}
    if reg_type == 'REG_MULTI_SZ':
        return {'type': reg_type, 'data': list(data)}
    return {'type': reg_type, 'data': data}


class Key:
    """One registry key: subkeys and values, both looked up by lower-cased name, names kept as written."""

    __slots__ = ('name', 'subkeys', 'values')

    def __init__(self, name: str):
        self.name = name
        self.subkeys: dict[str, Key] = {}
        self.values: dict[str, tuple[str, str, object]] = {}   # lower name -> (name, type, data)

    def sorted_subkeys(self) -> list[Key]:
        """Subkeys in the order RegEnumKey gives them: case-insensitive alphabetical."""
        return [self.subkeys[low] for low in sorted(self.subkeys)]


class Registry:
    """All hives of one machine."""

    def __init__(self):
        self.hives = {short: Key(short) for short in HIVE_BY_HANDLE.values()}

    def open(self, hive: str, parts: tuple[str, ...]) -> Key | None:
        """Return the key, or None when it (or a parent) does not exist."""
        key = self.hives[hive]
        for part in parts:
            key = key.subkeys.get(part.lower())
            if key is None:
                return None
        return key

    def create(self, hive: str, parts: tuple[str, ...]) -> Key:
        """Return the key, creating it and any missing parents (RegCreateKeyEx semantics)."""
        key = self.hives[hive]
        for part in parts:
            child = key.subkeys.get(part.lower())
            if child is None:
                child = key.subkeys[part.lower()] = Key(part)
            key = child
        return key

    @classmethod
    def from_records(cls, records: dict) -> Registry:
        """Build a registry from {key path: {value name: {type, data}}}; ValueError names the bad entry."""
        registry = cls()
        for path, values in records.items():
            hive, parts = parse_key_path(path)
            key = registry.create(hive, parts)
            for name, record in (values or {}).items():
                if not isinstance(record, dict):
                    raise ValueError(f'value {name!r} of {path!r} must be a mapping {{type, data}}')
                data = parse_value(record.get('type'), record.get('data'))
                key.values[name.lower()] = (name, record['type'], data)
        return registry

    def to_records(self) -> dict:
        """Return {key path: {value name: {type, data}}} listing every key that has values or no subkeys.

        Keys come in registry order; parents that only hold subkeys are implied by their children,
        so from_records(to_records()) rebuilds the same tree.
        """
        records: dict = {}

        def walk(key: Key, path: str) -> None:
            if key.values or not key.subkeys:
                records[path] = {name: value_record(reg_type, data) for name, reg_type, data in key.values.values()}
            for child in key.sorted_subkeys():
                walk(child, f'{path}\\{child.name}')

        for hive, root in self.hives.items():
            for child in root.sorted_subkeys():
                walk(child, f'{hive}\\{child.name}')
        return records
