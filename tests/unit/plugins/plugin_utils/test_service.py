# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""restart_service: stop, wait, start, wait; a missing service and a service that never stops.  restart_services: several
services stopped in the reverse of Exchange's start order, then started in it."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._service import restart_service, restart_services, start_order
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import FakeHost


def test_restart_stops_then_starts():
    host = FakeHost(services={'MSExchangeIS': 'Running'})
    restart_service(host, 'MSExchangeIS', timeout=5, poll=0)
    assert [call[2] for call in host.calls if call[0] == 'control_service'] == ['stop', 'start']
    assert host.service_state('MSExchangeIS') == 'Running'


@pytest.mark.parametrize('state', ['Stopped', 'Paused', 'Stop Pending'])
def test_a_service_that_is_not_running_is_left_as_it_is(state):
    # a restart restarts a running service; one stopped or paused on purpose stays so (issue 11 item 7)
    host = FakeHost(services={'MSExchangeIS': state})
    assert restart_service(host, 'MSExchangeIS', timeout=5, poll=0) == state
    assert [call for call in host.calls if call[0] == 'control_service'] == []
    assert host.service_state('MSExchangeIS') == state


def test_a_missing_service_is_not_found():
    host = FakeHost(services={'MSExchangeIS': 'Running'})
    host.control_service = lambda name, action: host.services.pop(name.lower())
    with pytest.raises(RemoteError) as raised:
        restart_service(host, 'MSExchangeIS', timeout=5, poll=0)
    assert raised.value.kind == 'not_found'


def test_a_service_that_never_stops_times_out():
    host = FakeHost(services={'MSExchangeIS': 'Running'})
    host.control_service = lambda name, action: host.services.__setitem__(name.lower(), 'Stop Pending')
    with pytest.raises(RemoteError) as raised:
        restart_service(host, 'MSExchangeIS', timeout=0, poll=0)
    assert raised.value.kind == 'timeout' and 'Stop Pending' in str(raised.value)


def test_start_order_puts_the_core_services_first_in_the_order_they_start():
    assert start_order(['MSExchangeIMC', 'MSExchangeIS', 'msexchangemta', 'MSExchangeSA', 'MSExchangeDS', 'MSExchangeIS']) == \
        ['MSExchangeSA', 'MSExchangeDS', 'MSExchangeIS', 'msexchangemta', 'MSExchangeIMC']


def test_restart_services_stops_in_reverse_order_then_starts_and_leaves_a_stopped_one():
    host = FakeHost(services={'MSExchangeSA': 'Running', 'MSExchangeDS': 'Running', 'MSExchangeIS': 'Running',
                              'MSExchangeMTA': 'Stopped'})
    states = restart_services(host, ['MSExchangeIS', 'MSExchangeMTA', 'MSExchangeSA', 'MSExchangeDS'], timeout=5, poll=0)
    assert states == {'MSExchangeSA': None, 'MSExchangeDS': None, 'MSExchangeIS': None, 'MSExchangeMTA': 'Stopped'}
    assert [(call[1], call[2]) for call in host.calls if call[0] == 'control_service'] == [
        ('MSExchangeIS', 'stop'), ('MSExchangeDS', 'stop'), ('MSExchangeSA', 'stop'),
        ('MSExchangeSA', 'start'), ('MSExchangeDS', 'start'), ('MSExchangeIS', 'start')]
    assert host.service_state('MSExchangeMTA') == 'Stopped' and host.service_state('MSExchangeSA') == 'Running'


def test_restart_services_checks_every_service_before_stopping_any():
    host = FakeHost(services={'MSExchangeIS': 'Running'})
    with pytest.raises(RemoteError) as raised:
        restart_services(host, ['MSExchangeIS', 'MSExchangeIMC'], timeout=5, poll=0)
    assert raised.value.kind == 'not_found' and [call for call in host.calls if call[0] == 'control_service'] == []


def test_a_failed_stop_starts_again_what_was_stopped():
    host = FakeHost(services={'MSExchangeDS': 'Running', 'MSExchangeIS': 'Running'})
    control = host.control_service

    def refuse_ds(name, action):
        if name == 'MSExchangeDS' and action == 'stop':
            raise RemoteError('the service cannot accept the control', kind='protocol')
        control(name, action)
    host.control_service = refuse_ds
    with pytest.raises(RemoteError):
        restart_services(host, ['MSExchangeDS', 'MSExchangeIS'], timeout=5, poll=0)
    assert host.service_state('MSExchangeIS') == 'Running' and host.service_state('MSExchangeDS') == 'Running'
