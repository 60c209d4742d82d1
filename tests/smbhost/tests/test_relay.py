# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tests/smbhost/relay.py: framing, counting, rewriting, kill, hang and delay, against a NetBIOS echo server."""

from __future__ import annotations

import pathlib
import socket
import sys
import threading
import time

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

import relay as relay_module
from relay import Relay, frame, read_message


class EchoServer:
    """Answers every NetBIOS session message with the same type byte and b'echo:' + payload."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(8)
        self.address = self.sock.getsockname()
        self.received = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn):
        with conn:
            while (message := read_message(conn)) is not None:
                self.received.append(message)
                conn.sendall(frame(message[0], b'echo:' + message[1]))

    def close(self):
        self.sock.close()


@pytest.fixture
def echo():
    server = EchoServer()
    yield server
    server.close()


def _exchange(sock, payload: bytes, kind: int = 0) -> tuple[int, bytes] | None:
    sock.sendall(frame(kind, payload))
    return read_message(sock)


def test_frames_are_forwarded_whole_and_counted(echo):
    with Relay(listen=('127.0.0.1', 0), target=echo.address) as relay:
        with socket.create_connection(relay.address, timeout=5) as client:
            big = bytes(range(256)) * 1000             # larger than one recv: the relay must reassemble it
            assert _exchange(client, b'\xffSMBr') == (0, b'echo:\xffSMBr')
            assert _exchange(client, big, kind=0x81) == (0x81, b'echo:' + big)   # port 139 session request type kept
        deadline = time.monotonic() + 5
        while relay.stats['s2c']['messages'] < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert relay.stats == {'c2s': {'messages': 2, 'bytes': 8 + 5 + len(big)},
                               's2c': {'messages': 2, 'bytes': 8 + 10 + 5 + len(big)}}
        assert relay.connections == 1


def test_rewrite_sees_direction_index_and_message_and_may_change_the_length(echo):
    seen = []

    def rewrite(direction, index, message):
        seen.append((direction, index, message))
        if direction == 's2c' and index == 1:
            return message + b'!'
        return None

    with Relay(listen=('127.0.0.1', 0), target=echo.address, rewrite=rewrite) as relay:
        with socket.create_connection(relay.address, timeout=5) as client:
            assert _exchange(client, b'one') == (0, b'echo:one')
            assert _exchange(client, b'two') == (0, b'echo:two!')
        assert relay.stats['s2c']['bytes'] == 4 + 8 + 4 + 9
    assert seen == [('c2s', 0, b'one'), ('s2c', 0, b'echo:one'), ('c2s', 1, b'two'), ('s2c', 1, b'echo:two')]
    assert [payload for _kind, payload in echo.received] == [b'one', b'two']


def test_observe_sees_each_connection_and_the_forwarded_message(echo):
    seen = []

    def rewrite(direction, index, message):
        return b'changed' if direction == 'c2s' and index == 0 else None

    with Relay(listen=('127.0.0.1', 0), target=echo.address, rewrite=rewrite, observe=lambda *args: seen.append(args)) as relay:
        for _connection in range(2):
            with socket.create_connection(relay.address, timeout=5) as client:
                _exchange(client, b'one')
                _exchange(client, b'two')
        assert relay.connections == 2
    assert seen == [(number, *message) for number in (0, 1) for message in
                    (('c2s', 0, b'changed'), ('s2c', 0, b'echo:changed'), ('c2s', 1, b'two'), ('s2c', 1, b'echo:two'))]


def test_kill_drops_open_connections_and_keeps_listening(echo):
    with Relay(listen=('127.0.0.1', 0), target=echo.address) as relay:
        client = socket.create_connection(relay.address, timeout=5)
        assert _exchange(client, b'before') == (0, b'echo:before')
        relay.kill()
        assert client.recv(1) == b''                  # the client sees the connection close
        client.close()
        assert relay.open_connections == 0
        with socket.create_connection(relay.address, timeout=5) as again:
            assert _exchange(again, b'after') == (0, b'echo:after')


def test_hang_stops_forwarding_until_resume(echo):
    with Relay(listen=('127.0.0.1', 0), target=echo.address) as relay:
        with socket.create_connection(relay.address, timeout=5) as client:
            relay.hang()
            client.sendall(frame(0, b'held'))
            client.settimeout(0.5)
            with pytest.raises(socket.timeout):
                client.recv(1)
            assert echo.received == []
            relay.resume()
            client.settimeout(5)
            assert read_message(client) == (0, b'echo:held')


def test_delay_holds_each_message(echo):
    with Relay(listen=('127.0.0.1', 0), target=echo.address, delay_ms=100) as relay:
        with socket.create_connection(relay.address, timeout=5) as client:
            start = time.monotonic()
            assert _exchange(client, b'slow') == (0, b'echo:slow')
            assert time.monotonic() - start >= 0.2        # 100 ms each way
        assert relay.delay_ms == 100


def test_dead_target_closes_the_client_connection():
    unused = socket.socket()
    unused.bind(('127.0.0.1', 0))
    target = unused.getsockname()
    unused.close()
    with Relay(listen=('127.0.0.1', 0), target=target) as relay:
        with socket.create_connection(relay.address, timeout=5) as client:
            assert client.recv(1) == b''


def test_only_loopback_addresses():
    with pytest.raises(ValueError, match='loopback'):
        Relay(listen=('0.0.0.0', 0), target=('127.0.0.1', 445))
    with pytest.raises(ValueError, match='loopback'):
        Relay(listen=('127.0.0.1', 0), target=('192.0.2.1', 445))
    assert relay_module.HEADER == 4
