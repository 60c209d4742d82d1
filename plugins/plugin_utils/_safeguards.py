# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The apply pipeline's safeguards, as pure decisions: what may be overwritten, what a restore can promise, and what a
result must keep once a write was sent.  No I/O; :mod:`_apply` calls them."""

from __future__ import annotations

# Kinds of failure after which the server certainly did not store the write (it answered and refused it).
REFUSED_KINDS = frozenset(('access_denied', 'not_found', 'unsupported', 'type_mismatch'))


def unrestorable(before, writable_types, transport: str, name: str) -> dict | None:
    """The refusal (result fields) when the value to be overwritten could not be written back over this transport
    by a rollback; None when it can (or there is nothing to overwrite).  ``writable_types`` None means every type."""
    if before is None or writable_types is None or before.type in writable_types:
        return None
    return {'failed': True, 'error_kind': 'not_restorable', 'changed': False,
            'msg': f'refusing to overwrite {name}: it is {before.type}, which the {transport} transport cannot write back, '
                   f'so no rollback could restore it; change it over a transport that can write {before.type} (smb), '
                   'or by hand'}


def after_write_failure(fields: dict, error, name: str) -> dict:
    """The result fields when ``error`` (a RemoteError) ended the task after a write was sent: the backup and
    ``write_sent`` stay, ``changed`` says what is known (False only when the server refused the write)."""
    refused = error.kind in REFUSED_KINDS
    kept = dict(fields)
    kept['write_sent'] = True
    kept['changed'] = False if refused else True
    if refused:
        kept['after'] = kept.get('before')
        kept['note'] = f'the server refused the write of {name}; its value is unchanged'
    else:
        kept['note'] = (f'a write of {name} was sent, but the task failed before the server confirmed it: the value may have '
                        'changed (changed is true as far as known); run the task again, or restore from backup_record')
    return kept


def restored_already(host, prior, current) -> bool:
    """Does the server already hold the recorded prior state?  Over WinRM a REG_EXPAND_SZ reads back expanded, so
    the host's ``same_as_written`` compares what it can (docs/windows-semantics.md)."""
    return current == prior or (current is not None and prior is not None and host.same_as_written(prior, current))


def restore_plan(record: dict, restore_expanded: bool, name: str):
    """For ``restore_from``: (refusal fields or None, whether the restore would be exact)."""
    prior = record.get('prior') or {}
    if prior.get('type') == 'REG_EXPAND_SZ' and record.get('prior_expanded_by_server'):
        if not restore_expanded:
            return ({'failed': True, 'error_kind': 'not_restorable', 'changed': False,
                     'msg': f'{name} was backed up over {record.get("transport", "winrm")} as REG_EXPAND_SZ text that the server '
                            'had already expanded (StdRegProv returns no other form), so its original text is unknown and '
                            'an exact restore is impossible; set restore_expanded: true to write the expanded text as '
                            'REG_EXPAND_SZ anyway'}, False)
        return None, False
    return None, True


def tree_restore_plan(record: dict, restore_expanded: bool, key: str):
    """For the registry module's ``restore_from``: (refusal fields or None, whether the restore would be exact).

    A record written over WinRM lists in ``expanded_by_server`` the REG_EXPAND_SZ values the server returned expanded
    (StdRegProv has no getter for the stored text): restoring them writes the expanded text, which is not what was
    there, so it is refused unless ``restore_expanded``."""
    expanded = record.get('expanded_by_server') or []
    if not expanded:
        return None, True
    if restore_expanded:
        return None, False
    names = ', '.join(f'{path}\\{name or "(default)"}' for path, name in expanded[:3]) + (' ...' if len(expanded) > 3 else '')
    return ({'failed': True, 'error_kind': 'not_restorable', 'changed': False,
             'msg': f'{key} was backed up over {record.get("transport", "winrm")} with REG_EXPAND_SZ text that the server had '
                    f'already expanded ({names}; StdRegProv returns no other form), so the original text is unknown and an '
                    'exact restore is impossible; set restore_expanded: true to write the expanded text as REG_EXPAND_SZ anyway'},
            False)
