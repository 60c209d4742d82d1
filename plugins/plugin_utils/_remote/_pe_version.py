# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A PE file's version (VS_FIXEDFILEINFO) read through a ``read(offset, size)`` callable, reading only what the layout needs.

What is read follows the PE format (Microsoft PE/COFF specification, "The .rsrc Section" and
"Optional Header Data Directories"): the headers and the section table (parsed with pefile), then
only the resource directory entries on the path RT_VERSION (type 16) -> the first name (ID 1,
VS_VERSION_INFO, when present) -> the first language -> its IMAGE_RESOURCE_DATA_ENTRY, then the
VS_VERSIONINFO block it points to (at most 65,535 bytes: its length is a WORD) and in it the
VS_FIXEDFILEINFO (signature 0xFEEF04BD; Microsoft's VS_VERSIONINFO / VS_FIXEDFILEINFO
documentation).  A real store.exe costs a few kilobytes over the network whatever its size; a file
that would need more than :data:`PE_READ_LIMIT` bytes for that is refused with one line instead of
being read (a crafted file could otherwise point the reader at megabytes).  pefile is imported only
when a version is parsed.
"""

from __future__ import annotations

import struct

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion

PE_HEAD_BYTES = 4096            # DOS header, PE headers and section table fit in it for practically every linker
PE_READ_LIMIT = 1024 * 1024     # bytes a version read may cost in all; more is refused
PE_PAGE = 4096                  # reads are whole pages, so neighbouring structures cost one read
PE_RESOURCE_READ_AHEAD = 16384  # the resource directory and a small version block usually share these bytes
RT_VERSION = 16
VS_VERSION_INFO_ID = 1
VS_FIXEDFILEINFO_SIGNATURE = 0xFEEF04BD
_DIRECTORY = struct.Struct('<IIHHHH')        # IMAGE_RESOURCE_DIRECTORY
_ENTRY = struct.Struct('<II')                # IMAGE_RESOURCE_DIRECTORY_ENTRY
_DATA_ENTRY = struct.Struct('<IIII')         # IMAGE_RESOURCE_DATA_ENTRY: OffsetToData (an RVA), Size, CodePage, Reserved
_SUBDIRECTORY = 0x80000000

_PEFILE = None


class PEReadRefused(Exception):
    """The file's layout would need more than :data:`PE_READ_LIMIT` bytes to reach its version (one line)."""


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


class _Pages:
    """The file's bytes, read in whole pages through ``read`` and kept; at most ``limit`` bytes in all."""

    def __init__(self, read, limit: int):
        self._read, self.limit = read, limit
        self.pages: dict[int, bytes] = {}
        self.bytes_read = 0
        self.size = None                        # the file's size once a short read showed where it ends

    def get(self, offset: int, size: int, ahead: int = 0) -> bytes:
        """``size`` bytes at ``offset`` (fewer at the end of the file); missing pages are read in one call, ``ahead`` more."""
        if size <= 0:
            return b''
        first, last = offset // PE_PAGE, (offset + size - 1) // PE_PAGE
        missing = [page for page in range(first, last + 1) if page not in self.pages and not self._past_end(page)]
        if missing:
            start = missing[0] * PE_PAGE
            stop = max((missing[-1] + 1) * PE_PAGE, min(start + ahead, (start + ahead + PE_PAGE - 1) // PE_PAGE * PE_PAGE))
            if self.bytes_read + (stop - start) > self.limit:
                raise PEReadRefused(f'reaching its version resource would take more than {self.limit // 1024} KiB of reads '
                                    f'(the next structure is at file offset {offset:#x}): refusing to read further, this is not a normal PE file')
            data = self._read(start, stop - start)
            self.bytes_read += len(data)
            for index in range(0, stop - start, PE_PAGE):
                self.pages[start // PE_PAGE + index // PE_PAGE] = data[index:index + PE_PAGE]
            if len(data) < stop - start:
                self.size = start + len(data)
        out = b''.join(self.pages.get(page, b'') for page in range(first, last + 1))
        skip = offset - first * PE_PAGE
        return out[skip:skip + size]

    def _past_end(self, page: int) -> bool:
        return self.size is not None and page * PE_PAGE >= self.size


def read_pe_version(read, limit: int = PE_READ_LIMIT) -> str:
    """Return the file version ('5.5.2654.81') of a PE file read through ``read(offset, size) -> bytes``.

    Returns '' for a file that is not a PE image or carries no VS_FIXEDFILEINFO.  Raises
    :class:`PEReadRefused` when reaching the version would take more than ``limit`` bytes.
    """
    pages = _Pages(read, limit)
    head = pages.get(0, PE_HEAD_BYTES)
    if len(head) < 64 or head[:2] != b'MZ':
        return ''
    pe_offset = struct.unpack_from('<I', head, 0x3C)[0]
    nt = pages.get(pe_offset, 24)
    if nt[:4] != b'PE\0\0' or len(nt) < 24:
        return ''
    sections, optional_size = struct.unpack_from('<H', nt, 6)[0], struct.unpack_from('<H', nt, 20)[0]
    headers_end = pe_offset + 24 + optional_size + 40 * sections
    image = pages.get(0, headers_end)
    pefile = _load_pefile()
    try:
        pe = pefile.PE(data=image, fast_load=True)
        directory = pe.OPTIONAL_HEADER.DATA_DIRECTORY[pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_RESOURCE']]
    except (pefile.PEFormatError, AttributeError, IndexError):
        return ''
    if not directory.VirtualAddress:
        return ''
    root = _file_offset(pe, directory.VirtualAddress)
    if root is None:
        return ''
    base_rva = directory.VirtualAddress
    section = pe.get_section_by_rva(base_rva)
    ahead = min(PE_RESOURCE_READ_AHEAD, section.SizeOfRawData) if section is not None else PE_PAGE
    entry = _find_entry(pages, root, root, (RT_VERSION,), ahead)                       # type level
    entry = entry and _find_entry(pages, root, root + (entry & ~_SUBDIRECTORY), (VS_VERSION_INFO_ID, None))   # name level
    entry = entry and _find_entry(pages, root, root + (entry & ~_SUBDIRECTORY), (None,))                      # language level
    if not entry or entry & _SUBDIRECTORY:
        return ''
    data_entry = pages.get(root + entry, _DATA_ENTRY.size)
    if len(data_entry) < _DATA_ENTRY.size:
        return ''
    version_rva, version_size, _codepage, _reserved = _DATA_ENTRY.unpack(data_entry)
    start = _file_offset(pe, version_rva)
    if start is None:
        return ''
    block = pages.get(start, min(version_size, 0xFFFF))
    return _fixed_file_version(block, version_rva)


def _file_offset(pe, rva: int) -> int | None:
    try:
        return pe.get_offset_from_rva(rva)
    except Exception:   # pefile raises PEFormatError or returns nonsense for RVAs outside every section
        return None


def _find_entry(pages: _Pages, root: int, offset: int, wanted: tuple, ahead: int = 0) -> int | None:
    """OffsetToData of the directory entry at ``offset`` whose ID is the first of ``wanted`` present (None = any entry)."""
    header = pages.get(offset, _DIRECTORY.size, ahead)
    if len(header) < _DIRECTORY.size or offset < root:
        return None
    named, numbered = _DIRECTORY.unpack(header)[4:]
    table = pages.get(offset + _DIRECTORY.size, (named + numbered) * _ENTRY.size)
    entries = [_ENTRY.unpack_from(table, index * _ENTRY.size) for index in range(len(table) // _ENTRY.size)]
    for choice in wanted:
        for name, target in entries:
            if choice is None or (not name & _SUBDIRECTORY and name == choice):
                return target
    return None


def _fixed_file_version(block: bytes, rva: int) -> str:
    """The file version in a VS_VERSIONINFO block: VS_FIXEDFILEINFO follows the key, 32-bit aligned (as the RVA counts)."""
    if len(block) < 6:
        return ''
    length, value_length = struct.unpack_from('<HH', block, 0)
    key_end = block.find(b'\0\0', 6)
    while key_end != -1 and (key_end - 6) % 2:
        key_end = block.find(b'\0\0', key_end + 1)
    if key_end == -1 or block[6:key_end].decode('utf-16-le', errors='replace') != 'VS_VERSION_INFO' or value_length < 52:
        return ''
    fixed = key_end + 2
    fixed += -(rva + fixed) % 4
    if fixed + 52 > min(length or len(block), len(block)):
        return ''
    signature, _struct_version, version_ms, version_ls = struct.unpack_from('<IIII', block, fixed)
    if signature != VS_FIXEDFILEINFO_SIGNATURE:
        return ''
    return str(FileVersion.from_ms_ls(version_ms, version_ls))
