# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Service control through a RemoteHost: restart a service and wait for each state."""

from __future__ import annotations

import time

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError


def restart_service(host, name: str, timeout: int, poll: float = 1.0) -> str | None:
    """Restart a running service: stop it, wait until it is stopped, start it, wait until it runs; RemoteError on a
    timeout.  A service that is not running (stopped on purpose, paused, pending) is left as it is: its state is
    returned; None after a restart."""
    state = host.service_state(name)
    if state is None:
        raise RemoteError(f'service {name} does not exist on this server', kind='not_found')
    if state != 'Running':
        return state
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
    return None
