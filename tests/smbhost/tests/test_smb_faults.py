# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What goes wrong between the controller and a real Samba server, and what the smb transport says and does about it.

A relay (relay.py) sits between SMBHost and the host: it refuses the ``\\winreg`` pipe (the answer to the pipe's
open says STATUS_OBJECT_NAME_NOT_FOUND, what a server without the Remote Registry service answers), drops the
connection in the middle of a run, and slows every message down.  Hosts whose ``Services`` path is quoted, UNC or
``%SystemDrive%`` are audited directly.
"""

from __future__ import annotations

import pathlib
import struct
import sys
import time

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from relay import DROP, Relay  # noqa: E402
from test_smb_transport import PASSWORD, SETUP, STORE, RemoteError, SMBHost, running_fleet  # noqa: E402

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _regedit  # noqa: E402
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import apply_ops, read_key  # noqa: E402
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import gather_facts  # noqa: E402
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer  # noqa: E402
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import evaluate  # noqa: E402
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._regedit import KeyState  # noqa: E402
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue  # noqa: E402

PARAMETERS_PRIVATE = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
SERVICES_PATHS = {'quoted_services': '"C:\\exchsrvr"', 'unc_services': '\\\\exsrv01\\c$\\exchsrvr',
                  'systemdrive_services': '%SystemDrive%\\exchsrvr'}
FLEET = {
    'defaults': {'username': 'Administrator', 'password': PASSWORD,
                 'registry': {SETUP: {'Services': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'},
                                      'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653}},
                              PARAMETERS_PRIVATE: {
                                  'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'}}},
                 'files': {STORE: {'version': '5.5.2654.81', 'size': 65536}}},
    'hosts': {'plain': {}},
}
for _name, _path in SERVICES_PATHS.items():
    FLEET['hosts'][_name] = {'registry': {SETUP: {'Services': {'type': 'REG_EXPAND_SZ' if '%' in _path else 'REG_SZ', 'data': _path}}}}
FLEET_SUBNET, RELAY_SUBNET = '127.0.52', '127.0.53'
SMB_NT_CREATE_ANDX = 0xA2
STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034


@pytest.fixture(scope='module')
def fleet():
    with running_fleet(FLEET, FLEET_SUBNET, owa_port=0) as running:
        yield running


@pytest.fixture
def relay_to(fleet):
    relays = []

    def start(number, **options):
        relay = Relay(listen=(f'{RELAY_SUBNET}.{number}', 445), target=(fleet['plain'].address, 445), **options).start()
        relays.append(relay)
        return relay
    yield start
    for relay in relays:
        relay.stop()


def connect(address, **options) -> SMBHost:
    return SMBHost(address, 'Administrator', PASSWORD, timeout=10, **options)


def smb1_mid(message: bytes) -> int:
    """The multiplex id of an SMB1 message (MS-CIFS 2.2.3.1: bytes 30-31 of the header)."""
    return struct.unpack_from('<H', message, 30)[0]


class RefusePipe:
    """Answer the NT_CREATE_ANDX that opens ``\\<name>`` with STATUS_OBJECT_NAME_NOT_FOUND, as a server with no such pipe."""

    def __init__(self, name: str):
        self.name, self.mids, self.refused = name.encode('utf-16-le'), set(), 0

    def __call__(self, direction, index, message):
        if message[:4] != b'\xffSMB' or message[4] != SMB_NT_CREATE_ANDX:
            return None
        if direction == 'c2s':
            if self.name in message:
                self.mids.add(smb1_mid(message))
            return None
        if smb1_mid(message) not in self.mids:
            return None
        self.refused += 1
        header = bytearray(message[:32])
        struct.pack_into('<I', header, 5, STATUS_OBJECT_NAME_NOT_FOUND)
        return bytes(header) + b'\x00\x00\x00'       # WordCount 0, ByteCount 0: an error answer


@pytest.mark.parametrize('name', sorted(SERVICES_PATHS))
def test_a_services_path_smb_cannot_read_blocks_the_server_with_its_reason(fleet, name):
    with SMBHost(fleet[name].address, 'Administrator', PASSWORD, timeout=10) as host:
        facts = gather_facts(host, owa=OwaAnswer.declared(True))
    verdict = evaluate(facts)
    assert facts['exchange']['install_path'] == SERVICES_PATHS[name]
    assert verdict['status'] == 'blocked', verdict
    reason = next(reason for reason in verdict['reasons'] if "Store.exe's version could not be read" in reason)
    form = {'quoted_services': 'is quoted', 'unc_services': 'is a UNC path', 'systemdrive_services': 'holds environment variables'}[name]
    assert f'the path {form}' in reason and 'drive letter' in reason and '\n' not in reason, reason


def test_a_refused_winreg_pipe_fails_in_one_line_saying_what_to_do(relay_to):
    refuse = RefusePipe('winreg')
    relay = relay_to(1, rewrite=refuse)
    with connect(relay.address[0]) as host:
        with pytest.raises(RemoteError) as raised:
            host.enum_values(SETUP)
    assert refuse.refused == 1
    error = raised.value
    assert 'refused the \\winreg pipe' in str(error) and 'STATUS_OBJECT_NAME_NOT_FOUND' in str(error), str(error)
    assert 'Remote Registry service' in error.advice and 'ansible_host' not in str(error) + error.advice


def test_a_connection_lost_mid_run_is_not_called_unreachable(relay_to):
    relay = relay_to(2)
    with connect(relay.address[0], retries=0) as host:
        assert 'Services' in host.enum_values(SETUP)
        relay.kill()
        with pytest.raises(RemoteError) as raised:
            host.get_value(PARAMETERS_PRIVATE, 'DB Path')
    assert raised.value.kind == 'transient' and 'the connection was lost' in str(raised.value), str(raised.value)
    assert 'check ansible_host' not in str(raised.value)


def test_a_lost_connection_is_retried_on_a_new_session(relay_to):
    relay = relay_to(3)
    with connect(relay.address[0], retries=2, retry_delay=0) as host:
        assert 'Services' in host.enum_values(SETUP)
        relay.kill()
        assert host.get_value(PARAMETERS_PRIVATE, 'DB Path').data == 'C:\\exchsrvr\\mdbdata\\priv.edb'
        assert host.retried == 1 and relay.connections == 2
        assert host.file_version(STORE) == '5.5.2654.81'


def test_retries_give_up_with_one_line_when_the_connection_keeps_dropping(relay_to):
    def drop_rpc(direction, index, message):
        # let the login through, drop every DCE/RPC request (SMB_COM_TRANSACTION): the session never gets its answer
        return DROP if direction == 'c2s' and message[:4] == b'\xffSMB' and message[4] == 0x25 else None
    relay = relay_to(4, rewrite=drop_rpc)
    with connect(relay.address[0], retries=2, retry_delay=0) as host:
        with pytest.raises(RemoteError) as raised:
            host.enum_values(SETUP)
    assert raised.value.kind == 'transient' and 'still failing after 2 retries' in str(raised.value), str(raised.value)
    assert relay.connections == 3


def test_task_timeout_bounds_the_whole_task_on_a_slow_link(relay_to):
    relay = relay_to(5, delay_ms=400)          # every request and its answer: 0.8 s more
    started = time.monotonic()
    with connect(relay.address[0], task_timeout=2) as host:
        with pytest.raises(RemoteError) as raised:
            gather_facts(host, owa=OwaAnswer.declared(True))
    elapsed = time.monotonic() - started
    assert raised.value.kind == 'timeout' and 'task_timeout of 2s' in str(raised.value), str(raised.value)
    assert elapsed < 4.5, elapsed


def test_a_restore_puts_the_recorded_spelling_back_in_registry_tdb(fleet):
    """The restore's delete-and-write leaves the recorded spelling in registry.tdb itself (read with tdbdump, not through
    SMB).  Samba would also respell on a plain write; Windows keeps the old spelling then, which the unit tests' fake
    host does (tests/unit/plugins/plugin_utils/test_regedit.py, tests/unit/plugins/action/test_owa_url_protocol.py)."""
    key = 'HKLM\\SOFTWARE\\Exchange55Test\\Spelling'
    host = fleet['plain']
    host.write_values({key: {'OWA Url Protocol': (1, 'http:\0'.encode('utf-16-le'))}})
    prior = KeyState({'owa url protocol': RegValue('REG_SZ', 'http:')}, {})
    with SMBHost(host.address, 'Administrator', PASSWORD, timeout=10) as client:
        current = read_key(client, key)
        ops = _regedit.restore_ops(key, current, prior, 'key')
        apply_ops(client, ops)
        assert _regedit.same_state(read_key(client, key), prior, 'key', spelling=True)
    assert [name for name, _code, _data in host.raw_values(key)] == ['owa url protocol']
