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

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, export_regedit4

RECORD_FORMAT = 'legacy_exchange.exchange55/q294406-backup/1'
DEFAULT_BACKUP_DIR = '~/.ansible/exchange55-backups'


def write_backup(backup_dir: str | None, inventory_hostname: str, *, remote_host: str, transport: str, key: str,
                 values: dict, value_name: str, prior: RegValue | None, planned: RegValue | None) -> tuple[str, str]:
    """Write ``<dir>/<host>/<leaf>.<UTC time>.reg`` and ``.json``; return both paths."""
    directory = os.path.join(os.path.expanduser(backup_dir or DEFAULT_BACKUP_DIR), _safe_name(inventory_hostname))
    os.makedirs(directory, mode=0o700, exist_ok=True)
    now = datetime.datetime.now(datetime.timezone.utc)
    stem = os.path.join(directory, f'{_safe_name(key.rsplit(chr(92), 1)[-1])}.{now.strftime("%Y%m%dT%H%M%S.%fZ")}')
    reg_path, record_path = stem + '.reg', stem + '.json'
    record = {
        'format': RECORD_FORMAT,
        'inventory_hostname': inventory_hostname,
        'remote_host': remote_host,
        'transport': transport,
        'created': now.isoformat(),
        'key': key,
        'value_name': value_name,
        'prior': None if prior is None else prior.to_record(),
        'planned': None if planned is None else planned.to_record(),
        'reg_file': os.path.basename(reg_path),
    }
    # cp1252 is what REGEDIT4 files are read as on the server.
    atomic_write(reg_path, export_regedit4(key, values).encode('cp1252'))
    atomic_write(record_path, (json.dumps(record, indent=2, sort_keys=True) + '\n').encode('utf-8'))
    return reg_path, record_path


def load_record(path: str, inventory_hostname: str, key: str, value_name: str) -> tuple[RegValue | None, dict]:
    """Read a record for ``restore_from``; raise ValueError (one line) unless it is this host's record of this value."""
    try:
        with open(os.path.expanduser(path), encoding='utf-8') as handle:
            record = json.load(handle)
    except OSError as exc:
        raise ValueError(f'cannot read the backup record {path}: {exc.strerror}') from None
    except ValueError as exc:
        raise ValueError(f'{path} is not a backup record written by owa_url_protocol (invalid JSON: {exc})') from None
    if not isinstance(record, dict) or record.get('format') != RECORD_FORMAT:
        raise ValueError(f'{path} is not a backup record written by owa_url_protocol (format {RECORD_FORMAT} expected)')
    if record.get('inventory_hostname') != inventory_hostname:
        raise ValueError(f'{path} records host {record.get("inventory_hostname")!r}, not {inventory_hostname!r}: '
                         'restore each host from its own record')
    if str(record.get('key', '')).lower() != key.lower() or str(record.get('value_name', '')).lower() != value_name.lower():
        raise ValueError(f'{path} records {record.get("key")}\\{record.get("value_name")}, not {key}\\{value_name}')
    try:
        prior = None if record.get('prior') is None else RegValue.from_record(record['prior'])
    except ValueError as exc:
        raise ValueError(f'{path} holds an invalid prior value: {exc}') from None
    return prior, record


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
