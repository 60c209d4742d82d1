# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.registry_info: win_reg_stat from the controller.  Read-only.

REG_EXPAND_SZ values are returned as win_reg_stat returns them: ``value`` expanded, ``raw_value`` as stored
(win_reg_stat.ps1 reads ``GetValue(name)`` and ``GetValue(name, $null, DoNotExpandEnvironmentNames)``).  Over smb the
stored text is read and expanded here with the server's system environment read from its registry
(:func:`_regedit.system_environment`); over winrm StdRegProv returns only the text the server expanded, which is then
both (docs/registry.md).
"""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.modules.registry_info import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _regedit
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import RegistryAction
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError


class ActionModule(RegistryAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def prepare(self, args, task_vars, inventory_hostname):
        return {'key': _regedit.normalize_path(args['path'])}

    def work(self, host, args, owa, prepared, inventory_hostname):
        key = prepared['key']
        result = {'changed': False, 'path': key}
        if args['name'] is not None:
            value = host.get_value(key, args['name'])
            result['exists'] = value is not None
            if value is not None:
                result.update(_regedit.stat_value(value, self._expanded(host, key, args['name'], value)))
            return result
        values = host.get_values(key)
        result['exists'] = values is not None
        if values is not None:
            result['properties'] = {name: _regedit.stat_value(value, self._expanded(host, key, name, value))
                                    for name, value in values.items()}
            result['sub_keys'] = host.enum_keys(key) or []
        return result

    def _expanded(self, host, key: str, name: str, value):
        """A REG_EXPAND_SZ's text expanded as the server would (None: nothing to expand, or the server already did)."""
        if value.type != 'REG_EXPAND_SZ' or '%' not in value.data or host.expanded_by_server(key, name):
            return None
        return _regedit.expand(value.data, self._environment(host))

    def _environment(self, host) -> dict:
        """The server's system environment, read once per task (two reads; none when no value needs it)."""
        if getattr(self, '_system_environment', None) is None:
            try:
                root = host.get_value(_regedit.CURRENT_VERSION_KEY, 'SystemRoot', expected_type='REG_SZ')
                session = host.get_values(_regedit.SESSION_ENVIRONMENT_KEY) or {}
            except RemoteError as exc:
                if exc.kind not in ('access_denied', 'not_found', 'type_mismatch', 'unsupported'):
                    raise
                root, session = None, {}      # unreadable: every reference stays as written, as for an unknown name
            self._system_environment = _regedit.system_environment(
                root.data if root is not None and root.type in ('REG_SZ', 'REG_EXPAND_SZ') else None, session)
        return self._system_environment
