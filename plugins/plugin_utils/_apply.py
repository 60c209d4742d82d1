# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one apply pipeline: plan -> check/diff -> backup -> write -> read back -> result.

A *change* is anything with ``changes`` (bool), ``before`` and ``after`` (a RegValue, or
None for "absent") and ``diff()`` (an Ansible diff dict), such as :class:`_q294406.Plan`.
:func:`apply_change` runs the pipeline for one value through a RemoteHost; the decisions
in it are pure functions (:func:`preview`, :func:`read_back_failure`) so they are tested
without a server.  Deciding *whether* a write is allowed is the caller's policy (for
Q294406, :func:`_q294406.write_allowed`); this module only carries a change out.
"""

from __future__ import annotations

import dataclasses

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import check_backup, write_backup
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._regedit import KeyState
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import after_write_failure, unrestorable


@dataclasses.dataclass(frozen=True)
class BackupTarget:
    """Where and for whom a backup is written before the write (see :func:`_backup.write_backup`)."""

    backup_dir: str | None
    inventory_hostname: str
    remote_host: str
    transport: str
    encoding: str = 'cp1252'       # the .reg file's code page, or utf-16 (see _backup.write_backup)


@dataclasses.dataclass
class Outcome:
    """What the pipeline did: ``result`` holds the fields for the task result; ``written`` is True
    once the change was written and read back as planned (the caller may then go on, e.g. restart)."""

    result: dict
    written: bool = False


def record(value) -> dict | None:
    """A value as a result field: its record, or None when absent."""
    return None if value is None else value.to_record()


def preview(change, diff: bool) -> dict:
    """The result fields of a planned change before anything is written (what check mode reports)."""
    if not change.changes:
        return {'changed': False, 'before': record(change.before), 'after': record(change.before)}
    fields = {'changed': True, 'before': record(change.before), 'after': record(change.after)}
    if diff:
        fields['diff'] = change.diff()
    return fields


def backup_failure(change, error: Exception) -> dict:
    """The result fields when the backup could not be written: nothing was changed."""
    return {'changed': False, 'after': record(change.before), 'failed': True, 'error_kind': 'backup_failed',
            'msg': f'the backup could not be written, so nothing was changed: {error}'}


def read_back_failure(change, name: str, stored, same=None) -> dict | None:
    """None when the server holds what was written; otherwise the result fields of a read-back mismatch.

    ``same(written, stored)`` compares (default: equality); a RemoteHost's ``same_as_written`` allows for
    what its transport cannot read back exactly (WinRM returns REG_EXPAND_SZ data expanded,
    docs/windows-semantics.md).  ``changed`` then says what the server holds now: a lost write left it as it was.
    """
    if (same or _equal)(change.after, stored):
        return None
    want = 'absent' if change.after is None else change.after.to_text()
    seen = 'absent' if stored is None else stored.to_text()
    return {'changed': stored != change.before, 'failed': True, 'error_kind': 'read_back_mismatch',
            'msg': f'read-back mismatch: wrote {name} = {want} but the server holds {seen}; '
                   'the write was not stored, check the server (registry permissions, policies) and run again'}


def _equal(written, stored) -> bool:
    return written == stored


def run_pipeline(changes: bool, preview_fields: dict, *, check_mode: bool, write, read_back, backup=None) -> Outcome:
    """The pipeline itself, for any change: result of the plan -> stop when nothing changes or in check mode ->
    ``backup()`` (result fields; OSError/ValueError stops everything before a write) -> ``write()`` ->
    ``read_back()`` (result fields: ``after``, plus failure fields when the server holds something else).

    ``preview_fields`` are the plan's result fields (``changed``, ``before``, ``after``, ``diff``...).
    """
    result = dict(preview_fields)
    if not changes or check_mode:
        return Outcome(result)
    if backup is not None:
        try:
            result.update(backup())
        except (OSError, ValueError) as exc:
            result.update(changed=False, after=result.get('before'), failed=True, error_kind='backup_failed',
                          msg=f'the backup could not be written, so nothing was changed: {exc}')
            return Outcome(result)
    result['write_sent'] = True       # from here on the server may hold the new state, whatever fails next
    try:
        write()
        fields = read_back()
    except RemoteError as exc:
        exc.partial = {name: result[name] for name in ('backup_file', 'backup_record', 'write_sent') if name in result}
        raise
    result.update(fields)
    return Outcome(result, written=not fields.get('failed'))


def apply_change(host, change, *, key: str, name: str, check_mode: bool, diff: bool,
                 backup: BackupTarget | None = None, absent_type: str | None = None) -> Outcome:
    """Carry out ``change`` of ``key\\name`` on ``host``: preview, refuse to overwrite what no rollback could
    write back, check the backup (check mode stops there), back up the key, write (set or delete), read back and compare.

    ``absent_type`` is the type the read-back expects when the change deletes the value.
    Remote failures propagate as RemoteError; a backup that cannot be written stops before any write.  Once a
    write was sent, a RemoteError carries ``partial``: the result fields to keep (backup, ``write_sent``, ``changed``
    as far as known).
    """
    result = preview(change, diff)
    if not change.changes:
        return Outcome(result)
    refused = unrestorable(change.before, host.writable_types, getattr(host, 'transport', 'this'), name)
    if refused:
        result.update(refused, after=record(change.before))
        result.pop('diff', None)
        return Outcome(result)

    values = (host.get_values(key) or {}) if backup is not None else None
    if backup is not None and check_mode:
        # the same precheck as the apply, so check mode says what would stop it
        try:
            check_backup(backup.backup_dir, key, values, backup.encoding)
        except (OSError, ValueError) as exc:
            result.update(failed=True, error_kind='backup_failed',
                          msg=f'the apply would stop here: the backup could not be written, so nothing would be changed: {exc}')
    if check_mode:
        return Outcome(result)

    if backup is not None:
        notes = {'prior_expanded_by_server': bool(change.before is not None and change.before.type == 'REG_EXPAND_SZ'
                                                  and host.expanded_by_server(key, name)),
                 'expanded_by_server': sorted(value_name for value_name, value in values.items()
                                              if value.type == 'REG_EXPAND_SZ' and host.expanded_by_server(key, value_name))}
        try:
            result['backup_file'], result['backup_record'] = write_backup(
                backup.backup_dir, backup.inventory_hostname, remote_host=backup.remote_host, transport=backup.transport,
                key=key, values=values, value_name=name, prior=change.before, planned=change.after,
                encoding=backup.encoding, notes=notes)
        except (OSError, ValueError) as exc:
            result.update(backup_failure(change, exc))
            return Outcome(result)

    result['write_sent'] = True       # from here on the server may hold the new value, whatever fails next
    try:
        if change.after is None:
            host.delete_value(key, name)
        else:
            host.set_value(key, name, change.after)
        stored = host.get_value(key, name, expected_type=change.after.type if change.after else absent_type)
    except RemoteError as exc:
        exc.partial = after_write_failure(result, exc, name)
        raise
    result['after'] = record(stored)
    failure = read_back_failure(change, name, stored, getattr(host, 'same_as_written', None))
    if failure is not None:
        result.update(failure)
        return Outcome(result)
    return Outcome(result, written=True)


# ------------------------------------------------------------------ keys and subtrees (the registry module, restores)
def read_key(host, key: str, tree: bool = False):
    """The key as a KeyState (values; with ``tree`` also every subkey, recursively), or None when it is absent."""
    values = host.get_values(key)
    if values is None:
        return None
    subkeys = {}
    if tree:
        for name in host.enum_keys(key) or []:
            sub = read_key(host, f'{key}\\{name}', tree=True)
            if sub is not None:
                subkeys[name] = sub
    return KeyState(values, subkeys)


def apply_ops(host, ops) -> None:
    """Send the writes :func:`_regedit.restore_ops` (or a plan) lists, in order."""
    for op in ops:
        if op[0] == 'create_key':
            host.create_key(op[1])
        elif op[0] == 'set':
            host.set_value(op[1], op[2], op[3])
        elif op[0] == 'delete_value':
            host.delete_value(op[1], op[2])
        elif op[0] == 'delete_key':
            host.delete_key(op[1])
        else:
            raise ValueError(f'unknown registry operation {op[0]!r}')
