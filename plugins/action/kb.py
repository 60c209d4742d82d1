# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.kb: audit and apply KBs of the catalog, in one session, on the one apply pipeline."""

from __future__ import annotations

import json

from ansible_collections.legacy_exchange.exchange55.plugins.modules.kb import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import Exchange55Action
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import BackupTarget, apply_change, record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import load_record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_reads import read_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import restore_plan


def kb_params(args: dict, kb: str) -> dict:
    params = args.get('params') or {}
    return dict(params.get(kb) or params.get(kb.lower()) or {})


class ActionModule(Exchange55Action):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        """The catalog entries, after checking ids and params: a missing choice fails here, before any connection."""
        params = {str(kb).upper(): value for kb, value in (args.get('params') or {}).items()}
        args['params'] = params
        entries = _kb.select(args['ids'], params)
        restores = [_restore_record(path, inventory_hostname, entries) for path in args.get('restore_from') or []]
        return entries, restores

    def work(self, host, args, owa, prepared, inventory_hostname):
        entries, restores = prepared
        if restores:
            return self._restore(host, args, entries, restores, owa, inventory_hostname)
        facts = read_facts(host, entries, owa)
        check_mode, diff = self._task.check_mode, self._task.diff
        backup = None
        if args['backup']:
            backup = BackupTarget(args['backup_dir'], inventory_hostname, self.settings.host, self.settings.transport,
                                  args.get('backup_encoding') or 'cp1252')
        result = {'changed': False, 'restart_required': False, 'reads': facts['reads'],
                  'server': {'exchange': facts['exchange'], 'evidence': facts['server']['evidence'],
                             'owa': facts['server']['owa'], 'denied': facts['denied']},
                  'kb': {}}
        diffs = []
        stopped = None
        for entry in entries:
            kb = entry['id']
            params = kb_params(args, kb)
            evaluation = _kb.evaluate(entry, facts, params)
            planned = _kb.plan(entry, facts, params) if evaluation['status'] == 'needs_change' else []
            report = dict(evaluation, changes=[_change_record(change) for change in planned], backups=[], restart_required=False)
            result['kb'][kb] = report
            if not planned or stopped:
                continue
            written = []
            for change in planned:
                try:
                    outcome = apply_change(host, change, key=change.key, name=change.name, check_mode=check_mode, diff=diff,
                                           backup=backup, absent_type=change.after.type)
                except RemoteError as exc:
                    partial = dict(getattr(exc, 'partial', None) or {})
                    exc.partial = dict(result, **partial, changed=bool(written) or bool(partial.get('changed')))
                    raise
                fields = outcome.result
                if 'diff' in fields:
                    diffs.append(fields['diff'])
                if fields.get('backup_file'):
                    report['backups'].append({'backup_file': fields['backup_file'], 'backup_record': fields['backup_record']})
                if fields.get('write_sent'):
                    result['write_sent'] = True
                if fields.get('failed'):
                    report['reasons'] = [f'{change.name}: {fields["msg"]}'] + report['reasons']
                    result.update(failed=True, error_kind=fields.get('error_kind'), msg=f'{kb}: {fields["msg"]}')
                    if fields.get('changed'):
                        written.append(change)
                    stopped = kb
                    break
                if outcome.written:
                    written.append(change)
                    report_change = report['changes'][planned.index(change)]
                    report_change['after'] = fields.get('after')
            if check_mode:
                continue
            if written:
                result['changed'] = True
                after = _kb.status_after_change(entry, facts, params, written)
                if not stopped:
                    report.update(status=after['status'], reasons=after['reasons'])
                report['restart_required'] = bool(entry['restart']['services'])
                result['restart_required'] = result['restart_required'] or report['restart_required']
        if check_mode:
            result['changed'] = any(report['changes'] for report in result['kb'].values())
        if diffs:
            result['diff'] = diffs
        return result

    def _restore(self, host, args, entries, restores, owa, inventory_hostname):
        """Put back the prior state of each recorded value (``restore_from``), through the same pipeline; then audit."""
        result = {'changed': False, 'restored': [], 'restart_required': False}
        backup = None
        if args['backup']:
            backup = BackupTarget(args['backup_dir'], inventory_hostname, self.settings.host, self.settings.transport,
                                  args.get('backup_encoding') or 'cp1252')
        diffs = []
        for kb, key, name, prior, saved in restores:
            current = host.get_value(key, name, expected_type=prior.type if prior else None)
            refused, _exact = restore_plan(saved, False, name)
            change = _kb.Change(kb, key, name, current, prior)
            if refused and change.changes:
                result.update(refused, msg=f'{kb}: {refused["msg"]}')
                break
            outcome = apply_change(host, change, key=key, name=name, check_mode=self._task.check_mode, diff=self._task.diff,
                                   backup=backup, absent_type=(current.type if current else None))
            fields = outcome.result
            result['restored'].append(dict(_change_record(change), after=fields.get('after'), kb=kb))
            if 'diff' in fields:
                diffs.append(fields['diff'])
            if fields.get('write_sent'):
                result['write_sent'] = True
            if change.changes and (outcome.written or self._task.check_mode):
                result['changed'] = True
                entry = _kb.CATALOG[kb]
                result['restart_required'] = result['restart_required'] or (bool(entry['restart']['services'])
                                                                            and not self._task.check_mode)
            if fields.get('failed'):
                result.update(failed=True, error_kind=fields.get('error_kind'), msg=f'{kb}: {fields["msg"]}')
                break
        facts = read_facts(host, entries, owa)
        result['kb'] = {entry['id']: _kb.evaluate(entry, facts, kb_params(args, entry['id'])) for entry in entries}
        result['reads'] = facts['reads']
        if diffs:
            result['diff'] = diffs
        return result


def _restore_record(path: str, inventory_hostname: str, entries) -> tuple:
    """(kb, key, value name, prior RegValue or None, record) of a backup record of one of the entries' values; ValueError
    (one line) for a record of another host or of a value none of the listed KBs changes."""
    try:
        with open(path, encoding='utf-8') as handle:
            head = json.load(handle)
    except (OSError, ValueError) as exc:
        raise ValueError(f'cannot read the backup record {path}: {exc}') from None
    key, name = (head.get('key'), head.get('value_name')) if isinstance(head, dict) else (None, None)
    for entry in entries:
        for change in entry['changes']:
            if str(key).lower() == change['key'].lower() and str(name).lower() == change['name'].lower():
                prior, saved = load_record(path, inventory_hostname, change['key'], change['name'])
                return entry['id'], change['key'], change['name'], prior, saved
    raise ValueError(f'{path} records {key}\\{name}, which none of {", ".join(entry["id"] for entry in entries)} changes; '
                     'list the KB of that value in ids')


def _change_record(change) -> dict:
    return {'key': change.key, 'name': change.name, 'before': record(change.before), 'after': record(change.after)}
