# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMB1 answer signatures (MS-CIFS 3.1.4.1 / 3.2.5.1.2) checked around a fake impacket session."""

from __future__ import annotations

import hashlib
import struct

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _smb_signing as signing

KEY = bytes(range(16))
PID = 0x1234


def message(command: int, mid: int, body: bytes = b'', reply: bool = False, pid: int = PID) -> bytes:
    """An SMB1 header (MS-CIFS 2.2.3.1) with an all-zero signature field, then body."""
    flags = 0x80 if reply else 0x00
    return struct.pack('<4sBIBHH8sHHHHH', b'\xffSMB', command, 0, flags, 0xC807, pid >> 16, b'\0' * 8, 0, 1, pid & 0xFFFF, 100, mid) + body


def signed(data: bytes, sequence: int, key: bytes = KEY) -> bytes:
    """Sign the way MS-CIFS says, written out independently of the module under test."""
    with_seq = data[:14] + sequence.to_bytes(4, 'little') + b'\0' * 4 + data[22:]
    mac = hashlib.md5(key + with_seq).digest()[:8]
    return data[:14] + mac + data[22:]


class Packet:
    def __init__(self, data):
        self.data = data

    def get_trailer(self):
        return self.data


class FakeSession:
    """Stands in for impacket's NetBIOSTCPSession: records what is sent, answers from a queue."""

    def __init__(self):
        self.sent = []
        self.answers = []

    def send_packet(self, data):
        self.sent.append(data)

    def recv_packet(self, timeout=None):
        return Packet(self.answers.pop(0))


class FakeSMB:
    """Stands in for impacket's smb.SMB: the attributes the verifier reads, and impacket's numbering."""

    def __init__(self):
        self._sess = FakeSession()
        self._SigningSessionKey = KEY
        self._SigningChallengeResponse = b''
        self.sequence = 2

    def send(self, data):
        """Sign as impacket's signSMB does (sequence, then + 2) and send through the (wrapped) session."""
        data = signed(data, self.sequence)
        self.sequence += 2
        self._sess.send_packet(data)

    def recv(self):
        return self._sess.recv_packet().get_trailer()


@pytest.fixture
def smb():
    server = FakeSMB()
    verifier = signing.SMB1ResponseVerifier(server).watch()
    server._sess.answers.append(signed(message(0x73, 1, reply=True), 1))
    server.recv()                                     # the login's last SESSION_SETUP answer, seen before signing is active
    verifier.activate()
    server.verifier = verifier
    return server


def test_signature_matches_the_specified_algorithm():
    data = message(0x2E, 7, b'payload', reply=True)
    assert signing.smb1_signature(KEY, b'', data, 9) == signed(data, 9)[14:22]
    assert signing.smb1_signature(KEY, b'resp', data, 9) != signing.smb1_signature(KEY, b'', data, 9)   # challenge response counts
    assert signing.smb1_signature(KEY, b'', signed(data, 9), 9) == signed(data, 9)[14:22]   # the field's old content is ignored


def test_good_answers_pass_and_are_counted(smb):
    smb.send(message(0x2E, 10))
    smb._sess.answers.append(signed(message(0x2E, 10, b'data', reply=True), 3))
    assert smb.recv().endswith(b'data')
    smb.send(message(0x25, 11))
    smb._sess.answers.append(signed(message(0x25, 11, b'rpc', reply=True), 5))
    assert smb.recv().endswith(b'rpc')
    assert smb.verifier.checked == 3                  # the login answer and two more


@pytest.mark.parametrize('position', [0, 4, 9, 22, 31, 32, 35])
def test_one_changed_byte_anywhere_fails(smb, position):
    smb.send(message(0x2E, 10))
    answer = bytearray(signed(message(0x2E, 10, b'5.5.2654.81', reply=True), 3))
    answer[position] ^= 0x01
    smb._sess.answers.append(bytes(answer))
    with pytest.raises(signing.SigningError, match='failed its SMB signature check|to no request|not an SMB1 message'):
        smb.recv()


def test_a_changed_signature_fails_and_the_session_stays_refused(smb):
    smb.send(message(0x2E, 10))
    answer = bytearray(signed(message(0x2E, 10, b'x', reply=True), 3))
    answer[14] ^= 0x80
    smb._sess.answers.append(bytes(answer))
    with pytest.raises(signing.SigningError) as raised:
        smb.recv()
    assert str(raised.value) == ('the answer to SMB_COM_READ_ANDX failed its SMB signature check (sequence 3): '
                                 'it was changed on the way, or it does not come from the server that logged us on')
    assert '\n' not in str(raised.value)
    with pytest.raises(signing.SigningError):
        smb.send(message(0x2E, 11))                   # nothing more is sent on an untrusted session
    assert len(smb._sess.sent) == 1


def test_a_replayed_answer_fails(smb):
    """The right signature for another sequence number (an old answer sent again) does not pass."""
    smb.send(message(0x2E, 10))
    old = signed(message(0x2E, 10, b'old', reply=True), 3)
    smb._sess.answers.append(old)
    smb.recv()
    smb.send(message(0x2E, 10))                       # same MID again, next sequence (5)
    smb._sess.answers.append(old)
    with pytest.raises(signing.SigningError, match='sequence 5'):
        smb.recv()


def test_an_answer_signed_with_another_key_fails(smb):
    smb.send(message(0x2E, 10))
    smb._sess.answers.append(signed(message(0x2E, 10, reply=True), 3, key=b'\x01' * 16))
    with pytest.raises(signing.SigningError):
        smb.recv()


def test_an_answer_to_nothing_fails(smb):
    smb._sess.answers.append(signed(message(0x2E, 99, reply=True), 3))
    with pytest.raises(signing.SigningError, match='to no request'):
        smb.recv()


def test_answers_are_matched_by_pid_and_mid_not_by_order(smb):
    smb.send(message(0x2E, 10))
    smb.send(message(0x2E, 11))
    smb._sess.answers += [signed(message(0x2E, 11, reply=True), 5), signed(message(0x2E, 10, reply=True), 3)]
    smb.recv()
    smb.recv()
    assert smb.verifier.checked == 3


def test_oplock_break_notifications_are_exempt_and_dropped(smb):
    smb.send(message(0x2E, 10))
    smb._sess.answers += [message(0x24, 0xFFFF, b'break'), signed(message(0x2E, 10, b'data', reply=True), 3)]
    assert smb.recv().endswith(b'data')


def test_nt_cancel_takes_one_number_and_has_no_answer(smb):
    smb.send(message(0xA4, 10))
    smb.sequence -= 1                                  # impacket would have to number the same way
    smb.send(message(0x2E, 12))
    smb._sess.answers.append(signed(message(0x2E, 12, reply=True), 4))
    smb.recv()


def test_a_library_that_numbers_differently_is_refused():
    server = FakeSMB()
    verifier = signing.SMB1ResponseVerifier(server).watch()
    server._sess.answers.append(signed(message(0x73, 1, reply=True), 1))
    server.recv()
    verifier.activate()
    server.sequence = 4                                # not what MS-CIFS says follows a login
    with pytest.raises(signing.SigningError, match='cannot follow the signing sequence'):
        server.send(message(0x2E, 10))


def test_a_tampered_login_answer_fails_at_activation():
    server = FakeSMB()
    verifier = signing.SMB1ResponseVerifier(server).watch()
    answer = bytearray(signed(message(0x73, 1, b'\x00' * 4, reply=True), 1))
    answer[-1] = 1
    server._sess.answers.append(bytes(answer))
    server.recv()
    with pytest.raises(signing.SigningError, match='SESSION_SETUP'):
        verifier.activate()


def test_before_activation_nothing_is_checked():
    server = FakeSMB()
    signing.SMB1ResponseVerifier(server).watch()
    server._sess.answers.append(message(0x72, 0, b'unsigned negotiate', reply=True))
    assert server.recv().endswith(b'negotiate')


# --- SMB 2 and 3 (MS-SMB2 3.1.4.1, 3.2.5.1.3) ----------------------------------------------------

SESSION_KEY = bytes(range(100, 116))
SIGNING_KEY = bytes(range(200, 216))


def smb2(command: int, message_id: int, body: bytes = b'', status: int = 0, flags: int = 0x1, next_command: int = 0) -> bytes:
    """An SMB2 header (MS-SMB2 2.2.1.2) with a zero signature, then body."""
    return struct.pack('<4sHHIHHIIQIIQ16s', b'\xfeSMB', 64, 1, status, command, 1, flags, next_command, message_id, 0, 1, 7, b'\0' * 16) + body


def smb2_signed(data: bytes, dialect: int) -> bytes:
    import hmac

    from cryptography.hazmat.primitives import cmac
    from cryptography.hazmat.primitives.ciphers import algorithms
    if dialect < 0x300:
        mac = hmac.new(SESSION_KEY, data, hashlib.sha256).digest()[:16]
    else:
        c = cmac.CMAC(algorithms.AES(SIGNING_KEY))
        c.update(data)
        mac = c.finalize()
    return data[:48] + mac + data[64:]


class FakeSMB3:
    def __init__(self, dialect):
        self._NetBIOSSession = FakeSession()
        self._Session = {'SessionKey': SESSION_KEY, 'SigningKey': SIGNING_KEY, 'DecryptionKey': bytes(range(16))}
        self._Connection = {'Dialect': dialect}

    def recv(self):
        return self._NetBIOSSession.recv_packet().get_trailer()


def smb3_session(dialect):
    server = FakeSMB3(dialect)
    verifier = signing.response_verifier(server).watch()
    assert isinstance(verifier, signing.SMB2ResponseVerifier)
    server._NetBIOSSession.answers.append(smb2_signed(smb2(0x01, 1), dialect))
    server.recv()
    verifier.activate()
    return server, verifier


@pytest.mark.parametrize('dialect', [0x202, 0x210, 0x300, 0x311])
def test_smb2_answers_are_verified_with_the_dialects_algorithm(dialect):
    server, verifier = smb3_session(dialect)
    good = smb2_signed(smb2(0x08, 5, b'5.5.2654.81'), dialect)
    server._NetBIOSSession.answers.append(good)
    assert server.recv() == good
    bad = bytearray(good)
    bad[-1] ^= 1
    server._NetBIOSSession.answers.append(bytes(bad))
    with pytest.raises(signing.SigningError, match='SMB2 READ .*failed its SMB signature check'):
        server.recv()
    assert verifier.checked == 2


def test_smb2_a_cleared_signed_flag_does_not_skip_the_check():
    server, _verifier = smb3_session(0x300)
    server._NetBIOSSession.answers.append(smb2(0x08, 5, b'unsigned', flags=0x1 & ~0x8))
    with pytest.raises(signing.SigningError):
        server.recv()


def test_smb2_exempt_answers_pass_unchecked():
    server, verifier = smb3_session(0x300)
    server._NetBIOSSession.answers += [smb2(0x12, 0xFFFFFFFFFFFFFFFF, b'oplock break'),
                                       smb2(0x08, 6, status=0x103, flags=0x3)]   # interim STATUS_PENDING, async
    server.recv()
    server.recv()
    assert verifier.checked == 1


def test_smb2_compound_answers_are_checked_message_by_message():
    server, _verifier = smb3_session(0x210)
    first = smb2_signed(smb2(0x05, 8, b'create'.ljust(16, b'\0'), next_command=80), 0x210)
    second = smb2_signed(smb2(0x06, 9, b'close'), 0x210)
    server._NetBIOSSession.answers.append(first + second)
    server.recv()
    tampered = first + second[:-1] + bytes([second[-1] ^ 1])
    server._NetBIOSSession.answers.append(tampered)
    with pytest.raises(signing.SigningError, match='SMB2 CLOSE'):
        server.recv()


def test_smb3_encrypted_answers_need_a_valid_ccm_tag():
    from cryptography.hazmat.primitives.ciphers.aead import AESCCM
    server, verifier = smb3_session(0x300)
    inner = smb2(0x08, 5, b'secret data')
    nonce = bytes(range(11)) + b'\0' * 5
    aad = nonce + struct.pack('<IHHQ', len(inner), 0, 1, 7)
    sealed = AESCCM(bytes(range(16)), tag_length=16).encrypt(nonce[:11], inner, aad)
    transform = b'\xfdSMB' + sealed[-16:] + aad + sealed[:-16]
    server._NetBIOSSession.answers.append(transform)
    assert server.recv() == transform
    bad = bytearray(transform)
    bad[60] ^= 1
    server._NetBIOSSession.answers.append(bytes(bad))
    with pytest.raises(signing.SigningError, match='encrypted SMB3 answer failed its integrity check'):
        server.recv()
    assert verifier.checked == 2
