# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SMB transport: what Windows NT 4.0 and Windows 2000 answer without WinRM.

* registry: MS-RRP over the ``\\winreg`` named pipe (:mod:`_rrp`),
* a file's version: the file is read over the administrative share (``C$``) and its
  version resource parsed with pefile, reading only the headers and the resource section
  (:mod:`_pe_version`),
* services: MS-SCMR over the ``\\svcctl`` named pipe (:mod:`_scmr`).

The session, its pipes and the error translation are in :mod:`_smb_session`.  impacket is
imported only when an :class:`SMBHost` is created (it costs about 0.2 s and the WinRM
transport does not need it); pefile only when a file version is read.
"""

from __future__ import annotations

import re

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._pe_version import PEReadRefused, read_pe_version
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._rrp import RRPClient
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._scmr import SCMRClient
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb_session import (
    _FILE_MISSING, STATUS_FILE_IS_A_DIRECTORY, SMBSession, retried)

# File access (MS-SMB2 2.2.13.1): read only, and never lock others out (store.exe is in use).
FILE_READ_DATA = 0x0001
FILE_READ_ATTRIBUTES = 0x0080
FILE_SHARE_ALL = 0x0007


def split_windows_path(path: str) -> tuple[str, str]:
    """Map ``C:\\exchsrvr\\bin\\store.exe`` to the administrative share and the path in it: ('C$', 'exchsrvr\\bin\\store.exe').

    Only a local path with a drive letter can be read, over that drive's administrative share; what Exchange's Setup
    writes is such a path (``Services: REG_SZ : C:\\EXCHSRVR``, Q149205), and scanners map it the same way (Nessus
    ``hotfix_path2share``, ``ereg_replace(pattern:'^[A-Za-z]:(.*)', ...)``).  Other forms get a ValueError saying
    what the path is: quoted, UNC, or holding ``%variables%`` (MS-RRP returns REG_EXPAND_SZ text unexpanded).
    """
    text = (path or '').strip()
    if '"' in text or text.startswith("'"):
        form = 'is quoted'
    elif text.startswith('\\\\') or text.startswith('//'):
        form = 'is a UNC path'
    elif re.search(r'%[^%\\]+%', text):
        form = 'holds environment variables, which the smb transport does not expand'
    else:
        form = 'has no drive letter'
    match = re.match(r'^\s*([A-Za-z]):[\\/]+(.*?)\s*$', path or '')
    if not match or not match.group(2) or '"' in match.group(2):
        raise ValueError(f'cannot read {path!r} over smb: the path {form}; the smb transport reads files over the administrative '
                         'share of a local drive, so it needs a full path with a drive letter, e.g. C:\\exchsrvr\\bin\\store.exe')
    parts = [part for part in re.split(r'[\\/]+', match.group(2)) if part]
    return match.group(1).upper() + '$', '\\'.join(parts)


class SMBHost(RRPClient, SCMRClient, SMBSession, RemoteHost):
    """A Windows host reached over SMB (NT 4.0 / Windows 2000 without WinRM).

    The session opens on first use (negotiate + NTLM: 3 exchanges); each pipe costs 3 more
    (IPC$ tree, open, bind) and every RPC call one.  ``requests`` counts every request/response
    exchange this object started, the logoff included; ``bytes_read`` counts file bytes read.
    Registry keys and service handles are kept open until :meth:`close`, whose one logoff
    releases them all on the server.

    With ``require_signing`` every SMB request is signed (also when the server only offers
    signing) or the session is refused; impacket does not check the server's signatures.
    ``port`` 139 is NetBIOS session service, what NT 4.0 offers.
    """

    transport = 'smb'

    def __init__(self, host: str, username: str, password: str, port: int = 445, domain: str = '',
                 require_signing: bool = False, timeout: float = 30, **retrying):
        super().__init__(host, username, password, port=port, domain=domain, require_signing=require_signing, timeout=timeout,
                         **retrying)
        self.bytes_read = 0
        self._init_registry()

    # A connection lost once the session was up is a transient failure: these operations log on again and run again
    # (``retries``, ``retry_delay``; never past ``task_timeout``).  Each is safe to repeat: a read, or a write of the
    # same data (a delete that already happened finds nothing to delete).  Service start and stop are never repeated.
    get_value = retried(RRPClient.get_value)
    enum_values = retried(RRPClient.enum_values)
    get_values = retried(RRPClient.get_values)
    set_value = retried(RRPClient.set_value)
    delete_value = retried(RRPClient.delete_value)
    enum_keys = retried(RRPClient.enum_keys)
    create_key = retried(RRPClient.create_key)
    delete_key = retried(RRPClient.delete_key)
    service_state = retried(SCMRClient.service_state)

    def _forget_handles(self) -> None:
        self._keys.clear()
        self._hives.clear()
        self._scm = None

    # ---------------------------------------------------------------- files
    @retried
    def file_version(self, path):
        try:
            share, inside = split_windows_path(path)
        except ValueError as error:
            raise RemoteError(str(error), kind='unsupported', host=self.host) from None
        conn = self._smb()
        tree = self._tree(share)
        directory = []
        fid = self._smb_call(f'open {path}', conn.openFile, tree, inside, desiredAccess=FILE_READ_DATA | FILE_READ_ATTRIBUTES,
                             shareMode=FILE_SHARE_ALL, absent=_FILE_MISSING, on_absent=directory.append)
        if fid is None:
            if STATUS_FILE_IS_A_DIRECTORY in directory:
                raise RemoteError(f'{self.host}: {path} is a directory, not a file: check the Services path under '
                                  f'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup', kind='not_found', host=self.host)
            return None
        # Closed at once, not left to the logoff: impacket's SMB1 open asks for a batch oplock (CreateFlags 0x16) and
        # cannot answer the oplock break the server sends when someone else opens the file (Samba does, as a
        # LOCKING_ANDX request), so a handle kept open would hold up the next opener of Store.exe.
        try:
            return read_pe_version(lambda offset, size: self._read(tree, fid, offset, size, path))
        except PEReadRefused as error:
            raise RemoteError(f'{self.host}: {path}: {error}', kind='unsupported', host=self.host) from None
        finally:
            if self._failed is None:          # a lost or untrusted session is not used to close the file
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

    # ---------------------------------------------------------------- close
    def close(self):
        """Log off: one exchange that releases every key, service handle, file, pipe and tree (errors are ignored)."""
        conn, self._conn = self._conn, None
        if conn is None:
            return
        self._close_session(conn, self._healthy())
        self._keys.clear()
        self._hives.clear()
        self._scm = None
