# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Build small but valid 32-bit PE executables whose version resource carries a given file version.

The files stand in for Exchange 5.5's ``store.exe`` on the simulated ``C$`` share.  Layout
(FileAlignment 0x200, SectionAlignment 0x1000): headers, a ``.text`` section of ``text_size``
bytes, then (when a version is given) a ``.rsrc`` section holding one RT_VERSION resource, so a
reader that wants the version must seek past the code, as it would in the real file.
"""

from __future__ import annotations

import random
import struct

FILE_ALIGN = 0x200
SECTION_ALIGN = 0x1000
IMAGE_BASE = 0x400000
RT_VERSION = 16
LANG_EN_US = 0x409
CODEPAGE_UNICODE = 0x04B0

# Strings a real store.exe carries (Exchange 5.5 SP4 era).
STORE_STRINGS = {
    'CompanyName': 'Microsoft Corporation',
    'FileDescription': 'Microsoft Exchange Information Store',
    'InternalName': 'STORE',
    'LegalCopyright': 'Copyright (C) Microsoft Corp. 1986-2001',
    'OriginalFilename': 'STORE.EXE',
    'ProductName': 'Microsoft Exchange',
}


def parse_version(version) -> tuple[int, int, int, int]:
    """'5.5.2654.81' -> (5, 5, 2654, 81); missing parts are 0; each part must fit 16 bits."""
    parts = str(version).strip().split('.')
    if not 1 <= len(parts) <= 4 or not all(p.isdigit() for p in parts):
        raise ValueError(f'file version {version!r} must look like 5.5.2654.81')
    numbers = [int(p) for p in parts] + [0] * (4 - len(parts))
    if any(n > 0xFFFF for n in numbers):
        raise ValueError(f'file version {version!r}: every part must be at most 65535')
    return tuple(numbers)


def _align(value: int, alignment: int) -> int:
    return (value + alignment - 1) // alignment * alignment


def _pad4(data: bytes) -> bytes:
    return data + b'\0' * (-len(data) % 4)


def _block(key: str, value: bytes = b'', children: tuple = (), text: bool = False) -> bytes:
    """One VS_VERSIONINFO-style node: wLength, wValueLength, wType, szKey, Value, Children (32-bit aligned)."""
    header_tail = (key + '\0').encode('utf-16-le')
    node = _pad4(struct.pack('<HHH', 0, 0, 0) + header_tail) + value
    kids = b''.join(_pad4(child) for child in children)
    if kids:
        node = _pad4(node)
    length = len(node) + len(kids)
    value_length = len(value) // 2 if text else len(value)   # String values count UTF-16 characters
    return struct.pack('<HHH', length, value_length, 1 if text else 0) + node[6:] + kids


def version_resource(version, strings: dict | None = None) -> bytes:
    """The VS_VERSIONINFO blob: VS_FIXEDFILEINFO with FileVersion/ProductVersion, a StringFileInfo and a VarFileInfo."""
    a, b, c, d = parse_version(version)
    text_version = f'{a}.{b}.{c}.{d}'
    fixed = struct.pack(
        '<13I',
        0xFEEF04BD, 0x00010000,          # signature, structure version
        (a << 16) | b, (c << 16) | d,     # FileVersionMS, FileVersionLS
        (a << 16) | b, (c << 16) | d,     # ProductVersionMS, ProductVersionLS
        0x3F, 0,                          # FileFlagsMask, FileFlags
        0x00040004, 1, 0,                 # VOS_NT_WINDOWS32, VFT_APP, no subtype
        0, 0,                             # FileDateMS, FileDateLS
    )
    table = dict(STORE_STRINGS if strings is None else strings)
    table.setdefault('FileVersion', text_version)
    table.setdefault('ProductVersion', text_version)
    string_nodes = tuple(_block(name, (str(val) + '\0').encode('utf-16-le'), text=True) for name, val in table.items())
    string_table = _block(f'{LANG_EN_US:04X}{CODEPAGE_UNICODE:04X}', children=string_nodes, text=True)
    string_file_info = _block('StringFileInfo', children=(string_table,), text=True)
    translation = _block('Translation', struct.pack('<HH', LANG_EN_US, CODEPAGE_UNICODE))
    var_file_info = _block('VarFileInfo', children=(translation,), text=True)
    return _block('VS_VERSION_INFO', fixed, children=(string_file_info, var_file_info))


def _resource_section(section_rva: int, blob: bytes) -> bytes:
    """A .rsrc section with the three directory levels (type, name, language) leading to ``blob``."""
    def directory(entry_id: int, target: int) -> bytes:
        return struct.pack('<IIHHHH', 0, 0, 0, 0, 0, 1) + struct.pack('<II', entry_id, target)

    data_entry_offset = 3 * 24
    blob_offset = data_entry_offset + 16
    tree = (
        directory(RT_VERSION, 0x80000000 | 24)
        + directory(1, 0x80000000 | 48)
        + directory(LANG_EN_US, data_entry_offset)
        + struct.pack('<IIII', section_rva + blob_offset, len(blob), 0, 0)
    )
    return tree + blob


def build_pe(version=None, text_size: int = 0x1000, strings: dict | None = None, pe_offset: int = 0x80) -> bytes:
    """Return the bytes of a PE32 executable; with ``version`` it has an RT_VERSION resource, without it none.

    ``text_size`` (bytes of code, at least 1) controls where the resource section starts;
    ``pe_offset`` (e_lfanew) where the PE headers start after the DOS header and stub.
    """
    text_size = max(int(text_size), 1)
    e_lfanew = max(_align(int(pe_offset), 8), 0x80)
    headers_size = _align(e_lfanew + 24 + 0xE0 + 2 * 40, FILE_ALIGN)
    text_raw = _align(text_size, FILE_ALIGN)
    text_rva = SECTION_ALIGN * (1 + headers_size // SECTION_ALIGN)
    code = b'\xC3' + random.Random(text_size).randbytes(text_size - 1)   # deterministic filler after a RET
    sections = [(b'.text', text_size, text_rva, text_raw, headers_size, 0x60000020, code + b'\0' * (text_raw - text_size))]
    resource_dir = (0, 0)
    if version is not None:
        rsrc_rva = _align(text_rva + text_size, SECTION_ALIGN)
        rsrc = _resource_section(rsrc_rva, version_resource(version, strings))
        rsrc_raw = _align(len(rsrc), FILE_ALIGN)
        sections.append((b'.rsrc', len(rsrc), rsrc_rva, rsrc_raw, headers_size + text_raw, 0x40000040,
                         rsrc + b'\0' * (rsrc_raw - len(rsrc))))
        resource_dir = (rsrc_rva, len(rsrc))
    last = sections[-1]
    size_of_image = _align(last[2] + last[1], SECTION_ALIGN)

    dos_stub = b'This program cannot be run in DOS mode.\r\r\n$'
    dos = bytearray(e_lfanew)
    dos[0:2] = b'MZ'
    struct.pack_into('<HHHHH', dos, 2, 0x90, 3, 0, 4, 0)
    struct.pack_into('<I', dos, 0x3C, e_lfanew)
    dos[0x40:0x40 + len(dos_stub)] = dos_stub

    coff = struct.pack('<HHIIIHH', 0x14C, len(sections), 0x3AE0B7A0, 0, 0, 0xE0, 0x010F)
    directories = [(0, 0)] * 16
    directories[2] = resource_dir
    optional = struct.pack(
        '<HBBIIIIIIIIIHHHHHHIIIIHHIIIIII',
        0x10B, 6, 0, text_raw, sum(s[3] for s in sections[1:]), 0, text_rva, text_rva,
        sections[1][2] if len(sections) > 1 else size_of_image,
        IMAGE_BASE, SECTION_ALIGN, FILE_ALIGN, 4, 0, 5, 5, 4, 0, 0, size_of_image, headers_size, 0,
        2, 0, 0x100000, 0x1000, 0x100000, 0x1000, 0, 16,
    ) + b''.join(struct.pack('<II', rva, size) for rva, size in directories)
    table = b''.join(
        struct.pack('<8sIIIIIIHHI', name, vsize, rva, raw_size, raw_ptr, 0, 0, 0, 0, flags)
        for name, vsize, rva, raw_size, raw_ptr, flags, _data in sections
    )
    headers = bytes(dos) + b'PE\0\0' + coff + optional + table
    headers += b'\0' * (headers_size - len(headers))
    return headers + b''.join(section[6] for section in sections)
