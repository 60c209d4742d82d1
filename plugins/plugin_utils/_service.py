# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Service control through a RemoteHost: restart a service, or several in dependency order, and wait for each state."""

from __future__ import annotations

import time

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError

# Exchange Server's core services in the order they start: the reverse of the order in which Microsoft's operations
# guide stops them, "to stop the four core Microsoft Exchange Server services ... Net stop MSExchangeMTA / Net stop
# MSExchangeIS / Net stop MSExchangeDS / Net stop MSExchangeSA" ("Stopping Microsoft Exchange Server Services", MSDN
# Library April 2000, https://library.thedatadungeon.com/msdn-2000-04/bores/html/excc14_29.content.htm).  Other services
# (the connectors) come after them, in the order given.
CORE_START_ORDER = ('MSExchangeSA', 'MSExchangeDS', 'MSExchangeIS', 'MSExchangeMTA')


def restart_service(host, name: str, timeout: int, poll: float = 1.0) -> str | None:
    """Restart a running service: stop it, wait until it is stopped, start it, wait until it runs; RemoteError on a
    timeout.  A service that is not running (stopped on purpose, paused, pending) is left as it is: its state is
    returned; None after a restart."""
    state = _state(host, name)
    if state != 'Running':
        return state
    for action, wanted in (('stop', 'Stopped'), ('start', 'Running')):
        _reach(host, name, action, wanted, timeout, poll)
    return None


def start_order(names) -> list:
    """``names`` (each once, in any case) with Exchange's core services first, in the order they start, then the others
    in the order given."""
    unique = []
    for name in names:
        if name.lower() not in (known.lower() for known in unique):
            unique.append(name)
    core = [name.lower() for name in CORE_START_ORDER]
    return sorted(unique, key=lambda name: (core.index(name.lower()) if name.lower() in core else len(core), unique.index(name)))


def restart_services(host, names, timeout: int, poll: float = 1.0) -> dict:
    """Restart the running ones of ``names`` together: stop them in the reverse of :func:`start_order`, so that no service
    is stopped while one that depends on it runs, then start them in that order.  Returns {name: None (restarted) or the
    state it was left in (not running)}.  A missing service raises RemoteError before anything is stopped; when a stop
    fails, the services already stopped are started again before the error is raised."""
    ordered = start_order(names)
    states = {name: _state(host, name) for name in ordered}
    running = [name for name in ordered if states[name] == 'Running']
    stopped = []
    try:
        for name in reversed(running):
            _reach(host, name, 'stop', 'Stopped', timeout, poll)
            stopped.append(name)
    except RemoteError:
        for name in reversed(stopped):
            try:
                _reach(host, name, 'start', 'Running', timeout, poll)
            except RemoteError:
                pass            # the first error is the one to report; the server's state says the rest
        raise
    for name in running:
        _reach(host, name, 'start', 'Running', timeout, poll)
    return {name: (None if name in running else states[name]) for name in ordered}


def _state(host, name: str) -> str:
    state = host.service_state(name)
    if state is None:
        raise RemoteError(f'service {name} does not exist on this server', kind='not_found')
    return state


def _reach(host, name: str, action: str, wanted: str, timeout: int, poll: float) -> None:
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
