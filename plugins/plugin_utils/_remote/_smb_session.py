# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SMB session under the smb transport: login, signing, tree connects, named pipes, error translation.

:class:`SMBSession` is the base of :class:`_smb.SMBHost`; the protocol clients on top of it
(:mod:`_rrp` for the registry, :mod:`_scmr` for services) send their calls through
:meth:`SMBSession._rpc` and :meth:`SMBSession._smb_call`, which count every exchange and
turn impacket's and the socket's failures into one-line :class:`RemoteError` s.

impacket is imported only when a session object is created (it costs about 0.2 s and the
WinRM transport does not need it).
"""

from __future__ import annotations

import contextlib
import functools
import re
import socket
import struct
import time
import types

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _trail
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, run_retrying
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb_signing import SigningError, response_verifier

# Win32 error codes met in MS-RRP / MS-SCMR answers.
ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_NAME = 123
ERROR_MORE_DATA = 234
ERROR_NO_MORE_ITEMS = 259
ERROR_BADKEY = 1010
ERROR_KEY_DELETED = 1018
ERROR_SERVICE_ALREADY_RUNNING = 1056
ERROR_SERVICE_DOES_NOT_EXIST = 1060
ERROR_SERVICE_NOT_ACTIVE = 1062
_KEY_MISSING = (ERROR_FILE_NOT_FOUND, ERROR_BADKEY, ERROR_KEY_DELETED)

# NT status codes met in SMB answers.
STATUS_ACCESS_DENIED = 0xC0000022
STATUS_NO_SUCH_FILE = 0xC000000F
STATUS_OBJECT_NAME_INVALID = 0xC0000033
STATUS_OBJECT_NAME_NOT_FOUND = 0xC0000034
STATUS_OBJECT_PATH_NOT_FOUND = 0xC000003A
STATUS_FILE_IS_A_DIRECTORY = 0xC00000BA
STATUS_BAD_NETWORK_NAME = 0xC00000CC
STATUS_IO_TIMEOUT = 0xC00000B5
STATUS_PIPE_NOT_AVAILABLE = 0xC00000AC
STATUS_PIPE_BUSY = 0xC00000AE
STATUS_PIPE_DISCONNECTED = 0xC00000B0
# Opening a named pipe that no server listens on: the pipe name is unknown, or no instance is free.
_PIPE_REFUSED = (STATUS_OBJECT_NAME_NOT_FOUND, STATUS_PIPE_NOT_AVAILABLE, STATUS_PIPE_BUSY)
_FILE_MISSING = (STATUS_NO_SUCH_FILE, STATUS_OBJECT_NAME_INVALID, STATUS_OBJECT_NAME_NOT_FOUND,
                 STATUS_OBJECT_PATH_NOT_FOUND, STATUS_FILE_IS_A_DIRECTORY)
_AUTH_STATUSES = frozenset((
    0xC000006D,  # STATUS_LOGON_FAILURE
    0xC000006A,  # STATUS_WRONG_PASSWORD
    0xC0000064,  # STATUS_NO_SUCH_USER
    0xC000006E,  # STATUS_ACCOUNT_RESTRICTION
    0xC000006F,  # STATUS_INVALID_LOGON_HOURS
    0xC0000070,  # STATUS_INVALID_WORKSTATION
    0xC0000071,  # STATUS_PASSWORD_EXPIRED
    0xC0000072,  # STATUS_ACCOUNT_DISABLED
    0xC0000193,  # STATUS_ACCOUNT_EXPIRED
    0xC0000224,  # STATUS_PASSWORD_MUST_CHANGE
    0xC0000234,  # STATUS_ACCOUNT_LOCKED_OUT
    0xC000015B,  # STATUS_LOGON_TYPE_NOT_GRANTED
))


_IMPACKET = None


def _load_impacket() -> types.SimpleNamespace:
    """Import impacket once; a missing package is a RemoteError naming it."""
    global _IMPACKET
    if _IMPACKET is None:
        try:
            from impacket import nmb, nt_errors, smb, smb3, system_errors
            from impacket.dcerpc.v5 import rpcrt, rrp, scmr, transport
            from impacket.smbconnection import SMBConnection, SessionError
        except ImportError:
            raise RemoteError('the smb transport needs the Python package "impacket" on the controller: pip install impacket',
                              kind='unsupported') from None
        _IMPACKET = types.SimpleNamespace(
            nmb=nmb, nt_errors=nt_errors, system_errors=system_errors, smb=smb, smb3=smb3, rpcrt=rpcrt, rrp=rrp, scmr=scmr,
            SMBConnection=SMBConnection, PipeTransport=_transceive_transport(transport.SMBTransport, smb3),
            session_errors=(SessionError, smb.SessionError, smb3.SessionError),
        )
    return _IMPACKET


def _transceive_transport(base, smb3):
    """An impacket SMBTransport that sends each RPC call's last fragment with TransactNamedPipe.

    impacket writes a call to the pipe and then reads the answer: two SMB exchanges per RPC.
    Windows clients use one transaction (SMB_COM_TRANSACTION / FSCTL_PIPE_TRANSCEIVE) that
    carries the call and returns the first answer fragment; this does the same, so every
    RPC costs one round trip.  Further answer fragments are still read with reads.
    """
    class PipeTransport(base):
        _answer = None
        ipc_tree = None         # the session's IPC$ tree, shared by every pipe (set before connect())

        def connect(self):
            """Open the pipe in the session's IPC$ tree: impacket's connect() would connect IPC$ again for each pipe."""
            conn = self.get_smb_connection()
            self._SMBTransport__tid = self.ipc_tree
            self._SMBTransport__handle = conn.openFile(self.ipc_tree, self._SMBTransport__filename)
            self._SMBTransport__socket = conn.getSMBServer().get_socket()
            return 1

        def send(self, data, forceWriteAndx=0, forceRecv=0):
            # ptype (byte 2): request 0, bind 11, alter context 14 expect an answer; flags (byte 3) 0x02: last fragment
            tid, fid = getattr(self, '_SMBTransport__tid', None), getattr(self, '_SMBTransport__handle', None)
            if len(data) > 3 and data[2] in (0, 11, 14) and data[3] & 0x02 and tid is not None and fid is not None:
                server = self.get_smb_connection().getSMBServer()
                if isinstance(server, smb3.SMB3):
                    self._answer = server.TransactNamedPipe(tid, fid, data)
                else:
                    # SMB_COM_TRANSACTION / TRANS_TRANSACT_NMPIPE.  In a Unicode session the pipe name is UTF-16
                    # after a pad byte; impacket's own TransactNamedPipe always sends ASCII, which Samba refuses.
                    name = b'\\PIPE\\\0'
                    if server.get_flags()[1] & server.FLAGS2_UNICODE:
                        name = b'\0' + name.decode('ascii').encode('utf-16-le')
                    server.send_trans(tid, struct.pack('<HH', 0x26, fid), name, b'', data)
                    self._answer = server.TransactNamedPipeRecv()
                return
            super().send(data, forceWriteAndx, forceRecv)

        def recv(self, forceRecv=0, count=0):
            answer, self._answer = self._answer, None
            return answer if answer else super().recv(forceRecv, count)

        def disconnect(self):
            """Close the pipe's file handle (the shared IPC$ tree stays for the session's other pipes)."""
            self.get_smb_connection().closeFile(self._SMBTransport__tid, self._SMBTransport__handle)

    return PipeTransport


def split_username(username: str, domain: str = '') -> tuple[str, str]:
    """Return (user, domain) from ``DOMAIN\\user``, ``user@domain`` or a bare ``user`` (then ``domain`` is kept)."""
    user = (username or '').strip()
    if '\\' in user:
        domain, _sep, user = user.partition('\\')
    elif '@' in user:
        user, _sep, domain = user.rpartition('@')
    if not user:
        raise ValueError('an smb connection needs a user name (ansible_user), e.g. Administrator or EXCHANGE\\Administrator')
    return user, domain or ''


def _status_code(error) -> int | None:
    """The NT status or Win32 code an impacket exception carries, or None."""
    getter = getattr(error, 'getErrorCode', None) or getattr(error, 'get_error_code', None)
    try:
        return getter() if getter else None
    except (AttributeError, IndexError, TypeError):   # e.g. NetBIOSError raised with a message only
        return None


class SMBSession:
    """An SMB session to one host, opened on first use, with its trees and bound DCE/RPC pipes.

    The session opens on first use (negotiate + NTLM: 3 exchanges); the first pipe costs 3 more
    (IPC$ tree, open, bind), every further pipe 2 (open, bind: the IPC$ tree is shared), every RPC
    call one.  ``requests`` counts every request/response exchange this object started, the logoff
    included.

    With ``require_signing`` every SMB request is signed (also when the server only offers
    signing) or the session is refused.  Whenever the session is signed (asked for here, or
    required by the server) every answer's signature is checked before it is used, and SMB 3
    encrypted answers have their integrity tag checked (:mod:`_smb_signing`: impacket checks
    neither); a failed check fails the session for good.  ``port`` 139 is NetBIOS session
    service, what NT 4.0 offers.
    """

    def __init__(self, host: str, username: str, password: str, port: int = 445, domain: str = '',
                 require_signing: bool = False, timeout: float = 30, retries: int = 0, retry_delay: float = 0.5,
                 task_timeout: float = 0, sleep=time.sleep, clock=time.monotonic):
        if not host or not str(host).strip():
            raise ValueError('an smb connection needs a host name or address (ansible_host)')
        self.host = str(host).strip()
        try:
            self.port = int(port)
        except (TypeError, ValueError):
            raise ValueError(f'smb port must be a number, got {port!r}') from None
        self.username, self.domain = split_username(username, domain)
        self._password = password or ''
        self.require_signing = bool(require_signing)
        self.timeout = timeout
        self.requests = 0
        self._lib = _load_impacket()
        self._conn = None
        self._failed = None
        self._pipes = {}
        self._trees = {}
        self.verifier = None          # checks the server's signatures once the session is signed
        self.retries, self.retry_delay = int(retries), float(retry_delay)
        self.retried = 0              # operations sent again after a transient failure (a lost connection)
        self.task_timeout = task_timeout
        self._sleep, self._clock = sleep, clock
        self.deadline = clock() + task_timeout if task_timeout else None
        self._retrying = False        # inside a retried operation (nested ones do not retry again)

    def __repr__(self):
        return f'SMBHost({self.host!r}, port={self.port}, user={self._account()!r})'

    def _tree(self, share: str):
        if share not in self._trees:
            tree = self._smb_call(f'connect to share {share}', self._smb().connectTree, share, absent=(STATUS_BAD_NETWORK_NAME,))
            if tree is None:
                raise RemoteError(f'{self.host}: the administrative share {share} is not available (AutoShareServer disabled?)',
                                  kind='not_found', host=self.host)
            self._trees[share] = tree
        return self._trees[share]

    # ---------------------------------------------------------- connection
    def _account(self) -> str:
        return f'{self.domain}\\{self.username}' if self.domain else self.username

    def _smb(self):
        """The logged-on SMB session, opened on first use (3 exchanges: negotiate and a two-step NTLM login)."""
        if self._conn is not None:
            return self._conn
        self._check_alive()
        timeout = self._check_deadline('the SMB login')
        lib = self._lib
        remote_name = self.host if self.port != 139 else _netbios_name(self.host)
        with _trail.operation(self.host, 'smb', f'SMB negotiate + session setup (port {self.port}, {self._account()})', _trail_failure), \
                self._errors('connect', fatal=True):
            self.requests += 1
            conn = lib.SMBConnection(remote_name, self.host, sess_port=self.port, timeout=timeout)
            try:
                verifier = response_verifier(conn.getSMBServer()).watch()
                if self.require_signing:
                    self._demand_signing(conn)
                self.requests += 2
                conn.login(self.username, self._password, self.domain)
                if conn.isGuestSession():
                    raise RemoteError(f'{self.host}: the server logged {self._account()} on as Guest: the account is not known there',
                                      kind='auth', host=self.host)
                if self.require_signing and not _signing_active(conn):
                    raise RemoteError(f'{self.host}: smb signing was required but the session is not signed; '
                                      f'{SIGNING_ADVICE}', kind='protocol', host=self.host)
                if _signing_active(conn):
                    verifier.activate()
                self.verifier = verifier
            except BaseException:
                with contextlib.suppress(*lib.session_errors, lib.nmb.NetBIOSError, lib.nmb.NetBIOSTimeout, OSError):
                    conn.close()
                raise
        self._conn = conn
        return conn

    def _demand_signing(self, conn) -> None:
        """Make impacket sign every request even when the server only offers signing; refuse a server that cannot sign."""
        server = conn.getSMBServer()
        lib = self._lib
        if isinstance(server, lib.smb3.SMB3):
            server._Connection['RequireSigning'] = True
            return
        params = server._dialects_parameters
        if not params['SecurityMode'] & lib.smb.SMB.SECURITY_SIGNATURES_ENABLED:
            raise RemoteError(f'{self.host}: smb signing is required but the server does not offer it; {SIGNING_ADVICE}',
                              kind='protocol', host=self.host)
        params['SecurityMode'] |= lib.smb.SMB.SECURITY_SIGNATURES_REQUIRED
        server._SignatureRequired = True

    def _pipe(self, name: str):
        """A bound DCE/RPC client on ``\\winreg`` or ``\\svcctl`` (2 exchanges: pipe open, bind; plus IPC$ for the first pipe)."""
        if name not in self._pipes:
            lib = self._lib
            conn = self._smb()
            uuid = {'winreg': lib.rrp.MSRPC_UUID_RRP, 'svcctl': lib.scmr.MSRPC_UUID_SCMR}[name]
            ipc = self._tree('IPC$')
            self._check_deadline(f'opening the \\{name} pipe')
            with _trail.operation(self.host, 'smb', f'SMB open pipe \\{name} + DCE/RPC bind', _trail_failure), \
                    self._errors(f'open the \\{name} pipe'), self._pipe_refusal(name):
                rpc = lib.PipeTransport(self.host, self.port, filename='\\' + name, smb_connection=conn)
                rpc.ipc_tree = ipc
                dce = rpc.get_dce_rpc()
                self.requests += 1
                dce.connect()
                self.requests += 1
                dce.bind(uuid)
            self._pipes[name] = dce
        return self._pipes[name]

    @contextlib.contextmanager
    def _pipe_refusal(self, name: str):
        """A pipe the server does not serve (its open refused, or the bind to its interface rejected): one line with advice."""
        lib = self._lib
        try:
            yield
        except lib.session_errors as error:
            if _status_code(error) not in _PIPE_REFUSED:
                raise
            raise RemoteError(f'{self.host}: the server refused the \\{name} pipe '
                              f'({_error_name(lib.nt_errors, _status_code(error), "NT status")})', kind='protocol', host=self.host,
                              code=_status_code(error), advice=PIPE_ADVICE[name]) from None
        except lib.rpcrt.DCERPCException as error:
            if _status_code(error) is not None:
                raise
            raise RemoteError(f'{self.host}: the server rejected the DCE/RPC bind to \\{name} ({" ".join(str(error).split())})',
                              kind='protocol', host=self.host, advice=PIPE_ADVICE[name]) from None

    def _check_deadline(self, action: str) -> float:
        """Fail once the task's deadline (task_timeout) has passed; otherwise return the timeout a request may wait,
        which never reaches past the deadline (and set it on the open session)."""
        if self.deadline is None:
            return self.timeout
        left = self.deadline - self._clock()
        if left <= 0:
            self._failed = RemoteError(f'{self.host}: task_timeout of {self.task_timeout:g}s reached before {action} '
                                       f'({self.requests} requests sent); raise task_timeout, or check why the server is slow',
                                       kind='timeout', host=self.host, advice='')
            raise self._failed
        timeout = max(1, min(self.timeout, int(left + 0.999)))
        if self._conn is not None:
            self._conn.setTimeout(timeout)
        return timeout

    def _reconnect(self) -> None:
        """Drop a lost session and everything opened through it; the next call logs on again."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(*self._quiet_errors()):
                conn.getSMBServer().close_session()
        self._failed = None
        self.verifier = None
        self._pipes.clear()
        self._trees.clear()
        self._forget_handles()

    def _forget_handles(self) -> None:
        """Forget the handles the protocol clients opened through the session (they are gone with it)."""

    def _rpc(self, action: str, func, *args, absent=(), more=False):
        """Run one RPC call (counted, one line of the -vvv trail).  Returns None for a Win32 error in ``absent``;
        maps other failures to RemoteError."""
        self._check_alive()
        self._check_deadline(action)
        self.requests += 1
        with _trail.operation(self.host, 'smb', _rpc_text(action, func, args), _trail_failure) as step, self._errors(action):
            try:
                answer = func(*args)
            except self._lib.rpcrt.DCERPCException as error:
                code = _status_code(error)
                if code in absent:
                    step.result = code
                    return None
                if more and code == ERROR_MORE_DATA and error.get_packet() is not None:
                    raise _MoreData(error.get_packet()['lpcbData']) from None
                raise
            step.result = 0
            return answer

    def _smb_call(self, action: str, func, *args, absent=(), on_absent=None, **kwargs):
        """Run one SMB request (counted, one line of the -vvv trail).  Returns None for an NT status in ``absent``."""
        self._check_alive()
        self._check_deadline(action)
        self.requests += 1
        with _trail.operation(self.host, 'smb', f'SMB {getattr(func, "__name__", "request")} {_target(action)}', _trail_failure) as step, \
                self._errors(action):
            try:
                answer = func(*args, **kwargs)
            except self._lib.session_errors as error:
                if _status_code(error) in absent:
                    step.result = f'{_status_code(error):#010x}'
                    if on_absent is not None:
                        on_absent(_status_code(error))
                    return None
                raise
            step.result = 0
            return answer

    def _check_alive(self) -> None:
        """Fail fast, with the first error again, once the session could not be opened or was lost."""
        if self._failed is not None:
            again = RemoteError(str(self._failed), kind=self._failed.kind, host=self.host, code=self._failed.code,
                                advice=self._failed.advice)
            again.transient = self._failed.transient
            raise again

    @contextlib.contextmanager
    def _errors(self, action: str, fatal: bool = False):
        """Translate impacket and socket failures into one-line RemoteErrors (never with the password).

        A failure of the connection itself, or any failure while ``fatal`` (the login), is
        remembered: every later call fails with it at once instead of trying again.
        """
        lib = self._lib
        try:
            yield
        except _MoreData:
            raise
        except SigningError as error:
            # Nothing more is read or sent on this session (MS-CIFS 3.2.5.1.2: "SHOULD ... disconnect").
            self._failed = RemoteError(f'{self.host}: {action}: {error}; nothing read on this connection is used: '
                                       f'check what sits between the controller and the server (a proxy or relay that changes SMB traffic)',
                                       kind='protocol', host=self.host)
            raise self._failed from None
        except (RemoteError, lib.rpcrt.DCERPCException, *lib.session_errors, lib.nmb.NetBIOSError, lib.nmb.NetBIOSTimeout, OSError) as error:
            remote = error if isinstance(error, RemoteError) else self._translate(action, error)
            if fatal or remote.kind in ('timeout', 'unreachable') or remote.transient:
                self._failed = remote
            if remote is error:
                raise
            raise remote from None

    def _translate(self, action: str, error: BaseException) -> RemoteError:
        lib = self._lib
        code = _status_code(error)
        denied = f'{self.host}: access denied: {action} (as {self._account()})'
        if isinstance(error, lib.rpcrt.DCERPCException):
            if code == ERROR_ACCESS_DENIED:
                return RemoteError(denied, kind='access_denied', host=self.host, code=code)
            return RemoteError(f'{self.host}: {action} failed: {_error_name(lib.system_errors, code, "error")}',
                               kind='protocol', host=self.host, code=code)
        if isinstance(error, lib.session_errors):
            name = _error_name(lib.nt_errors, code, 'NT status')
            if code in _AUTH_STATUSES:
                return RemoteError(f'{self.host}: login refused for {self._account()}: {name}', kind='auth', host=self.host, code=code)
            if code == STATUS_ACCESS_DENIED:
                return RemoteError(denied, kind='access_denied', host=self.host, code=code)
            if code == STATUS_IO_TIMEOUT:
                return RemoteError(f'{self.host}: {action} timed out', kind='timeout', host=self.host, code=code)
            return RemoteError(f'{self.host}: {action} failed: {name}', kind='protocol', host=self.host, code=code)
        if isinstance(error, (lib.nmb.NetBIOSTimeout, socket.timeout, TimeoutError)):
            if self.deadline is not None and self._clock() >= self.deadline - 0.05:
                return RemoteError(f'{self.host}: task_timeout of {self.task_timeout:g}s reached during {action} '
                                   f'({self.requests} requests sent); raise task_timeout, or check why the server is slow',
                                   kind='timeout', host=self.host, advice='')
            return RemoteError(f'{self.host}:{self.port}: no answer within {self.timeout} s ({action})', kind='timeout', host=self.host)
        if self._conn is not None:
            # The session was up: this is a connection lost while in use (reset, closed), not one never made, so
            # "check ansible_host and the port" would mislead.  Reads and idempotent writes are retried (retried()).
            remote = RemoteError(f'{self.host}:{self.port}: the connection was lost during {action} ({_os_text(error)})',
                                 kind='transient', host=self.host)
            remote.transient = True
            return remote
        return RemoteError(f'{self.host}:{self.port}: {action} failed: {_os_text(error)}', kind='unreachable', host=self.host)

    def _quiet_errors(self) -> tuple:
        """The failures that closing ignores."""
        lib = self._lib
        return (RemoteError, SigningError, *lib.session_errors, lib.rpcrt.DCERPCException, lib.nmb.NetBIOSError, lib.nmb.NetBIOSTimeout,
                OSError)

    def _healthy(self) -> bool:
        """True unless the connection itself was lost or is not trusted (then nothing is closed politely)."""
        if self.verifier is not None and self.verifier.failed:
            return False
        return self._failed is None or (self._failed.kind not in ('timeout', 'unreachable') and not self._failed.transient)

    def _close_session(self, conn, healthy: bool) -> None:
        """End the session with one LOGOFF (a dead session just drops its socket).

        The logoff releases everything the session holds on the server, so nothing is closed one by one first
        (that would cost a round trip per handle, pipe and tree: 10 in an audit).  SMB1: "The server releases all
        locks and closes all files currently open by this user, disconnects all tree connects" (MS-CIFS 2.2.4.54,
        3.3.5.44), the named pipes included; SMB2/3: every open of the session is closed (MS-SMB2 3.3.5.6).  When a
        pipe closes, the RPC server runs its context handles down (C706 5.1.6; "Server Context Run-down Routine" in
        the Windows RPC documentation): the registry keys (MS-RRP RPC_HKEY) and service handles (MS-SCMR
        SC_RPC_HANDLE) opened through it are released.
        """
        quiet = self._quiet_errors()
        if healthy:
            self.requests += 1
        with contextlib.suppress(*quiet):
            if healthy:
                conn.close()                              # logs off, then closes the socket
            else:
                conn.getSMBServer().close_session()       # a dead session: just drop the socket
        self._pipes.clear()
        self._trees.clear()


# What to do when signing cannot be had (appended to those messages).
SIGNING_ADVICE = ('enable SMB signing on the server (NT 4.0 SP3 and later: REG_DWORD EnableSecuritySignature = 1 under '
                  'HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanManServer\\Parameters, then restart it; Q161372), '
                  'or set exchange55_smb_require_signing: false for this host')


# What to do when the server does not serve a pipe (appended to that message).  The registry pipe is served by the
# Remote Registry service: tools that read a registry over \\winreg start it first (impacket's secretsdump,
# RemoteOperations: __serviceName = 'RemoteRegistry' for ncacn_np:445[\\pipe\\winreg]).
PIPE_ADVICE = {
    'winreg': 'start the Remote Registry service on the server (RemoteRegistry) and check that no filter or policy '
              'blocks the \\winreg named pipe, or reach this host over winrm (exchange55_transport: winrm)',
    'svcctl': 'the service control manager pipe \\svcctl is not served: check that the server allows remote service '
              'control, or leave the Information Store restart off (restart_information_store: false)',
}


def retried(method):
    """Make a RemoteHost operation that is safe to repeat (a read, a write of the same data) survive a lost connection:
    after a transient failure log on again and run it again, at most ``retries`` times, waiting ``retry_delay`` and
    then twice as long each time (at most 10 s), and never starting a repeat that would end past the deadline.
    Operations run inside one that is retried are not retried themselves."""
    @functools.wraps(method)
    def run(self, *args, **kwargs):
        if self._retrying:
            return method(self, *args, **kwargs)

        def again(_exc):
            self.retried += 1
            self._reconnect()

        def still_failing(exc, repeats):
            error = RemoteError(f'{exc} (still failing after {repeats} retries; raise retries or retry_delay, or check the '
                                'network and the server\'s load)', kind=exc.kind, host=self.host, code=exc.code, advice=exc.advice)
            error.transient = True
            return error

        self._retrying = True
        try:
            return run_retrying(lambda: method(self, *args, **kwargs), retries=self.retries, retry_delay=self.retry_delay,
                                deadline=self.deadline, clock=self._clock, sleep=self._sleep, again=again,
                                still_failing=still_failing)
        finally:
            self._retrying = False
    return run


class _MoreData(Exception):
    """Internal: the server needs a larger buffer (ERROR_MORE_DATA) of ``size`` bytes."""

    def __init__(self, size):
        super().__init__(size)
        self.size = int(size or 0)


def _signing_active(conn) -> bool:
    server = conn.getSMBServer()
    session = getattr(server, '_Session', None)
    if isinstance(session, dict):
        return bool(session.get('SigningActivated'))
    return bool(getattr(server, '_SignatureEnabled', False))


def _netbios_name(host: str) -> str:
    """The NetBIOS name to call on port 139 (NT 4.0 has no port 445): a DNS name's first label, else *SMBSERVER.

    '*SMBSERVER ' with a trailing blank encodes to the same NetBIOS name as '*SMBSERVER' (names are
    blank-padded to 15 characters) but keeps impacket from first asking UDP port 137 for the real
    name, a query that costs seconds when nmbd or NetBIOS over UDP is not answering.
    """
    if re.match(r'^[0-9.]+$', host) or ':' in host:
        return '*SMBSERVER '
    return host.split('.', 1)[0].upper()[:15]


def _error_name(table_module, code, what: str) -> str:
    """'ERROR_ACCESS_DENIED (5)' from impacket's error tables, or the number when unknown."""
    try:
        return f'{table_module.ERROR_MESSAGES[code][0]} (0x{code:X})'
    except (KeyError, TypeError, ValueError):
        return f'{what} {code!r}'


def _os_text(error) -> str:
    inner = error.args[1] if len(error.args) > 1 and isinstance(error.args[1], BaseException) else error
    if isinstance(inner, ConnectionRefusedError):
        return 'connection refused'
    if isinstance(inner, socket.gaierror):
        return 'host name not found'
    text = getattr(inner, 'strerror', None) or str(inner)
    return ' '.join(str(text).split()) or type(inner).__name__


# The -vvv trail's names of the collection's own wrappers around one impacket call.
_RPC_NAMES = {'_open_subkey': 'BaseRegOpenKey', '_create_subkey': 'BaseRegCreateKey'}
_ACTION_VERB = re.compile(r'^(?:read|write|delete|open|create|close|query|start|stop|connect to|list the subkeys of)\s+')


def _rpc_text(action: str, func, args) -> str:
    """``RRP BaseRegQueryValue HKLM\\...`` for the trail: the interface, the MS-RRP/MS-SCMR operation and its target."""
    name = getattr(func, '__name__', '') or type(func).__name__
    module = getattr(func, '__module__', '') or ''
    if name == 'request' and args:                  # dce.request(rrp.BaseRegQueryValue()): named after the request
        name, module = type(args[-1]).__name__, type(args[-1]).__module__ or ''
    elif name in _RPC_NAMES:
        name, module = _RPC_NAMES[name], 'rrp'
    elif name[:1] == 'h' and name[1:2].isupper():   # impacket's helpers: hBaseRegOpenKey, hRQueryServiceStatus
        name = name[1:]
    interface = 'SCMR' if module.endswith('scmr') else 'RRP' if module.endswith('rrp') else 'RPC'
    return f'{interface} {name} {_target(action)}'


def _target(action: str) -> str:
    return _ACTION_VERB.sub('', action)


def _trail_failure(error: BaseException) -> str:
    """A failure as the trail shows it: the error kind and the Win32 / NT status code."""
    if isinstance(error, _MoreData):
        return f'more data ({error.size} bytes)'
    code = getattr(error, 'code', None)
    if code is None and hasattr(error, 'get_error_code'):
        code = _status_code(error)
    kind = getattr(error, 'kind', None) or type(error).__name__
    return f'error {kind}' + (f' {code:#010x}' if isinstance(code, int) else '')
