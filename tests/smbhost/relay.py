# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A loopback TCP relay for SMB tests: counts, delays, rewrites, kills and hangs SMB traffic.

SMB runs over TCP framed as NetBIOS session service messages (RFC 1002 4.3; MS-SMB2 2.1
"Direct TCP transport" uses the same 4-byte header: a zero type byte and a 3-byte big-endian
length, port 139 adds session request/response and keep-alive types).  The relay reads whole
messages, so a test can see and change one SMB message at a time::

    relay = Relay(listen=('127.0.50.1', 445), target=('127.0.43.1', 445), delay_ms=0, rewrite=None)
    relay.start()        # listening when this returns; relay.address is (addr, port) actually bound
    ...                  # point the client at relay.address
    relay.stats          # {'c2s': {'messages': n, 'bytes': n}, 's2c': {'messages': n, 'bytes': n}}
    relay.kill()         # drop every open connection (new ones are still accepted)
    relay.hang()         # stop forwarding (connections stay open, nothing passes) until resume()
    relay.stop()         # close everything; also what leaving ``with Relay(...)`` does

``rewrite(direction, index, message) -> bytes`` is called for every message before it is
forwarded: ``direction`` is 'c2s' (client to server) or 's2c', ``index`` the message's number
in that direction on its connection (0 = the first), ``message`` the message without its
4-byte header.  It returns the message to forward (the header is rebuilt with the new length
and the original type byte); returning None forwards the message unchanged, and returning
``relay.DROP`` closes that connection instead (both sides: the client sees it lost).  ``delay_ms``
holds every message that long before forwarding it, in both directions, so one request and
its answer cost 2 * delay_ms more.  ``stats`` counts forwarded messages and their bytes
(headers included, after rewriting).  ``observe(connection, direction, index, message)``, if
given, sees every message as it is forwarded (after rewriting); ``connection`` numbers the
relay's connections from 0, so an observer can follow each connection's state (the benchmark
classifies SMB requests with it).  Everything runs in daemon threads: pytest and the
benchmark need no event loop.  Only loopback addresses are accepted.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import struct
import threading
import time

HEADER = 4
DIRECTIONS = ('c2s', 's2c')
DROP = object()         # what a rewrite returns to drop the connection instead of forwarding the message


def _loopback(address, what: str) -> tuple[str, int]:
    try:
        host, port = address
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError
        port = int(port)
    except (TypeError, ValueError):
        raise ValueError(f'{what} must be a (loopback address, port) pair such as ("127.0.50.1", 445), got {address!r}') from None
    return host, port


def _read_exact(sock: socket.socket, size: int) -> bytes | None:
    """``size`` bytes from sock, or None when the peer closed (or the socket was shut) first."""
    chunks = []
    while size:
        try:
            chunk = sock.recv(min(size, 1 << 20))
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        size -= len(chunk)
    return b''.join(chunks)


def read_message(sock: socket.socket) -> tuple[int, bytes] | None:
    """One NetBIOS session message: (type byte, payload), or None at end of stream."""
    header = _read_exact(sock, HEADER)
    if header is None:
        return None
    kind, length = header[0], int.from_bytes(header[1:4], 'big')   # RFC 1002 flags' low bit is the 17th length bit
    payload = _read_exact(sock, length) if length else b''
    return None if payload is None else (kind, payload)


def frame(kind: int, payload: bytes) -> bytes:
    if len(payload) >= 1 << 24:
        raise ValueError(f'a NetBIOS session message holds at most 16 MiB, got {len(payload)} bytes')
    return struct.pack('>B', kind) + len(payload).to_bytes(3, 'big') + payload


class _Connection:
    """One client connection and its connection to the target, pumped by two threads."""

    def __init__(self, relay: Relay, client: socket.socket, server: socket.socket, number: int = 0):
        self.relay, self.client, self.server, self.number = relay, client, server, number
        self.closed = threading.Event()
        self.threads = [threading.Thread(target=self._pump, args=(direction,), daemon=True, name=f'relay-{direction}')
                        for direction in DIRECTIONS]

    def start(self):
        for thread in self.threads:
            thread.start()

    def _pump(self, direction: str):
        source, sink = (self.client, self.server) if direction == 'c2s' else (self.server, self.client)
        index = 0
        try:
            while not self.closed.is_set():
                message = read_message(source)
                if message is None:
                    break
                kind, payload = message
                if not self.relay._wait_forwarding(self.closed):
                    break
                if self.relay.delay_ms:
                    time.sleep(self.relay.delay_ms / 1000)
                if self.relay.rewrite is not None:
                    changed = self.relay.rewrite(direction, index, payload)
                    if changed is DROP:
                        break               # closes both sides: the client sees its connection lost
                    payload = payload if changed is None else bytes(changed)
                index += 1
                data = frame(kind, payload)
                if not self.relay._wait_forwarding(self.closed):
                    break
                if self.relay.observe is not None:
                    self.relay.observe(self.number, direction, index - 1, payload)
                self.relay._count(direction, len(data))     # before sending: whoever receives it sees it counted
                try:
                    sink.sendall(data)
                except OSError:
                    break
        finally:
            self.close()

    def close(self):
        if self.closed.is_set():
            return
        self.closed.set()
        for sock in (self.client, self.server):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        self.relay._forget(self)


class Relay:
    """A thread-run, NetBIOS-session-framed TCP relay between a loopback listen address and a target.

    See the module docstring for the API (fixed in the helpers' working agreement).
    """

    def __init__(self, listen, target, delay_ms: float = 0, rewrite=None, observe=None):
        self.listen = _loopback(listen, 'listen')
        self.target = _loopback(target, 'target')
        self.delay_ms = delay_ms
        self.rewrite = rewrite
        self.observe = observe
        self.address = None
        self.connections = 0            # connections accepted so far
        self.stats = {direction: {'messages': 0, 'bytes': 0} for direction in DIRECTIONS}
        self._lock = threading.Lock()
        self._open: set[_Connection] = set()
        self._forwarding = threading.Event()
        self._forwarding.set()
        self._stopped = threading.Event()
        self._listener = None
        self._thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def start(self) -> Relay:
        """Listen (bound when this returns) and accept connections in a daemon thread."""
        if self._listener is not None:
            raise RuntimeError('the relay is already started')
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(self.listen)
        except OSError:
            listener.close()
            raise
        listener.listen(64)
        listener.settimeout(0.1)
        self._listener = listener
        self.address = listener.getsockname()
        self._thread = threading.Thread(target=self._accept, daemon=True, name=f'relay-{self.address[0]}:{self.address[1]}')
        self._thread.start()
        return self

    def _accept(self):
        while not self._stopped.is_set():
            try:
                client, _peer = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                break
            client.settimeout(None)
            try:
                server = socket.create_connection(self.target, timeout=10)
                server.settimeout(None)
            except OSError:
                client.close()          # the target is down: the client sees a closed connection, as from a dead host
                continue
            for sock in (client, server):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                connection = _Connection(self, client, server, self.connections)
                self.connections += 1
                self._open.add(connection)
            connection.start()

    def _wait_forwarding(self, closed: threading.Event) -> bool:
        """Block while hung; False once the connection or the relay closed."""
        while not self._forwarding.wait(0.05):
            if closed.is_set() or self._stopped.is_set():
                return False
        return not closed.is_set()

    def _count(self, direction: str, size: int):
        with self._lock:
            self.stats[direction]['messages'] += 1
            self.stats[direction]['bytes'] += size

    def _forget(self, connection: _Connection):
        with self._lock:
            self._open.discard(connection)

    @property
    def open_connections(self) -> int:
        with self._lock:
            return len(self._open)

    def reset_stats(self) -> None:
        with self._lock:
            for counts in self.stats.values():
                counts.update(messages=0, bytes=0)

    def kill(self) -> None:
        """Drop every open connection at once (both sides see the TCP connection close); keep listening."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            connection.close()

    def hang(self) -> None:
        """Stop forwarding in both directions: connections stay open and nothing passes (a hung host)."""
        self._forwarding.clear()

    def resume(self) -> None:
        """Forward again after :meth:`hang` (held messages go on)."""
        self._forwarding.set()

    def stop(self) -> None:
        """Stop listening and close every connection."""
        self._stopped.set()
        self._forwarding.set()
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.close()
        if self._thread is not None:
            self._thread.join(5)
        self.kill()
