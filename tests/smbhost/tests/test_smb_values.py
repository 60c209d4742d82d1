# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Values a real server can hold, put on a real Samba host over MS-RRP: large, of any type, malformed, named in any script.

Each is read through SMBHost, written back, and compared with Samba's registry.tdb read directly
(SambaHost.raw_values), never through the code under test.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from test_smb_transport import PASSWORD, RegValue, SMBHost, running_fleet  # noqa: E402

KEY = r'HKLM\SOFTWARE\Exchange55Test\Values'
FLEET = {'defaults': {'username': 'Administrator', 'password': PASSWORD}, 'hosts': {'values': {}, 'values_nt4': {'username': 'EXCHLAB\\exadmin'}}}


def utf16(text: str) -> bytes:
    return text.encode('utf-16-le')


# The shapes tests/smbhost/README.md lists, plus the types the model had no name for.
MALFORMED = {
    'sz no terminator': (1, utf16('https:')),
    'sz embedded nul': (1, utf16('abc\0def\0')),
    'sz odd length': (1, utf16('abc') + b'd'),
    'sz no bytes': (1, b''),
    'expand sz no terminator': (2, utf16('%SystemRoot%\\x')),
    'multi sz empty string inside': (7, utf16('a\0\0b\0\0')),
    'multi sz no final nul': (7, utf16('a\0b\0')),
    'dword of 2 bytes': (4, b'\x01\x02'),
    'qword of 4 bytes': (11, b'\x01\x02\x03\x04'),
    'none': (0, b'\x01\x02'),
    'none empty': (0, b''),
    'link': (6, utf16('\\Registry\\Machine\\Software')),
    'resource list': (8, bytes(range(40))),
    'unknown type': (0x4242, b'\xde\xad'),
}
LARGE = {'2049 bytes': 2049, '64 KiB': 64 * 1024, '64 KiB + 1': 64 * 1024 + 1, '1 MiB': 1024 * 1024}


@pytest.fixture(scope='module')
def fleet():
    with running_fleet(FLEET, '127.0.44', owa_port=0, overrides={'values_nt4': {'port': 139}}) as running:
        for host in running.hosts.values():
            host.write_values({KEY: {**MALFORMED, **{name: (3, bytes(index % 251 for index in range(size))) for name, size in LARGE.items()}}})
        yield running


def connect(fleet, name='values') -> SMBHost:
    host = fleet[name]
    return SMBHost(host.address, host.username, PASSWORD, port=host.port)


def stored(fleet, name='values') -> dict:
    return {value_name: (code, raw) for value_name, code, raw in fleet[name].raw_values(KEY)}


@pytest.mark.parametrize('name', list(LARGE))
def test_large_values_are_read_whole(fleet, name):
    with connect(fleet) as host:
        value = host.get_value(KEY, name)
        listed = host.get_values(KEY)[name]
        reads = host.requests
    assert value == listed == RegValue('REG_BINARY', stored(fleet)[name][1])
    assert len(value.data) == LARGE[name]
    print(f'\n{name}: {reads} requests for one get_value and one listing')


@pytest.mark.parametrize('host_name', list(FLEET['hosts']))
def test_every_value_reads_back_to_its_stored_bytes(fleet, host_name):
    with connect(fleet, host_name) as host:
        values = host.get_values(KEY)
        singles = {name: host.get_value(KEY, name) for name in MALFORMED}
    server = stored(fleet, host_name)
    assert list(values) == list(server)                                   # every value, in stored order
    for name, (code, raw) in server.items():
        assert (values[name].type_code, values[name].stored_bytes()) == (code, raw), name
    for name, value in singles.items():
        assert value == values[name]


@pytest.mark.parametrize('name', list(MALFORMED))
def test_writing_a_read_value_back_is_byte_exact(fleet, name):
    """What a restore does: read, overwrite with something else, write the read value back."""
    with connect(fleet) as host:
        before = host.get_value(KEY, name)
        host.set_value(KEY, name, RegValue('REG_SZ', 'https:'))
        assert stored(fleet)[name] == (1, utf16('https:\0'))
        host.set_value(KEY, name, before)
    assert stored(fleet)[name] == MALFORMED[name]


def test_a_listing_is_sent_once_until_a_write(fleet):
    with connect(fleet) as host:
        host.get_values(KEY)
        first = host.requests
        host.get_values(KEY)
        host.enum_values(KEY)
        assert host.requests == first                                     # listed once
        host.set_value(KEY, 'sz no bytes', RegValue.from_raw(1, b''))
        after_write = host.requests
        host.get_values(KEY)
        assert host.requests > after_write                                # a write makes it list again
