# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Reading a file version from a PE file through ranged reads: which bytes are asked for, and the answer."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _pe_version
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._pe_version import PE_HEAD_BYTES, read_pe_version
from ansible_collections.legacy_exchange.exchange55.tests.smbhost.pe_version import build_pe

pytest.importorskip('pefile')

MIB = 1024 * 1024


class FakeFile:
    """A file on a share: answers read(offset, size) like SMB READ (short at end of file) and records each read."""

    def __init__(self, data: bytes):
        self.data = data
        self.reads = []

    def read(self, offset: int, size: int) -> bytes:
        self.reads.append((offset, size))
        return self.data[offset:offset + size]

    @property
    def bytes_read(self) -> int:
        return sum(len(self.data[offset:offset + size]) for offset, size in self.reads)


@pytest.mark.parametrize('version', ['5.5.2654.81', '5.5.2650.21', '5.5.2656.84', '65535.0.1.65535'])
def test_version_of_a_large_executable_costs_two_reads(version):
    image = FakeFile(build_pe(version, text_size=5 * MIB))
    assert read_pe_version(image.read) == version
    assert len(image.reads) == 2
    assert image.reads[0] == (0, PE_HEAD_BYTES)
    assert image.reads[1][0] >= 5 * MIB                 # straight to the (page holding the) resource section past the code
    assert image.bytes_read < 2 * PE_HEAD_BYTES < len(image.data)


def test_small_file_is_read_once():
    image = FakeFile(build_pe('5.5.2654.81', text_size=64))
    assert len(image.data) < PE_HEAD_BYTES
    assert read_pe_version(image.read) == '5.5.2654.81'
    assert image.reads == [(0, PE_HEAD_BYTES)]


def test_headers_beyond_the_first_read_are_fetched():
    image = FakeFile(build_pe('5.5.2654.81', text_size=MIB, pe_offset=PE_HEAD_BYTES + 0x800))
    assert read_pe_version(image.read) == '5.5.2654.81'
    assert image.reads[0] == (0, PE_HEAD_BYTES)
    assert image.reads[1][0] == PE_HEAD_BYTES           # the rest of the headers, then the resources
    assert len(image.reads) == 3


def test_executable_without_version_resource_is_empty_after_one_read():
    image = FakeFile(build_pe(None, text_size=MIB))
    assert read_pe_version(image.read) == ''
    assert len(image.reads) == 1


@pytest.mark.parametrize('data', [
    b'',
    b'MZ',
    b'not an executable at all\r\n' * 200,
    b'MZ' + b'\0' * 58 + b'\x40\x00\x00\x00' + b'NE\0\0' + b'\0' * 100,   # a 16-bit NE image
])
def test_files_that_are_not_pe_images_are_empty(data):
    assert read_pe_version(FakeFile(data).read) == ''


def test_truncated_resource_section_is_empty_not_an_error():
    data = build_pe('5.5.2654.81', text_size=MIB)
    assert read_pe_version(FakeFile(data[:MIB]).read) == ''
    assert read_pe_version(FakeFile(data[:-600]).read) in ('', '5.5.2654.81')


def test_strings_do_not_change_the_fixed_version():
    data = build_pe('5.5.2654.81', strings={'FileVersion': '5.5.2654.81 (Service Pack 4)'})
    assert read_pe_version(FakeFile(data).read) == '5.5.2654.81'


def test_a_crafted_resource_directory_is_refused_with_one_line_not_read():
    """A directory claiming 131,070 entries would take ~1 MiB of reads: refused before reading it."""
    import struct

    import pefile
    data = bytearray(build_pe('5.5.2654.81', text_size=64))
    pe = pefile.PE(data=bytes(data))
    root = pe.get_offset_from_rva(pe.OPTIONAL_HEADER.DATA_DIRECTORY[2].VirtualAddress)
    struct.pack_into('<HH', data, root + 12, 65535, 65535)
    image = FakeFile(bytes(data) + b'\0' * (2 * MIB))
    with pytest.raises(_pe_version.PEReadRefused) as raised:
        read_pe_version(image.read)
    assert '\n' not in str(raised.value) and image.bytes_read <= _pe_version.PE_READ_LIMIT


def test_only_the_path_to_the_version_is_read_in_a_large_resource_section():
    """Version data placed far into a large .rsrc: the reader follows the directory, it does not read the section."""
    image = FakeFile(build_pe('5.5.2654.81', text_size=3 * MIB))
    assert read_pe_version(image.read) == '5.5.2654.81'
    assert image.bytes_read <= 3 * PE_HEAD_BYTES
