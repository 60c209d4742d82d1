# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SMB transport: what Windows NT 4.0 and Windows 2000 answer without WinRM.

* registry: MS-RRP over the ``\\winreg`` named pipe,
* a file's version: the file is read over the administrative share (``C$``) and its
  version resource parsed with pefile, reading only the headers and the resource section,
* services: MS-SCMR over the ``\\svcctl`` named pipe.

impacket is imported only when an :class:`SMBHost` is created (it costs about 0.2 s
and the WinRM transport does not need it); pefile only when a file version is read.
"""

from __future__ import annotations

import contextlib
import re
import socket
import struct
import types

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import (
    TYPE_NAMES,
    RegValue,
    parse_key_path,
)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion

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

# File access (MS-SMB2 2.2.13.1): read only, and never lock others out (store.exe is in use).
FILE_READ_DATA = 0x0001
FILE_READ_ATTRIBUTES = 0x0080
FILE_SHARE_ALL = 0x0007

# Registry access rights (MS-RRP 2.2.3).
KEY_QUERY_VALUE = 0x0001
KEY_SET_VALUE = 0x0002
KEY_READ = 0x20019

# Service Control Manager (MS-SCMR 2.2).
SC_MANAGER_CONNECT = 0x0001
SERVICE_QUERY_STATUS = 0x0004
SERVICE_START = 0x0010
SERVICE_STOP = 0x0020
SERVICE_CONTROL_STOP = 0x00000001
# dwCurrentState -> Win32_Service.State, so both transports report the same words.
SERVICE_STATES = {
    1: 'Stopped',
    2: 'Start Pending',
    3: 'Stop Pending',
    4: 'Running',
    5: 'Continue Pending',
    6: 'Pause Pending',
    7: 'Paused',
}

# How much of a PE file is read up front: DOS header, PE headers and section table fit in it
# for practically every linker (SizeOfHeaders is 0x400 or 0x1000).
PE_HEAD_BYTES = 4096
PE_MAX_SECTION_BYTES = 16 * 1024 * 1024
PE_MAX_HEADER_OFFSET = 1024 * 1024
_FIRST_VALUE_BUFFER = 512      # bytes offered for a value's data; larger values cost one more call
_MAX_NAME_CHARS = 16383        # the longest value name Windows allows
_MAX_VALUES = 1 << 20

_IMPACKET = None
_PEFILE = None


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
            """Close the pipe's file handle, then its IPC$ tree (impacket's disconnect leaves the handle to the server)."""
            conn = self.get_smb_connection()
            try:
                conn.closeFile(self._SMBTransport__tid, self._SMBTransport__handle)
            finally:
                conn.disconnectTree(self._SMBTransport__tid)

    return PipeTransport


def _load_pefile():
    """Import pefile once; a missing package is a RemoteError naming it."""
    global _PEFILE
    if _PEFILE is None:
        try:
            import pefile
        except ImportError:
            raise RemoteError('reading file versions over smb needs the Python package "pefile" on the controller: pip install pefile',
                              kind='unsupported') from None
        _PEFILE = pefile
    return _PEFILE


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


def split_windows_path(path: str) -> tuple[str, str]:
    """Map ``C:\\exchsrvr\\bin\\store.exe`` to the administrative share and the path in it: ('C$', 'exchsrvr\\bin\\store.exe')."""
    match = re.match(r'^\s*([A-Za-z]):[\\/]+(.*?)\s*$', path or '')
    if not match or not match.group(2):
        raise ValueError(f'cannot read {path!r} over smb: give a full path with a drive letter, e.g. C:\\exchsrvr\\bin\\store.exe')
    parts = [part for part in re.split(r'[\\/]+', match.group(2)) if part]
    return match.group(1).upper() + '$', '\\'.join(parts)


def decode_value(code: int, data: bytes) -> RegValue:
    """Turn a registry value's wire type and bytes into a RegValue.

    REG_SZ / REG_EXPAND_SZ are UTF-16LE text cut at the first NUL (the terminator); REG_MULTI_SZ is
    the list of strings up to the first empty one; DWORD / QWORD are little-endian (short data is
    zero-padded); REG_BINARY is the bytes.  Any other type raises RemoteError(kind='unsupported').
    """
    if code not in TYPE_NAMES:
        raise RemoteError(f'registry value type {code} is not supported (only {", ".join(TYPE_NAMES.values())})', kind='unsupported')
    name = TYPE_NAMES[code]
    if name in ('REG_SZ', 'REG_EXPAND_SZ'):
        return RegValue(name, _utf16(data).split('\0', 1)[0])
    if name == 'REG_MULTI_SZ':
        items = []
        for item in _utf16(data).split('\0'):
            if not item:
                break
            items.append(item)
        return RegValue(name, tuple(items))
    if name == 'REG_DWORD':
        return RegValue(name, int.from_bytes(data[:4].ljust(4, b'\0'), 'little'))
    if name == 'REG_QWORD':
        return RegValue(name, int.from_bytes(data[:8].ljust(8, b'\0'), 'little'))
    return RegValue(name, bytes(data))


def encode_value(value: RegValue) -> tuple[int, bytes]:
    """Return (wire type, bytes) for a RegValue, strings NUL-terminated as Windows stores them."""
    if not isinstance(value, RegValue):
        raise TypeError(f'expected a RegValue, got {type(value).__name__}')
    if value.type in ('REG_SZ', 'REG_EXPAND_SZ'):
        data = (value.data + '\0').encode('utf-16-le')
    elif value.type == 'REG_MULTI_SZ':
        data = (''.join(item + '\0' for item in value.data) + '\0').encode('utf-16-le')
    elif value.type == 'REG_DWORD':
        data = struct.pack('<I', value.data)
    elif value.type == 'REG_QWORD':
        data = struct.pack('<Q', value.data)
    else:
        data = value.data
    return value.type_code, data


def _with_buffer(call, size: int):
    call['lpData'] = b' ' * size
    call['lpcbData'] = size
    call['lpcbLen'] = size
    return call


def _data(answer) -> bytes:
    return b''.join(answer['lpData'])[:answer['lpcbData']]


def _utf16(data: bytes) -> str:
    data = bytes(data)
    return data[:len(data) - len(data) % 2].decode('utf-16-le', errors='replace')


def read_pe_version(read) -> str:
    """Return the file version ('5.5.2654.81') of a PE file read through ``read(offset, size) -> bytes``.

    Reads the first :data:`PE_HEAD_BYTES` (more only when the section table ends beyond them), then
    the one section that holds the resource directory, and nothing else.  Returns '' for a file that
    is not a PE image or carries no VS_FIXEDFILEINFO.
    """
    head = read(0, PE_HEAD_BYTES)
    if len(head) < 64 or head[:2] != b'MZ':
        return ''
    pe_offset = _u32(head, 0x3C)
    if pe_offset > PE_MAX_HEADER_OFFSET:
        return ''
    head = _read_to(read, head, pe_offset + PE_HEAD_BYTES if pe_offset + 24 > len(head) else 0)
    if head[pe_offset:pe_offset + 4] != b'PE\0\0':
        return ''
    sections, optional_size = _u16(head, pe_offset + 6), _u16(head, pe_offset + 20)
    if sections > 96:           # the PE format's limit; more means this is not a real image
        return ''
    optional = pe_offset + 24
    table = optional + optional_size
    head = _read_to(read, head, table + 40 * sections)
    if len(head) < table + 40 * sections:
        return ''
    magic = _u16(head, optional)
    if magic not in (0x10B, 0x20B):
        return ''
    count_at, directories = (optional + 92, optional + 96) if magic == 0x10B else (optional + 108, optional + 112)
    if _u32(head, count_at) < 3 or directories + 24 > table:
        return ''
    resource_rva = _u32(head, directories + 16)
    if not resource_rva:
        return ''
    for index in range(sections):
        entry = table + 40 * index
        virtual_size, virtual_address, raw_size, raw_pointer = struct.unpack_from('<IIII', head, entry + 8)
        if virtual_address <= resource_rva < virtual_address + max(virtual_size, raw_size):
            break
    else:
        return ''
    length = min(raw_size, PE_MAX_SECTION_BYTES)
    if raw_pointer + length <= len(head):
        image = bytearray(head)
    else:
        section = read(raw_pointer, length)
        image = bytearray(max(len(head), raw_pointer + len(section)))
        image[:len(head)] = head
        image[raw_pointer:raw_pointer + len(section)] = section
    return _fixed_file_version(bytes(image))


def _fixed_file_version(image: bytes) -> str:
    pefile = _load_pefile()
    try:
        pe = pefile.PE(data=image, fast_load=True)
        pe.parse_data_directories(directories=[pefile.DIRECTORY_ENTRY['IMAGE_DIRECTORY_ENTRY_RESOURCE']])
    except pefile.PEFormatError:
        return ''
    infos = getattr(pe, 'VS_FIXEDFILEINFO', None)
    if not infos:
        return ''
    return str(FileVersion.from_ms_ls(infos[0].FileVersionMS, infos[0].FileVersionLS))


def _read_to(read, head: bytes, size: int) -> bytes:
    if len(head) >= size or len(head) < PE_HEAD_BYTES:   # already there, or the file ended
        return head
    return head + read(len(head), size - len(head))


def _u16(data: bytes, offset: int) -> int:
    return struct.unpack_from('<H', data, offset)[0] if offset + 2 <= len(data) else 0


def _u32(data: bytes, offset: int) -> int:
    return struct.unpack_from('<I', data, offset)[0] if offset + 4 <= len(data) else 0


def _status_code(error) -> int | None:
    """The NT status or Win32 code an impacket exception carries, or None."""
    getter = getattr(error, 'getErrorCode', None) or getattr(error, 'get_error_code', None)
    try:
        return getter() if getter else None
    except (AttributeError, IndexError, TypeError):   # e.g. NetBIOSError raised with a message only
        return None


class SMBHost(RemoteHost):
    """A Windows host reached over SMB (NT 4.0 / Windows 2000 without WinRM).

    The session opens on first use (negotiate + NTLM: 3 exchanges); each pipe costs 3 more
    (IPC$ tree, open, bind) and every RPC call one.  ``requests`` counts every request/response
    exchange this object started, closes included; ``bytes_read`` counts file bytes read.
    Registry key handles are kept open until :meth:`close`, which closes every handle.

    With ``require_signing`` every SMB request is signed (also when the server only offers
    signing) or the session is refused; impacket does not check the server's signatures.
    ``port`` 139 is NetBIOS session service, what NT 4.0 offers.
    """

    transport = 'smb'

    def __init__(self, host: str, username: str, password: str, port: int = 445, domain: str = '',
                 require_signing: bool = False, timeout: float = 30):
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
        self.bytes_read = 0
        self._lib = _load_impacket()
        self._conn = None
        self._failed = None
        self._pipes = {}
        self._hives = {}
        self._keys = {}
        self._trees = {}
        self._scm = None

    def __repr__(self):
        return f'SMBHost({self.host!r}, port={self.port}, user={self._account()!r})'

    # ----------------------------------------------------------------- registry
    def get_value(self, key, name, expected_type=None):
        handle = self._open_key(key)
        if handle is None:
            return None
        found = self._query_value(handle, key, name)
        return None if found is None else self._decode(key, name, *found)

    def enum_values(self, key):
        raw = self._enum_raw(key)
        if raw is None:
            return None
        return {name: self._decode(key, name, code, data).type for name, (code, data) in raw.items()}

    def get_values(self, key):
        raw = self._enum_raw(key)
        if raw is None:
            return None
        return {name: self._decode(key, name, code, data) for name, (code, data) in raw.items()}

    def set_value(self, key, name, value):
        """BaseRegSetValue, after one BaseRegQueryValue of the current value.

        Samba (the test server) ignores a SetValue whose bytes equal the stored ones even when the
        type differs, so REG_EXPAND_SZ "https:" would stay REG_EXPAND_SZ; Windows changes the type.
        When the stored value has the same bytes and another type it is deleted first, so a type
        change happens on both.
        """
        code, data = encode_value(value)
        handle = self._open_key(key, write=True)
        if handle is None:
            raise RemoteError(f'{self.host}: cannot write {key}\\{name}: the key does not exist', kind='not_found', host=self.host)
        current = self._query_value(handle, key, name)
        if current is not None and current[0] != code and current[1] == data:
            self._rpc(f'delete {key}\\{name}', self._lib.rrp.hBaseRegDeleteValue, self._pipe('winreg'), handle, name,
                      absent=(ERROR_FILE_NOT_FOUND,))
        rrp = self._lib.rrp
        request = rrp.BaseRegSetValue()
        request['hKey'] = handle
        request['lpValueName'] = name + '\0'
        request['dwType'] = code
        request['lpData'] = data
        request['cbData'] = len(data)
        self._rpc(f'write {key}\\{name}', self._pipe('winreg').request, request)

    def delete_value(self, key, name):
        handle = self._open_key(key, write=True)
        if handle is None:
            return False
        done = self._rpc(f'delete {key}\\{name}', self._lib.rrp.hBaseRegDeleteValue, self._pipe('winreg'), handle, name,
                         absent=(ERROR_FILE_NOT_FOUND,))
        return done is not None

    def _decode(self, key, name, code, data) -> RegValue:
        try:
            return decode_value(code, data)
        except RemoteError as error:
            raise RemoteError(f'{self.host}: {key}\\{name}: {error}', kind=error.kind, host=self.host) from None

    def _open_key(self, key: str, write: bool = False):
        """Return a cached handle to ``key`` (read, or query+set-value access), or None when the key does not exist."""
        hive, subkey = parse_key_path(key)
        cache_key = (hive, subkey.lower(), write)
        if cache_key in self._keys:
            return self._keys[cache_key]
        root = self._hive(hive)
        if not subkey:
            return root
        access = KEY_SET_VALUE | KEY_QUERY_VALUE if write else KEY_READ
        answer = self._rpc(f'{"write" if write else "read"} {key}', self._open_subkey, root, subkey, access,
                           absent=_KEY_MISSING)
        if answer is None:
            return None
        self._keys[cache_key] = answer['phkResult']
        return answer['phkResult']

    def _open_subkey(self, root, subkey: str, access: int):
        return self._lib.rrp.hBaseRegOpenKey(self._pipe('winreg'), root, subkey, samDesired=access)

    def _hive(self, hive: str):
        if hive not in self._hives:
            rrp = self._lib.rrp
            opener = {'HKLM': rrp.hOpenLocalMachine, 'HKCU': rrp.hOpenCurrentUser, 'HKU': rrp.hOpenUsers,
                      'HKCR': rrp.hOpenClassesRoot, 'HKCC': rrp.hOpenCurrentConfig}[hive]
            self._hives[hive] = self._rpc(f'open {hive}', opener, self._pipe('winreg'))['phKey']
        return self._hives[hive]

    def _query_value(self, handle, key, name):
        """BaseRegQueryValue: (type, bytes) in one call (two when the value exceeds the first buffer), None if absent."""
        def request(size):
            call = self._lib.rrp.BaseRegQueryValue()
            call['hKey'] = handle
            call['lpValueName'] = name + '\0'
            return _with_buffer(call, size)

        answer = self._sized_rpc(f'read {key}\\{name}', request, _KEY_MISSING)
        return None if answer is None else (answer['lpType'], _data(answer))

    def _enum_raw(self, key):
        """{name: (type, bytes)} of every value of ``key`` in stored order, or None when the key is missing.

        One BaseRegEnumValue per value plus the one answering ERROR_NO_MORE_ITEMS (BaseRegQueryInfoKey
        would cost the same call, and Samba rejects impacket's form of it).
        """
        handle = self._open_key(key)
        if handle is None:
            return None
        values = {}
        for index in range(_MAX_VALUES):
            def request(size, index=index):
                call = self._lib.rrp.BaseRegEnumValue()
                call['hKey'] = handle
                call['dwIndex'] = index
                call.fields['lpValueNameIn'].fields['MaximumLength'] = _MAX_NAME_CHARS * 2
                call.fields['lpValueNameIn'].fields['Data'].fields['Data'].fields['MaximumCount'] = _MAX_NAME_CHARS
                return _with_buffer(call, size)

            answer = self._sized_rpc(f'read {key}', request, (ERROR_NO_MORE_ITEMS,))
            if answer is None:
                break
            name = answer['lpValueNameOut']
            values[name[:-1] if name.endswith('\0') else name] = (answer['lpType'], _data(answer))
        return values

    def _sized_rpc(self, action: str, make_request, absent):
        """Send ``make_request(buffer size)`` on \\winreg; on ERROR_MORE_DATA send it again with the size the server named."""
        size = _FIRST_VALUE_BUFFER
        for _attempt in range(3):
            try:
                return self._rpc(action, self._pipe('winreg').request, make_request(size), absent=absent, more=True)
            except _MoreData as more:
                size = max(more.size, size * 2)
        raise RemoteError(f'{self.host}: {action}: the value kept growing while being read', host=self.host)

    # ---------------------------------------------------------------- files
    def file_version(self, path):
        try:
            share, inside = split_windows_path(path)
        except ValueError as error:
            raise RemoteError(str(error), kind='unsupported', host=self.host) from None
        conn = self._smb()
        tree = self._tree(share)
        fid = self._smb_call(f'open {path}', conn.openFile, tree, inside, desiredAccess=FILE_READ_DATA | FILE_READ_ATTRIBUTES,
                             shareMode=FILE_SHARE_ALL, absent=_FILE_MISSING)
        if fid is None:
            return None
        try:
            return read_pe_version(lambda offset, size: self._read(tree, fid, offset, size, path))
        finally:
            self._smb_call(f'close {path}', conn.closeFile, tree, fid)

    def _read(self, tree, fid, offset: int, size: int, path: str) -> bytes:
        """Read ``size`` bytes at ``offset`` (fewer at end of file), one request per server read size."""
        conn = self._smb()
        chunk_limit = max(int(conn.getIOCapabilities().get('MaxReadSize') or 0), 4096)
        data = b''
        while len(data) < size:
            chunk = self._smb_call(f'read {path}', conn.readFile, tree, fid, offset + len(data), min(chunk_limit, size - len(data)))
            if not chunk:
                break
            data += chunk
        self.bytes_read += len(data)
        return data

    def _tree(self, share: str):
        if share not in self._trees:
            tree = self._smb_call(f'connect to share {share}', self._smb().connectTree, share, absent=(STATUS_BAD_NETWORK_NAME,))
            if tree is None:
                raise RemoteError(f'{self.host}: the administrative share {share} is not available (AutoShareServer disabled?)',
                                  kind='not_found', host=self.host)
            self._trees[share] = tree
        return self._trees[share]

    # ------------------------------------------------------------- services
    def service_state(self, name):
        handle = self._open_service(name, SERVICE_QUERY_STATUS)
        if handle is None:
            return None
        scmr = self._lib.scmr
        try:
            status = self._rpc(f'query service {name}', scmr.hRQueryServiceStatus, self._pipe('svcctl'), handle)
        finally:
            self._rpc(f'close service {name}', scmr.hRCloseServiceHandle, self._pipe('svcctl'), handle)
        state = status['lpServiceStatus']['dwCurrentState']
        return SERVICE_STATES.get(state, 'Unknown')

    def control_service(self, name, action):
        if action not in ('start', 'stop'):
            raise RemoteError(f"control_service action must be 'start' or 'stop', got {action!r}", kind='unsupported', host=self.host)
        handle = self._open_service(name, SERVICE_START if action == 'start' else SERVICE_STOP)
        if handle is None:
            raise RemoteError(f'{self.host}: cannot {action} service {name}: no such service', kind='not_found', host=self.host)
        scmr = self._lib.scmr
        dce = self._pipe('svcctl')
        try:
            if action == 'start':
                self._rpc(f'start service {name}', scmr.hRStartServiceW, dce, handle, absent=(ERROR_SERVICE_ALREADY_RUNNING,))
            else:
                self._rpc(f'stop service {name}', scmr.hRControlService, dce, handle, SERVICE_CONTROL_STOP, absent=(ERROR_SERVICE_NOT_ACTIVE,))
        finally:
            self._rpc(f'close service {name}', scmr.hRCloseServiceHandle, dce, handle)

    def _open_service(self, name: str, access: int):
        scmr = self._lib.scmr
        dce = self._pipe('svcctl')
        if self._scm is None:
            self._scm = self._rpc('open the service manager', scmr.hROpenSCManagerW, dce, 'DUMMY\0', 'ServicesActive\0',
                                  SC_MANAGER_CONNECT)['lpScHandle']
        answer = self._rpc(f'open service {name}', scmr.hROpenServiceW, dce, self._scm, name + '\0', access,
                           absent=(ERROR_SERVICE_DOES_NOT_EXIST, ERROR_INVALID_NAME))
        return None if answer is None else answer['lpServiceHandle']

    # ---------------------------------------------------------- connection
    def _account(self) -> str:
        return f'{self.domain}\\{self.username}' if self.domain else self.username

    def _smb(self):
        """The logged-on SMB session, opened on first use (3 exchanges: negotiate and a two-step NTLM login)."""
        if self._conn is not None:
            return self._conn
        self._check_alive()
        lib = self._lib
        remote_name = self.host if self.port != 139 else _netbios_name(self.host)
        with self._errors('connect', fatal=True):
            self.requests += 1
            conn = lib.SMBConnection(remote_name, self.host, sess_port=self.port, timeout=self.timeout)
            try:
                if self.require_signing:
                    self._demand_signing(conn)
                self.requests += 2
                conn.login(self.username, self._password, self.domain)
                if conn.isGuestSession():
                    raise RemoteError(f'{self.host}: the server logged {self._account()} on as Guest: the account is not known there',
                                      kind='auth', host=self.host)
                if self.require_signing and not _signing_active(conn):
                    raise RemoteError(f'{self.host}: smb signing was required but the session is not signed', kind='protocol', host=self.host)
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
            raise RemoteError(f'{self.host}: smb signing is required but the server does not offer it', kind='protocol', host=self.host)
        params['SecurityMode'] |= lib.smb.SMB.SECURITY_SIGNATURES_REQUIRED
        server._SignatureRequired = True

    def _pipe(self, name: str):
        """A bound DCE/RPC client on ``\\winreg`` or ``\\svcctl`` (3 exchanges: IPC$ tree, pipe open, bind)."""
        if name not in self._pipes:
            lib = self._lib
            conn = self._smb()
            uuid = {'winreg': lib.rrp.MSRPC_UUID_RRP, 'svcctl': lib.scmr.MSRPC_UUID_SCMR}[name]
            with self._errors(f'open the \\{name} pipe'):
                rpc = lib.PipeTransport(self.host, self.port, filename='\\' + name, smb_connection=conn)
                dce = rpc.get_dce_rpc()
                self.requests += 2
                dce.connect()
                self.requests += 1
                dce.bind(uuid)
            self._pipes[name] = dce
        return self._pipes[name]

    def _rpc(self, action: str, func, *args, absent=(), more=False):
        """Run one RPC call (counted).  Returns None for a Win32 error in ``absent``; maps other failures to RemoteError."""
        self._check_alive()
        self.requests += 1
        with self._errors(action):
            try:
                return func(*args)
            except self._lib.rpcrt.DCERPCException as error:
                code = _status_code(error)
                if code in absent:
                    return None
                if more and code == ERROR_MORE_DATA and error.get_packet() is not None:
                    raise _MoreData(error.get_packet()['lpcbData']) from None
                raise

    def _smb_call(self, action: str, func, *args, absent=(), **kwargs):
        """Run one SMB request (counted).  Returns None for an NT status in ``absent``."""
        self._check_alive()
        self.requests += 1
        with self._errors(action):
            try:
                return func(*args, **kwargs)
            except self._lib.session_errors as error:
                if _status_code(error) in absent:
                    return None
                raise

    def _check_alive(self) -> None:
        """Fail fast, with the first error again, once the session could not be opened or was lost."""
        if self._failed is not None:
            raise RemoteError(str(self._failed), kind=self._failed.kind, host=self.host, code=self._failed.code)

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
        except (RemoteError, lib.rpcrt.DCERPCException, *lib.session_errors, lib.nmb.NetBIOSError, lib.nmb.NetBIOSTimeout, OSError) as error:
            remote = error if isinstance(error, RemoteError) else self._translate(action, error)
            if fatal or remote.kind in ('timeout', 'unreachable'):
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
            return RemoteError(f'{self.host}:{self.port}: no answer within {self.timeout} s ({action})', kind='timeout', host=self.host)
        return RemoteError(f'{self.host}:{self.port}: {action} failed: {_os_text(error)}', kind='unreachable', host=self.host)

    # ---------------------------------------------------------------- close
    def close(self):
        """Close every registry and service handle, the pipes, the shares and the session; errors are ignored."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        lib = self._lib
        quiet = (RemoteError, *lib.session_errors, lib.rpcrt.DCERPCException, lib.nmb.NetBIOSError, lib.nmb.NetBIOSTimeout, OSError)
        healthy = self._failed is None or self._failed.kind not in ('timeout', 'unreachable')
        if healthy:
            winreg = self._pipes.get('winreg')
            for handle in [*self._keys.values(), *self._hives.values()]:
                with contextlib.suppress(*quiet):
                    self.requests += 1
                    lib.rrp.hBaseRegCloseKey(winreg, handle)
            if self._scm is not None:
                with contextlib.suppress(*quiet):
                    self.requests += 1
                    lib.scmr.hRCloseServiceHandle(self._pipes['svcctl'], self._scm)
            for dce in self._pipes.values():
                with contextlib.suppress(*quiet):
                    self.requests += 2
                    dce.get_rpc_transport().disconnect()
            for tree in self._trees.values():
                with contextlib.suppress(*quiet):
                    self.requests += 1
                    conn.disconnectTree(tree)
            self.requests += 1
        with contextlib.suppress(*quiet):
            if healthy:
                conn.close()                              # logs off, then closes the socket
            else:
                conn.getSMBServer().close_session()       # a dead session: just drop the socket
        self._keys.clear()
        self._hives.clear()
        self._pipes.clear()
        self._trees.clear()
        self._scm = None


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
