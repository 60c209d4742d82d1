# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Every fault kind of the fleet file, seen by both clients, plus the statistics that count them."""

from __future__ import annotations

import socket
import time

import pytest
import requests
from pypsrp.exceptions import WinRMTransportError as PsrpTransportError
from winrm.exceptions import WinRMTransportError

from simhelpers import PARAMS_KEY, Fleet, PsrpClient, WinrmClient, return_value

SUBNET = '127.0.3'
HOSTS = {
    'slow': {'faults': {'latency_ms': 150, 'jitter_ms': 50}},
    'err500': {'faults': {'http_500_rate': 1.0}},
    'internal': {'faults': {'internal_error_rate': 1.0}},
    'reset': {'faults': {'reset_rate': 1.0}},
    'hung': {'faults': {'hang': True}},
    'lost': {'faults': {'lost_write': True}},
    'nowmi': {'faults': {'access_denied': True}},
    'seed-a': {'faults': {'internal_error_rate': 0.5, 'seed': 42}},
    'seed-b': {'faults': {'internal_error_rate': 0.5, 'seed': 42}},
    'seed-c': {'faults': {'internal_error_rate': 0.5, 'seed': 43}},
    'counted': {},
    'counted-psrp': {},
    'owa-bytes': {},
}
CLIENTS = {'pywinrm': WinrmClient, 'pypsrp': PsrpClient}


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    defaults = {'username': 'Administrator', 'password': 'Exch55!Sim', 'owa': {'ssl_required': True},
                'registry': {'HKLM\\' + PARAMS_KEY: {'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'}}}}
    running = Fleet(str(tmp_path_factory.mktemp('faults')), {'defaults': defaults, 'hosts': HOSTS}, SUBNET, extra=('--owa-port', '8080'))
    yield running
    assert running.stop() == 0


@pytest.fixture(params=list(CLIENTS))
def connect(request, fleet):
    """connect(host, timeout=20) -> a client of the parametrized kind for that host."""
    return lambda host, timeout=20: CLIENTS[request.param](fleet.hostvars[host], timeout=timeout)


def read(client) -> dict:
    return client.reg('GetStringValue', sValueName='DB Path')


def test_latency_and_jitter_delay_every_request(connect):
    client = connect('slow')
    started = time.monotonic()
    read(client)            # handshake (3 HTTP requests) + the operation, each delayed
    first = time.monotonic() - started
    started = time.monotonic()
    assert return_value(read(client)) == 0
    second = time.monotonic() - started
    assert first >= 4 * 0.150
    assert 0.150 <= second < 0.150 + 0.050 + 1.0     # generous: the machine may be busy


def test_http_500_rate_gives_a_500_without_a_soap_fault(connect):
    client = connect('err500')
    with pytest.raises((WinRMTransportError, PsrpTransportError)) as raised:
        read(client)
    assert raised.value.code == 500 and 'HTTP Error 500' in raised.value.response_text


@pytest.mark.parametrize('host, code', [
    ('internal', 2150859174),     # internal_error_rate: w:InternalError, "maximum number of concurrent operations"
    ('nowmi', 2147942405),        # access_denied: WMI's access-denied fault
])
def test_injected_faults_reach_the_client_as_wsman_faults(connect, host, code):
    client = connect(host)
    with pytest.raises(client.fault_type) as raised:
        read(client)
    assert client.fault_code(raised.value) == code


def test_reset_rate_resets_the_connection_mid_request(connect):
    client = connect('reset')
    with pytest.raises(requests.exceptions.ConnectionError):
        read(client)


def test_a_hung_host_accepts_and_never_answers(connect):
    client = connect('hung', timeout=2)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        read(client)
    assert time.monotonic() - started >= 2


def test_lost_write_reports_success_and_stores_nothing(connect, fleet):
    client = connect('lost')
    assert return_value(client.reg('SetStringValue', sValueName='OWA Url Protocol', sValue='https:')) == 0
    assert return_value(client.reg('GetStringValue', sValueName='OWA Url Protocol')) == 1
    assert return_value(client.reg('CreateKey', key=PARAMS_KEY + '\\New')) == 0
    assert return_value(client.reg('EnumKey', key=PARAMS_KEY + '\\New')) == 2
    assert 'OWA Url Protocol' not in fleet.state('lost')['registry']['HKLM\\' + PARAMS_KEY]


def test_a_seed_makes_the_fault_sequence_reproducible(fleet):
    def outcomes(host: str) -> list[str]:
        client, seen = WinrmClient(fleet.hostvars[host]), []
        for _attempt in range(16):
            try:
                read(client)
                seen.append('ok')
            except client.fault_type:
                seen.append('fault')
        return seen

    first, again, other = outcomes('seed-a'), outcomes('seed-b'), outcomes('seed-c')
    assert first == again and first != other
    assert 'ok' in first and 'fault' in first
    stats = fleet.stats()['hosts']
    assert stats['seed-a']['injected'] == stats['seed-b']['injected'] == {'internal_error': first.count('fault')}


def test_statistics_count_requests_bytes_and_operations(fleet):
    for host, client_class in (('counted', WinrmClient), ('counted-psrp', PsrpClient)):
        assert return_value(read(client_class(fleet.hostvars[host]))) == 0
    request = b'GET /exchange/ HTTP/1.1\r\nHost: owa\r\nConnection: close\r\n\r\n'
    with socket.create_connection((fleet.hostvars['owa-bytes']['ansible_host'], 8080)) as sock:
        sock.sendall(request)
        response = b''
        while chunk := sock.recv(65536):
            response += chunk
    assert response.startswith(b'HTTP/1.1 403 Access Forbidden\r\n')      # IIS's reason phrase (Nessus owa-version.nasl)
    stats = fleet.stats()
    for host in ('counted', 'counted-psrp'):
        counted = stats['hosts'][host]
        # 401 without credentials, 401 with the challenge, 200 for the context set-up POST, 200 for the operation
        assert counted['status'] == {'401': 2, '200': 2} and counted['requests'] == 4 and counted['connections'] == 1
        assert counted['operations'] == {'StdRegProv.GetStringValue': 1} and counted['auth_failures'] == 0
        assert counted['bytes_in'] > 0 and counted['bytes_out'] > 0
    owa = stats['hosts']['owa-bytes']
    assert (owa['requests'], owa['bytes_in'], owa['bytes_out'], owa['status']) == (1, len(request), len(response), {'403': 1})
    assert stats['totals']['requests'] == sum(h['requests'] for h in stats['hosts'].values())
    assert stats['hosts']['hung']['requests'] == 0 and stats['hosts']['hung']['connections'] >= 2
    assert stats['hosts']['err500']['injected'] == {'http_500': 2} and stats['hosts']['reset']['injected'] == {'reset': 2}
    assert stats['hosts']['nowmi']['injected'] == {'access_denied': 2}
