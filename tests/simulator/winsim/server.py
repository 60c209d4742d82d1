# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet's network side: one asyncio loop serving every host's WinRM and OWA listeners.

HTTP/1.1 is parsed here directly (requests and Content-Length or chunked bodies, keep-alive) because
the WinRM authentication state belongs to the TCP connection and the statistics count raw bytes.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import datetime
import email.utils
import functools
import http
import json
import os
import random
import re
import socket
import ssl
import struct
import sys
import tempfile
import traceback
import typing as t

import spnego
import spnego.channel_bindings
from spnego._ntlm_raw.crypto import ntowfv1   # the NT hash exactly as pyspnego's acceptor computes it

from winsim import owa, wsman
from winsim.fleetfile import HostSpec
from winsim.wmi import Machine

MAX_HEAD = 64 * 1024
IDLE_TIMEOUT = 120      # seconds a connection may wait between requests (HTTP.sys' default idle time)
MAX_BODY = 2 * 1024 * 1024
SOAP_TYPE = 'application/soap+xml;charset=UTF-8'
ENCRYPTED_PROTOCOL = 'application/HTTP-SPNEGO-session-encrypted'
ENCRYPTED_TYPE = f'multipart/encrypted;protocol="{ENCRYPTED_PROTOCOL}";boundary="Encrypted Boundary"'
# What HTTP.sys sends for a 500 without a SOAP body (not XML, so clients see a transport error).
HTTP_500_PAGE = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN""http://www.w3.org/TR/html4/strict.dtd">\r\n'
                 b'<HTML><HEAD><TITLE>Internal Server Error</TITLE>\r\n<META HTTP-EQUIV="Content-Type" Content="text/html; charset=us-ascii"></HEAD>\r\n'
                 b'<BODY><h2>Internal Server Error</h2>\r\n<hr><p>HTTP Error 500. The server encountered an internal error.</p>\r\n</BODY></HTML>\r\n')
_ENCRYPTED_BODY = re.compile(
    rb'--Encrypted Boundary\r\n\s*Content-Type:\s*application/HTTP-SPNEGO-session-encrypted\r\n'
    rb'\s*OriginalContent:\s*type=[^;\r\n]+;charset=[^;\r\n]+;Length=(\d+)\r\n'
    rb'--Encrypted Boundary\r\n\s*Content-Type:\s*application/octet-stream\r\n(.*)--Encrypted Boundary--\r\n', re.DOTALL | re.IGNORECASE)


class StartupError(Exception):
    """The fleet cannot start (a state file is unreadable, an address is taken); str() is one line."""


class HttpError(Exception):
    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


def atomic_write(path: str, data: bytes) -> None:
    """Replace the file in one step: readers see the old or the new content, never a partial one."""
    directory, name = os.path.split(path)
    fd, temp = tempfile.mkstemp(prefix=f'.{name}.', dir=directory or '.')
    try:
        with os.fdopen(fd, 'wb') as handle:
            handle.write(data)
        os.replace(temp, path)
    except BaseException:
        os.unlink(temp)
        raise


def atomic_write_json(path: str, document: object) -> None:
    atomic_write(path, json.dumps(document, indent=1, sort_keys=False).encode('utf-8') + b'\n')


@dataclasses.dataclass
class HttpRequest:
    method: str
    path: str
    version: str
    headers: dict          # lower-cased name -> value (repeated headers joined with ', ')
    body: bytes
    size: int              # bytes on the wire, head and body

    @property
    def keep_alive(self) -> bool:
        connection = self.headers.get('connection', '').lower()
        if self.version == 'HTTP/1.0':
            return 'keep-alive' in connection
        return 'close' not in connection


async def _read_chunked(reader: asyncio.StreamReader) -> tuple[bytes, int]:
    body, size = b'', 0
    while True:
        line = await reader.readuntil(b'\r\n')
        size += len(line)
        try:
            length = int(line.split(b';')[0].strip(), 16)
        except ValueError:
            raise HttpError(400) from None
        if length == 0:
            while True:     # trailer lines up to the empty line
                trailer = await reader.readuntil(b'\r\n')
                size += len(trailer)
                if trailer == b'\r\n':
                    return body, size
        if len(body) + length > MAX_BODY:
            raise HttpError(413)
        chunk = await reader.readexactly(length + 2)
        size += len(chunk)
        body += chunk[:-2]


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """Read one request; None at a clean end of the connection, HttpError for a bad request."""
    try:
        head = await reader.readuntil(b'\r\n\r\n')
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise HttpError(400) from None
        return None
    except asyncio.LimitOverrunError:
        raise HttpError(431) from None
    lines = head.decode('latin-1').lstrip('\r\n').split('\r\n')
    request_line = lines[0].split(' ')
    if len(request_line) != 3 or not request_line[2].startswith('HTTP/1.'):
        raise HttpError(400)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(':')
        if not sep:
            raise HttpError(400)
        name = name.strip().lower()
        headers[name] = f'{headers[name]}, {value.strip()}' if name in headers else value.strip()
    size = len(head)
    if 'chunked' in headers.get('transfer-encoding', '').lower():
        body, body_size = await _read_chunked(reader)
        size += body_size
    else:
        try:
            length = int(headers.get('content-length', '0'))
        except ValueError:
            raise HttpError(400) from None
        if length < 0:
            raise HttpError(400)
        if length > MAX_BODY:
            raise HttpError(413)
        body = await reader.readexactly(length) if length else b''
        size += length
    method, target, version = request_line
    return HttpRequest(method.upper(), target.split('?', 1)[0], version, headers, body, size)


def http_response(status: int, headers: list[tuple[str, str]], body: bytes, *, head_only: bool = False, close: bool = False,
                  reason: str | None = None) -> bytes:
    """Serialize a response with Date, Content-Length and (when closing) Connection: close."""
    reason = reason or http.HTTPStatus(status).phrase
    lines = [f'HTTP/1.1 {status} {reason}', f'Date: {email.utils.formatdate(usegmt=True)}', *(f'{k}: {v}' for k, v in headers),
             f'Content-Length: {len(body)}']
    if close:
        lines.append('Connection: close')
    return ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1') + (b'' if head_only else body)


def unwrap_body(context: t.Any, body: bytes) -> bytes:
    """Decrypt a WinRM multipart/encrypted request body (MS-WSMV 2.2.9.1.1); ValueError if malformed or tampered."""
    match = _ENCRYPTED_BODY.fullmatch(body)
    if not match:
        raise ValueError('not a multipart/encrypted WinRM body')
    payload = match.group(2)
    if len(payload) < 4:
        raise ValueError('the encrypted part is too short')
    signature_length = struct.unpack('<I', payload[:4])[0]
    plain = context.unwrap_winrm(payload[4:4 + signature_length], payload[4 + signature_length:])
    if len(plain) != int(match.group(1)):
        raise ValueError('the decrypted length differs from OriginalContent Length')
    return plain


def wrap_body(context: t.Any, plain: bytes) -> bytes:
    """Encrypt a response body the way WinRM does (a single part, then the closing boundary)."""
    header, data, _padding = context.wrap_winrm(plain)
    return (b'--Encrypted Boundary\r\n\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n'
            b'\tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=%d\r\n--Encrypted Boundary\r\n'
            b'\tContent-Type: application/octet-stream\r\n' % len(plain)) + struct.pack('<I', len(header)) + header + data + b'--Encrypted Boundary--\r\n'


def new_stats() -> dict:
    return {'connections': 0, 'requests': 0, 'bytes_in': 0, 'bytes_out': 0, 'auth_failures': 0,
            'status': {}, 'operations': {}, 'injected': {}}


def _bump(counter: dict, key: str) -> None:
    counter[key] = counter.get(key, 0) + 1


def write_ntlm_accounts(path: str, spec: HostSpec) -> str:
    """Write the host's account for pyspnego's NTLM acceptor (smbpasswd format: the NT hash, never the password).

    The account is accepted as user, HOST\\user and .\\user, like a local Windows account.
    """
    nt_hash = ntowfv1(spec.password).hex().upper()
    netbios = spec.name.upper()[:15]
    with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:
        for account in (spec.username, f'{netbios}\\{spec.username}', f'.\\{spec.username}'):
            handle.write(f'{account}:1000:{"0" * 32}:{nt_hash}:[U]:LCT-00000000\n')
    return path


class HostRuntime:
    """One host at run time: its spec, address, machine state, WS-Man service, TLS, accounts, dice and counters."""

    def __init__(self, spec: HostSpec, address: str, state_dir: str, key_dir: str, tls: tuple[ssl.SSLContext, bytes] | None):
        self.spec = spec
        self.address = address
        self.state_path = os.path.join(state_dir, f'{spec.name}.json')
        self.ssl_context, self.channel_binding = tls if tls else (None, None)
        self.rng = random.Random(spec.faults.seed)
        self.written = False            # a write was stored (faults.fail_after_write)
        self.stats = new_stats()
        self.ntlm_file = write_ntlm_accounts(os.path.join(key_dir, f'{spec.name}.ntlm'), spec)
        saved = None
        if os.path.exists(self.state_path):
            try:
                with open(self.state_path, encoding='utf-8') as handle:
                    saved = json.load(handle)
                self.machine = Machine.build(spec, saved, self._changed)
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise StartupError(f'state file {self.state_path} cannot be used ({exc}); delete it to start from the fleet file') from None
        else:
            self.machine = Machine.build(spec, None, self._changed)
        self.wsman = wsman.WsmanService(self.machine, address)

    def save(self) -> None:
        """Write the host's registry and service states to its state file (atomically)."""
        atomic_write_json(self.state_path, self.machine.state_record())

    def _changed(self) -> None:
        """Persist a change made by a request; a file system error is reported and the host keeps serving."""
        self.written = True
        try:
            self.save()
        except OSError as exc:
            print(f'fleet.py: cannot write the state file of {self.spec.name}: {exc}', file=sys.stderr, flush=True)

    def roll(self, rate: float) -> bool:
        """True with the given probability, from the host's (optionally seeded) random sequence."""
        return rate > 0 and self.rng.random() < rate

    def listeners(self) -> list[str]:
        kinds = ['http']
        if self.ssl_context is not None:
            kinds.append('https')
        if self.spec.owa_ssl_required is not None:
            kinds.append('owa')
        return kinds


class _Connection:
    """Per-TCP-connection state: the writer and the NTLM/SPNEGO security context."""

    __slots__ = ('writer', 'tls', 'context')

    def __init__(self, writer: asyncio.StreamWriter, tls: bool):
        self.writer = writer
        self.tls = tls
        self.context: t.Any = None


class FleetServer:
    """Serves every host of the fleet from one event loop."""

    def __init__(self, hosts: list[HostRuntime], ports: dict[str, int]):
        self.hosts = hosts
        self.ports = ports
        self.started_at = datetime.datetime.now(datetime.timezone.utc)
        self._servers: list[asyncio.base_events.Server] = []
        self._connections: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self._stopping = asyncio.Event()

    async def start(self) -> None:
        """Listen on every host's addresses; StartupError naming the host and address if one cannot be bound."""
        for host in self.hosts:
            for kind in host.listeners():
                port = self.ports[kind]
                try:
                    server = await asyncio.start_server(
                        functools.partial(self._serve_connection, host, kind), host.address, port,
                        ssl=host.ssl_context if kind == 'https' else None, limit=MAX_HEAD, reuse_address=True, backlog=128)
                except OSError as exc:
                    reason = os.strerror(exc.errno) if exc.errno else str(exc)
                    raise StartupError(f'cannot listen on {host.address}:{port} for host {host.spec.name}: {reason}') from None
                self._servers.append(server)

    async def stop(self) -> None:
        """Stop listening, end every connection (hung ones included) and wait briefly for their tasks."""
        self._stopping.set()
        for server in self._servers:
            server.close()
        for writer in list(self._connections):
            writer.close()
        if self._tasks:
            _done, pending = await asyncio.wait(list(self._tasks), timeout=2)
            for task in pending:
                task.cancel()

    def stats_document(self) -> dict:
        """The statistics of every host plus fleet totals (what _stats.json holds)."""
        totals = new_stats()
        for host in self.hosts:
            for name, value in host.stats.items():
                if isinstance(value, dict):
                    for key, count in value.items():
                        totals[name][key] = totals[name].get(key, 0) + count
                else:
                    totals[name] += value
        now = datetime.datetime.now(datetime.timezone.utc)
        return {'pid': os.getpid(), 'started_at': self.started_at.isoformat(), 'written_at': now.isoformat(),
                'hosts': {host.spec.name: host.stats for host in self.hosts}, 'totals': totals}

    # ---- connections -----------------------------------------------------------------------------------------

    async def _serve_connection(self, host: HostRuntime, kind: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        self._tasks.add(task)
        self._connections.add(writer)
        host.stats['connections'] += 1
        connection = _Connection(writer, kind == 'https')
        handler = self._owa_request if kind == 'owa' else self._winrm_request
        try:
            if host.spec.faults.hang:
                await self._stopping.wait()     # accept, never answer
                return
            while not self._stopping.is_set():
                try:
                    async with asyncio.timeout(IDLE_TIMEOUT):
                        request = await read_request(reader)
                except HttpError as exc:
                    await self._send(host, connection, exc.status, [], b'', close=True)
                    break
                except TimeoutError:
                    break
                if request is None:
                    break
                host.stats['requests'] += 1
                host.stats['bytes_in'] += request.size
                if not await handler(host, connection, request) or not request.keep_alive:
                    break
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ssl.SSLError):
            pass
        except Exception:   # a simulator bug: show it, answer 500, keep serving the other connections
            traceback.print_exc(file=sys.stderr)
            if not writer.transport.is_closing():
                with contextlib.suppress(ConnectionError, OSError):
                    await self._send(host, connection, 500, [], b'', close=True)
        finally:
            self._connections.discard(writer)
            self._tasks.discard(task)
            if not writer.transport.is_closing():
                writer.close()

    async def _send(self, host: HostRuntime, connection: _Connection, status: int, headers: list[tuple[str, str]], body: bytes, *,
                    head_only: bool = False, close: bool = False, reason: str | None = None) -> None:
        data = http_response(status, headers, body, head_only=head_only, close=close, reason=reason)
        host.stats['bytes_out'] += len(data)
        _bump(host.stats['status'], str(status))
        connection.writer.write(data)
        await connection.writer.drain()

    async def _owa_request(self, host: HostRuntime, connection: _Connection, request: HttpRequest) -> bool:
        """IIS serving OWA's /exchange/ virtual directory: the page of the host's owa.page (winsim/owa.py)."""
        status, reason, headers, body = owa.answer(host.spec.owa_ssl_required, host.spec.owa_page, request.method, request.path,
                                                   request.headers.get('host'), host.address, self.ports['owa'])
        await self._send(host, connection, status, headers, body, head_only=request.method == 'HEAD', reason=reason)
        return True

    def _challenge(self, host: HostRuntime, connection: _Connection) -> list[tuple[str, str]]:
        headers = [('Server', 'Microsoft-HTTPAPI/2.0'), ('WWW-Authenticate', 'Negotiate')]
        if connection.tls and host.spec.auth == 'basic':
            headers.append(('WWW-Authenticate', 'Basic realm="WSMAN"'))
        return headers

    def _ntlm_step(self, host: HostRuntime, connection: _Connection, token_text: str) -> tuple[bool, bytes | None] | None:
        """Feed one Negotiate/NTLM token to the connection's acceptor: (complete, reply token), or None if refused."""
        try:
            token = base64.b64decode(token_text, validate=True)
        except ValueError:
            return None
        fresh = token.startswith(b'NTLMSSP\x00\x01\x00\x00\x00') or token[:1] == b'\x60'
        os.environ['NTLM_USER_FILE'] = host.ntlm_file     # read synchronously by the acceptor below
        try:
            if fresh:
                ntlm = token.startswith(b'NTLMSSP')
                bindings = None
                if connection.tls and host.channel_binding:
                    bindings = spnego.channel_bindings.GssChannelBindings(application_data=host.channel_binding)
                connection.context = spnego.server(
                    protocol='ntlm' if ntlm else 'negotiate', channel_bindings=bindings,
                    options=spnego.NegotiateOptions.use_ntlm if ntlm else spnego.NegotiateOptions.use_negotiate)
            elif connection.context is None or connection.context.complete:
                return None
            reply = connection.context.step(token)
        except Exception:   # a wrong password, a bad token or bad channel bindings all end the same way: 401
            connection.context = None
            return None
        return connection.context.complete, reply

    def _basic_ok(self, host: HostRuntime, token_text: str) -> bool:
        try:
            user, sep, password = base64.b64decode(token_text, validate=True).decode('utf-8').partition(':')
        except ValueError:
            return False
        user = user.split('\\', 1)[-1]
        return bool(sep) and user.lower() == host.spec.username.lower() and password == host.spec.password

    async def _winrm_request(self, host: HostRuntime, connection: _Connection, request: HttpRequest) -> bool:
        """One HTTP request on a WinRM port: authenticate, decrypt, inject faults, answer. Returns keep-alive."""
        faults = host.spec.faults
        if faults.latency_ms or faults.jitter_ms:
            await asyncio.sleep((faults.latency_ms + host.rng.uniform(0, faults.jitter_ms)) / 1000)
        server_header = [('Server', 'Microsoft-HTTPAPI/2.0')]
        if request.path.lower() != '/wsman':
            await self._send(host, connection, 404, server_header, b'')
            return True
        if request.method != 'POST':
            await self._send(host, connection, 405, server_header + [('Allow', 'POST')], b'')
            return True
        extra_headers: list[tuple[str, str]] = []
        scheme, _sep, token_text = request.headers.get('authorization', '').partition(' ')
        if scheme.lower() in ('negotiate', 'ntlm'):
            result = self._ntlm_step(host, connection, token_text.strip())
            if result is None or not result[0]:
                if result is None:
                    host.stats['auth_failures'] += 1
                    headers = self._challenge(host, connection)
                else:
                    headers = server_header + [('WWW-Authenticate', f'{scheme} {base64.b64encode(result[1] or b"").decode()}')]
                await self._send(host, connection, 401, headers, b'')
                return True
            if result[1]:
                extra_headers.append(('WWW-Authenticate', f'{scheme} {base64.b64encode(result[1]).decode()}'))
        elif scheme.lower() == 'basic' and connection.tls and host.spec.auth == 'basic':
            if not self._basic_ok(host, token_text.strip()):
                host.stats['auth_failures'] += 1
                await self._send(host, connection, 401, self._challenge(host, connection), b'')
                return True
        elif connection.context is None or not connection.context.complete:
            if scheme:
                host.stats['auth_failures'] += 1
            if request.headers.get('wsmanidentify', '').lower() == 'unauthenticated' and wsman.is_identify(request.body):
                await self._send(host, connection, 200, server_header + [('Content-Type', SOAP_TYPE)], wsman.identify_response())
                _bump(host.stats['operations'], 'Identify')
                return True
            await self._send(host, connection, 401, self._challenge(host, connection), b'')
            return True
        return await self._answer(host, connection, request, server_header + extra_headers)

    async def _answer(self, host: HostRuntime, connection: _Connection, request: HttpRequest, headers: list[tuple[str, str]]) -> bool:
        """An authenticated request: the empty context-setup POST, or a WS-Man operation (maybe encrypted)."""
        if not request.body:
            await self._send(host, connection, 200, headers, b'')
            return True
        encrypted = request.headers.get('content-type', '').lower().startswith('multipart/encrypted')
        body = request.body
        if encrypted:
            if connection.context is None or ENCRYPTED_PROTOCOL.lower() not in request.headers['content-type'].lower():
                await self._send(host, connection, 400, headers, b'', close=True)
                return False
            try:
                body = unwrap_body(connection.context, body)
            except Exception:   # malformed, tampered or out-of-sequence: the session cannot go on
                await self._send(host, connection, 400, headers, b'', close=True)
                return False
        elif not connection.tls:
            # AllowUnencrypted=false: plain SOAP is refused over http.
            host.stats['auth_failures'] += 1
            await self._send(host, connection, 401, self._challenge(host, connection), b'')
            return True
        faults = host.spec.faults
        if host.roll(faults.reset_rate):
            _bump(host.stats['injected'], 'reset')
            sock = connection.writer.get_extra_info('socket')
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
            connection.writer.transport.abort()
            return False
        if host.roll(faults.http_500_rate) or (faults.fail_after_write and host.written):
            _bump(host.stats['injected'], 'http_500')
            await self._send(host, connection, 500, headers + [('Content-Type', 'text/html; charset=us-ascii')], HTTP_500_PAGE)
            return True
        inject, injected = None, ''
        if host.roll(faults.internal_error_rate):
            inject, injected = wsman.internal_error(), 'internal_error'
        elif faults.access_denied:
            inject, injected = wsman.access_denied(), 'access_denied'
        status, answer, operation = host.wsman.handle(body, inject)
        _bump(host.stats['operations'], operation)
        if inject is not None and operation != 'Identify':
            _bump(host.stats['injected'], injected)
        if encrypted:
            answer = wrap_body(connection.context, answer)
            headers = headers + [('Content-Type', ENCRYPTED_TYPE)]
        else:
            headers = headers + [('Content-Type', SOAP_TYPE)]
        await self._send(host, connection, status, headers, answer)
        return True
