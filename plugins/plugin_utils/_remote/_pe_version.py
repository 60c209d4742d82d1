# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A PE file's version (VS_FIXEDFILEINFO) read through a ``read(offset, size)`` callable.

Only the headers and the one section holding the resource directory are read, so a 5 MB
store.exe costs a few kilobytes over the network.  pefile is imported only when a version is
parsed.
"""

from __future__ import annotations

import struct

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion

# How much of a PE file is read up front: DOS header, PE headers and section table fit in it
# for practically every linker (SizeOfHeaders is 0x400 or 0x1000).
PE_HEAD_BYTES = 4096
PE_MAX_SECTION_BYTES = 16 * 1024 * 1024
PE_MAX_HEADER_OFFSET = 1024 * 1024

_PEFILE = None


def _load_pefile():
    """Import pefile once; a missing package is a RemoteError naming it."""
    global _PEFILE
    if _PEFILE is None:
        try:
            import pefile
        except ImportError:
            raise RemoteError('reading file versions over smb needs the Python package "pefile" on the controller: pip install pefile',
                              kind='unsupported') from None
        _PEFILE = pefile
    return _PEFILE


def read_pe_version(read) -> str:
    """Return the file version ('5.5.2654.81') of a PE file read through ``read(offset, size) -> bytes``.

    Reads the first :data:`PE_HEAD_BYTES` (more only when the section table ends beyond them), then
    the one section that holds the resource directory, and nothing else.  Returns '' for a file that
    is not a PE image or carries no VS_FIXEDFILEINFO.
    """
    head = read(0, PE_HEAD_BYTES)
    if len(head) < 64 or head[:2] != b'MZ':
        return ''
    pe_offset = _u32(head, 0x3C)
    if pe_offset > PE_MAX_HEADER_OFFSET:
        return ''
    head = _read_to(read, head, pe_offset + PE_HEAD_BYTES if pe_offset + 24 > len(head) else 0)
    if head[pe_offset:pe_offset + 4] != b'PE\0\0':
        return ''
    sections, optional_size = _u16(head, pe_offset + 6), _u16(head, pe_offset + 20)
    if sections > 96:           # the PE format's limit; more means this is not a real image
        return ''
    optional = pe_offset + 24
    table = optional + optional_size
    head = _read_to(read, head, table + 40 * sections)
    if len(head) < table + 40 * sections:
        return ''
    magic = _u16(head, optional)
    if magic not in (0x10B, 0x20B):
        return ''
    count_at, directories = (optional + 92, optional + 96) if magic == 0x10B else (optional + 108, optional + 112)
    if _u32(head, count_at) < 3 or directories + 24 > table:
        return ''
    resource_rva = _u32(head, directories + 16)
    if not resource_rva:
        return ''
    for index in range(sections):
        entry = table + 40 * index
        virtual_size, virtual_address, raw_size, raw_pointer = struct.unpack_from('<IIII', head, entry + 8)
        if virtual_address <= resource_rva < virtual_address + max(virtual_size, raw_size):
            break
    else:
        return ''
    length = min(raw_size, PE_MAX_SECTION_BYTES)
    if raw_pointer + length <= len(head):
        image = bytearray(head)
    else:
        section = read(raw_pointer, length)
        image = bytearray(max(len(head), raw_pointer + len(section)))
        image[:len(head)] = head
        image[raw_pointer:raw_pointer + len(section)] = section
    return _fixed_file_version(bytes(image))


def _fixed_file_version(image: bytes) -> str:
    pefile = _load_pefile()
    try:
        pe = pefile.PE(data=image, fast_load=True)
        pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_RESOURCE']])
    except pefile.PEFormatError:
        return ''
    infos = getattr(pe, 'VS_FIXEDFILEINFO', None)
    if not infos:
        return ''
    return str(FileVersion.from_ms_ls(infos[0].FileVersionMS, infos[0].FileVersionLS))


def _read_to(read, head: bytes, size: int) -> bytes:
    if len(head) >= size or len(head) < PE_HEAD_BYTES:   # already there, or the file ended
        return head
    return head + read(len(head), size - len(head))


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from('<H', data, offset)[0] if offset + 2 <= len(data) else 0


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from('<I', data, offset)[0] if offset + 4 <= len(data) else 0
