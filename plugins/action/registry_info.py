# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.registry_info: win_reg_stat from the controller.  Read-only."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.modules.registry_info import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _regedit
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import RegistryAction


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
                result.update(_regedit.stat_value(value))
            return result
        values = host.get_values(key)
        result['exists'] = values is not None
        if values is not None:
            result['properties'] = {name: _regedit.stat_value(value) for name, value in values.items()}
            result['sub_keys'] = host.enum_keys(key) or []
        return result
