# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Verify the server's signature on every SMB answer, which impacket does not do.

impacket's ``smb.SMB`` signs each request (``signSMB``) but never checks the signature of an
answer: ``checkSignSMB`` exists and is called nowhere, and ``recvSMB`` returns whatever arrived.
So "signing required" protected the requests only, and a changed answer (a file version, a
registry value) was taken as true.  This module wraps the session's NetBIOS transport of an
impacket ``smb.SMB`` object: it notes the sequence number of every signed request and checks
each answer against it, before impacket sees the answer.

The rules, from the specifications:

* MS-CIFS 3.1.4.1 (quoted in impacket's ``signSMB``): the signature is the first 8 bytes of
  MD5(SigningSessionKey + SigningChallengeResponse + message), computed with the 32-bit sequence
  number in the low half of the 8-byte SecuritySignature field (header offset 14) and zeros in
  the high half.  With extended security (NTLMSSP) the challenge response is empty.
* MS-CIFS 3.2.5.1.2: "If a message is received and Client.Connection.IsSigningActive is TRUE
  for the connection, the signature MUST be verified ... unless the message is an OpLock Break
  Notification"; the expected sequence number is the one stored for the answer's PID and MID;
  "If signature verification fails, the message MUST be discarded and not processed. The client
  SHOULD choose to disconnect".
* MS-SMB 3.3.5.1 (the server side of the same numbering): a request numbered N is answered
  with N + 1 and the next request is N + 2; SMB_COM_NT_CANCEL takes one number and has no answer.
* The session's first signed exchange is the last SESSION_SETUP: request 0, answer 1; the first
  request after the login is numbered 2 (impacket sets ``_SignSequenceNumber = 2``).

An OpLock Break Notification (SMB_COM_LOCKING_ANDX sent by the server with MID 0xFFFF) is exempt
from signing, so nothing in it can be trusted; impacket cannot process one either (it takes it
for the answer it waits for), so it is dropped here and the next message read.

SMB 2 and 3 (MS-SMB2 3.2.5.1.3) are checked the same way around impacket's ``smb3.SMB3``, whose
``recvSMB`` does not verify either: with Session.SigningRequired every answer's signature is
verified (HMAC-SHA256 with the session key, first 16 bytes, for 2.0.2 and 2.1; AES-CMAC with the
derived signing key for 3.x; MS-SMB2 3.1.5.1), except those the specification exempts: an answer
with MessageId 0xFFFFFFFFFFFFFFFF (an oplock or lease break) and an interim STATUS_PENDING answer.
impacket encrypts every SMB 3.x session whose server offers encryption (``EncryptData``), and
decrypts answers with AES-128-CCM without checking the tag (``cipher.verify`` is commented out in
``recvSMB``); so an encrypted answer's tag (the transform header's Signature, MS-SMB2 2.2.41,
3.1.4.3) is checked here, with the transform header from Nonce on as additional data, before
impacket decrypts it.  A decrypted answer carries no signature of its own (MS-SMB2 3.2.5.1.3 skips
the check "if ... decryption ... succeeds").

Nothing here imports impacket: the wrapped object only needs ``_sess`` (``send_packet(bytes)``,
``recv_packet(timeout)`` returning an object with ``get_trailer()``), ``_SigningSessionKey`` and
``_SigningChallengeResponse``, so the unit tests drive it with fakes and computed signatures.
"""

from __future__ import annotations

import hashlib
import hmac
import struct

SMB1_MAGIC = b'\xffSMB'
HEADER_SIZE = 32
SIGNATURE_OFFSET = 14
SIGNATURE_SIZE = 8
COMMAND_OFFSET = 4
FLAGS2_OFFSET = 10
PID_HIGH_OFFSET = 12
PID_LOW_OFFSET = 26
MID_OFFSET = 30
FLAGS_OFFSET = 9
FLAGS_REPLY = 0x80
FLAGS2_SMB_SECURITY_SIGNATURE = 0x0004
SMB_COM_LOCKING_ANDX = 0x24
SMB_COM_NT_CANCEL = 0xA4
SMB_COM_SESSION_SETUP_ANDX = 0x73
OPLOCK_BREAK_MID = 0xFFFF
FIRST_SEQUENCE_AFTER_LOGIN = 2

COMMAND_NAMES = {
    0x04: 'CLOSE', 0x24: 'LOCKING_ANDX', 0x25: 'TRANSACTION', 0x2E: 'READ_ANDX', 0x2F: 'WRITE_ANDX',
    0x32: 'TRANSACTION2', 0x71: 'TREE_DISCONNECT', 0x72: 'NEGOTIATE', 0x73: 'SESSION_SETUP_ANDX',
    0x74: 'LOGOFF_ANDX', 0x75: 'TREE_CONNECT_ANDX', 0xA2: 'NT_CREATE_ANDX', 0xA4: 'NT_CANCEL',
}


class SigningError(Exception):
    """An SMB1 answer whose signature does not match, or that answers nothing that was sent (one line)."""


def smb1_signature(key: bytes, challenge_response: bytes, message: bytes, sequence: int) -> bytes:
    """The 8-byte MS-CIFS signature of ``message`` (a whole SMB1 message) for ``sequence``."""
    if len(message) < HEADER_SIZE or not message.startswith(SMB1_MAGIC):
        raise SigningError(f'an SMB1 message is at least {HEADER_SIZE} bytes and starts with 0xFF "SMB"')
    with_sequence = (message[:SIGNATURE_OFFSET] + struct.pack('<II', sequence & 0xFFFFFFFF, 0)
                     + message[SIGNATURE_OFFSET + SIGNATURE_SIZE:])
    return hashlib.md5(bytes(key) + bytes(challenge_response) + with_sequence).digest()[:SIGNATURE_SIZE]


def _pid_mid(message: bytes) -> tuple[int, int]:
    (pid_high,), (pid_low,), (mid,) = (struct.unpack_from('<H', message, offset) for offset in (PID_HIGH_OFFSET, PID_LOW_OFFSET, MID_OFFSET))
    return (pid_high << 16) | pid_low, mid


def command_name(message: bytes) -> str:
    code = message[COMMAND_OFFSET] if len(message) > COMMAND_OFFSET else None
    return f'SMB_COM_{COMMAND_NAMES.get(code, f"0x{code:02X}" if code is not None else "?")}'


class _Verifier:
    """What both verifiers share: the count of checked answers and the failure that ends the session."""

    def __init__(self):
        self.active = False
        self.received = 0                 # messages received since signing became active (and encrypted ones before)
        self.checked = 0                  # of them, those whose signature (or encryption tag) was verified
        self.exempt = 0                   # of them, those the specifications exempt from signing
        self._last_setup_answer = None
        self._failure: SigningError | None = None

    @property
    def failed(self) -> bool:
        """True once a check failed: the session must not be used any more."""
        return self._failure is not None

    def _fail(self, text: str):
        self._failure = SigningError(text)
        raise self._failure


class SMB1ResponseVerifier(_Verifier):
    """Check the signature of every SMB1 answer an impacket ``smb.SMB`` session receives.

    Call :meth:`watch` before the login (it keeps the last SESSION_SETUP answer, whose signature
    can only be checked once the session key is known) and :meth:`activate` right after it.  From
    then on every request sent is numbered and every answer checked; a failure raises
    :class:`SigningError` and every later send or receive raises it again (the session is not
    trusted any more).
    """

    def __init__(self, server):
        super().__init__()
        self.server = server
        self.session = server._sess
        self._next = None
        self._expected: dict[tuple[int, int], tuple[int, str]] = {}
        self._send = self.session.send_packet
        self._recv = self.session.recv_packet

    def watch(self) -> SMB1ResponseVerifier:
        self.session.send_packet = self.send_packet
        self.session.recv_packet = self.recv_packet
        return self

    def activate(self) -> None:
        """Signing is on now: check the login's last answer (sequence 1), then number requests from 2."""
        self._next = FIRST_SEQUENCE_AFTER_LOGIN
        self.active = True
        answer, self._last_setup_answer = self._last_setup_answer, None
        if answer is None:
            self._fail('the login answer (SMB_COM_SESSION_SETUP_ANDX) was not seen, so its signature cannot be checked')
        self.received += 1
        self._check(answer, 1, 'SMB_COM_SESSION_SETUP_ANDX')

    # -- the wrapped transport
    def send_packet(self, data):
        if self._failure is not None:
            raise self._failure
        data = bytes(data)
        if self.active and data.startswith(SMB1_MAGIC) and len(data) >= HEADER_SIZE:
            self._number(data)
        return self._send(data)

    def recv_packet(self, timeout=None):
        while True:
            if self._failure is not None:
                raise self._failure
            packet = self._recv(timeout)
            message = bytes(packet.get_trailer())
            if not self.active:
                if message.startswith(SMB1_MAGIC) and len(message) >= HEADER_SIZE and message[COMMAND_OFFSET] == SMB_COM_SESSION_SETUP_ANDX:
                    self._last_setup_answer = message
                return packet
            self.received += 1
            if not message.startswith(SMB1_MAGIC) or len(message) < HEADER_SIZE:
                self._fail(f'an answer that is not an SMB1 message arrived ({len(message)} bytes) on a signed session')
            pid, mid = _pid_mid(message)
            if message[COMMAND_OFFSET] == SMB_COM_LOCKING_ANDX and mid == OPLOCK_BREAK_MID and not message[FLAGS_OFFSET] & FLAGS_REPLY:
                self.exempt += 1
                continue                  # an OpLock Break Notification: exempt from signing, dropped (see the module docstring)
            expected = self._expected.pop((pid, mid), None)
            if expected is None:
                self._fail(f'an answer ({command_name(message)}, MID {mid}) to no request that was sent arrived on a signed session')
            sequence, request = expected
            self._check(message, sequence, request)
            return packet

    # -- bookkeeping
    def _number(self, request: bytes) -> None:
        sequence = self._next
        if request[SIGNATURE_OFFSET:SIGNATURE_OFFSET + SIGNATURE_SIZE] != self._signature(request, sequence):
            # impacket numbered this request differently: checking answers against our numbers would be wrong.
            self._fail(f'cannot follow the signing sequence of {command_name(request)} (the SMB library numbered it differently)')
        if request[COMMAND_OFFSET] == SMB_COM_NT_CANCEL:
            self._next += 1
            return
        self._expected[_pid_mid(request)] = (sequence + 1, command_name(request))
        self._next += 2

    def _signature(self, message: bytes, sequence: int) -> bytes:
        return smb1_signature(self.server._SigningSessionKey, self.server._SigningChallengeResponse or b'', message, sequence)

    def _check(self, message: bytes, sequence: int, request: str) -> None:
        if message[SIGNATURE_OFFSET:SIGNATURE_OFFSET + SIGNATURE_SIZE] != self._signature(message, sequence):
            self._fail(f'the answer to {request} failed its SMB signature check (sequence {sequence}): '
                       f'it was changed on the way, or it does not come from the server that logged us on')
        self.checked += 1


# ---------------------------------------------------------------------------------------- SMB 2 / 3
SMB2_MAGIC = b'\xfeSMB'
SMB2_TRANSFORM_MAGIC = b'\xfdSMB'
SMB2_HEADER_SIZE = 64
SMB2_TRANSFORM_HEADER_SIZE = 52
SMB2_SIGNATURE_OFFSET = 48
SMB2_SIGNATURE_SIZE = 16
SMB2_SESSION_SETUP = 0x0001
SMB2_DIALECT_30 = 0x0300
SMB2_FLAGS_ASYNC_COMMAND = 0x00000002
STATUS_PENDING = 0x00000103
STATUS_SUCCESS = 0
UNSOLICITED_MESSAGE_ID = 0xFFFFFFFFFFFFFFFF
SMB2_COMMAND_NAMES = {
    0x00: 'NEGOTIATE', 0x01: 'SESSION_SETUP', 0x02: 'LOGOFF', 0x03: 'TREE_CONNECT', 0x04: 'TREE_DISCONNECT',
    0x05: 'CREATE', 0x06: 'CLOSE', 0x08: 'READ', 0x09: 'WRITE', 0x0B: 'IOCTL', 0x10: 'QUERY_INFO',
}


def smb2_signature(message: bytes, dialect: int, session_key: bytes, signing_key: bytes) -> bytes:
    """The 16-byte MS-SMB2 3.1.4.1 signature of one SMB2 message (its signature field taken as zeros)."""
    zeroed = message[:SMB2_SIGNATURE_OFFSET] + b'\0' * SMB2_SIGNATURE_SIZE + message[SMB2_SIGNATURE_OFFSET + SMB2_SIGNATURE_SIZE:]
    if dialect < SMB2_DIALECT_30:
        return hmac.new(bytes(session_key), zeroed, hashlib.sha256).digest()[:SMB2_SIGNATURE_SIZE]
    from cryptography.hazmat.primitives import cmac                       # pylint: disable=import-outside-toplevel
    from cryptography.hazmat.primitives.ciphers import algorithms         # pylint: disable=import-outside-toplevel
    mac = cmac.CMAC(algorithms.AES(bytes(signing_key)))
    mac.update(zeroed)
    return mac.finalize()


def _smb2_messages(data: bytes):
    """The messages of an SMB2 answer: one, or a compound chain linked by NextCommand (MS-SMB2 3.2.5.1.9)."""
    offset = 0
    while True:
        if len(data) - offset < SMB2_HEADER_SIZE or data[offset:offset + 4] != SMB2_MAGIC:
            raise SigningError(f'an answer that is not an SMB2 message arrived ({len(data) - offset} bytes) on a signed session')
        next_command, = struct.unpack_from('<I', data, offset + 20)
        if next_command and (next_command < SMB2_HEADER_SIZE or offset + next_command > len(data)):
            raise SigningError('an SMB2 compound answer points outside itself')
        end = offset + next_command if next_command else len(data)
        yield data[offset:end]
        if not next_command:
            return
        offset = end


class SMB2ResponseVerifier(_Verifier):
    """Check the signature of every SMB2/3 answer an impacket ``smb3.SMB3`` session receives.

    Same protocol as :class:`SMB1ResponseVerifier`: :meth:`watch` before the login, :meth:`activate`
    after it when impacket activated signing.
    """

    def __init__(self, server):
        super().__init__()
        self.server = server
        self.session = server._NetBIOSSession
        self._recv = self.session.recv_packet

    def watch(self) -> SMB2ResponseVerifier:
        self.session.recv_packet = self.recv_packet
        return self

    def activate(self) -> None:
        """Signing is on: check the login's final SESSION_SETUP answer (MS-SMB2 3.2.5.3.1 signs it), then every answer."""
        self.active = True
        answer, self._last_setup_answer = self._last_setup_answer, None
        if answer is None:
            self._fail('the login answer (SMB2 SESSION_SETUP) was not seen, so its signature cannot be checked')
        self.received += 1
        self._check(answer)

    def recv_packet(self, timeout=None):
        if self._failure is not None:
            raise self._failure
        packet = self._recv(timeout)
        data = bytes(packet.get_trailer())
        if data.startswith(SMB2_TRANSFORM_MAGIC):
            self.received += 1
            self._check_encrypted(data)
            return packet
        if not self.active:
            if data.startswith(SMB2_MAGIC) and len(data) >= SMB2_HEADER_SIZE:
                command, = struct.unpack_from('<H', data, 12)
                status, = struct.unpack_from('<I', data, 8)
                if command == SMB2_SESSION_SETUP and status == STATUS_SUCCESS:
                    self._last_setup_answer = data
            return packet
        for message in _smb2_messages(data):
            self.received += 1
            self._check(message)
        return packet

    def _check_encrypted(self, data: bytes) -> None:
        """Check an encrypted answer's AES-128-CCM tag (the only cipher impacket offers) with the session's decryption key."""
        from cryptography.exceptions import InvalidTag                        # pylint: disable=import-outside-toplevel
        from cryptography.hazmat.primitives.ciphers.aead import AESCCM        # pylint: disable=import-outside-toplevel
        if len(data) < SMB2_TRANSFORM_HEADER_SIZE:
            self._fail(f'an encrypted SMB3 answer of {len(data)} bytes is shorter than its header')
        key = self.server._Session.get('DecryptionKey') or b''
        if len(key) != 16:
            self._fail('an encrypted SMB3 answer arrived before the session had a decryption key')
        tag, nonce = data[4:20], data[20:31]
        try:
            AESCCM(bytes(key), tag_length=16).decrypt(nonce, data[SMB2_TRANSFORM_HEADER_SIZE:] + tag, data[20:SMB2_TRANSFORM_HEADER_SIZE])
        except InvalidTag:
            self._fail('an encrypted SMB3 answer failed its integrity check: it was changed on the way, '
                       'or it does not come from the server that logged us on')
        self.checked += 1

    def _check(self, message: bytes) -> None:
        status, = struct.unpack_from('<I', message, 8)
        flags, = struct.unpack_from('<I', message, 16)
        message_id, = struct.unpack_from('<Q', message, 24)
        if message_id == UNSOLICITED_MESSAGE_ID or (status == STATUS_PENDING and flags & SMB2_FLAGS_ASYNC_COMMAND):
            self.exempt += 1
            return                                    # exempt (MS-SMB2 3.2.5.1.3)
        session, connection = self.server._Session, self.server._Connection
        expected = smb2_signature(message, connection['Dialect'], session['SessionKey'], session.get('SigningKey') or b'')
        if message[SMB2_SIGNATURE_OFFSET:SMB2_SIGNATURE_OFFSET + SMB2_SIGNATURE_SIZE] != expected:
            command, = struct.unpack_from('<H', message, 12)
            self._fail(f'the answer to SMB2 {SMB2_COMMAND_NAMES.get(command, f"command 0x{command:02X}")} (message {message_id}) '
                       f'failed its SMB signature check: it was changed on the way, or it does not come from the server that logged us on')
        self.checked += 1


def response_verifier(server):
    """The verifier for an impacket SMB session object: SMB1 for ``smb.SMB``, SMB2/3 for ``smb3.SMB3`` (told apart by shape)."""
    if hasattr(server, '_NetBIOSSession') and hasattr(server, '_Session'):
        return SMB2ResponseVerifier(server)
    return SMB1ResponseVerifier(server)
