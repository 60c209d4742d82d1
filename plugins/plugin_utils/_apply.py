# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The one apply pipeline: plan -> check/diff -> backup -> write -> read back -> result.

:func:`run_pipeline` is the pipeline, for every module (``registry``, ``owa_url_protocol``) and every restore:
the caller passes the plan's result fields and the steps that touch the server (backup, write, read back) as
callables, and the pipeline decides the order, the refusals, check mode and what a failure leaves in the result.
:func:`apply_change` is its use for one value (a *change* with ``changes``, ``before`` and ``after``, a RegValue
or None for "absent", and ``diff()``, such as :class:`_q294406.Plan`).  The decisions are pure functions
(:func:`preview`, :func:`read_back_failure`, :func:`first_unrestorable`, and :mod:`_safeguards`) tested without a
server.  Deciding *whether* a write is allowed is the caller's policy (for
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


def backup_failure(before: dict | None, error: Exception) -> dict:
    """The result fields when the backup could not be written: nothing was changed (``after`` is ``before``, a record)."""
    return {'changed': False, 'after': before, 'failed': True, 'error_kind': 'backup_failed',
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


def run_pipeline(host, changes: bool, preview_fields: dict, *, check_mode: bool, write, read_back, name: str,
                 overwrites=(), backup=None, precheck=None) -> Outcome:
    """The pipeline itself, for every module and every restore.

    ``preview_fields`` are the plan's result fields (``changed``, ``before``, ``after``, ``diff``...); ``changes`` says
    whether the plan writes anything.  The steps, in order:

    1. nothing changes: the preview is the result;
    2. ``overwrites`` ((name, RegValue) pairs the write replaces or deletes) holds one that no rollback could write
       back over this host's transport (:func:`_safeguards.unrestorable`): refused, nothing sent;
    3. check mode: ``precheck()`` (what would stop the backup; OSError/ValueError) is reported, nothing is written;
    4. ``backup()`` returns result fields; OSError/ValueError stops everything before a write;
    5. ``write()`` then ``read_back()``, which returns ``after`` plus failure fields when the server holds something
       else (see :func:`read_back_failure`).  Once the write was sent, a RemoteError carries ``partial``:
       :func:`_safeguards.after_write_failure` of the fields so far (backup, ``write_sent``, ``changed`` as known).

    ``name`` names what is written, for messages.
    """
    result = dict(preview_fields)
    if not changes:
        return Outcome(result)
    refused = first_unrestorable(overwrites, host.writable_types, getattr(host, 'transport', 'this'))
    if refused:
        result.update(refused, after=result.get('before'))
        result.pop('diff', None)
        return Outcome(result)
    if check_mode:
        if precheck is not None:       # the same precheck as the apply, so check mode says what would stop it
            try:
                precheck()
            except (OSError, ValueError) as exc:
                result.update(failed=True, error_kind='backup_failed',
                              msg=f'the apply would stop here: the backup could not be written, so nothing would be changed: {exc}')
        return Outcome(result)
    if backup is not None:
        try:
            result.update(backup())
        except (OSError, ValueError) as exc:
            result.update(backup_failure(result.get('before'), exc))
            return Outcome(result)
    result['write_sent'] = True       # from here on the server may hold the new state, whatever fails next
    try:
        write()
        fields = read_back()
    except RemoteError as exc:
        exc.partial = after_write_failure(result, exc, name)
        raise
    result.update(fields)
    return Outcome(result, written=not fields.get('failed'))


def first_unrestorable(overwrites, writable_types, transport: str) -> dict | None:
    """The refusal of :func:`_safeguards.unrestorable` for the first (name, value) no rollback could write back."""
    for value_name, value in overwrites:
        refused = unrestorable(value, writable_types, transport, value_name)
        if refused:
            return refused
    return None


def apply_change(host, change, *, key: str, name: str, check_mode: bool, diff: bool,
                 backup: BackupTarget | None = None, absent_type: str | None = None, replaces: str | None = None) -> Outcome:
    """Carry out ``change`` of one value ``key\\name`` on ``host`` through :func:`run_pipeline`: set or delete it, with a
    backup of the whole key (value record and ``.reg`` file) and a read-back compared by the host's ``same_as_written``.

    ``absent_type`` is the type the read-back expects when the change deletes the value.  ``replaces`` is the value's
    stored spelling when it differs from ``name`` only in case: Windows keeps a value's stored spelling when it is
    written under another case (docs/windows-semantics.md), so that name is deleted first and ``name`` written anew.
    """
    values = []

    def key_values():
        if not values:
            values.append(host.get_values(key) or {})
        return values[0]

    def precheck():
        check_backup(backup.backup_dir, key, key_values(), backup.encoding)

    def write_value_backup():
        current = key_values()
        notes = {'prior_expanded_by_server': bool(change.before is not None and change.before.type == 'REG_EXPAND_SZ'
                                                  and host.expanded_by_server(key, name)),
                 'expanded_by_server': expanded_names(host, key, current)}
        backup_file, backup_record = write_backup(
            backup.backup_dir, backup.inventory_hostname, remote_host=backup.remote_host, transport=backup.transport,
            key=key, values=current, value_name=name, prior=change.before, planned=change.after,
            encoding=backup.encoding, notes=notes)
        return {'backup_file': backup_file, 'backup_record': backup_record}

    def write():
        if change.after is None:
            host.delete_value(key, name)
        else:
            if replaces is not None and replaces != name:
                host.delete_value(key, replaces)
            host.set_value(key, name, change.after)

    def read_back():
        stored = host.get_value(key, name, expected_type=change.after.type if change.after else absent_type)
        return {'after': record(stored), **(read_back_failure(change, name, stored, host.same_as_written) or {})}

    return run_pipeline(host, change.changes, preview(change, diff), check_mode=check_mode, write=write, read_back=read_back,
                        name=name, overwrites=[(name, change.before)] if change.before is not None else [],
                        backup=write_value_backup if backup is not None else None,
                        precheck=precheck if backup is not None else None)


def expanded_in_tree(host, key: str, state, scope: str) -> list:
    """[path, name] of every REG_EXPAND_SZ in ``state`` (``key`` as read; with ``scope`` 'key' only its own values) that
    the server returned expanded: its stored text is unknown, so a restore of it cannot be exact."""
    if state is None:
        return []
    sections = state.sections(key) if scope == 'tree' else [(key, state.values)]
    return [[path, value_name] for path, values in sections for value_name in expanded_names(host, path, values)]


def expanded_names(host, key: str, values: dict) -> list:
    """The names of ``values`` (as read from ``key``) that are REG_EXPAND_SZ text the server returned expanded."""
    return sorted(value_name for value_name, value in values.items()
                  if value.type == 'REG_EXPAND_SZ' and host.expanded_by_server(key, value_name))


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
