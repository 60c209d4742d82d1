# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.owa_url_protocol: apply (or undo) KB Q294406 idempotently."""

from __future__ import annotations

import time

from ansible_collections.legacy_exchange.exchange55.plugins.modules.owa_url_protocol import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import Exchange55Action
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import load_record, write_backup
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import SERVICE
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import (
    KEY,
    VALUE_NAME,
    Plan,
    current_value,
    evaluate,
    plan,
    status_after_change,
)

# How the message starts when a blocked host is refused the write (error_kind 'blocked').
REFUSAL = 'Q294406 prerequisites not met, nothing was written'


def _record(value):
    return None if value is None else value.to_record()


class ActionModule(Exchange55Action):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        super().prepare(args, task_vars, inventory_hostname)
        if args['restore_from']:
            return load_record(args['restore_from'], inventory_hostname, KEY, VALUE_NAME)
        return None

    def work(self, host, args, owa, prepared, inventory_hostname):
        protocol = args['protocol']
        facts = self.facts(host, owa)
        evaluation = evaluate(facts, protocol)
        current = current_value(facts)
        result = {'changed': False, 'server': facts, 'q294406': evaluation, 'before': _record(current), 'after': _record(current)}

        if prepared is not None:
            prior = prepared[0]
            change = Plan('none' if current == prior else ('set' if prior is not None else 'delete'), current, prior)
        else:
            change = plan(current, args['state'], protocol)
            if change.changes and args['state'] == 'present':
                if evaluation['status'] == 'not_applicable':
                    return result
                if evaluation['status'] == 'blocked' and not args['ignore_prerequisites']:
                    result.update(failed=True, error_kind='blocked',
                                  msg=f'{REFUSAL}: ' + '; '.join(evaluation['reasons'])
                                  + ' (set ignore_prerequisites: true to write anyway)')
                    return result
        if not change.changes:
            return result

        result.update(changed=True, after=_record(change.after))
        if self._task.diff:
            result['diff'] = change.diff()
        if self._task.check_mode:
            return result

        if args['backup']:
            values = host.get_values(KEY) or {}
            try:
                result['backup_file'], result['backup_record'] = write_backup(
                    args['backup_dir'], inventory_hostname, remote_host=self.settings.host, transport=self.settings.transport,
                    key=KEY, values=values, value_name=VALUE_NAME, prior=current, planned=change.after)
            except (OSError, ValueError) as exc:
                result.update(changed=False, after=_record(current), failed=True, error_kind='backup_failed',
                              msg=f'the backup could not be written, so nothing was changed: {exc}')
                return result

        if change.after is None:
            host.delete_value(KEY, VALUE_NAME)
        else:
            host.set_value(KEY, VALUE_NAME, change.after)
        stored = host.get_value(KEY, VALUE_NAME, expected_type=change.after.type if change.after else 'REG_SZ')
        result['after'] = _record(stored)
        if stored != change.after:
            want = 'absent' if change.after is None else change.after.to_text()
            seen = 'absent' if stored is None else stored.to_text()
            # changed says what the server holds now: a lost write left it as it was
            result.update(changed=stored != current, failed=True, error_kind='read_back_mismatch',
                          msg=f'read-back mismatch: wrote {VALUE_NAME} = {want} but the server holds {seen}; '
                              'the write was not stored, check the server (registry permissions, policies) and run again')
            return result
        result['q294406'] = status_after_change(facts, change, protocol)
        result['restarted'] = False
        if args['restart_information_store']:
            try:
                restart_service(host, SERVICE, args['restart_timeout'])
            except RemoteError as exc:
                result.update(failed=True, error_kind=exc.kind, msg=f'the value was written and verified, but restarting {SERVICE} failed: {exc}')
                return result
            result['restarted'] = True
        return result


def restart_service(host, name: str, timeout: int, poll: float = 1.0) -> None:
    """Stop the service, wait until it is stopped, start it, wait until it runs; RemoteError on a timeout."""
    for action, wanted in (('stop', 'Stopped'), ('start', 'Running')):
        if host.service_state(name) != wanted:
            host.control_service(name, action)
        deadline = time.monotonic() + timeout
        while (state := host.service_state(name)) != wanted:
            if state is None:
                raise RemoteError(f'service {name} does not exist on this server', kind='not_found')
            if time.monotonic() > deadline:
                raise RemoteError(f'service {name} did not reach {wanted} within {timeout} s '
                                  f'(it is {state}); check the server', kind='timeout')
            time.sleep(poll)
