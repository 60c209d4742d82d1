# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""ansible.windows.win_regedit's and win_reg_stat's rules as pure functions.  No I/O.

What a task means is decided here, the way ansible.windows' ``win_regedit.ps1`` decides it
(read from ansible-collections/ansible.windows ``plugins/modules/win_regedit.ps1``):

* ``path`` in PSDrive form (``HKLM:\\...``), registry form (``HKLM\\...``) or with the long hive
  name; hives HKLM, HKU, HKCR, HKCC.  HKCU is refused: a remote session has no current user.
* ``name`` empty or omitted is the key's default value; ``(Default)`` is a real value of that name.
* ``data`` forms and their errors (``Convert-RegExportHexStringToByteArray``, the dword/qword
  range checks and messages).  Without ``name`` the type is string (win_regedit warns and converts).
* ``state: present`` creates a missing key (unless ``create_key: false``); with ``data`` it sets
  the value when its type or data differ (``data_type_changed`` / ``data_changed``, both false for
  a value that did not exist, as in win_regedit).  ``state: absent`` removes the value, or with
  ``delete_key`` and no ``name`` the key and all its subkeys.
"""

from __future__ import annotations

import dataclasses
import re

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, parse_key_path

# win_regedit's type names and the registry's own.
TYPE_ALIASES = {
    'none': 'REG_NONE', 'binary': 'REG_BINARY', 'dword': 'REG_DWORD', 'expandstring': 'REG_EXPAND_SZ',
    'multistring': 'REG_MULTI_SZ', 'string': 'REG_SZ', 'qword': 'REG_QWORD',
}
TYPE_CHOICES = sorted(TYPE_ALIASES) + ['REG_BINARY', 'REG_DWORD', 'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_NONE', 'REG_QWORD', 'REG_SZ']
WRITABLE_HIVES = ('HKLM', 'HKU', 'HKCR', 'HKCC')
CURRENT_VERSION_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'
_PATH = re.compile(r'^\s*(?P<hive>[A-Za-z_]+?)(?P<colon>:?)(?:\\(?P<rest>.*))?\s*$', re.DOTALL)
_HEX_CRUD = re.compile(r'[^a-f0-9\\,x\-:]')
_HEX_PAIR = re.compile(r'[0-9a-f]{2}')


class RegeditError(ValueError):
    """A task option that cannot be carried out; the message says what to do."""


def normalize_path(path, *, for_write: bool = False) -> str:
    """``HKLM:\\SOFTWARE\\X`` / ``HKLM\\SOFTWARE\\X`` / ``HKEY_LOCAL_MACHINE\\SOFTWARE\\X`` -> ``HKLM\\SOFTWARE\\X``."""
    if not isinstance(path, str) or not path.strip():
        raise RegeditError('path is required, e.g. HKLM:\\SOFTWARE\\MyCompany')
    text = path.strip().replace('/', '\\')
    match = _PATH.match(text)
    try:
        hive, subkey = parse_key_path(text.replace(':', '', 1) if match and match.group('colon') else text)
    except ValueError:
        raise RegeditError(f'path: {path} is not a valid registry path: start with HKLM, HKU, HKCR or HKCC '
                           '(e.g. HKLM:\\SOFTWARE\\MyCompany)') from None
    if hive == 'HKCU':
        raise RegeditError(f'path: {path} is in HKCU, the hive of the user who runs a process on the server; a remote '
                           'registry session has no current user. Use HKU\\<the user\'s SID>\\... instead')
    if for_write and not subkey:
        raise RegeditError(f'path: {path} is a hive root; name a key below it, e.g. {hive}:\\SOFTWARE\\MyCompany')
    return f'{hive}\\{subkey}' if subkey else hive


def normalize_type(type_) -> str:
    """win_regedit's type name (string, dword, ...) or a REG_* name -> the REG_* name."""
    text = str(type_ or 'string').strip()
    reg_type = TYPE_ALIASES.get(text.lower()) or (text.upper() if text.upper() in TYPE_ALIASES.values() else None)
    if reg_type is None:
        raise RegeditError(f'type must be one of {", ".join(TYPE_CHOICES)}, got {type_!r}')
    return reg_type


def value_name(name) -> str:
    """The value name to use: '' (the key's default value) for an omitted or empty name."""
    return '' if name is None else str(name)


def hex_to_bytes(text: str) -> bytes:
    """win_regedit's ``Convert-RegExportHexStringToByteArray``: ``hex:be,ef``, ``be,ef``, ``beef``, ``0xbe,0xef``."""
    cleaned = _HEX_CRUD.sub('', re.sub(r'^hex:', '', text.lower())).replace(',', ':')
    cleaned = cleaned.replace('\\', '')
    if not cleaned.strip(':'):
        if re.sub(r'^hex:', '', text.lower()).strip(' ,'):     # win_regedit would quietly write nothing: say so instead
            raise RegeditError(f'binary data {text!r} is not hex: write it as hex:be,ef,01 (what regedit exports), as be,ef,01, '
                               'as beef01 or as a YAML list of numbers')
        return b''
    try:
        if ':' in cleaned:
            return bytes(_byte(item) for item in re.split(r':+', cleaned.strip(':')))
        if len(cleaned) == 1:
            return bytes([int(cleaned, 16)])
        if cleaned.startswith('0x') and len(cleaned) <= 4:
            return bytes([int(cleaned, 16)])
        if len(cleaned) % 2 == 0 and _HEX_PAIR.fullmatch(cleaned[:2]):
            return bytes(int(cleaned[index:index + 2], 16) for index in range(0, len(cleaned), 2))
    except ValueError:
        pass
    raise RegeditError(f'binary data {text!r} is not hex: write it as hex:be,ef,01 (what regedit exports), as be,ef,01, '
                       'as beef01 or as a YAML list of numbers')


def _byte(item: str) -> int:
    value = int(item, 16)
    if not 0 <= value <= 255:
        raise ValueError(item)
    return value


def to_value(data, reg_type: str, name: str) -> RegValue | None:
    """Turn ``data`` into a RegValue of ``reg_type`` as win_regedit does; None means "no data: only ensure the key"."""
    if reg_type in ('REG_BINARY', 'REG_NONE'):
        if data is None:
            return RegValue(reg_type, b'')
        if isinstance(data, str):
            data = hex_to_bytes(data)
        elif isinstance(data, bool):
            raise RegeditError(f'binary data cannot be {data!r}: give hex:be,ef or a list of numbers')
        elif isinstance(data, int):
            if not 0 <= data <= 255:
                raise RegeditError(f"cannot convert binary data '{data}' to byte array, please specify this value as a yaml "
                                   'byte array or a comma separated hex value string')
            data = bytes([data])
        elif isinstance(data, (list, tuple)):
            if not all(isinstance(item, int) and not isinstance(item, bool) and 0 <= item <= 255 for item in data):
                raise RegeditError('binary data given as a list must hold numbers from 0 to 255 (0x00 to 0xff)')
            data = bytes(data)
        else:
            raise RegeditError(f'binary data must be hex text or a list of numbers, got {type(data).__name__}')
        return RegValue(reg_type, data)
    if reg_type in ('REG_DWORD', 'REG_QWORD'):
        return RegValue(reg_type, _number(data, reg_type))
    if reg_type in ('REG_SZ', 'REG_EXPAND_SZ'):
        if data is None:
            return None if name == '' else RegValue(reg_type, '')
        if isinstance(data, (list, tuple, dict)):
            raise RegeditError(f'{reg_type} data must be one string; use type multistring for a list')
        return RegValue(reg_type, _text(data))
    # REG_MULTI_SZ
    if data is None:
        items = []
    elif isinstance(data, (list, tuple)):
        items = [_text(item) for item in data]
    else:
        items = [_text(data)]
    if '' in items:
        raise RegeditError('multistring entries cannot be empty: an empty string ends a REG_MULTI_SZ list, so the entries '
                           'after it would be lost')
    return RegValue(reg_type, items)


def _text(data) -> str:
    if isinstance(data, bool):
        return 'True' if data else 'False'     # what .NET's ToString() gives win_regedit
    return str(data)


def _number(data, reg_type: str) -> int:
    """dword / qword data: int, decimal or 0x string; None is 0; negatives are two's complement (as .NET stores them)."""
    bits, word = (32, 'dword') if reg_type == 'REG_DWORD' else (64, 'qword')
    if data is None:
        return 0
    if isinstance(data, bool) or not isinstance(data, (int, str)):
        raise RegeditError(f'{word} data must be a number (decimal or 0x hex), got {data!r}')
    if isinstance(data, str):
        text = data.strip()
        try:
            value = int(text, 16) if text.lower().startswith(('0x', '-0x')) else int(text, 10)
        except ValueError:
            raise RegeditError(f'{word} data must be a number (decimal or 0x hex), got {data!r}') from None
    else:
        value = data
    if value >= 2 ** bits:
        raise RegeditError(f'data cannot be larger than 0x{"f" * (bits // 4)} when type is {word}')
    if value < -2 ** (bits - 1):
        raise RegeditError(f'data cannot be smaller than -0x{2 ** (bits - 1):x} when type is {word}')
    return value % 2 ** bits


def qword_refusal(reg_type: str, current_version: str | None) -> str | None:
    """The one-line refusal of a REG_QWORD write on Windows NT 4.0 (CurrentVersion 4.0), else None.

    NT 4.0's registry has no REG_QWORD: its value-type list ends at REG_RESOURCE_REQUIREMENTS_LIST (10);
    REG_QWORD (11) came with Windows 2000 (docs/registry.md lists the sources).
    """
    if reg_type != 'REG_QWORD' or current_version is None:
        return None
    if str(current_version).strip().split('.', maxsplit=1)[0] in ('3', '4'):
        return (f'refusing to write a REG_QWORD: the server runs Windows NT {str(current_version).strip()} '
                f'({CURRENT_VERSION_KEY}\\CurrentVersion), which has no REG_QWORD type (it came with Windows 2000); '
                'use type dword or binary')
    return None


@dataclasses.dataclass(frozen=True)
class KeyState:
    """A key as read: ``values`` {name: RegValue} and ``subkeys`` {name: KeyState}; None for a key that is absent."""

    values: dict
    subkeys: dict = dataclasses.field(default_factory=dict)

    def to_record(self) -> dict:
        return {'values': {name: value.to_record() for name, value in self.values.items()},
                'subkeys': {name: sub.to_record() for name, sub in self.subkeys.items()}}

    @classmethod
    def from_record(cls, record) -> KeyState:
        if not isinstance(record, dict) or not isinstance(record.get('values', {}), dict) or not isinstance(record.get('subkeys', {}), dict):
            raise ValueError('a key record needs "values" and "subkeys" mappings')
        return cls({str(name): RegValue.from_record(value) for name, value in record.get('values', {}).items()},
                   {str(name): cls.from_record(sub) for name, sub in record.get('subkeys', {}).items()})

    def sections(self, path: str) -> list[tuple[str, dict]]:
        """(key path, values) for this key and every subkey, parents first: what a .reg export lists."""
        found = [(path, self.values)]
        for name in sorted(self.subkeys, key=str.lower):
            found += self.subkeys[name].sections(f'{path}\\{name}')
        return found


def find(mapping: dict, name: str):
    """The entry whose name equals ``name`` ignoring case (registry names are case-insensitive), as (name, item)."""
    folded = name.lower()
    return next(((stored, item) for stored, item in mapping.items() if stored.lower() == folded), (None, None))


@dataclasses.dataclass(frozen=True)
class Plan:
    """What the task does: ``action`` is none, create_key, set, delete_value or delete_key."""

    action: str
    key: str
    name: str | None
    before: RegValue | KeyState | None
    after: RegValue | KeyState | None
    key_exists: bool
    data_changed: bool = False
    data_type_changed: bool = False

    @property
    def changes(self) -> bool:
        return self.action != 'none'

    def diff(self) -> dict:
        """A text diff in .reg style: the key line, then ``"name"=type data`` lines."""
        def lines(state, exists):
            if not exists:
                return ''
            out = f'[{self.key}]\n'
            if isinstance(state, RegValue):
                out += f'{_label(self.name)} = {state.to_text()}\n'
            elif isinstance(state, KeyState):
                out = describe(self.key, state)
            return out
        before_exists = self.key_exists
        after_exists = self.action != 'delete_key' and (self.key_exists or self.action in ('create_key', 'set'))
        return {'before': lines(self.before, before_exists), 'after': lines(self.after, after_exists),
                'before_header': self.key, 'after_header': self.key}


def describe(key: str, state: KeyState | None) -> str:
    """A key (and its subkeys) as diff text: ``[key]`` lines, each followed by ``"name" = TYPE data`` lines."""
    if state is None:
        return ''
    return ''.join(f'[{path}]\n' + ''.join(f'{_label(name)} = {value.to_text()}\n' for name, value in values.items())
                   for path, values in state.sections(key))


def _label(name: str | None) -> str:
    return '(default)' if not name else f'"{name}"'


def plan_present(key: str, key_exists: bool, name: str, current: RegValue | None, wanted: RegValue | None,
                 same=None) -> Plan:
    """state=present: create the key if missing; set the value when there is data and it differs.

    ``same(wanted, current)`` says whether the value read already holds what is wanted (default: equality); a
    RemoteHost's ``same_as_written`` allows for a REG_EXPAND_SZ that WinRM returns expanded, so a second run over
    WinRM of ``%SystemRoot%\\x`` changes nothing."""
    if wanted is None:
        return Plan('none' if key_exists else 'create_key', key, None, None, None, key_exists)
    if current is None:
        return Plan('set', key, name, None, wanted, key_exists)
    if current == wanted or (same is not None and same(wanted, current)):
        return Plan('none', key, name, current, current, key_exists)
    # win_regedit compares type and data separately; data case-sensitively, lists element by element.
    return Plan('set', key, name, current, wanted, key_exists, data_changed=current.data != wanted.data,
                data_type_changed=current.type != wanted.type)


def plan_absent(key: str, key_exists: bool, name: str | None, current, delete_key: bool) -> Plan:
    """state=absent: delete the key tree (delete_key and no name), else the value (the default value when no name)."""
    if not key_exists:
        return Plan('none', key, name, None, None, False)
    if delete_key and not name:
        return Plan('delete_key', key, None, current, None, True)
    if current is None:
        return Plan('none', key, name or '', None, None, True)
    return Plan('delete_value', key, name or '', current, None, True)


def stat_value(value: RegValue, expanded: str | None = None) -> dict:
    """win_reg_stat's fields of one value: type, value (REG_EXPAND_SZ expanded when known) and raw_value."""
    if value.type in ('REG_BINARY', 'REG_NONE'):
        return {'type': value.type, 'value': list(value.data), 'raw_value': [f'0x{byte:02x}' for byte in value.data]}
    if value.type == 'REG_MULTI_SZ':
        return {'type': value.type, 'value': list(value.data), 'raw_value': list(value.data)}
    if value.type == 'REG_EXPAND_SZ':
        return {'type': value.type, 'value': value.data if expanded is None else expanded, 'raw_value': value.data}
    return {'type': value.type, 'value': value.data, 'raw_value': value.data}


def restore_ops(key: str, current: KeyState | None, prior: KeyState | None, scope: str) -> list[tuple]:
    """The writes that turn ``current`` into ``prior`` (None: absent), parents before children, deletes of extra
    subkeys last: ('create_key', path), ('set', path, name, value), ('delete_value', path, name), ('delete_key', path).
    With ``scope`` 'key' only the key's own values are put back; its subkeys are left alone."""
    if prior is None:
        return [] if current is None else [('delete_key', key)]
    ops = [] if current is not None else [('create_key', key)]
    now = current.values if current is not None else {}
    for name, value in prior.values.items():
        stored, found = find(now, name)
        if found is not None and stored != name:
            # Only the spelling differs (or more): Windows keeps a value's stored spelling when it is written under
            # another case, so the recorded spelling comes back only by deleting and writing it again
            # (docs/windows-semantics.md, "Value names").
            ops += [('delete_value', key, stored), ('set', key, name, value)]
        elif found != value:
            ops.append(('set', key, name, value))
    ops += [('delete_value', key, name) for name in now if find(prior.values, name)[1] is None]
    if scope == 'tree':
        subkeys = current.subkeys if current is not None else {}
        for name, sub in prior.subkeys.items():
            ops += restore_ops(f'{key}\\{name}', find(subkeys, name)[1], sub, 'tree')
        ops += [('delete_key', f'{key}\\{name}') for name in subkeys if find(prior.subkeys, name)[1] is None]
    return ops


def same_state(stored: KeyState | None, wanted: KeyState | None, scope: str, same=None, spelling: bool = False) -> bool:
    """Equal keys: the same values (names ignoring case) and, with ``scope`` 'tree', the same subkeys, recursively.

    ``same(wanted_value, stored_value)`` compares two values (default: equality); a RemoteHost's ``same_as_written``
    allows for what its transport cannot read back exactly.  With ``spelling`` the values' names must also be spelled
    alike (a restore puts the recorded spelling back)."""
    if stored is None or wanted is None:
        return stored is wanted
    same = same or _equal
    if len(stored.values) != len(wanted.values) or any(not same(find(wanted.values, name)[1], value)
                                                       for name, value in stored.values.items()):
        return False
    if spelling and sorted(stored.values) != sorted(wanted.values):
        return False
    if scope != 'tree':
        return True
    if len(stored.subkeys) != len(wanted.subkeys):
        return False
    return all(same_state(sub, find(wanted.subkeys, name)[1], 'tree', same, spelling) for name, sub in stored.subkeys.items())


def _equal(wanted, stored) -> bool:
    return wanted == stored


def _tree_values(key: str, state: KeyState | None) -> list[tuple[str, RegValue]]:
    """Every value of a key and its subkeys as (``key\\name``, value)."""
    if state is None:
        return []
    return [(f'{path}\\{name or "(default)"}', value) for path, values in state.sections(key) for name, value in values.items()]


def overwritten(key: str, change: Plan) -> list[tuple[str, RegValue]]:
    """The values ``change`` replaces or deletes, as (``key\\name``, value): what a rollback would have to write back."""
    if change.action in ('set', 'delete_value') and isinstance(change.before, RegValue):
        return [(f'{key}\\{change.name or "(default)"}', change.before)]
    if change.action == 'delete_key' and isinstance(change.before, KeyState):
        return _tree_values(key, change.before)
    return []


def ops_overwrite(current: KeyState | None, key: str, ops: list[tuple]) -> list[tuple[str, RegValue]]:
    """The values of ``current`` (the state of ``key`` now) that the writes ``ops`` (of :func:`restore_ops`) replace or
    delete, as (``path\\name``, value)."""
    def state_at(path: str):
        if current is None or path.lower() != key.lower() and not path.lower().startswith(key.lower() + '\\'):
            return None
        state = current
        for part in [part for part in path[len(key):].split('\\') if part]:
            state = find(state.subkeys, part)[1]
            if state is None:
                return None
        return state

    found = []
    for op in ops:
        if op[0] in ('set', 'delete_value'):
            state = state_at(op[1])
            value = find(state.values, op[2])[1] if state is not None else None
            if value is not None:
                found.append((f'{op[1]}\\{op[2] or "(default)"}', value))
        elif op[0] == 'delete_key':
            found += _tree_values(op[1], state_at(op[1]))
    return found


# ------------------------------------------------------------------ REG_EXPAND_SZ as win_reg_stat shows it
SESSION_ENVIRONMENT_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Control\\Session Manager\\Environment'
_REFERENCE = re.compile(r'%([^%]+)%')


def expand(text: str, environment: dict) -> str:
    """``%NAME%`` replaced as ExpandEnvironmentStrings does: names ignoring case; an unknown name stays as written.
    ``environment`` maps lower-case names to their text."""
    return _REFERENCE.sub(lambda match: environment.get(match.group(1).lower(), match.group(0)), text)


def system_environment(system_root: str | None, session_values: dict) -> dict:
    """The server's system environment as far as its registry says (lower-case name -> text): ``SystemRoot`` from
    ``HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\SystemRoot`` and ``SystemDrive`` (its drive), then every
    string value of ``Session Manager\\Environment`` (the system variables: Microsoft, Win32_Environment class), REG_SZ
    ones first, then REG_EXPAND_SZ ones expanded with what is known so far.  A process's own variables (the user's
    profile, TEMP of a user) are not in the registry, so they stay unexpanded."""
    environment = {}
    if isinstance(system_root, str) and system_root:
        environment['systemroot'] = system_root
        if re.match(r'^[A-Za-z]:', system_root):
            environment['systemdrive'] = system_root[:2]
    for wanted_type in ('REG_SZ', 'REG_EXPAND_SZ'):
        for name, value in session_values.items():
            if value.type == wanted_type and isinstance(value.data, str) and name:
                environment[name.lower()] = value.data if wanted_type == 'REG_SZ' else expand(value.data, environment)
    return environment
