#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Run real Samba servers on loopback addresses as stand-ins for Exchange 5.5 hosts reached over SMB.

The fleet file is the WinRM simulator's (tests/simulator/README.md), read by the simulator's own
parser so both transports see the same servers.  Each host gets its own ``smbd`` and
``samba-dcerpcd`` on its own loopback address with a private smb.conf, so the smb transport meets a
real SMB server, real MS-RRP (``\\winreg``) and MS-SCMR (``\\svcctl``).  See README.md beside this file.

    smbfleet.py serve --fleet FLEET.yml --inventory OUT.yml --state-dir DIR [--subnet 127.0.40]
    smbfleet.py dump --state-dir DIR --host NAME [--key KEY ...]
    smbfleet.py check [--subnet 127.0.40]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import ctypes
import grp
import hashlib
import http.server
import json
import os
import pathlib
import pwd
import re
import shutil
import signal
import socket
import socketserver
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time

import yaml

_HERE = pathlib.Path(__file__).resolve().parent
sys.path[:0] = [str(_HERE), str(_HERE.parent / 'simulator')]
from pe_version import build_pe
from winsim import fleetfile, owa
from winsim.registry import parse_value, value_record

UNIX_ACCOUNT = 'nobody'          # every fleet login maps to this Unix user (never root: root bypasses registry ACLs)
GUEST_ACCOUNT = 'daemon'         # Samba's guest must differ, or the fleet user would get the Guest SID
ADMINISTRATORS_SID = 'S-1-5-32-544'
KEY_READ, KEY_ALL_ACCESS = 0x20019, 0xF003F
# deny_write: Everyone and Administrators may read, only SYSTEM may change.  faults.access_denied: only SYSTEM may open.
DENY_WRITE_SDDL = f'O:BAG:SYD:(A;;0x{KEY_READ:x};;;WD)(A;;0x{KEY_READ:x};;;BA)(A;;0x{KEY_ALL_ACCESS:x};;;SY)'
DENY_ALL_SDDL = f'O:BAG:SYD:(A;;0x{KEY_ALL_ACCESS:x};;;SY)'
PROTOCOLS = {'NT1': ('NT1', 'NT1'), 'SMB2': ('SMB2_02', 'SMB2_10'), 'SMB3': ('SMB2_02', 'SMB3')}
SIGNING = ('auto', 'mandatory', 'disabled')
READY_TIMEOUT = 60.0
SHARED_STATE_ROOT = pathlib.Path(tempfile.gettempdir()) / 'smbfleet-state'
# <state dir>/<host>/ncalrpc/np/<pipe> must fit in a unix socket address (108 bytes, host names up to 32)
MAX_STATE_DIR_LENGTH = 50
MAX_RUN_DIR_LENGTH = 70
# Fleet features a Samba server cannot reproduce: they are reported once and otherwise ignored.
# Keys Samba's registry answers itself, read-only (a write is refused), with what it answers: source3/registry/
# reg_backend_current_version.c (current_version_fetch_values: SystemRoot "c:\\Windows", CurrentVersion from Samba's
# announced version).  A fleet may name such a value only with the data Samba serves: it is then not written, and both
# transports see the same server.
SAMBA_SERVED = {'hklm\\software\\microsoft\\windows nt\\currentversion': {'systemroot': {'type': 'REG_SZ', 'data': 'c:\\Windows'}}}
UNSIMULATED_FAULTS = ('latency_ms', 'jitter_ms', 'http_500_rate', 'internal_error_rate', 'reset_rate', 'lost_write')


class FleetError(Exception):
    """A one-line reason the fleet cannot be described or started."""


# --------------------------------------------------------------------------- Samba on this machine
def samba_paths() -> dict:
    """Paths of the Samba programs used; FleetError naming what is missing."""
    paths = {name: shutil.which(name) or shutil.which(name, path='/usr/sbin:/usr/bin') for name in ('smbd', 'net', 'smbpasswd', 'tdbdump')}
    missing = [name for name, path in paths.items() if not path]
    if missing:
        raise FleetError(f'{", ".join(missing)} not found: install Samba and tdb-tools (apt-get install -y samba tdb-tools)')
    candidates = [shutil.which('samba-dcerpcd')]
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        build = subprocess.run([paths['smbd'], '-b'], capture_output=True, text=True, timeout=10, check=False).stdout
        candidates += [os.path.join(m, 'samba-dcerpcd') for m in re.findall(r'LIBEXECDIR:\s*(\S+)', build)]
    candidates += ['/usr/libexec/samba/samba-dcerpcd', '/usr/lib/samba/samba-dcerpcd']
    paths['samba-dcerpcd'] = next((c for c in candidates if c and os.access(c, os.X_OK)), None)
    if not paths['samba-dcerpcd']:
        raise FleetError('samba-dcerpcd not found: Samba 4.16 or later is needed (apt-get install -y samba)')
    return paths


def require_environment() -> dict:
    """Samba's paths once it is certain that hosts can be set up here (root, accounts, version); FleetError if not."""
    paths = samba_paths()
    if os.geteuid() != 0:
        raise FleetError('Samba must run as root here (it binds port 445 and switches to the fleet user for each session)')
    for account in (UNIX_ACCOUNT, GUEST_ACCOUNT):
        try:
            pwd.getpwnam(account)
        except KeyError:
            raise FleetError(f'Unix account {account!r} is missing; Samba maps fleet logins to it') from None
    version = subprocess.run([paths['smbd'], '--version'], capture_output=True, text=True, timeout=10, check=False).stdout
    match = re.search(r'(\d+)\.(\d+)', version)
    if not match or (int(match.group(1)), int(match.group(2))) < (4, 16):
        raise FleetError(f'Samba {version.strip() or "of unknown version"} is too old: samba-dcerpcd needs 4.16 or later')
    return paths


def check(subnet: str = '127.0.40') -> str | None:
    """Return None when a Samba host can be started here, else a one-line reason.  Starts and stops one host."""
    try:
        require_environment()
        with tempfile.TemporaryDirectory(prefix='smbfleet-check-') as scratch:
            document = {'hosts': {'smbcheck': {'username': 'Administrator', 'password': 'check'}}}
            with SambaFleet(document, scratch, subnet=subnet, first=254, owa_port=0):
                pass
    except FleetError as error:
        return str(error)
    return None


def _reachable(path: pathlib.Path) -> bool:
    """True when the unprivileged account can traverse every existing parent of ``path``."""
    account = pwd.getpwnam(UNIX_ACCOUNT)
    for parent in path.parents:
        if not parent.exists():
            continue
        info = parent.stat()
        bit = stat.S_IXUSR if info.st_uid == account.pw_uid else stat.S_IXGRP if info.st_gid == account.pw_gid else stat.S_IXOTH
        if not info.st_mode & bit:
            return False
    return True


def _samba_state_root(state_dir: pathlib.Path) -> pathlib.Path:
    """Where the hosts' Samba state directories (registry.tdb, passdb maps) live.

    Samba opens the registry as the fleet's unprivileged account, so that directory must be
    reachable by it.  Normally it is ``state_dir`` itself; under a private parent (pytest's
    tmp_path is mode 700) it is ``<tmp>/smbfleet-state/<hash of state_dir>`` instead, recorded in
    ``state_dir/samba-state`` and removed with the first start after ``state_dir`` is gone.
    A long ``state_dir`` goes there too: Samba's unix sockets below it must fit in 108 bytes.
    """
    if _reachable(state_dir) and len(str(state_dir)) <= MAX_STATE_DIR_LENGTH:
        return state_dir
    SHARED_STATE_ROOT.mkdir(mode=0o711, exist_ok=True)
    if SHARED_STATE_ROOT.stat().st_uid != os.geteuid():
        raise FleetError(f'{SHARED_STATE_ROOT} belongs to another user: remove it or give a --state-dir the {UNIX_ACCOUNT!r} account can reach')
    SHARED_STATE_ROOT.chmod(0o711)
    for old in SHARED_STATE_ROOT.iterdir():
        with contextlib.suppress(OSError):
            if not pathlib.Path((old / 'owner').read_text(encoding='utf-8')).exists():
                shutil.rmtree(old, ignore_errors=True)
    root = SHARED_STATE_ROOT / hashlib.sha256(str(state_dir).encode()).hexdigest()[:16]
    root.mkdir(mode=0o711, exist_ok=True)
    (root / 'owner').write_text(str(state_dir), encoding='utf-8')
    return root


# --------------------------------------------------------------------------- registry values as bytes
# What Windows stores for each type (and what MS-RRP BaseRegSetValue carries, MS-RRP 3.1.5.22):
# strings UTF-16LE with their terminating NUL, REG_MULTI_SZ every string NUL-terminated plus a
# final NUL, DWORD / QWORD little-endian, REG_BINARY the bytes themselves.
TYPE_CODES = {'REG_NONE': 0, 'REG_SZ': 1, 'REG_EXPAND_SZ': 2, 'REG_BINARY': 3, 'REG_DWORD': 4, 'REG_MULTI_SZ': 7, 'REG_QWORD': 11}


def record_bytes(record: dict) -> tuple[int, bytes]:
    """(type code, stored bytes) of a fleet-file value record {type, data}."""
    kind, data = record['type'], parse_value(record['type'], record['data'])
    if kind in ('REG_SZ', 'REG_EXPAND_SZ'):
        raw = (data + '\0').encode('utf-16-le')
    elif kind == 'REG_MULTI_SZ':
        raw = (''.join(item + '\0' for item in data) + '\0').encode('utf-16-le')
    elif kind == 'REG_DWORD':
        raw = data.to_bytes(4, 'little')
    elif kind == 'REG_QWORD':
        raw = data.to_bytes(8, 'little')
    else:
        raw = bytes(data)
    return TYPE_CODES[kind], raw


def _fold(name: str) -> str:
    """Upper-case one character at a time, as Samba's registry does for key paths (ß stays ß)."""
    return ''.join(upper if len(upper := char.upper()) == 1 else char for char in name)


def _tdbdump_bytes(text: str) -> bytes:
    """The bytes of a tdbdump string: printable characters as themselves, everything else as \\XX."""
    out = bytearray()
    index = 0
    while index < len(text):
        if text[index] == '\\':
            out.append(int(text[index + 1:index + 3], 16))
            index += 3
        else:
            out += text[index].encode('latin-1')
            index += 1
    return bytes(out)


def read_registry_tdb(path) -> dict:
    """Every key's values straight from Samba's registry.tdb (no SMB, no Samba tool that interprets them).

    Returns {folded key path: [(name, type code, bytes), ...]} in stored order.  Samba keeps a
    key's values in the record ``SAMBA_REGVAL\\<KEY PATH>`` (source3/registry/reg_backend_db.c,
    regdb_pack_values): a uint32 count, then per value tdb_pack "fdB": the NUL-terminated UTF-8
    name, the uint32 type, a uint32 length and that many bytes.  The file is read with ``tdbdump``.
    """
    dumped = subprocess.run([shutil.which('tdbdump') or 'tdbdump', str(path)], capture_output=True, check=True, timeout=60).stdout.decode('latin-1')
    keys = {}
    for key_text, data_text in re.findall(r'key\(\d+\) = "(.*)"\ndata\(\d+\) = "(.*)"\n', dumped):
        key = _tdbdump_bytes(key_text).rstrip(b'\0').decode('utf-8')
        if not key.startswith('SAMBA_REGVAL\\'):
            continue
        data = _tdbdump_bytes(data_text)
        count, = struct.unpack_from('<I', data, 0)
        offset, values = 4, []
        for _index in range(count):
            end = data.index(b'\0', offset)
            name = data[offset:end].decode('utf-8')
            code, size = struct.unpack_from('<II', data, end + 1)
            offset = end + 9 + size
            values.append((name, code, data[end + 9:offset]))
        keys[_fold(key[len('SAMBA_REGVAL\\'):])] = values
    return keys


def parse_reg(text: str) -> dict:
    """Parse ``net registry export`` output into {'HKLM\\...': {name: {'type', 'data'}}} (the fleet's record form)."""
    keys, current = {}, None
    for line in re.sub(r'\\\r?\n\s*', '', text).splitlines():     # continuation lines joined
        line = line.strip()
        if not line or line.startswith(';') or line.startswith('Windows Registry') or line == 'REGEDIT4':
            continue
        if line.startswith('[') and line.endswith(']'):
            current = keys.setdefault(fleetfile.canonical_key(line[1:-1]), {})
            continue
        match = re.match(r'^(@|"(?:[^"\\]|\\.)*")=(.*)$', line)
        if current is not None and match:
            name = '' if match.group(1) == '@' else re.sub(r'\\(.)', r'\1', match.group(1)[1:-1])
            current[name] = _parse_reg_data(match.group(2))
    return keys


def _parse_reg_data(text: str) -> dict:
    if text.startswith('"'):
        return value_record('REG_SZ', re.sub(r'\\(.)', r'\1', text[1:-1]))
    if text.startswith('dword:'):
        return value_record('REG_DWORD', int(text[6:], 16))
    match = re.match(r'^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$', text)
    if not match:
        raise FleetError(f'unexpected data in a registry export: {text[:40]!r}')
    code, raw = int(match.group(1) or '3', 16), bytes.fromhex(match.group(2).replace(',', ''))
    chars = raw[:len(raw) - len(raw) % 2].decode('utf-16-le', errors='replace')
    if code in (1, 2):
        return value_record('REG_SZ' if code == 1 else 'REG_EXPAND_SZ', chars.split('\0', 1)[0])
    if code == 7:
        items = chars.split('\0')
        return value_record('REG_MULTI_SZ', tuple(items[:items.index('')] if '' in items else items))
    if code in (4, 11):
        return value_record('REG_DWORD' if code == 4 else 'REG_QWORD', int.from_bytes(raw, 'little'))
    return value_record('REG_BINARY', raw)


# --------------------------------------------------------------------------- one host
class SambaHost:
    """One simulated server: its directory, smb.conf, Samba processes and OWA responder.

    A host with ``faults.hang`` runs no Samba: its SMB port accepts connections and never answers.
    """

    def __init__(self, spec: fleetfile.HostSpec, address: str, root: pathlib.Path, samba_root: pathlib.Path, paths: dict,
                 port: int = 445, owa_port: int = 80, protocol: str = 'NT1', signing: str = 'auto'):
        self.spec, self.name, self.address, self.paths = spec, spec.name, address, paths
        self.dir = root / spec.name
        self.samba_state = samba_root / spec.name / 'state' if samba_root != root else self.dir / 'state'
        # Samba's unix sockets (lock/msg.sock/<pid>, ncalrpc/np/<pipe>) must fit in 108 bytes: a long state
        # directory or host name (hosts are named after the server they describe) moves them to a short path.
        self.run_dir = self.dir if len(str(self.dir)) <= MAX_RUN_DIR_LENGTH else (
            samba_root / 'run' / hashlib.sha256(str(self.dir).encode()).hexdigest()[:12])
        self.conf = self.dir / 'smb.conf'
        self.port, self.owa_port = int(port), int(owa_port)
        self.protocol, self.signing = str(protocol).upper(), str(signing).lower()
        if self.protocol not in PROTOCOLS or self.signing not in SIGNING:
            raise FleetError(f'{self.name}: protocol must be one of {", ".join(PROTOCOLS)} and signing one of {", ".join(SIGNING)}')
        self.username, self.password = spec.username, spec.password
        self.processes: list[subprocess.Popen] = []
        self.fresh = False        # the registry still has to be loaded (set by prepare)
        self.servers = []         # OWA responder, or the silent listener of a hung host

    @property
    def account(self) -> str:
        """The user part of the fleet username (what a client sends in the NTLM user field)."""
        return re.split(r'[\\@]', self.username)[1 if '\\' in self.username else 0]

    def fleet_keys(self) -> list[str]:
        return list(dict.fromkeys([*self.spec.registry, *self.spec.deny_write]))

    def unsimulated(self) -> list[str]:
        """Fleet settings of this host that Samba cannot reproduce."""
        faults = self.spec.faults
        missing = [f'faults.{name}' for name in UNSIMULATED_FAULTS if getattr(faults, name)]
        return missing + ['services'] * bool(self.spec.services)

    # -- preparation
    def prepare(self) -> None:
        """Write smb.conf, the account, the registry (first start only: it survives restarts) and the C$ files."""
        if self.spec.faults.hang:
            return
        fresh = not (self.samba_state / 'registry.tdb').exists()
        self.dir.mkdir(mode=0o711, exist_ok=True)
        self.dir.chmod(0o711)
        self.samba_state.mkdir(mode=0o711, parents=True, exist_ok=True)
        for sub in ('private', 'cache', 'log', 'C'):
            (self.dir / sub).mkdir(exist_ok=True)
        for sub in ('lock', 'pid'):
            (self.run_dir / sub).mkdir(mode=0o711, parents=True, exist_ok=True)
        shutil.rmtree(self.run_dir / 'ncalrpc', ignore_errors=True)   # stale sockets would fake readiness
        (self.run_dir / 'ncalrpc').mkdir()
        self.conf.write_text(self._smb_conf(self._write_files()), encoding='utf-8')
        account = f'"{self.account}"' if ' ' in self.account else self.account
        (self.dir / 'usermap').write_text(f'{UNIX_ACCOUNT} = {account}\n', encoding='utf-8')
        self._run('smbpasswd', '-c', str(self.conf), '-a', '-s', UNIX_ACCOUNT, stdin=f'{self.password}\n{self.password}\n')
        if not (self.samba_state / 'group_mapping.tdb').exists() or ADMINISTRATORS_SID not in self._net('groupmap', 'list', 'verbose'):
            group = grp.getgrgid(pwd.getpwnam(UNIX_ACCOUNT).pw_gid).gr_name
            self._net('groupmap', 'add', f'sid={ADMINISTRATORS_SID}', f'unixgroup={group}', 'type=builtin')
        (self.dir / 'fleet-keys.json').write_text(json.dumps(self.fleet_keys()), encoding='utf-8')
        self.fresh = fresh or (self.dir / 'registry-loading').exists()

    def load_registry(self) -> None:
        """Once the host serves: write the fleet's registry over MS-RRP (first start only), then the keys' descriptors.

        The values go over the wire as a Windows client sends them (BaseRegCreateKey, BaseRegSetValue
        with the stored bytes), so names and data in any script reach Samba's registry exactly;
        ``net registry import`` re-encoded non-ASCII names (Größe -> Gr├Â├ƒe).
        """
        if not self.fresh or self.spec.faults.hang:
            return
        marker = self.dir / 'registry-loading'
        marker.touch()
        keys = {key: {} for key in self.spec.deny_write}
        for key, values in self.spec.registry.items():
            served = SAMBA_SERVED.get(fleetfile.canonical_key(key).lower())
            if served is not None:
                for name, record in values.items():
                    if served.get(name.lower()) != record:
                        raise FleetError(f'{self.name}: Samba serves {key} itself, read-only: {name} can only be '
                                         f'{served.get(name.lower())} on an smb host, the fleet says {record}')
                continue
            keys[key] = {name: record_bytes(record) for name, record in values.items()}
        self.write_values(keys)
        for key in self.spec.deny_write:
            self._net('registry', 'setsd_sddl', key, DENY_WRITE_SDDL)
        if self.spec.faults.access_denied:   # registry opens check only the key's own descriptor: deny them all
            for key in dict.fromkeys(ancestor for key in self.fleet_keys() for ancestor in _with_ancestors(key)):
                self._net('registry', 'setsd_sddl', key, DENY_ALL_SDDL)
        marker.unlink()
        self.fresh = False

    def write_values(self, keys: dict) -> None:
        """Create each key and write its values over MS-RRP as the fleet's account: {key: {name: (type code, bytes)}}.

        Any type code and any bytes are written as given (malformed strings, REG_NONE, unknown
        codes): this is how tests put values on a host that the fleet file cannot describe.
        """
        from impacket.dcerpc.v5 import rrp, transport   # pylint: disable=import-outside-toplevel
        from impacket.smbconnection import SMBConnection   # pylint: disable=import-outside-toplevel
        domain = self.username.partition('\\')[0] if '\\' in self.username else self.username.rpartition('@')[2] if '@' in self.username else ''
        conn = SMBConnection('*SMBSERVER' if self.port == 139 else self.address, self.address, sess_port=self.port, timeout=60)
        try:
            conn.login(self.account, self.password, domain)
            pipe = transport.SMBTransport(self.address, self.port, filename='\\winreg', smb_connection=conn)
            dce = pipe.get_dce_rpc()
            dce.connect()
            dce.bind(rrp.MSRPC_UUID_RRP)
            openers = {'HKLM': rrp.hOpenLocalMachine, 'HKCU': rrp.hOpenCurrentUser, 'HKU': rrp.hOpenUsers,
                       'HKCR': rrp.hOpenClassesRoot, 'HKCC': rrp.hOpenCurrentConfig}
            hives = {}
            for key, values in keys.items():
                hive, _sep, subkey = fleetfile.canonical_key(key).partition('\\')
                if hive not in hives:
                    hives[hive] = openers[hive](dce)['phKey']
                # dwOptions 0: REG_OPTION_NON_VOLATILE (impacket's default, 1, asks for a volatile key)
                handle = rrp.hBaseRegCreateKey(dce, hives[hive], subkey + '\0', dwOptions=0)['phkResult'] if subkey else hives[hive]
                for name, (code, raw) in values.items():
                    request = rrp.BaseRegSetValue()
                    request['hKey'] = handle
                    request['lpValueName'] = name + '\0'
                    request['dwType'] = code
                    request['lpData'] = raw
                    request['cbData'] = len(raw)
                    dce.request(request)
                if subkey:
                    rrp.hBaseRegCloseKey(dce, handle)
            for handle in hives.values():
                rrp.hBaseRegCloseKey(dce, handle)
            pipe.disconnect()
        except Exception as error:   # impacket raises many kinds; the harness reports one line
            raise FleetError(f'{self.name}: writing the registry over MS-RRP failed: {error}') from None
        finally:
            with contextlib.suppress(Exception):
                conn.close()

    def raw_values(self, key: str) -> list[tuple[str, int, bytes]] | None:
        """A key's values as Samba's registry.tdb holds them: [(name, type code, bytes)] in stored order, None if none.

        Read from the file itself (:func:`read_registry_tdb`), a path that shares nothing with SMB
        or with the code under test.  A key without values is None, as is a key that does not exist.
        """
        return read_registry_tdb(self.samba_state / 'registry.tdb').get(_fold(fleetfile.canonical_key(key)))

    def _write_files(self) -> set[str]:
        """Write the fleet's files as PE images (version resource = the fleet's version); return the drive letters used."""
        drives = {'C'}
        for spec in self.spec.files.values():
            drive, _sep, rest = spec.path.partition(':')
            drives.add(drive.upper())
            target = (self.dir / drive.upper()).joinpath(*[part for part in re.split(r'[\\/]+', rest) if part])
            target.parent.mkdir(parents=True, exist_ok=True)
            overhead = len(build_pe(spec.version, text_size=1))
            target.write_bytes(build_pe(spec.version, text_size=max(spec.size - overhead, 1)))
        return drives

    def _smb_conf(self, drives: set[str]) -> str:
        low, high = PROTOCOLS[self.protocol]
        d = self.dir
        access = '  valid users = root\n' if self.spec.faults.access_denied else f'  admin users = {UNIX_ACCOUNT}\n'
        shares = ''.join(f'\n[{drive}$]\n  comment = Default share\n  path = {d / drive}\n  read only = yes\n  browseable = no\n{access}'
                         for drive in sorted(drives))
        return f"""# smb.conf for simulated Exchange 5.5 host {self.name}, written by smbfleet.py
[global]
  netbios name = {re.sub(r'[^A-Za-z0-9-]', '-', self.name.split('.')[0]).upper()[:15]}
  workgroup = EXCHLAB
  server string = {self.name}
  server role = standalone server
  security = user
  passdb backend = tdbsam:{d / 'private' / 'passdb.tdb'}
  username map = {d / 'usermap'}
  map to guest = never
  guest account = {GUEST_ACCOUNT}
  state directory = {self.samba_state}
  lock directory = {self.run_dir / 'lock'}
  pid directory = {self.run_dir / 'pid'}
  cache directory = {d / 'cache'}
  private dir = {d / 'private'}
  ncalrpc dir = {self.run_dir / 'ncalrpc'}
  binddns dir = {d / 'private' / 'bind-dns'}
  smb ports = {self.port}
  interfaces = {self.address}/8
  bind interfaces only = yes
  disable netbios = yes
  rpc start on demand helpers = false
  server min protocol = {low}
  server max protocol = {high}
  server signing = {self.signing}
  load printers = no
  printing = bsd
  printcap name = /dev/null
  registry shares = no
  log level = 1
  max log size = 2000
{shares}"""

    def _net(self, *args: str) -> str:
        return self._run('net', '-s', str(self.conf), *args).stdout

    def _run(self, program: str, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run([self.paths[program], *args], input=stdin, capture_output=True, text=True, timeout=60, check=False)
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            what = ' '.join(a for a in args if not a.startswith('-') and '/' not in a)[:60]
            raise FleetError(f'{self.name}: {program} {what} failed: {detail[-1] if detail else result.returncode}')
        return result

    # -- processes
    def start(self) -> None:
        """Start smbd and samba-dcerpcd (each in its own process group, logging into <dir>/log) and the OWA responder."""
        if self.spec.faults.hang:
            self.servers.append(_silent_listener(self.address, self.port))
        else:
            log_dir = self.dir / 'log'
            for program, extra in (('samba-dcerpcd', _rpc_servers(self.paths)), ('smbd', ['--no-process-group'])):
                with open(log_dir / f'{program}.out', 'ab') as out:
                    self.processes.append(subprocess.Popen(
                        [self.paths[program], *extra, '-s', str(self.conf), '-F', '-l', str(log_dir), '-d', '1'],
                        stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, start_new_session=True))
        if self.owa_port:
            self.servers.append(_owa_server(self.address, self.owa_port, self.spec.owa_ssl_required, self.spec.owa_page))

    def ready(self) -> bool:
        """True once smbd accepts TCP connections and the winreg and svcctl pipes are served (a hung host: at once)."""
        if self.spec.faults.hang:
            return True
        for proc in self.processes:
            if proc.poll() is not None:
                raise FleetError(f'{self.name}: {os.path.basename(proc.args[0])} exited with {proc.returncode}: {self.last_log_line()}')
        sockets = [self.run_dir / 'ncalrpc' / 'np' / pipe for pipe in ('winreg', 'svcctl')]
        return _tcp_open(self.address, self.port) and all(_unix_open(path) for path in sockets)

    def last_log_line(self) -> str:
        lines = []
        for log in sorted((self.dir / 'log').glob('*')):
            if log.is_file():
                lines += [line for line in log.read_text(errors='replace').splitlines() if line.strip() and not line.startswith('[')]
        return lines[-1].strip() if lines else 'no log output'

    def terminate(self) -> None:
        """Ask every process this host started (their whole process groups) to stop; close its listeners."""
        for server in self.servers:
            server.shutdown()
            server.server_close()
        self.servers = []
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)

    def stop(self) -> None:
        """Stop every process this host started and wait until none of their process groups is left."""
        self.terminate()
        deadline = time.monotonic() + 5
        for proc in self.processes:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(0.1, deadline - time.monotonic()))
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)   # workers left behind, or a daemon that ignored SIGTERM
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)
            while group_members(proc.pid) and time.monotonic() < deadline + 5:
                time.sleep(0.05)
        self.processes = []

    # -- state
    def dump(self, keys: list[str] | None = None) -> dict:
        """The host's registry as the simulator's state file shows it: {'host', 'registry': {key: {name: {type, data}}}}.

        By default the keys the fleet file names; a key that does not exist is left out.
        """
        keys = keys if keys is not None else json.loads((self.dir / 'fleet-keys.json').read_text(encoding='utf-8'))
        registry = {}
        with tempfile.TemporaryDirectory(prefix='smbfleet-dump-') as scratch:
            out = pathlib.Path(scratch) / 'export.reg'
            for key in keys:
                wanted = fleetfile.canonical_key(key)
                result = subprocess.run([self.paths['net'], '-s', str(self.conf), 'registry', 'export', wanted, str(out)],
                                        capture_output=True, text=True, timeout=60, check=False)
                if result.returncode != 0 or not out.exists():
                    continue
                exported = parse_reg(out.read_text(encoding='utf-8', errors='replace'))
                out.unlink()
                match = next((values for name, values in exported.items() if name.lower() == wanted.lower()), None)
                if match is not None:
                    registry[key] = match
        return {'host': self.name, 'registry': registry}

    def inventory_vars(self) -> dict:
        return {
            'ansible_host': self.address,
            'ansible_connection': 'local',
            'ansible_python_interpreter': '{{ ansible_playbook_python }}',
            'ansible_user': self.username,
            'ansible_password': self.password,
            'exchange55_transport': 'smb',
            'exchange55_smb_port': self.port,
            'exchange55_owa_url': f'http://{self.address}{"" if self.owa_port in (0, 80) else f":{self.owa_port}"}/exchange/',
        }


def _with_ancestors(key: str) -> list[str]:
    """'HKLM\\A\\B' -> ['HKLM\\A', 'HKLM\\A\\B'] (the hive itself is not a key Samba keeps a descriptor for)."""
    parts = fleetfile.canonical_key(key).split('\\')
    return ['\\'.join(parts[:end]) for end in range(2, len(parts) + 1)]


def _rpc_servers(paths: dict) -> list[str]:
    """The RPC servers samba-dcerpcd runs: winreg, svcctl (in rpcd_classic) and the endpoint mapper; all when unsure.

    Starting only these three instead of all seven halves the time a host needs to come up.
    """
    libexec = os.path.dirname(paths['samba-dcerpcd'])
    wanted = [os.path.join(libexec, name) for name in ('rpcd_winreg', 'rpcd_classic', 'rpcd_epmapper')]
    return wanted if all(os.access(path, os.X_OK) for path in wanted) else ['--libexec-rpcds']


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes in a process group; exited ones that were reparented to us are reaped."""
    alive = []
    for proc_stat in pathlib.Path('/proc').glob('[0-9]*/stat'):
        with contextlib.suppress(OSError, ValueError, IndexError):
            state, _ppid, group = proc_stat.read_text().rsplit(')', 1)[1].split()[:3]
            if int(group) != pgid:
                continue
            if state == 'Z':
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(int(proc_stat.parent.name), os.WNOHANG)
            else:
                alive.append(int(proc_stat.parent.name))
    return alive


def become_subreaper() -> None:
    """Adopt Samba workers orphaned when their daemon stops, so they are reaped here (Linux; best effort)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)   # PR_SET_CHILD_SUBREAPER


def _tcp_open(address: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, port), timeout=1):
        return True
    return False


def _unix_open(path: pathlib.Path) -> bool:
    with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(1)
        sock.connect(str(path))
        return True
    return False


class _Listener:
    """A thread serving one listening socket until shutdown()."""

    def __init__(self, server, target):
        self.server = server
        # serve_forever polls, then accept()s; a connection reset between the two leaves a blocking accept()
        # waiting for the next client, and shutdown() waits for that forever.  With a timeout accept() gives
        # up (socketserver ignores the OSError) and the loop sees the shutdown request.
        server.socket.settimeout(0.5)
        threading.Thread(target=target, name=f'smbfleet-{server.server_address}', daemon=True).start()

    def shutdown(self):
        self.server.shutdown()

    def server_close(self):
        self.server.server_close()


def _silent_listener(address: str, port: int):
    """Accept connections on address:port and never answer (a hung Windows host)."""
    held = []

    class Silent(socketserver.ThreadingTCPServer):
        allow_reuse_address = True
        daemon_threads = True

        def server_close(self):
            super().server_close()
            for conn in held:
                with contextlib.suppress(OSError):
                    conn.close()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            held.append(self.request)
            with contextlib.suppress(OSError):
                while self.request.recv(65536):
                    pass

    try:
        server = Silent((address, port), Handler)
    except OSError as error:
        raise FleetError(f'cannot listen on {address}:{port}: {error.strerror}') from None
    return _Listener(server, lambda: server.serve_forever(poll_interval=0.05))


def _owa_server(address: str, port: int, ssl_required: bool | None, page: str = 'default'):
    """Answer /exchange/ as IIS with Outlook Web Access would, with the same pages as the WS-Man simulator
    (winsim/owa.py: owa.page, the /exchange courtesy redirect); 404 everywhere for a host without OWA."""

    class Handler(http.server.BaseHTTPRequestHandler):
        server_version = 'Microsoft-IIS/4.0'
        sys_version = ''

        def do_GET(self):
            if ssl_required is None:
                self._answer(404, 'Object Not Found', [], owa.NOT_FOUND.encode('latin-1'))
                return
            status, reason, headers, body = owa.answer(ssl_required, page, self.command, self.path, self.headers.get('Host'),
                                                       address, self.server.server_address[1])
            self._answer(status, reason, [(name, value) for name, value in headers if name != 'Server'], body)

        def do_HEAD(self):
            self.do_GET()

        def _answer(self, code: int, reason: str, headers: list, data: bytes):
            self.send_response(code, reason)
            for name, value in headers:
                self.send_header(name, value)
            if not any(name == 'Content-Type' for name, _value in headers):
                self.send_header('Content-Type', 'text/html')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            if self.command != 'HEAD':
                self.wfile.write(data)

        def log_message(self, *args):
            return

    try:
        server = http.server.ThreadingHTTPServer((address, port), Handler)
    except OSError as error:
        raise FleetError(f'cannot listen for OWA on {address}:{port}: {error.strerror}') from None
    server.daemon_threads = True
    return _Listener(server, lambda: server.serve_forever(poll_interval=0.05))


# --------------------------------------------------------------------------- the fleet
class SambaFleet:
    """All hosts of a fleet, one loopback address each (<subnet>.<first>, .<first+1>, ...); a context manager.

    ``fleet`` is a fleet file path or an already loaded document.  ``protocol`` (NT1, SMB2, SMB3),
    ``signing`` (auto, mandatory, disabled) and ``port`` apply to every host; ``overrides`` maps a
    host name to its own {'protocol', 'signing', 'port'} (the fleet file has no SMB fields, so that
    the WinRM simulator accepts the same file).
    """

    def __init__(self, fleet, state_dir, subnet: str = '127.0.40', port: int = 445, owa_port: int = 80, first: int = 1,
                 protocol: str = 'NT1', signing: str = 'auto', overrides: dict | None = None):
        if not re.match(r'^127\.\d{1,3}\.\d{1,3}$', subnet):
            raise FleetError(f'subnet must be a loopback /24 prefix such as 127.0.40, got {subnet!r}')
        self.paths = require_environment()
        try:
            specs = fleetfile.load_fleet(str(fleet)) if isinstance(fleet, (str, os.PathLike)) else fleetfile.parse_fleet(fleet, '<fleet>')
        except fleetfile.FleetError as error:
            raise FleetError(str(error)) from None
        if first + len(specs) - 1 > 254:
            raise FleetError(f'{len(specs)} hosts do not fit in {subnet}.{first}-254')
        overrides = overrides or {}
        unknown = set(overrides) - {spec.name for spec in specs}
        if unknown:
            raise FleetError(f'overrides name hosts that are not in the fleet: {", ".join(sorted(unknown))}')
        self.state_dir = pathlib.Path(state_dir).resolve()
        self.samba_root = _samba_state_root(self.state_dir)
        self.hosts = {}
        for index, spec in enumerate(specs):
            options = {'port': port, 'owa_port': owa_port, 'protocol': protocol, 'signing': signing, **overrides.get(spec.name, {})}
            self.hosts[spec.name] = SambaHost(spec, f'{subnet}.{first + index}', self.state_dir, self.samba_root, self.paths, **options)
        self.startup_seconds = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info):
        self.stop()
        return False

    def __getitem__(self, name: str) -> SambaHost:
        return self.hosts[name]

    def unsimulated(self) -> dict:
        """{host: [fleet settings Samba cannot reproduce]} for the hosts that have any."""
        return {name: host.unsimulated() for name, host in self.hosts.items() if host.unsimulated()}

    def start(self) -> None:
        """Prepare and start every host, then wait until all serve SMB and the RPC pipes; FleetError on failure."""
        began = time.monotonic()
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o711)
        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(self.hosts))) as pool:
                list(pool.map(SambaHost.prepare, self.hosts.values()))
            for host in self.hosts.values():
                host.start()
            deadline = time.monotonic() + READY_TIMEOUT
            waiting = list(self.hosts.values())
            while waiting:
                waiting = [host for host in waiting if not host.ready()]
                if waiting and time.monotonic() > deadline:
                    raise FleetError(f'{waiting[0].name}: Samba did not become ready within {READY_TIMEOUT:.0f} s: {waiting[0].last_log_line()}')
                if waiting:
                    time.sleep(0.05)
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(self.hosts))) as pool:
                list(pool.map(SambaHost.load_registry, self.hosts.values()))
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop every host (all are signalled first, then waited for)."""
        for host in self.hosts.values():
            host.terminate()
        for host in self.hosts.values():
            host.stop()

    def snapshot(self) -> None:
        """Write each host's fleet keys to <state-dir>/<host>.json (the simulator's state file shape)."""
        for host in self.hosts.values():
            if not host.spec.faults.hang:
                (self.state_dir / f'{host.name}.json').write_text(json.dumps(host.dump(), indent=1) + '\n', encoding='utf-8')

    def inventory(self) -> dict:
        return {'all': {'children': {'exchange55': {'hosts': {name: host.inventory_vars() for name, host in self.hosts.items()}}}}}

    def write_inventory(self, path) -> None:
        path = pathlib.Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:   # it holds passwords
            yaml.safe_dump(self.inventory(), handle, sort_keys=False)


def dump_host(state_dir, host: str, keys: list[str] | None = None) -> dict:
    """Dump a running or stopped host's registry keys from its state directory (no fleet file needed)."""
    root = pathlib.Path(state_dir).resolve()
    if not (root / host / 'smb.conf').exists():
        raise FleetError(f'no Samba host {host!r} under {root}')
    spec = fleetfile.HostSpec(name=host, username='-', password='-')
    return SambaHost(spec, '127.0.0.1', root, root, samba_paths()).dump(keys)


# --------------------------------------------------------------------------- command line
def _serve(args) -> int:
    stopping = []   # a plain flag: Event.set() from a signal handler can deadlock the Event.wait() it interrupts
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda signum, _frame: stopping.append(signum))
    become_subreaper()
    fleet = SambaFleet(args.fleet, args.state_dir, subnet=args.subnet, port=args.port, owa_port=args.owa_port,
                       protocol=args.protocol, signing=args.signing)
    by_feature = {}
    for name, missing in fleet.unsimulated().items():
        for feature in missing:
            by_feature.setdefault(feature, []).append(name)
    for feature, names in by_feature.items():
        print(f'note: {feature} not simulated over SMB (see tests/smbhost/README.md): {", ".join(names)}', file=sys.stderr)
    with fleet:
        fleet.write_inventory(args.inventory)
        print(f'started {len(fleet.hosts)} Samba host(s) in {fleet.startup_seconds:.2f} s', file=sys.stderr)
        print('READY', flush=True)
        while not stopping:
            time.sleep(0.2)
        fleet.snapshot()
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog='smbfleet.py', description=__doc__.split('\n', 1)[0])
    commands = parser.add_subparsers(dest='command', required=True)
    serve = commands.add_parser('serve', help='start the fleet, write the inventory, print READY, run until SIGTERM')
    serve.add_argument('--fleet', required=True)
    serve.add_argument('--inventory', required=True)
    serve.add_argument('--state-dir', required=True)
    serve.add_argument('--subnet', default='127.0.40', help='loopback /24 prefix; hosts get .1, .2, ... (default 127.0.40)')
    serve.add_argument('--port', type=int, default=445, help='SMB port of every host (default 445; NT 4.0 used 139)')
    serve.add_argument('--owa-port', type=int, default=80, help='HTTP port of the OWA responder, 0 for none (default 80)')
    serve.add_argument('--protocol', default='NT1', choices=list(PROTOCOLS), help='SMB dialect (default NT1, as NT 4.0 / Windows 2000)')
    serve.add_argument('--signing', default='auto', choices=SIGNING, help='server signing (default auto: offered, not required)')
    dump = commands.add_parser('dump', help="print a host's registry keys as JSON (the simulator's state shape)")
    dump.add_argument('--state-dir', required=True)
    dump.add_argument('--host', required=True)
    dump.add_argument('--key', action='append', help='a key to dump (repeatable); default: the keys the fleet names')
    probe = commands.add_parser('check', help='tell whether Samba hosts can be started here (exit 0) or why not (exit 1)')
    probe.add_argument('--subnet', default='127.0.40')
    args = parser.parse_args(argv)
    try:
        if args.command == 'serve':
            return _serve(args)
        if args.command == 'dump':
            print(json.dumps(dump_host(args.state_dir, args.host, args.key), indent=1))
            return 0
        reason = check(args.subnet)
        print(f'NO: {reason}' if reason else 'OK: Samba hosts can be started here')
        return 1 if reason else 0
    except FleetError as error:
        print(f'smbfleet: {error}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
