# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Backups on the controller: a REGEDIT4 copy of the whole key plus a record of the value's prior state.

The ``.reg`` file is what an administrator double-clicks on the server (NT 4.0's regedit
imports it); the ``.json`` record is what ``restore_from`` reads to put back exactly the
prior state, including "the value did not exist".  Both are written atomically (a
temporary file renamed into place), readable by the owner only, and hold no credentials.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import tempfile

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._regedit import KeyState
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import (
    REGEDIT4_ENCODING,
    REGEDIT5_ENCODING,
    RegValue,
    export_reg_file,
    export_regedit4,
    is_regedit5,
)

RECORD_FORMAT = 'legacy_exchange.exchange55/q294406-backup/1'
DEFAULT_BACKUP_DIR = '~/.ansible/exchange55-backups'
_PLAIN = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.')


def resolve_path(path: str | None, default: str | None = None) -> str:
    """A controller path as every part of the collection reads it: ``~`` expanded, and a relative path taken
    from the directory ansible-playbook was started in (the controller's working directory, which Ansible
    does not change; the action plugins and the lookups run there).  Used for backup_dir, restore_from and
    the report directory, so an apply, its rollback and its report agree on where things are."""
    path = path if path not in (None, '') else default
    if path is None:
        raise ValueError('no path given')
    return os.path.abspath(os.path.expanduser(str(path)))


def nearest_existing(path: str) -> str:
    """``path`` itself, or its nearest ancestor that exists: where creating ``path`` would start (and so the
    directory that must be writable).  Nothing is created."""
    probe = path
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    return probe


def host_directory_name(inventory_hostname: str) -> str:
    """The directory of a host's backups: its inventory name with every byte outside ``[A-Za-z0-9_.-]``
    (and a leading dot) written as ``%XX`` of its UTF-8 form.  One name, one directory: two different
    inventory names never share a directory, and the name can be read back (``%`` itself is ``%25``)."""
    out = []
    for index, char in enumerate(str(inventory_hostname)):
        if char in _PLAIN and not (index == 0 and char == '.'):
            out.append(char)
        else:
            out.extend(f'%{byte:02X}' for byte in char.encode('utf-8', 'surrogatepass'))
    return ''.join(out) or '%00'


def host_backup_dir(backup_dir: str | None, inventory_hostname: str) -> str:
    return os.path.join(resolve_path(backup_dir, DEFAULT_BACKUP_DIR), host_directory_name(inventory_hostname))


def find_records(backup_dir: str | None, inventory_hostname: str) -> list[str]:
    """This host's backup records, oldest first (the names hold the UTC time).

    Records of the directory the host maps to, and of the directory that versions before 1.1 used (every
    run of odd characters replaced by one ``_``, which two hosts could share), each kept only when the
    record names this very host.
    """
    root = resolve_path(backup_dir, DEFAULT_BACKUP_DIR)
    found = {}
    for directory in dict.fromkeys((host_directory_name(inventory_hostname), _safe_name(inventory_hostname))):
        folder = os.path.join(root, directory)
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            if name.endswith('.json') and not name.startswith('.'):
                path = os.path.join(folder, name)
                if _record_host(path) == inventory_hostname:
                    found.setdefault(name, path)
    return [found[name] for name in sorted(found)]


def _record_host(path: str):
    try:
        with open(path, encoding='utf-8') as handle:
            record = json.load(handle)
    except (OSError, ValueError):
        return None
    return record.get('inventory_hostname') if isinstance(record, dict) and record.get('format') == RECORD_FORMAT else None


def write_backup(backup_dir: str | None, inventory_hostname: str, *, remote_host: str, transport: str, key: str,
                 values: dict, value_name: str, prior: RegValue | None, planned: RegValue | None,
                 encoding: str = REGEDIT4_ENCODING, notes: dict | None = None) -> tuple[str, str]:
    """Write ``<dir>/<host>/<leaf>.<UTC time>.reg`` and ``.json``; return both paths.

    The .reg file is REGEDIT4 in ``encoding`` (the server's ANSI code page) or, for ``utf-16``, a
    Version 5.00 file; it is built before anything is written, so an unencodable key fails with nothing on disk.
    ``notes`` go into the record as they are (e.g. which values the server returned expanded).
    """
    reg_data = backup_reg_bytes(key, values, encoding)
    fields = {'value_name': value_name,
              'prior': None if prior is None else prior.to_record(),
              'planned': None if planned is None else planned.to_record()}
    fields.update(notes or {})
    return _write_pair(backup_dir, inventory_hostname, RECORD_FORMAT, reg_data, fields, remote_host=remote_host,
                       transport=transport, key=key, encoding=encoding)


def _write_pair(backup_dir: str | None, inventory_hostname: str, record_format: str, reg_data: bytes, fields: dict, *,
                remote_host: str, transport: str, key: str, encoding: str) -> tuple[str, str]:
    """Write ``<dir>/<host>/<leaf>.<UTC time>.reg`` (``reg_data``) and its ``.json`` record: the header every
    record shares (format, host, transport, time, key, the .reg file and its encoding) plus ``fields``."""
    directory = host_backup_dir(backup_dir, inventory_hostname)
    os.makedirs(directory, mode=0o700, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    stem = os.path.join(directory, f'{_safe_name(key.rsplit(chr(92), 1)[-1])}.{now.strftime("%Y%m%dT%H%M%S.%fZ")}')
    reg_path, record_path = stem + '.reg', stem + '.json'
    record = {
        'format': record_format,
        'inventory_hostname': inventory_hostname,
        'remote_host': remote_host,
        'transport': transport,
        'created': now.isoformat(),
        'key': key,
        'reg_file': os.path.basename(reg_path),
        'reg_encoding': REGEDIT5_ENCODING if is_regedit5(encoding) else encoding,
    }
    record.update(fields)
    atomic_write(reg_path, reg_data)
    atomic_write(record_path, (json.dumps(record, indent=2, sort_keys=True) + '\n').encode('utf-8'))
    return reg_path, record_path


def check_backup(backup_dir: str | None, key: str, values: dict, encoding: str = REGEDIT4_ENCODING) -> None:
    """Everything that would stop :func:`write_backup`, checked without writing: the .reg text can be encoded, and
    the directory exists as a writable directory or can be created.  Raises a one-line ValueError (or OSError)."""
    backup_reg_bytes(key, values, encoding)
    directory = resolve_path(backup_dir, DEFAULT_BACKUP_DIR)
    probe = nearest_existing(directory)
    if not os.path.isdir(probe):
        raise ValueError(f'the backup directory {directory} cannot be created: {probe} is not a directory')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f'the backup directory {directory} is not writable ({probe} refuses new files): choose another backup_dir')


def backup_reg_bytes(key: str, values: dict, encoding: str = REGEDIT4_ENCODING) -> bytes:
    """The .reg file's bytes, or a one-line ValueError that names both ways out."""
    try:
        return export_reg_file(key, values, encoding)
    except ValueError as exc:
        if 'is not in the ANSI code page' not in str(exc):
            raise
        raise ValueError(f'{exc}; set backup_encoding to the server\'s ANSI code page (e.g. cp1251 or cp932), '
                         f'or to {REGEDIT5_ENCODING} for a Windows 2000 server (a "Windows Registry Editor Version 5.00" '
                         'file, which its regedit imports; NT 4.0\'s cannot)') from None


def load_record(path: str, inventory_hostname: str, key: str, value_name: str) -> tuple[RegValue | None, dict]:
    """Read a record for ``restore_from``; raise ValueError (one line) unless it is this host's record of this value."""
    record = _host_record(path, inventory_hostname, RECORD_FORMAT, 'owa_url_protocol')
    if str(record.get('key', '')).lower() != key.lower() or str(record.get('value_name', '')).lower() != value_name.lower():
        raise ValueError(f'{path} records {record.get("key")}\\{record.get("value_name")}, not {key}\\{value_name}')
    try:
        prior = None if record.get('prior') is None else RegValue.from_record(record['prior'])
    except ValueError as exc:
        raise ValueError(f'{path} holds an invalid prior value: {exc}') from None
    return prior, record


def _host_record(path: str, inventory_hostname: str, record_format: str, writer: str) -> dict:
    """A backup record of ``record_format`` read from ``path``; ValueError (one line) unless it is ``inventory_hostname``'s."""
    try:
        with open(resolve_path(path), encoding='utf-8') as handle:
            record = json.load(handle)
    except OSError as exc:
        raise ValueError(f'cannot read the backup record {path}: {exc.strerror}') from None
    except ValueError as exc:
        raise ValueError(f'{path} is not a backup record written by {writer} (invalid JSON: {exc})') from None
    if not isinstance(record, dict) or record.get('format') != record_format:
        raise ValueError(f'{path} is not a backup record written by {writer} (format {record_format} expected)')
    if record.get('inventory_hostname') != inventory_hostname:
        raise ValueError(f'{path} records host {record.get("inventory_hostname")!r}, not {inventory_hostname!r}: '
                         'restore each host from its own record')
    return record


def atomic_write(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (temporary file, fsync, rename), readable by the owner only."""
    handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path), prefix='.tmp-', suffix=os.path.basename(path))
    try:
        with os.fdopen(handle, 'wb') as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _safe_name(name: str) -> str:
    return re.sub(r'[^A-Za-z0-9._-]+', '_', name).strip('.') or 'host'


# ------------------------------------------------------------------ the registry module: a key or a whole subtree
TREE_RECORD_FORMAT = 'legacy_exchange.exchange55/registry-backup/1'


def write_tree_backup(backup_dir: str | None, inventory_hostname: str, *, remote_host: str, transport: str, key: str,
                      prior, scope: str, encoding: str = REGEDIT4_ENCODING, notes: dict | None = None) -> tuple[str, str]:
    """Back up ``key`` before the registry module changes it: ``<dir>/<host>/<leaf>.<UTC time>.reg`` (every section,
    parents first, as regedit exports a subtree) and ``.json`` (the prior state: ``None`` for an absent key, else a
    KeyState record).  ``scope`` is 'key' (the values; restoring leaves subkeys alone) or 'tree' (the subtree).
    ``encoding`` is as for :func:`write_backup`; ``notes`` go into the record as they are."""
    reg_data = tree_reg_bytes(key, prior, scope, encoding)
    fields = {'scope': scope, 'prior': None if prior is None else prior.to_record()}
    fields.update(notes or {})
    return _write_pair(backup_dir, inventory_hostname, TREE_RECORD_FORMAT, reg_data, fields,
                       remote_host=remote_host, transport=transport, key=key, encoding=encoding)


def tree_reg_bytes(key: str, prior, scope: str, encoding: str = REGEDIT4_ENCODING) -> bytes:
    """The subtree backup's .reg bytes: one header, then every section; the one-line errors of :func:`backup_reg_bytes`."""
    sections = prior.sections(key) if prior is not None else [(key, {})]
    if scope == 'key':
        sections = sections[:1]
    for path, values in sections:
        backup_reg_bytes(path, values, encoding)          # each section encodes, or a one-line error naming the way out
    texts = [export_regedit4(path, values, encoding) for path, values in sections]
    text = texts[0] + ''.join(part.split('\r\n\r\n', 1)[1] for part in texts[1:])     # one header, then every section
    return b'\xff\xfe' + text.encode('utf-16-le', 'surrogatepass') if is_regedit5(encoding) else text.encode(encoding)


def check_tree_backup(backup_dir: str | None, key: str, prior, scope: str, encoding: str = REGEDIT4_ENCODING) -> None:
    """Everything that would stop :func:`write_tree_backup`, checked without writing (as :func:`check_backup`)."""
    tree_reg_bytes(key, prior, scope, encoding)
    check_backup(backup_dir, key, {}, encoding)


def load_tree_record(path: str, inventory_hostname: str, key: str) -> dict:
    """Read a registry-module record for ``restore_from``; ValueError (one line) unless it is this host's record of ``key``.

    Returns the record with ``prior`` as a KeyState (or None for "the key was absent")."""
    record = _host_record(path, inventory_hostname, TREE_RECORD_FORMAT, 'the registry module')
    if str(record.get('key', '')).lower() != key.lower():
        raise ValueError(f'{path} records key {record.get("key")}, not {key}: give the same path as when it was written')
    if record.get('scope') not in ('key', 'tree'):
        raise ValueError(f'{path} has no valid scope (key or tree)')
    try:
        record['prior'] = None if record.get('prior') is None else KeyState.from_record(record['prior'])
    except ValueError as exc:
        raise ValueError(f'{path} holds an invalid prior state: {exc}') from None
    return record
