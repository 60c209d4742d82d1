# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.kb: audit and apply KBs of the catalog, in one session, on the one apply pipeline."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.modules.kb import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import Exchange55Action
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import BackupTarget, apply_change, record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_reads import read_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError


def kb_params(args: dict, kb: str) -> dict:
    params = args.get('params') or {}
    return dict(params.get(kb) or params.get(kb.lower()) or {})


class ActionModule(Exchange55Action):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        """The catalog entries, after checking ids and params: a missing choice fails here, before any connection."""
        params = {str(kb).upper(): value for kb, value in (args.get('params') or {}).items()}
        args['params'] = params
        return _kb.select(args['ids'], params)

    def work(self, host, args, owa, prepared, inventory_hostname):
        entries = prepared
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


def _change_record(change) -> dict:
    return {'key': change.key, 'name': change.name, 'before': record(change.before), 'after': record(change.after)}
