# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One process serves 500 hosts: it starts, every host answers an authenticated request, it stays
responsive under parallel clients, and SIGTERM stops it cleanly with every state file intact."""

from __future__ import annotations

import concurrent.futures
import json
import os
import threading
import time

import pytest
import requests

from simhelpers import PARAMS_KEY, Fleet, WinrmClient, envelope, return_value

HOSTS = 500
IDENTIFY = '<wsmid:Identify xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"/>'


@pytest.fixture(scope='module')
def big_fleet(tmp_path_factory):
    defaults = {
        'username': 'Administrator', 'password': 'Exch55!Sim', 'owa': {'ssl_required': True},
        'registry': {'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup': {'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653}},
                     'HKLM\\' + PARAMS_KEY: {'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'}}},
        'files': {'C:\\exchsrvr\\bin\\store.exe': {'version': '5.5.2654.81'}},
        'services': {'MSExchangeIS': {}},
    }
    hosts = {f'ex{i:03d}': ({'scheme': 'https', 'auth': 'basic'} if i % 10 == 0 else {}) for i in range(HOSTS)}
    running = Fleet(str(tmp_path_factory.mktemp('scale')), {'defaults': defaults, 'hosts': hosts}, '127.0.7', extra=('--owa-port', '8082'))
    yield running
    if running.process.poll() is None:
        running.stop()


def test_500_hosts_start_answer_and_stop_cleanly(big_fleet):
    measured = {'hosts': HOSTS, 'startup_seconds': round(big_fleet.startup_seconds, 2), 'rss_mib_idle': round(big_fleet.rss_kib() / 1024, 1)}
    assert big_fleet.startup_seconds < 30
    assert big_fleet.hostvars['ex499']['ansible_host'] == '127.0.8.246'

    def one_host(name: str) -> str:
        client = WinrmClient(big_fleet.hostvars[name])
        output = client.reg('GetStringValue', sValueName='DB Path')
        assert return_value(output) == 0
        assert return_value(client.reg('SetStringValue', sValueName='OWA Url Protocol', sValue='https:')) == 0
        return output['sValue'][0]

    # Every host answers, from 16 parallel clients; meanwhile a probe checks that the loop stays responsive.
    latencies, stop_probe = [], threading.Event()

    def probe() -> None:
        body = envelope(None, None, IDENTIFY)
        headers = {'Content-Type': 'application/soap+xml;charset=UTF-8', 'WSMANIDENTIFY': 'unauthenticated'}
        while not stop_probe.is_set():
            started = time.monotonic()
            assert requests.post('http://127.0.7.2:5985/wsman', data=body, headers=headers, timeout=10).status_code == 200
            latencies.append(time.monotonic() - started)
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(one_host, big_fleet.hostvars))
    measured['all_hosts_seconds'] = round(time.monotonic() - started, 2)
    stop_probe.set()
    prober.join()
    assert answers == ['C:\\exchsrvr\\mdbdata\\priv.edb'] * HOSTS
    measured['probe_max_ms'] = round(max(latencies) * 1000)
    measured['probe_median_ms'] = round(sorted(latencies)[len(latencies) // 2] * 1000)
    assert max(latencies) < 2.0
    owa = requests.get(big_fleet.hostvars['ex499']['exchange55_owa_url'], timeout=5)
    assert owa.status_code == 403
    stats = big_fleet.stats()
    operations = {name: {op: n for op, n in stats['hosts'][name]['operations'].items() if op != 'Identify'} for name in big_fleet.hostvars}
    assert all(ops == {'StdRegProv.GetStringValue': 1, 'StdRegProv.SetStringValue': 1} for ops in operations.values())
    assert stats['hosts']['ex001']['operations']['Identify'] == len(latencies)
    measured['rss_mib_after_load'] = round(big_fleet.rss_kib() / 1024, 1)

    started = time.monotonic()
    assert big_fleet.stop() == 0
    measured['stop_seconds'] = round(time.monotonic() - started, 2)
    assert measured['stop_seconds'] < 5
    for name in big_fleet.hostvars:
        with open(os.path.join(big_fleet.state_dir, f'{name}.json'), encoding='utf-8') as handle:
            state = json.load(handle)
        assert state['registry']['HKLM\\' + PARAMS_KEY]['OWA Url Protocol'] == {'type': 'REG_SZ', 'data': 'https:'}
    leftovers = [n for n in os.listdir(big_fleet.state_dir) if n.startswith('.')]
    assert leftovers == []      # no half-written temporary files
    print('\nSCALE', json.dumps(measured))
