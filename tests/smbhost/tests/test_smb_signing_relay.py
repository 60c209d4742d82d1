# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Signed SMB answers are checked: a relay between SMBHost and a real Samba server changes one byte of an answer.

Unsigned, the changed byte is believed (that is what the relay can do to anyone); signed, on
SMB1 (what NT 4.0 and Windows 2000 speak), SMB 2.x and SMB 3 (encrypted by impacket), the
answer fails its check and the host fails with one line.  See docs/smb-signing.md.
"""

from __future__ import annotations

import pathlib
import sys

import pytest

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from relay import Relay  # noqa: E402
from test_smb_transport import PASSWORD, SETUP, STORE, RemoteError, RegValue, SMBHost, running_fleet  # noqa: E402

FIXED_FILE_INFO = b'\xbd\x04\xef\xfe'        # VS_FIXEDFILEINFO's signature; FileVersionLS follows 12 bytes on
FLEET = {
    'defaults': {'username': 'Administrator', 'password': PASSWORD,
                 'registry': {SETUP: {'Services': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'}}},
                 'files': {STORE: {'version': '5.5.2654.81'}}},
    'hosts': {'nt1_offers_signing': {}, 'smb2_requires_signing': {}, 'smb3_requires_signing': {}, 'nt1_requires_signing': {}},
}
OVERRIDES = {
    'smb2_requires_signing': {'protocol': 'SMB2', 'signing': 'mandatory'},
    'smb3_requires_signing': {'protocol': 'SMB3', 'signing': 'mandatory'},
    'nt1_requires_signing': {'signing': 'mandatory'},
}
RELAY_SUBNET = '127.0.48'


@pytest.fixture(scope='module')
def fleet():
    with running_fleet(FLEET, '127.0.47', owa_port=0, overrides=OVERRIDES) as running:
        yield running


class Tamper:
    """A rewrite hook that flips one bit of the first server answer ``match`` accepts, when armed."""

    def __init__(self, match, position):
        self.match, self.position, self.armed, self.done = match, position, False, 0

    def __call__(self, direction, index, message):
        if not self.armed or direction != 's2c' or not self.match(message):
            return None
        self.armed = False
        self.done += 1
        changed = bytearray(message)
        changed[self.position(message)] ^= 0x01
        return bytes(changed)


def version_build_byte(message: bytes) -> int:
    """The low byte of FileVersionLS's revision (81 -> 80) inside a READ answer carrying Store.exe's VS_FIXEDFILEINFO."""
    return message.index(FIXED_FILE_INFO) + 12


@pytest.fixture
def relay(fleet, request):
    name, match, position = request.param
    tamper = Tamper(match, position)       # a fresh one per test
    index = list(FLEET['hosts']).index(name) + 1
    with Relay(listen=(f'{RELAY_SUBNET}.{index}', 445), target=(fleet[name].address, 445), rewrite=tamper) as running:
        yield running, tamper


def via(relay_pair, **options) -> SMBHost:
    running, _tamper = relay_pair
    return SMBHost(running.address[0], 'Administrator', PASSWORD, port=running.address[1], **options)


NT1_VERSION = ('nt1_offers_signing', lambda m: FIXED_FILE_INFO in m, version_build_byte)


@pytest.mark.parametrize('relay', [NT1_VERSION], indirect=True)
def test_without_signing_a_changed_answer_is_believed(relay):
    """The relay really changes Store.exe's version on the wire: unsigned, the client cannot tell."""
    relay[1].armed = True
    with via(relay) as host:
        assert host.file_version(STORE) == '5.5.2654.80'
    assert relay[1].done == 1


@pytest.mark.parametrize('relay', [NT1_VERSION], indirect=True)
def test_smb1_signed_answer_changed_by_one_byte_fails_the_host_with_one_line(relay):
    running, tamper = relay
    with via(relay, require_signing=True) as host:
        assert host.get_value(SETUP, 'Services') == RegValue('REG_SZ', 'C:\\exchsrvr')     # untouched answers pass
        tamper.armed = True
        with pytest.raises(RemoteError) as raised:
            host.file_version(STORE)
        sent = running.stats['c2s']['messages']
        with pytest.raises(RemoteError) as again:                  # the session is not used again
            host.get_value(SETUP, 'Services')
        assert running.stats['c2s']['messages'] == sent
    message = str(raised.value)
    assert tamper.done == 1 and raised.value.kind == 'protocol' and '\n' not in message
    assert 'SMB_COM_READ_ANDX failed its SMB signature check' in message and '5.5.2654.8' not in message
    assert str(again.value) == message
    assert host.verifier.checked > 5


SMB1_REGISTRY = ('nt1_requires_signing', lambda m: 'C:\\exchsrvr'.encode('utf-16-le') in m,
                 lambda m: m.index('C:\\exchsrvr'.encode('utf-16-le')) + 4)


@pytest.mark.parametrize('relay', [SMB1_REGISTRY], indirect=True)
def test_smb1_signed_registry_answer_changed_fails(relay):
    """A server that requires signing (signing then happens without the inventory asking): a changed RRP answer fails."""
    relay[1].armed = True
    with via(relay) as host:
        with pytest.raises(RemoteError, match='SMB_COM_TRANSACTION failed its SMB signature check'):
            host.get_value(SETUP, 'Services')


def LAST_BYTE(message):  # pylint: disable=invalid-name
    return len(message) - 1


@pytest.mark.parametrize('relay, expected', [
    # the final READ answer: Samba may first send an interim STATUS_PENDING one, which carries no signature (MS-SMB2 3.2.5.1.3)
    (('smb2_requires_signing', lambda m: m[:4] == b'\xfeSMB' and m[12] == 0x08 and m[8:12] != b'\x03\x01\x00\x00', LAST_BYTE),
     'SMB2 READ .* failed its SMB signature check'),
    (('smb3_requires_signing', lambda m: m[:4] == b'\xfdSMB' and len(m) > 4096, LAST_BYTE), 'encrypted SMB3 answer failed its integrity check'),
], indirect=['relay'])
def test_smb2_and_smb3_answers_changed_by_one_byte_fail(relay, expected):
    with via(relay, require_signing=True) as host:
        assert host.get_value(SETUP, 'Services') == RegValue('REG_SZ', 'C:\\exchsrvr')
        relay[1].armed = True
        with pytest.raises(RemoteError, match=expected) as raised:
            host.file_version(STORE)
    assert relay[1].done == 1 and '\n' not in str(raised.value)


@pytest.mark.parametrize('relay', [(name, lambda m: False, LAST_BYTE) for name in FLEET['hosts']], indirect=True)
def test_untouched_signed_sessions_check_every_answer(relay):
    with via(relay, require_signing=True) as host:
        assert host.get_values(SETUP)['Services'] == RegValue('REG_SZ', 'C:\\exchsrvr')
        assert host.file_version(STORE) == '5.5.2654.81'
    verifier = host.verifier
    assert verifier.active and verifier.received >= 12        # this sequence gets 14 answers (one logoff ends the session)
    assert verifier.checked + verifier.exempt == verifier.received      # nothing received on the signed session went unchecked
    assert verifier.exempt <= verifier.received // 4                     # only interim STATUS_PENDING answers are exempt
