# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One model of a Windows registry value, shared by both transports, comparison, diff and export."""

from __future__ import annotations

import codecs

import dataclasses
import re
import typing
from collections.abc import Mapping

# Type names and the numbers Windows (and StdRegProv's EnumValues) use for them.
TYPE_CODES = {
    'REG_SZ': 1,
    'REG_EXPAND_SZ': 2,
    'REG_BINARY': 3,
    'REG_DWORD': 4,
    'REG_MULTI_SZ': 7,
    'REG_QWORD': 11,
}
TYPE_NAMES = {code: name for name, code in TYPE_CODES.items()}
# Types this collection keeps as their bytes only (data is bytes, as for REG_BINARY).  A key may hold
# any of them, and any other number too (the type is a DWORD the API does not check): such a value
# is named REG_TYPE_<number>.  Names and numbers: winnt.h, MS-RRP 2.2.5 (REG_NONE ... REG_QWORD).
BYTES_TYPE_CODES = {
    'REG_NONE': 0,
    'REG_DWORD_BIG_ENDIAN': 5,
    'REG_LINK': 6,
    'REG_RESOURCE_LIST': 8,
    'REG_FULL_RESOURCE_DESCRIPTOR': 9,
    'REG_RESOURCE_REQUIREMENTS_LIST': 10,
}
_BYTES_TYPE_NAMES = {code: name for name, code in BYTES_TYPE_CODES.items()}
_OTHER_TYPE = re.compile(r'REG_TYPE_([0-9]{1,10})', re.ASCII)
_STRING_TYPES = ('REG_SZ', 'REG_EXPAND_SZ', 'REG_MULTI_SZ')

# Hive names, their short forms and the hDefKey numbers StdRegProv takes.
HIVES = {
    'HKCR': ('HKEY_CLASSES_ROOT', 2147483648),
    'HKCU': ('HKEY_CURRENT_USER', 2147483649),
    'HKLM': ('HKEY_LOCAL_MACHINE', 2147483650),
    'HKU': ('HKEY_USERS', 2147483651),
    'HKCC': ('HKEY_CURRENT_CONFIG', 2147483653),
}
_HIVE_BY_NAME = {}
for _short, (_long, _handle) in HIVES.items():
    _HIVE_BY_NAME[_short] = _short
    _HIVE_BY_NAME[_long] = _short


def type_name(code: int) -> str:
    """Return the type name for a numeric registry type: 1 -> 'REG_SZ', 0 -> 'REG_NONE', 4242 -> 'REG_TYPE_4242'."""
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code < 2 ** 32:
        raise ValueError(f'unsupported registry value type {code!r}: a type is a number from 0 to {2 ** 32 - 1}')
    return TYPE_NAMES.get(code) or _BYTES_TYPE_NAMES.get(code) or f'REG_TYPE_{code}'


def type_code(name: str) -> int:
    """The number of a type name (the inverse of :func:`type_name`); ValueError for a name that is none of them."""
    if name in TYPE_CODES:
        return TYPE_CODES[name]
    if name in BYTES_TYPE_CODES:
        return BYTES_TYPE_CODES[name]
    match = _OTHER_TYPE.fullmatch(name) if isinstance(name, str) else None
    if match and int(match.group(1)) < 2 ** 32 and type_name(int(match.group(1))) == name:
        return int(match.group(1))
    raise ValueError(f'unsupported registry value type {name!r}: expected one of {", ".join([*TYPE_CODES, *BYTES_TYPE_CODES])} '
                     f'or REG_TYPE_<number>')


def stored_name(names, wanted: str) -> str | None:
    """The spelling under which ``names`` holds the value name ``wanted``, or None: Windows compares value names
    case-insensitively and keeps the spelling a value was created with (docs/windows-semantics.md)."""
    return next((name for name in names if name.lower() == wanted.lower()), None)


def parse_key_path(key: str) -> tuple[str, str]:
    """Split ``HKLM\\SOFTWARE\\...`` (or ``HKEY_LOCAL_MACHINE\\...``) into ('HKLM', 'SOFTWARE\\...')."""
    if not isinstance(key, str) or not key.strip():
        raise ValueError('a registry key path is required, e.g. HKLM\\SOFTWARE\\Microsoft')
    hive, _sep, subkey = key.strip().replace('/', '\\').partition('\\')
    short = _HIVE_BY_NAME.get(hive.upper().rstrip(':'))
    if short is None:
        raise ValueError(f'registry key {key!r} does not start with a hive such as HKLM or HKEY_LOCAL_MACHINE')
    subkey = '\\'.join(part for part in subkey.split('\\') if part)
    return short, subkey


def hive_handle(short: str) -> int:
    """Return StdRegProv's hDefKey number for a short hive name."""
    return HIVES[short][1]


def long_key_path(key: str) -> str:
    """Return the key with the long hive name, as regedit writes it: HKEY_LOCAL_MACHINE\\..."""
    short, subkey = parse_key_path(key)
    return HIVES[short][0] + ('\\' + subkey if subkey else '')


@dataclasses.dataclass(frozen=True)
class RegValue:
    """A registry value's type and data, and its stored bytes when they are not the usual encoding of that data.

    Two values are equal only when type, data and stored bytes are equal, so REG_EXPAND_SZ
    ``https:`` differs from REG_SZ ``https:``, and a REG_SZ stored without its terminating NUL
    differs from the same text stored with it.  Data is held as: str for REG_SZ and
    REG_EXPAND_SZ, int for REG_DWORD and REG_QWORD, a tuple of str for REG_MULTI_SZ, bytes
    for REG_BINARY and every other type (REG_NONE, REG_LINK, ..., REG_TYPE_<number>).

    ``raw`` is None for a well-formed value (its bytes are :meth:`stored_bytes`, computed from
    the data).  Windows stores bytes and does not check them against the type, so a value read
    from a server may hold bytes no data of its type encodes to (a REG_SZ without terminator or
    of odd length, a 2-byte REG_DWORD): :meth:`from_raw` keeps them in ``raw`` (and ``data``
    is their best reading), and they are what a backup records and a restore writes back.
    """

    type: str
    data: typing.Any
    raw: bytes | None = None

    def __post_init__(self):
        type_code(self.type)          # a name of some type, or ValueError
        data = self.data
        if self.type in ('REG_SZ', 'REG_EXPAND_SZ'):
            if not isinstance(data, str):
                raise ValueError(f'{self.type} data must be a string, got {type(data).__name__}')
        elif self.type in ('REG_DWORD', 'REG_QWORD'):
            bits = 32 if self.type == 'REG_DWORD' else 64
            if isinstance(data, bool) or not isinstance(data, int) or not 0 <= data < 2 ** bits:
                raise ValueError(f'{self.type} data must be an integer from 0 to {2 ** bits - 1}, got {data!r}')
        elif self.type == 'REG_MULTI_SZ':
            # Only a list or tuple: a generator would be used up by the check, a set has no order.
            if not isinstance(data, (list, tuple)) or not all(isinstance(item, str) for item in data):
                raise ValueError(f'REG_MULTI_SZ data must be a list of strings, got {type(data).__name__}')
            if any('\0' in item for item in data):
                raise ValueError('REG_MULTI_SZ strings cannot contain NUL characters (NUL ends each string)')
            object.__setattr__(self, 'data', tuple(data))
        else:
            if isinstance(data, (list, tuple)):
                if not all(isinstance(b, int) and not isinstance(b, bool) and 0 <= b <= 255 for b in data):
                    raise ValueError(f'{self.type} data given as a list must hold integers from 0 to 255')
                data = bytes(data)
            elif isinstance(data, (bytearray, memoryview)):
                data = bytes(data)
            if not isinstance(data, bytes):
                raise ValueError(f'{self.type} data must be bytes, got {type(data).__name__}')
            object.__setattr__(self, 'data', data)
        if self.raw is not None:
            if not isinstance(self.raw, (bytes, bytearray, memoryview)):
                raise ValueError(f'the stored bytes of a {self.type} value must be bytes, got {type(self.raw).__name__}')
            raw = bytes(self.raw)
            object.__setattr__(self, 'raw', None if raw == self._encoded() else raw)

    @property
    def type_code(self) -> int:
        return type_code(self.type)

    @classmethod
    def from_code(cls, code: int, data) -> RegValue:
        return cls(type_name(code), data)

    @classmethod
    def from_raw(cls, code: int, raw: bytes) -> RegValue:
        """The value a server stores as type ``code`` and bytes ``raw``; every pair of type and bytes is accepted.

        Strings are UTF-16LE; one terminating NUL is dropped and an embedded NUL is kept in the
        text, so ``abc\\0def\\0`` reads as ``'abc\\0def'``.  A REG_MULTI_SZ is its NUL-terminated
        strings, empty ones included (``a\\0\\0b\\0\\0`` is ``('a', '', 'b')``).  When the bytes are not
        exactly what that data encodes to (no terminator, odd length, bytes that are not UTF-16,
        a DWORD that is not 4 bytes...), they are kept in ``raw``.
        """
        raw = bytes(raw)
        kind = type_name(code)
        if kind in _STRING_TYPES:
            text = raw[:len(raw) - len(raw) % 2].decode('utf-16-le', errors='replace')
            if kind == 'REG_MULTI_SZ':
                body = text[:-1] if text.endswith('\0') else text
                data = tuple(body[:-1].split('\0')) if body.endswith('\0') else tuple(body.split('\0')) if body else ()
            else:
                data = text[:-1] if text.endswith('\0') else text
        elif kind in ('REG_DWORD', 'REG_QWORD'):
            size = 4 if kind == 'REG_DWORD' else 8
            data = int.from_bytes(raw[:size].ljust(size, b'\0'), 'little')
        else:
            data = raw
        return cls(kind, data, raw=raw)

    def _encoded(self) -> bytes:
        """The bytes Windows stores for this data: strings UTF-16LE and NUL-terminated, numbers little-endian."""
        if self.type in ('REG_SZ', 'REG_EXPAND_SZ'):
            return (self.data + '\0').encode('utf-16-le', errors='surrogatepass')
        if self.type == 'REG_MULTI_SZ':
            return (''.join(item + '\0' for item in self.data) + '\0').encode('utf-16-le', errors='surrogatepass')
        if self.type == 'REG_DWORD':
            return self.data.to_bytes(4, 'little')
        if self.type == 'REG_QWORD':
            return self.data.to_bytes(8, 'little')
        return self.data

    def stored_bytes(self) -> bytes:
        """Exactly the bytes the registry holds (or is to hold) for this value."""
        return self.raw if self.raw is not None else self._encoded()

    def to_text(self) -> str:
        """Human text for diffs and messages, e.g. ``REG_SZ "https:"`` or ``REG_DWORD 0x0000000a (10)``.

        A value with unusual stored bytes says so, with the bytes: ``REG_SZ "abc" (stored as 6 bytes: 61,00,...)``.
        """
        if self.type in ('REG_SZ', 'REG_EXPAND_SZ'):
            text = f'{self.type} {_quote(self.data)}'
        elif self.type == 'REG_DWORD':
            text = f'{self.type} 0x{self.data:08x} ({self.data})'
        elif self.type == 'REG_QWORD':
            text = f'{self.type} 0x{self.data:016x} ({self.data})'
        elif self.type == 'REG_MULTI_SZ':
            text = f'{self.type} [{", ".join(_quote(item) for item in self.data)}]'
        else:
            return f'{self.type} hex:{self.data.hex(",")}'
        if self.raw is not None:
            text += f' (stored as {len(self.raw)} bytes: {self.raw.hex(",")})'
        return text

    def to_record(self) -> dict:
        """A JSON-safe record: {'type': 'REG_SZ', 'data': ...}; bytes as a hex string; unusual stored bytes as 'raw' (hex)."""
        if self.type == 'REG_MULTI_SZ':
            data = list(self.data)
        elif isinstance(self.data, bytes):
            data = self.data.hex()
        else:
            data = self.data
        record = {'type': self.type, 'data': data}
        if self.raw is not None:
            record['raw'] = self.raw.hex()
        return record

    @classmethod
    def from_record(cls, record) -> RegValue:
        """Rebuild a value from :meth:`to_record`'s output ('raw', when present, decides); a malformed record raises ValueError."""
        if not isinstance(record, dict) or 'type' not in record or 'data' not in record:
            raise ValueError('a registry value record needs "type" and "data" keys')
        if 'raw' in record:
            return cls.from_raw(type_code(record['type']), _hex_field(record['raw'], 'the "raw" bytes of a record'))
        data = record['data']
        if record['type'] not in TYPE_CODES or record['type'] == 'REG_BINARY':
            type_code(record['type'])
            data = _hex_field(data, f'{record["type"]} data in a record')
        return cls(record['type'], data)


def _hex_field(text, what: str) -> bytes:
    if not isinstance(text, str):
        raise ValueError(f'{what} must be a hex string')
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise ValueError(f'{what} must be a hex string') from None


def _quote(text: str) -> str:
    return '"' + text.replace('\\', '\\\\').replace('"', '\\"') + '"'


# ---------------------------------------------------------------------------
# The wire form: a value's type code and bytes as the registry stores them (what
# MS-RRP's BaseRegQueryValue/BaseRegEnumValue return and BaseRegSetValue takes).
# ---------------------------------------------------------------------------

def decode_value(code: int, data: bytes) -> RegValue:
    """Turn a registry value's wire type and bytes into a RegValue: any type, any bytes (see :meth:`RegValue.from_raw`).

    Nothing is lost: bytes that are not the usual encoding of their type's data (a REG_SZ without
    terminator, a 2-byte REG_DWORD, ...) are kept in ``raw``, and :func:`encode_value` gives them back.
    """
    return RegValue.from_raw(code, data)


def encode_value(value: RegValue) -> tuple[int, bytes]:
    """Return (wire type, bytes) for a RegValue: its stored bytes, strings NUL-terminated as Windows stores them."""
    if not isinstance(value, RegValue):
        raise TypeError(f'expected a RegValue, got {type(value).__name__}')
    return value.type_code, value.stored_bytes()


# ---------------------------------------------------------------------------
# REGEDIT4 .reg files, as Windows NT 4.0's regedit.exe writes and imports them.
#
# NT 4.0's regedit is an ANSI program: the file is ANSI text (cp1252 on Western
# servers) and REG_EXPAND_SZ / REG_MULTI_SZ, which it only knows as hex streams,
# are written as their NUL-terminated ANSI bytes, not UTF-16.  Sources:
# - Microsoft's own comment in NT's regedit source (regporte.c, quoted at
#   http://okturing.com/src/10583/body): "Win95 and NT 4 shipped with regedit
#   compiled ANSI ... "TEMP"=hex(2):25,53,59,...,00 ...a nice, null-terminated
#   ANSI string", and only the NT 5 Unicode regedit switched to UTF-16 (with the
#   new "Windows Registry Editor Version 5.00" header);
# - JSI Tip 8615 (itprotoday.com): a REGEDIT4 export represents REG_EXPAND_SZ and
#   REG_MULTI_SZ "as single-byte characters";
# - Wine's regedit (programs/regedit/regproc.c, REGPROC_export_binary) converts
#   those types with WideCharToMultiByte(CP_ACP) when writing REGEDIT4, and wraps
#   hex data after the byte whose comma reaches column 77 (REG_FILE_HEX_LINE_LEN =
#   2 + 25 * 3) with ",\" CRLF and two spaces; Wine's test file
#   programs/regedit/tests/orig.reg (a Windows export) shows the same layout.
# ---------------------------------------------------------------------------

REGEDIT4_ENCODING = 'cp1252'
"""The code page a REGEDIT4 file's text is written in: encode :func:`export_regedit4`'s result with it."""

_REGEDIT4_HEADER = 'REGEDIT4'
_REGEDIT5_HEADER = 'Windows Registry Editor Version 5.00'
_CRLF = '\r\n'
_HEX_WRAP_COLUMN = 2 + 25 * 3
_HEX_LINE = re.compile(r'hex(?:\(([0-9a-fA-F]{1,8})\))?:(.*)', re.ASCII | re.DOTALL)
_DWORD_LINE = re.compile(r'dword:([0-9a-fA-F]{1,8})', re.ASCII)
_HEX_BYTE = re.compile(r'[0-9a-fA-F]{1,2}', re.ASCII)
_LONG_HIVES = frozenset(long for long, _handle in HIVES.values())


def _fold(name: str) -> str:
    """Case-fold a value name the way the registry compares names: one character at a time, upper case."""
    return ''.join(upper if len(upper := char.upper()) == 1 else char for char in name)


REGEDIT5_ENCODING = 'utf-16'
"""``backup_encoding`` for a ``Windows Registry Editor Version 5.00`` file: UTF-16LE with a byte order mark.

Windows 2000's regedit reads and writes it (KB 310516: "Windows Registry Editor Version 5.00" for Windows
2000, XP and 2003, "REGEDIT4" for Windows 95/98/NT 4.0). Microsoft's regedit source
(``tongzx/nt5src`` ``Source/XPSP1/NT/base/fs/utils/regedit/regporte.c``, the comment on the NT 5 format)
says that a Unicode regedit writes REG_EXPAND_SZ and REG_MULTI_SZ in hex form as UTF-16 ("all those
interspersed zeroes") and that the new header exists so that NT 4.0's regedit rejects such files; Wine's
``programs/regedit/regproc.c`` writes the bytes ``ff fe`` and then the header in UTF-16LE.
"""
REG_ENCODINGS = (REGEDIT5_ENCODING, 'utf-16le', 'unicode', 'regedit5')


def is_regedit5(encoding: str) -> bool:
    """Whether ``encoding`` (a ``backup_encoding`` value) means a Version 5.00 (UTF-16) file."""
    return str(encoding).strip().lower().replace('_', '-') in REG_ENCODINGS


def _ansi(text: str, what: str, encoding: str = REGEDIT4_ENCODING) -> bytes:
    """Encode text in the file's code page; a character it lacks raises a one-line ValueError."""
    if is_regedit5(encoding):
        return text.encode('utf-16-le', 'surrogatepass')
    try:
        return text.encode(encoding)
    except UnicodeEncodeError as exc:
        char = text[exc.start]
        raise ValueError(f'{what} cannot be written to a REGEDIT4 file: character {char!r} (U+{ord(char):04X}) '
                         f'is not in the ANSI code page {encoding}') from None


def _escape(text: str) -> str:
    return text.replace('\\', '\\\\').replace('"', '\\"')


def _value_bytes(value: RegValue, what: str, encoding: str = REGEDIT4_ENCODING) -> bytes:
    """The bytes regedit writes in a value's hex form.

    In a Version 5.00 file every type is its stored bytes: that regedit imports hex(N) with
    RegSetValueExW, which takes UTF-16 strings as they are.  In REGEDIT4, strings are their ANSI
    bytes: NT 4.0's regedit imports hex(1), hex(2) and hex(7) through RegSetValueExA, which
    converts ANSI to UTF-16 one character at a time, so the ANSI bytes of each UTF-16 unit give
    back exactly the stored bytes, malformed ones too (no terminator, an embedded NUL).  An odd
    number of stored bytes has no ANSI form: ValueError.  Other types are written as their stored
    bytes, which RegSetValueExA does not convert.
    """
    raw = value.stored_bytes()
    if value.type not in _STRING_TYPES or is_regedit5(encoding):
        return raw
    if len(raw) % 2:
        raise ValueError(f'{what} is {value.type} stored as {len(raw)} bytes, an odd number: a REGEDIT4 file holds strings as ANSI '
                         f'text, which always gives whole UTF-16 characters, so it cannot hold it (a Version 5.00 file can)')
    try:
        text = raw.decode('utf-16-le')
    except UnicodeDecodeError:
        raise ValueError(f'{what} is {value.type} stored as bytes that are not UTF-16 text (an unpaired surrogate): '
                         f'a REGEDIT4 file cannot hold it (a Version 5.00 file can)') from None
    return _ansi(text, what, encoding)


def _value_from_bytes(code: int, raw: bytes) -> RegValue:
    """Inverse of :func:`_value_bytes` for a hex(code) value: strings are ANSI bytes, everything else the stored bytes."""
    if type_name(code) not in _STRING_TYPES:
        return RegValue.from_raw(code, raw)
    try:
        text = raw.decode(REGEDIT4_ENCODING)
    except UnicodeDecodeError as exc:
        raise ValueError(f'{type_name(code)} data has byte 0x{raw[exc.start]:02x}, which is not a character in {REGEDIT4_ENCODING}') from None
    return RegValue.from_raw(code, text.encode('utf-16-le'))


def _hex_data(line: str, tag: str, raw: bytes) -> str:
    """Append ``tag`` and raw as comma-separated hex to line, wrapped as regedit wraps it.

    After each byte's comma that reaches column 77 the line ends with ``,\\`` and the
    next starts with two spaces: 25 bytes per continuation line, no line over 80
    characters unless the name alone passes column 76 (then, as in regedit, the
    first line holds one byte).
    """
    out = [line, tag]
    column = len(line) + len(tag)
    for index, byte in enumerate(raw):
        out.append(f'{byte:02x}')
        if index == len(raw) - 1:
            break
        out.append(',')
        column += 3
        if column >= _HEX_WRAP_COLUMN:
            out.append('\\' + _CRLF + '  ')
            column = 2
    return ''.join(out)


def _value_line(name: str, value: RegValue, encoding: str = REGEDIT4_ENCODING) -> str:
    what = f'value {name!r}' if name else 'the default value'
    if not isinstance(value, RegValue):
        raise ValueError(f'{what} must be a RegValue, got {type(value).__name__}')
    _ansi(name, f'the name of {what}', encoding)
    line = f'"{_escape(name)}"=' if name else '@='
    if value.type == 'REG_DWORD' and value.raw is None:
        return f'{line}dword:{value.data:08x}'
    if value.type == 'REG_SZ' and value.raw is None and not any(char in value.data for char in '\r\n\0'):
        _ansi(value.data, what, encoding)
        return f'{line}"{_escape(value.data)}"'
    # A REG_SZ holding a line break or NUL cannot sit in a quoted one-line string, nor can bytes that are not
    # the usual encoding of their data (a DWORD of 2 bytes, a string without terminator): hex(N) keeps them exactly.
    tag = 'hex:' if value.type == 'REG_BINARY' else f'hex({value.type_code:x}):'
    return _hex_data(line, tag, _value_bytes(value, what, encoding))


def export_regedit4(key: str, values: Mapping[str, RegValue], encoding: str = REGEDIT4_ENCODING) -> str:
    """Return the text of a REGEDIT4 .reg file holding one key and all its values.

    The text is exactly what NT 4.0's regedit writes: ``REGEDIT4``, a blank line,
    ``[HKEY_...\\key]``, one line per value sorted case-insensitively by name (the
    default value, name ``''``, as ``@=``), then a blank line; CRLF line ends.
    Write it to disk encoded with :data:`REGEDIT4_ENCODING`.  A key, name or string
    that file cannot hold (a character outside cp1252, a line break in a name, two
    names differing only in case) raises ValueError.  :func:`parse_regedit4` reads
    the text back to the same key and values.
    """
    path = long_key_path(key)
    if any(char in path for char in '\r\n\0'):
        raise ValueError(f'registry key {key!r} contains a line break or NUL, which a REGEDIT4 file cannot hold')
    _ansi(path, f'registry key {key!r}', encoding)
    seen = {}
    for name in values:
        if not isinstance(name, str) or any(char in name for char in '\r\n\0'):
            raise ValueError(f'value name {name!r} must be a string without line breaks or NUL to be written to a REGEDIT4 file')
        other = seen.setdefault(_fold(name), name)
        if other != name:
            raise ValueError(f'value names {other!r} and {name!r} differ only in case; the registry holds them as one value')
    lines = [_REGEDIT5_HEADER if is_regedit5(encoding) else _REGEDIT4_HEADER, '', f'[{path}]']
    lines.extend(_value_line(name, values[name], encoding) for name in sorted(values, key=_fold))
    return _CRLF.join(lines) + _CRLF + _CRLF


def export_reg_file(key: str, values: Mapping[str, RegValue], encoding: str = REGEDIT4_ENCODING) -> bytes:
    """The bytes of a .reg file for one key: REGEDIT4 in the ANSI code page ``encoding`` (the server's, e.g.
    cp1252, cp1251, cp932), or, for :data:`REGEDIT5_ENCODING`, a Version 5.00 file in UTF-16LE with a BOM.
    A character the code page lacks raises a one-line ValueError; an unknown code page too."""
    if is_regedit5(encoding):
        return b'\xff\xfe' + export_regedit4(key, values, encoding).encode('utf-16-le', 'surrogatepass')
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise ValueError(f'backup_encoding {encoding!r} is not a code page Python knows: use the server\'s ANSI code page '
                         f'(e.g. cp1252, cp1251, cp932) or {REGEDIT5_ENCODING}') from None
    return export_regedit4(key, values, encoding).encode(encoding)


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """Read a "..." string at text[start] with regedit's escapes \\\\ and \\"; return it and the index after it."""
    out = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return ''.join(out), index + 1
        if char == '\\':
            escaped = text[index + 1:index + 2]
            if escaped not in ('\\', '"'):
                raise ValueError(f'unknown escape \\{escaped} in a quoted string (only \\\\ and \\" exist in REGEDIT4)')
            char = escaped
            index += 1
        out.append(char)
        index += 1
    raise ValueError('a quoted string has no closing quote')


def _parse_data(data: str) -> RegValue:
    """Parse what follows ``=`` on a value line (continuation lines already joined)."""
    if data.startswith('"'):
        text, end = _read_quoted(data, 0)
        if end != len(data):
            raise ValueError(f'unexpected text after the closing quote: {data[end:]!r}')
        return RegValue('REG_SZ', text)
    if match := _DWORD_LINE.fullmatch(data):
        return RegValue('REG_DWORD', int(match.group(1), 16))
    if match := _HEX_LINE.fullmatch(data):
        code = int(match.group(1), 16) if match.group(1) else TYPE_CODES['REG_BINARY']
        items = match.group(2).split(',') if match.group(2).strip() else []
        if not all(_HEX_BYTE.fullmatch(item.strip()) for item in items):
            raise ValueError(f'hex data must be bytes like 0a separated by commas, got {match.group(2)!r}')
        return _value_from_bytes(code, bytes(int(item, 16) for item in items))
    if data == '-':
        raise ValueError('"=-" deletes a value; a backup of a key never does')
    raise ValueError(f'unknown value data {data[:40]!r}: expected "text", dword:, hex: or hex(N):')


def _parse_key_line(line: str, key: str | None) -> str:
    """Parse a ``[HKEY_...\\key]`` line; ``key`` is the key already read, if any."""
    if line.startswith('[-'):
        raise ValueError('a [-key] line deletes a key; a backup of a key never does')
    if not line.endswith(']'):
        raise ValueError(f'expected a key line [HKEY_...], got {line[:60]!r}')
    if key is not None:
        raise ValueError('a second key: this reader takes files holding one key')
    path = line[1:-1]
    if path.partition('\\')[0].upper() not in _LONG_HIVES:
        raise ValueError(f'key {path!r} must start with a long hive name such as HKEY_LOCAL_MACHINE')
    return long_key_path(path)


def _parse_value_line(line: str, more) -> tuple[str, RegValue]:
    """Parse one value line; ``more`` yields the following lines for hex continuations."""
    if line.startswith('@='):
        name, rest = '', line[2:]
    elif line.startswith('"'):
        name, end = _read_quoted(line, 0)
        if line[end:end + 1] != '=':
            raise ValueError('a value name must be followed by "="')
        rest = line[end + 1:]
    else:
        raise ValueError(f'expected a value line such as "Name"=... or @=..., got {line[:40]!r}')
    while rest.startswith('hex') and rest.endswith('\\'):
        following = next(more, None)
        if following is None:
            raise ValueError('the file ends inside a hex value continued with "\\"')
        rest = rest[:-1] + following.strip()
    return name, _parse_data(rest)


def parse_regedit4(text: str) -> tuple[str, dict[str, RegValue]]:
    """Read a REGEDIT4 file holding one key, as :func:`export_regedit4` writes it.

    Returns the key with its long hive name and its values by name.  CRLF or LF
    line ends, blank lines and ``;`` comments are accepted.  Anything else that is
    not one key with plain values (a Version 5 file, several keys, deletions,
    unknown types, malformed lines) raises ValueError naming the line.
    """
    if not isinstance(text, str):
        raise ValueError(f'parse_regedit4 takes text, got {type(text).__name__}: decode the file with {REGEDIT4_ENCODING} first')
    lines = text.replace(_CRLF, '\n').split('\n')
    header = lines[0].lstrip('\ufeff').rstrip()
    if header != _REGEDIT4_HEADER:
        if header == _REGEDIT5_HEADER:
            raise ValueError('this is a "Windows Registry Editor Version 5.00" (Unicode) file, not REGEDIT4')
        raise ValueError(f'a REGEDIT4 file starts with the line REGEDIT4, this one with {header[:40]!r}')
    key = None
    values = {}
    folded = set()
    numbered = enumerate(lines[1:], start=2)
    more = (line for _number, line in numbered)
    for number, raw_line in numbered:
        line = raw_line.strip(' \t')
        if not line or line.startswith(';'):
            continue
        try:
            if '\r' in line:
                raise ValueError('a carriage return without a line feed')
            if line.startswith('['):
                key = _parse_key_line(line, key)
                continue
            if key is None:
                raise ValueError('a value line before any [key] line')
            name, value = _parse_value_line(line, more)
            if _fold(name) in folded:
                raise ValueError(f'value {name!r} appears twice')
            folded.add(_fold(name))
            values[name] = value
        except ValueError as exc:
            raise ValueError(f'REGEDIT4 line {number}: {exc}') from None
    if key is None:
        raise ValueError('the REGEDIT4 file holds no [key] line')
    return key, values
