# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.owa_url_protocol: apply (or undo) KB Q294406 idempotently."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.modules.owa_url_protocol import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import Exchange55Action
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import apply_change, record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import load_record
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import SERVICE
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import (
    KEY,
    REFUSAL,
    VALUE_NAME,
    Plan,
    current_value,
    evaluate,
    plan,
    refusal,
    status_after_change,
    write_allowed,
)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import restore_plan, restored_already
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._service import restart_service

__all__ = ['REFUSAL', 'ActionModule']


class ActionModule(Exchange55Action):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        super().prepare(args, task_vars, inventory_hostname)
        if args['restore_from']:
            return load_record(args['restore_from'], inventory_hostname, KEY, VALUE_NAME)
        return None

    def work(self, host, args, owa, prepared, inventory_hostname):
        # a restore writes the recorded value: protocol is neither used nor checked then
        protocol = args['protocol'] if prepared is None else 'https:'
        facts = self.facts(host, owa)
        evaluation = evaluate(facts, protocol)
        current = current_value(facts)
        result = {'changed': False, 'server': facts, 'q294406': evaluation, 'before': record(current), 'after': record(current),
                  'restart_required': False}

        exact = None
        # Windows matches value names case-insensitively but keeps the spelling a value was created with
        # (docs/windows-semantics.md): a write goes to the stored spelling, and a restore puts the recorded one back.
        stored_name = facts['owa_url_protocol']['name'] if current is not None else None
        name, replaces = stored_name or VALUE_NAME, None
        if prepared is not None:    # restore_from: put back exactly the recorded prior state
            prior = prepared[0]
            same = restored_already(host, prior, current)
            recorded_name = prepared[1].get('value_name') or VALUE_NAME
            if prior is not None:
                name = recorded_name
                if stored_name is not None and stored_name != recorded_name:
                    same, replaces = False, stored_name     # only the case differs: delete it, then write the recorded name
            change = Plan('none' if same else ('set' if prior is not None else 'delete'), current, prior)
            refused, exact = restore_plan(prepared[1], bool(args.get('restore_expanded')), VALUE_NAME)
            if refused and change.changes:
                result.update(refused)
                return result
        else:
            change = plan(current, args['state'], protocol)
            if change.changes and not write_allowed(evaluation, args['state'], args['ignore_prerequisites']):
                message = refusal(evaluation)
                if message:
                    result.update(failed=True, error_kind='blocked', msg=message)
                return result

        outcome = apply_change(host, change, key=KEY, name=name, check_mode=self._task.check_mode, diff=self._task.diff,
                               backup=self.backup_target(args, inventory_hostname), absent_type='REG_SZ', replaces=replaces)
        result.update(outcome.result)
        if exact is not None and change.changes and not result.get('failed'):
            result['restore_exact'] = exact
        # The Information Store reads ParametersPrivate at start-up: every sibling KB restarts it after a change
        # (Q178699, Q216076, Q243581, Q148961; Q294406 itself does not say).  restart_required stays true for a
        # change that was not followed by a restart (a read-back mismatch that still changed the server included).
        result['restart_required'] = bool(result['changed']) and not self._task.check_mode
        if not outcome.written:
            return result

        result['q294406'] = status_after_change(facts, change, protocol)
        result['restarted'] = False
        result['restart_required'] = True         # the Information Store reads the value when it starts
        if args['restart_information_store']:
            try:
                state = restart_service(host, SERVICE, args['restart_timeout'])
            except RemoteError as exc:
                result.update(failed=True, error_kind=exc.kind, msg=f'the value was written and verified, but restarting {SERVICE} failed: {exc}')
                return result
            if state is None:
                result.update(restarted=True, restart_required=False)
            else:
                result['restart_note'] = (f'{SERVICE} was {state}, so it was left {state}: a restart starts only a running '
                                          'Information Store; it reads the new value when it next starts')
        return result
