# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.kb: audit and apply KBs of the catalog, in one session, on the one apply pipeline."""

from __future__ import annotations

import dataclasses
import json

from ansible_collections.legacy_exchange.exchange55.plugins.modules.kb import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import Exchange55Action
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import apply_change, record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import load_record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_reads import read_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import stored_name
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import restore_plan, restored_already
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._service import restart_services

# How the message starts when blocked KBs are refused their writes (error_kind 'blocked'), as for owa_url_protocol.
REFUSAL = 'KB prerequisites not met, nothing was written for'


def kb_params(args: dict, kb: str) -> dict:
    params = args.get('params') or {}
    return dict(params.get(kb) or params.get(kb.lower()) or {})


def override_refused(entry: dict, evaluation: dict, facts: dict) -> str | None:
    """Why ``ignore_prerequisites`` may not write this ``blocked`` KB, or None when it may.

    It overrides the prerequisites: the release and service pack (missing, conflicting or undetermined), the binaries'
    versions, and refused reads of them.  It never overrides the KB's condition: one that cannot be checked remotely
    and was not declared in ``params``, or one that could not be read, keeps the KB unwritten, because only the
    administrator knows whether the fix applies at all.  A key the KB writes that could not be read is never written
    either: its prior state, which the backup and a rollback need, is unknown.
    """
    condition = evaluation['condition']        # assessed whatever the status (conflicting evidence included)
    if condition is False:
        return 'its condition does not hold, so it does not apply here'
    if condition == 'not_checkable':
        return 'its condition cannot be checked remotely and was not declared; declare it in params'
    if condition is not True:
        return 'its condition could not be read'
    unread = [change['key'] for change in entry['changes'] if _kb.key_state(facts['keys'], change['key']) == _kb.DENIED]
    if unread:
        return f'{unread[0]} could not be read, so the prior state of its values is unknown'
    return None


def write_allowed(entry: dict, evaluation: dict, facts: dict, ignore_prerequisites: bool) -> bool:
    """May the KB's planned changes be written?  ``needs_change``: yes.  ``blocked``: only with ``ignore_prerequisites``
    and when :func:`override_refused` has no objection.  ``not_applicable`` (and ``compliant``): never."""
    if evaluation['status'] == 'compliant' or not _kb.write_allowed(evaluation, ignore_prerequisites):
        return False
    return evaluation['status'] != 'blocked' or override_refused(entry, evaluation, facts) is None


def refusal(refused: list, ignore_prerequisites: bool) -> str:
    """The one-line message of a task whose blocked KBs were refused their writes: each KB with its reasons."""
    parts = []
    for kb, reasons, why_not in refused:
        text = f'{kb}: ' + '; '.join(reasons)
        if ignore_prerequisites and why_not:
            text += f' (ignore_prerequisites does not override this: {why_not})'
        parts.append(text)
    hint = '' if ignore_prerequisites else ' (set ignore_prerequisites: true to write anyway, or fail_on_blocked: false to report them only)'
    return f'{REFUSAL} {", ".join(kb for kb, _reasons, _why in refused)}: ' + ' | '.join(parts) + hint


def restart_order(reports: dict) -> list:
    """The services to restart, each once, in the order the KBs (in task order) list them: those of every KB whose
    values this run changed and whose article asks for a restart.  :func:`_service.restart_services` orders them."""
    services = []
    for report in reports.values():
        if report.get('restart_required'):
            for service in report['restart_services']:
                if service.lower() not in (known.lower() for known in services):
                    services.append(service)
    return services


@dataclasses.dataclass(frozen=True)
class RestoreChange:
    """A restore of one value: ``before`` (held as ``stored_name``) -> ``after`` (the recorded prior state, under
    ``name``, the record's spelling).  A value whose name differs only in case is a change even when its data does not."""

    kb: str
    key: str
    name: str
    stored_name: str | None
    before: object
    after: object
    same: bool = False

    @property
    def renames(self) -> bool:
        return self.after is not None and self.stored_name is not None and self.stored_name != self.name

    @property
    def changes(self) -> bool:
        return self.renames or not self.same

    def diff(self) -> dict:
        before = f'{self.stored_name or self.name} = {self.before.to_text()}\n' if self.before is not None else ''
        after = f'{self.name} = {self.after.to_text()}\n' if self.after is not None else ''
        return {'before': before, 'after': after, 'before_header': self.key, 'after_header': self.key}


class ActionModule(Exchange55Action):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        """The catalog entries, after checking ids and params: a missing choice fails here, before any connection."""
        params = {str(kb).upper(): value for kb, value in (args.get('params') or {}).items()}
        args['params'] = params
        entries = _kb.select(args['ids'], params)
        if not args.get('restore_from'):
            return entries, None
        restores = [_restore_record(path, inventory_hostname, entries, args['restore_skip_unrelated'])
                    for path in args['restore_from']]
        return entries, newest_per_value([item for item in restores if item is not None])

    def work(self, host, args, owa, prepared, inventory_hostname):
        entries, restores = prepared
        if restores is not None:        # restore_from: even when every record was left out, nothing is applied
            return self._restore(host, args, entries, restores, owa, inventory_hostname)
        facts = read_facts(host, entries, owa)
        check_mode, diff = self._task.check_mode, self._task.diff
        backup = self.backup_target(args, inventory_hostname)
        result = {'changed': False, 'restart_required': False, 'restarted': False, 'reads': facts['reads'],
                  'server': {'exchange': facts['exchange'], 'evidence': facts['server']['evidence'],
                             'owa': facts['server']['owa'], 'denied': facts['denied']},
                  'kb': {}}
        diffs = []
        refused = []
        stopped = None
        for entry in entries:
            kb = entry['id']
            params = kb_params(args, kb)
            evaluation = _kb.evaluate(entry, facts, params)
            wanted = _kb.plan(entry, facts, params) if evaluation['status'] in ('needs_change', 'blocked') else []
            allowed = write_allowed(entry, evaluation, facts, args['ignore_prerequisites'])
            planned = wanted if allowed else []
            if wanted and not allowed and evaluation['status'] == 'blocked':
                refused.append((kb, evaluation['reasons'], override_refused(entry, evaluation, facts)))
            report = dict(evaluation, changes=[_change_record(change) for change in planned], backups=[], restart_required=False,
                          restarted=False)
            result['kb'][kb] = report
            if not planned or stopped:
                continue
            written = []
            for change in planned:
                # Windows matches value names in any case and keeps the stored spelling (docs/windows-semantics.md):
                # the write goes to the name the server holds, so the backup record names the value as it was.
                name = _stored_name(facts, change) or change.name
                try:
                    outcome = apply_change(host, change, key=change.key, name=name, check_mode=check_mode, diff=diff,
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
        if not stopped and not check_mode and args['restart_services']:
            self._restart(host, args, result, result['kb'])
        if refused and args['fail_on_blocked'] and not result.get('failed'):
            result.update(failed=True, error_kind='blocked', msg=refusal(refused, args['ignore_prerequisites']))
        return result

    @staticmethod
    def _restart(host, args, result, reports):
        """``restart_services``: restart each service that a changed KB asks for, once, after all the writes (stopped in the
        reverse of Exchange's start order, then started in it: :func:`_service.restart_services`); then say per KB and
        overall what was restarted and what still needs a restart.  A service that is not running is left so."""
        done, notes = {}, {}
        services = restart_order(reports)
        try:
            states = restart_services(host, services, args['restart_timeout'])
        except RemoteError as exc:
            states = {}
            result.update(failed=True, error_kind=exc.kind,
                          msg=f'the values were written and verified, but restarting {", ".join(services)} failed: {exc}')
        for service, state in states.items():
            if state is None:
                done[service.lower()] = service
            else:
                notes[service.lower()] = (f'{service} was {state}, so it was left {state}: a restart starts only a running '
                                          'service; it reads the new values when it next starts')
        for report in reports.values():
            if not report.get('restart_required'):
                continue
            wanted = [service.lower() for service in report['restart_services']]
            note = '; '.join(notes[service] for service in wanted if service in notes)
            if note:
                report['restart_note'] = note
            report['restarted'] = all(service in done for service in wanted)
            report['restart_required'] = not report['restarted']
        result['restarted'] = bool(done)
        result['restart_required'] = any(report.get('restart_required') for report in reports.values())
        if notes:
            result['restart_note'] = '; '.join(notes.values())

    def _restore(self, host, args, entries, restores, owa, inventory_hostname):
        """Put back the prior state of each recorded value (``restore_from``), through the same pipeline; then audit.

        The value's name is written back as the record spells it (the server's spelling at backup time): a value now held
        under another case is deleted and written again under the recorded name, as owa_url_protocol's restore does."""
        result = {'changed': False, 'restored': [], 'restart_required': False, 'restarted': False}
        backup = self.backup_target(args, inventory_hostname)
        diffs = []
        restarts = {}
        exact_all = True
        for kb, key, name, prior, saved in restores:
            listing = host.enum_values(key) or {}
            stored = stored_name(listing, name)
            current = host.get_value(key, stored, expected_type=listing[stored]) if stored is not None else None
            same = restored_already(host, prior, current)
            recorded = saved.get('value_name') or name
            change = RestoreChange(kb, key, recorded if prior is not None else (stored or recorded), stored, current, prior, same)
            refused, exact = restore_plan(saved, bool(args.get('restore_expanded')), recorded)
            if refused and change.changes:
                result.update(refused, msg=f'{kb}: {refused["msg"]}')
                break
            outcome = apply_change(host, change, key=key, name=change.name, check_mode=self._task.check_mode, diff=self._task.diff,
                                   backup=backup, absent_type=(current.type if current else None),
                                   replaces=stored if change.renames else None)
            fields = outcome.result
            result['restored'].append(dict(_change_record(change), after=fields.get('after'), kb=kb))
            if 'diff' in fields:
                diffs.append(fields['diff'])
            if fields.get('write_sent'):
                result['write_sent'] = True
            if change.changes and (outcome.written or self._task.check_mode):
                result['changed'] = True
                exact_all = exact_all and exact
                entry = _kb.CATALOG[kb]
                if entry['restart']['services'] and not self._task.check_mode:
                    restarts[kb] = {'restart_required': True, 'restart_services': list(entry['restart']['services'])}
                    result['restart_required'] = True
            if fields.get('failed'):
                result.update(failed=True, error_kind=fields.get('error_kind'), msg=f'{kb}: {fields["msg"]}')
                break
        if result['changed'] and not result.get('failed'):
            result['restore_exact'] = exact_all
        if restarts and not result.get('failed') and args['restart_services']:
            self._restart(host, args, result, restarts)
        facts = read_facts(host, entries, owa)
        result['kb'] = {entry['id']: _kb.evaluate(entry, facts, kb_params(args, entry['id'])) for entry in entries}
        for kb, report in restarts.items():
            result['kb'][kb].update({field: value for field, value in report.items() if field != 'restart_services'})
        result['reads'] = facts['reads']
        if diffs:
            result['diff'] = diffs
        return result


def _stored_name(facts: dict, change) -> str | None:
    """The spelling under which the server holds the value ``change`` writes, or None when it is absent."""
    state = _kb.key_state(facts['keys'], change.key)
    if state in (None, _kb.DENIED):
        return None
    return stored_name(state['values'], change.name)


def newest_per_value(restores: list) -> list:
    """The restores, keeping of several records of one value (key and name, in any case) only the newest (the record's
    ``created`` time; of equal times the one listed last), in the order the kept records were listed."""
    newest = {}
    for index, item in enumerate(restores):
        slot = (item[1].lower(), item[2].lower())
        created = str(item[4].get('created') or '')
        if slot not in newest or created >= newest[slot][0]:
            newest[slot] = (created, index)
    keep = {index for _created, index in newest.values()}
    return [item for index, item in enumerate(restores) if index in keep]


def _restore_record(path: str, inventory_hostname: str, entries, skip_unrelated: bool = False) -> tuple | None:
    """(kb, key, value name, prior RegValue or None, record) of a backup record of one of the entries' values; ValueError
    (one line) for a record of another host or of a value none of the listed KBs changes (None for the latter with
    ``skip_unrelated``)."""
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
    if skip_unrelated:
        return None
    raise ValueError(f'{path} records {key}\\{name}, which none of {", ".join(entry["id"] for entry in entries)} changes; '
                     'list the KB of that value in ids, or set restore_skip_unrelated: true')


def _change_record(change) -> dict:
    return {'key': change.key, 'name': change.name, 'before': record(change.before), 'after': record(change.after)}
