# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Name every SMB request a relay (tests/smbhost/relay.py) forwards: the benchmark's round trips by operation.

``WireCounter.observe`` is the relay's ``observe`` hook.  Each client-to-server message is one
request, i.e. one round trip (every SMB1 request the collection sends gets one answer; MS-CIFS
2.2.4.33 NT_TRANSACT and secondary transaction requests, which can answer nothing, are never
sent).  Requests are named from the wire, independently of the client's own counters:

* SMB1 (``\\xffSMB``, MS-CIFS 2.2.3.1: command byte 4, TID at 24, MID at 30; 32-byte header):
  ``negotiate``, ``session_setup``, ``tree_connect IPC$`` / ``tree_connect C$`` (the share from
  the request's path), ``open pipe`` / ``open file`` (NT_CREATE_ANDX on IPC$ or another tree),
  ``read file`` / ``read pipe``, ``write pipe``, ``close pipe`` / ``close file``,
  ``tree_disconnect``, ``logoff``; DCE/RPC carried by TRANSACTION (TRANS_TRANSACT_NMPIPE) or
  WRITE_ANDX is named by its PDU (C706 12.6: ``bind winreg``, ``rrp BaseRegQueryValue``,
  ``scmr RQueryServiceStatus``: the interface comes from the bind on that FID, the operation
  from impacket's opnum tables of MS-RRP 3.1.5 and MS-SCMR 3.1.4).
* SMB2/3 (``\\xfeSMB``, MS-SMB2 2.2.1: command at 12): the command's name only.
"""

from __future__ import annotations

import collections
import struct
import threading

SMB1_COMMANDS = {0x04: 'close', 0x25: 'transaction', 0x2E: 'read', 0x2F: 'write', 0x71: 'tree_disconnect', 0x72: 'negotiate',
                 0x73: 'session_setup', 0x74: 'logoff', 0x75: 'tree_connect', 0xA2: 'open'}
SMB2_COMMANDS = {0: 'negotiate', 1: 'session_setup', 2: 'logoff', 3: 'tree_connect', 4: 'tree_disconnect', 5: 'create', 6: 'close',
                 7: 'flush', 8: 'read', 9: 'write', 10: 'lock', 11: 'ioctl', 12: 'cancel', 13: 'echo', 14: 'query_directory',
                 16: 'query_info', 17: 'set_info'}
FLAGS2_UNICODE = 0x8000


def _interfaces() -> dict:
    """{interface UUID bytes as in a bind (little-endian fields): (short name, {opnum: operation name})}."""
    from impacket.dcerpc.v5 import rrp, scmr  # pylint: disable=import-outside-toplevel
    from impacket.uuid import uuidtup_to_bin  # pylint: disable=import-outside-toplevel
    table = {}
    for short, prefix, module, uuid in (('winreg', 'rrp', rrp, rrp.MSRPC_UUID_RRP), ('svcctl', 'scmr', scmr, scmr.MSRPC_UUID_SCMR)):
        raw = uuid[:16] if len(uuid) >= 16 else uuidtup_to_bin(uuid)
        table[bytes(raw)] = (short, prefix, {opnum: classes[0].__name__ for opnum, classes in module.OPNUMS.items()})
    return table


class _Connection:
    def __init__(self):
        self.shares = {}           # TID -> share name
        self.pending = {}          # MID -> what the answer completes: ('tree', share) | ('open', tid)
        self.fids = {}             # FID -> 'pipe' | 'file'
        self.interfaces = {}       # FID -> (short name, prefix, opnums)


class WireCounter:
    """Counts, per relay (= per host), the requests by operation and the bytes both ways."""

    def __init__(self):
        self._lock = threading.Lock()
        self._interfaces = None
        self._connections = {}
        self.operations = collections.Counter()
        self.bytes = 0
        self.connections = 0

    def snapshot(self) -> dict:
        with self._lock:
            return {'operations': dict(self.operations), 'bytes': self.bytes, 'connections': self.connections,
                    'requests': sum(self.operations.values())}

    def observe(self, connection: int, direction: str, _index: int, message: bytes) -> None:
        with self._lock:
            self.bytes += len(message) + 4
            state = self._connections.get(connection)
            if state is None:
                state = self._connections[connection] = _Connection()
                self.connections += 1
            try:
                if direction == 'c2s':
                    self.operations[self._request(state, message)] += 1
                else:
                    self._answer(state, message)
            except (IndexError, struct.error, UnicodeDecodeError):
                if direction == 'c2s':
                    self.operations['unparsed'] += 1

    # ------------------------------------------------------------------ requests
    def _request(self, state: _Connection, message: bytes) -> str:
        if message[:4] == b'\xfeSMB':
            return 'smb2 ' + SMB2_COMMANDS.get(struct.unpack_from('<H', message, 12)[0], 'other')
        if message[:4] != b'\xffSMB':
            return 'netbios'
        command = message[4]
        name = SMB1_COMMANDS.get(command, f'smb1 0x{command:02x}')
        tid, mid = struct.unpack_from('<H', message, 24)[0], struct.unpack_from('<H', message, 30)[0]
        words = 33
        if command == 0x75:                                   # TREE_CONNECT_ANDX: path \\server\SHARE in the data
            share = self._text(message, message[10:12], words + 2 * message[32] + 2 + struct.unpack_from('<H', message, words + 6)[0])
            share = share.rsplit('\\', 1)[-1].upper()
            state.pending[mid] = ('tree', share)
            return f'tree_connect {share}'
        if command == 0xA2:                                   # NT_CREATE_ANDX
            kind = 'pipe' if state.shares.get(tid) == 'IPC$' else 'file'
            state.pending[mid] = ('open', kind)
            return f'open {kind}'
        if command in (0x2E, 0x2F, 0x04):                     # READ_ANDX, WRITE_ANDX (FID at word 2), CLOSE (word 0)
            fid = struct.unpack_from('<H', message, words + (0 if command == 0x04 else 4))[0]
            kind = state.fids.get(fid, 'file')
            if command == 0x2F and kind == 'pipe':
                offset = struct.unpack_from('<H', message, words + 22)[0]
                return self._dcerpc(state, fid, message[offset:]) or 'write pipe'
            if command == 0x04:
                state.fids.pop(fid, None)
            return f'{name} {kind}'
        if command == 0x25:                                   # TRANSACTION: Setup[0] 0x26 TransactNmPipe, Setup[1] FID
            setup_count = message[words + 26]
            setup = struct.unpack_from(f'<{setup_count}H', message, words + 28)
            if setup and setup[0] == 0x26:
                offset = struct.unpack_from('<H', message, words + 24)[0]
                return self._dcerpc(state, setup[1], message[offset:]) or 'transact pipe'
            return 'transaction'
        if command == 0x71:
            state.shares.pop(tid, None)
        return name

    def _dcerpc(self, state: _Connection, fid: int, pdu: bytes) -> str | None:
        if len(pdu) < 16 or pdu[0] != 5:
            return None
        ptype = pdu[2]
        if ptype == 11 and len(pdu) >= 44:                   # bind: first context's abstract syntax at 32 (C706 12.6.4.3)
            if self._interfaces is None:
                self._interfaces = _interfaces()
            found = self._interfaces.get(bytes(pdu[32:48]))
            if found:
                state.interfaces[fid] = found
            return f'bind {found[0] if found else "other"}'
        if ptype == 0 and len(pdu) >= 24:                    # request: opnum at 22
            opnum = struct.unpack_from('<H', pdu, 22)[0]
            _short, prefix, opnums = state.interfaces.get(fid, ('?', 'rpc', {}))
            return f'{prefix} {opnums.get(opnum, f"opnum {opnum}")}'
        return None

    # ------------------------------------------------------------------ answers
    def _answer(self, state: _Connection, message: bytes) -> None:
        if message[:4] != b'\xffSMB':
            return
        status = struct.unpack_from('<I', message, 5)[0]
        mid = struct.unpack_from('<H', message, 30)[0]
        pending = state.pending.pop(mid, None)
        if pending is None or status != 0:
            return
        if pending[0] == 'tree':
            state.shares[struct.unpack_from('<H', message, 24)[0]] = pending[1]
        elif pending[0] == 'open':                           # NT_CREATE_ANDX response: FID after AndX (4) and OplockLevel (1)
            state.fids[struct.unpack_from('<H', message, 33 + 5)[0]] = pending[1]

    @staticmethod
    def _text(message: bytes, flags2: bytes, offset: int) -> str:
        """The NUL-terminated \\\\server\\share path at or after ``offset`` (UTF-16 when the header's Flags2 says Unicode;
        the pad byte before it is optional and clients differ, MS-CIFS 2.2.4.55.1, so the path is found by its leading \\\\)."""
        if struct.unpack('<H', flags2)[0] & FLAGS2_UNICODE:
            start = message.find('\\\\'.encode('utf-16-le'), offset)
            end = start
            while 0 <= end and end + 1 < len(message) and message[end:end + 2] != b'\0\0':
                end += 2
            return message[start:end].decode('utf-16-le') if start >= 0 else ''
        start = message.find(b'\\\\', offset)
        return message[start:message.index(b'\0', start)].decode('ascii', 'replace') if start >= 0 else ''


def delta(before: dict, after: dict) -> dict:
    """What one host's counter gained between two snapshots."""
    operations = {name: count - before.get('operations', {}).get(name, 0) for name, count in after['operations'].items()}
    return {'requests': after['requests'] - before.get('requests', 0), 'bytes': after['bytes'] - before.get('bytes', 0),
            'connections': after['connections'] - before.get('connections', 0),
            'operations': {name: count for name, count in sorted(operations.items()) if count}}
