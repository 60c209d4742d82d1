# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.server_info: read-only facts and the Q294406 status."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.modules.server_info import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import Exchange55Action
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import evaluate


class ActionModule(Exchange55Action):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def work(self, host, args, owa, prepared, inventory_hostname):
        facts = self.facts(host, owa, service_state=True)   # the facts module also reports the Information Store's state
        return {'changed': False, 'server': facts, 'q294406': evaluate(facts, args['protocol'])}
