# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.registry: win_regedit from the controller, on the one apply pipeline."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.modules.registry import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _regedit
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import InvalidOption, RegistryAction
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import apply_ops, expanded_in_tree, read_key, record, run_pipeline
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import check_tree_backup, load_tree_record, write_tree_backup
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import tree_restore_plan

HIVE_REFUSAL = ('hive: loading a hive file cannot be done remotely (RegLoadKey needs the file on the server and a local '
                'process with SeRestorePrivilege); remove hive and use a path under HKLM or HKU')


def _state(value) -> dict | None:
    return None if value is None else value.to_record()


def _where(key: str, name) -> str:
    return key if name is None else f'{key}\\{name or "(default)"}'


class ActionModule(RegistryAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        if args['hive']:
            raise InvalidOption(HIVE_REFUSAL)
        key = _regedit.normalize_path(args['path'], for_write=True)
        if args['restore_from']:
            return {'key': key, 'restore': load_tree_record(args['restore_from'], inventory_hostname, key)}
        name = args['name']
        reg_type = _regedit.normalize_type(args['type'])
        warnings = []
        if name is None and reg_type != 'REG_SZ':
            warnings.append("the data type when name is not specified can only be 'string', the type has automatically been converted")
            reg_type = 'REG_SZ'
        name = _regedit.value_name(name)
        wanted = _regedit.to_value(args['data'], reg_type, name) if args['state'] == 'present' else None
        return {'key': key, 'name': name, 'wanted': wanted, 'warnings': warnings, 'named': args['name'] not in (None, '')}

    def work(self, host, args, owa, prepared, inventory_hostname):
        key = prepared['key']
        result = {'changed': False, 'data_changed': False, 'data_type_changed': False, 'path': key}
        if prepared.get('warnings'):
            result['warnings'] = prepared['warnings']
        if 'restore' in prepared:
            return self._restore(host, args, key, prepared['restore'], result, inventory_hostname)
        name = prepared['name']
        delete_tree = args['state'] == 'absent' and args['delete_key'] and not prepared['named']
        current_key = read_key(host, key, tree=delete_tree)
        exists = current_key is not None
        _stored, current = _regedit.find(current_key.values, name) if exists else (None, None)
        if args['state'] == 'present':
            change = _regedit.plan_present(key, exists, name, current, prepared['wanted'], same=host.same_as_written)
            refusal = self._refusal(host, args, change)
            if refusal:
                result.update(failed=True, error_kind=refusal[0], msg=refusal[1])
                return result
        else:
            change = _regedit.plan_absent(key, exists, name if prepared['named'] else '', current_key if delete_tree else current,
                                          args['delete_key'])
        scope = 'tree' if change.action == 'delete_key' else 'key'
        fields = {'changed': change.changes, 'data_changed': change.data_changed, 'data_type_changed': change.data_type_changed,
                  'before': _state(change.before), 'after': _state(change.after)}
        if change.changes and self._task.diff:
            fields['diff'] = change.diff()

        backup, precheck = self._backup_steps(host, args, key, current_key, scope, inventory_hostname)

        def write():
            if change.action in ('create_key', 'set') and not exists:
                host.create_key(key)
            if change.action == 'set':
                host.set_value(key, name, change.after)
            elif change.action == 'delete_value':
                host.delete_value(key, change.name)
            elif change.action == 'delete_key':
                host.delete_key(key)

        def read_back():
            if change.action == 'delete_key':
                stored = read_key(host, key)
                return {'after': None} if stored is None else self._mismatch(key, 'the key was deleted', 'it is still there')
            if change.action == 'create_key':
                stored = read_key(host, key)
                return {'after': _state(stored)} if stored is not None else self._mismatch(key, 'the key was created', 'it is absent')
            stored = host.get_value(key, change.name, expected_type=change.after.type if change.after else None)
            # over WinRM a REG_EXPAND_SZ reads back expanded: the host's same_as_written allows for it (windows-semantics.md)
            if host.same_as_written(change.after, stored):
                return {'after': record(stored)}
            want = 'absent' if change.after is None else change.after.to_text()
            seen = 'absent' if stored is None else stored.to_text()
            return {'after': record(stored), **self._mismatch(f'{key}\\{change.name}', f'wrote {want}', f'the server holds {seen}')}

        outcome = run_pipeline(host, change.changes, fields, check_mode=self._task.check_mode, write=write, read_back=read_back,
                               name=_where(key, change.name), overwrites=_regedit.overwritten(key, change),
                               backup=backup, precheck=precheck)
        result.update(outcome.result)
        return result

    def _refusal(self, host, args, change):
        """(error_kind, message) when the planned change must not be made, else None."""
        if change.action in ('create_key', 'set') and not change.key_exists and not args['create_key']:
            return 'not_found', (f'{change.key} does not exist and create_key is false, so nothing was written; '
                                 'create the key first or set create_key: true')
        if change.action == 'set' and change.after.type == 'REG_QWORD':
            version = host.get_value(_regedit.CURRENT_VERSION_KEY, 'CurrentVersion', expected_type='REG_SZ')
            message = _regedit.qword_refusal('REG_QWORD', version.data if version is not None and version.type == 'REG_SZ' else None)
            if message:
                return 'unsupported', message
        if change.action == 'set' and host.writable_types is not None and change.after.type not in host.writable_types:
            return 'unsupported', (f'cannot write {change.after.type} to {_where(change.key, change.name)} over {host.transport}: '
                                   f'it has no setter for that type (it writes {", ".join(sorted(host.writable_types))}); '
                                   'use transport smb, which writes every type')
        return None

    def _backup_steps(self, host, args, key, prior, scope, inventory_hostname):
        """(backup, precheck) for the pipeline, or (None, None) without ``backup``: the key (or subtree) as it is now,
        in ``backup_encoding``, with the REG_EXPAND_SZ values the server returned expanded noted in the record."""
        if not args['backup']:
            return None, None
        encoding = args['backup_encoding'] or 'cp1252'

        def backup():
            paths = write_tree_backup(args['backup_dir'], inventory_hostname, remote_host=self.settings.host,
                                      transport=self.settings.transport, key=key, prior=prior, scope=scope, encoding=encoding,
                                      notes={'expanded_by_server': expanded_in_tree(host, key, prior, scope)})
            return {'backup_file': paths[0], 'backup_record': paths[1]}

        def precheck():
            check_tree_backup(args['backup_dir'], key, prior, scope, encoding)

        return backup, precheck

    @staticmethod
    def _mismatch(where: str, wanted: str, seen: str) -> dict:
        return {'failed': True, 'error_kind': 'read_back_mismatch',
                'msg': f'read-back mismatch at {where}: {wanted} but {seen}; check the server (registry permissions, policies) and run again'}

    def _restore(self, host, args, key, saved, result, inventory_hostname):
        scope, prior = saved['scope'], saved['prior']
        current = read_key(host, key, tree=scope == 'tree')
        ops = _regedit.restore_ops(key, current, prior, scope)
        fields = {'changed': bool(ops), 'before': _state(current), 'after': _state(prior)}
        if ops and self._task.diff:
            fields['diff'] = {'before': _regedit.describe(key, current), 'after': _regedit.describe(key, prior),
                              'before_header': key, 'after_header': key}

        refused, exact = tree_restore_plan(saved, bool(args['restore_expanded']), key)
        if refused and ops:
            result.update(fields, **refused)
            result.pop('diff', None)
            result['after'] = result['before']
            return result
        backup, precheck = self._backup_steps(host, args, key, current, scope, inventory_hostname)

        def read_back():
            stored = read_key(host, key, tree=scope == 'tree')
            if _regedit.same_state(stored, prior, scope, host.same_as_written, spelling=True):
                return {'after': _state(stored)}
            return {'after': _state(stored), **self._mismatch(key, 'restored the recorded state', 'the server holds something else')}

        outcome = run_pipeline(host, bool(ops), fields, check_mode=self._task.check_mode, write=lambda: apply_ops(host, ops),
                               read_back=read_back, name=key, overwrites=_regedit.ops_overwrite(current, key, ops),
                               backup=backup, precheck=precheck)
        result.update(outcome.result)
        if ops and not result.get('failed'):
            result['restore_exact'] = exact
        return result
