# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The serve contract: inventory, CA, OWA pages, Identify, encryption policy, signals, state across a restart,
start-up failures that overwrite nothing."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET

import pytest
import requests
from cryptography import x509
from winrm.exceptions import InvalidCredentialsError
from winrm.protocol import Protocol

from simhelpers import EXAMPLE_FLEET, FLEET_PY, NS, PARAMS_KEY, REG_URI, Fleet, WinrmClient, envelope, return_value
from winsim import owa as owa_pages

EXAMPLE_SUBNET = '127.0.4'
RESTART_SUBNET = '127.0.5'
IDENTIFY = '<wsmid:Identify xmlns:wsmid="http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"/>'


@pytest.fixture(scope='module')
def example(tmp_path_factory):
    """fleets/example.yml on the default ports (80, 5985, 5986)."""
    running = Fleet(str(tmp_path_factory.mktemp('example')), EXAMPLE_FLEET, EXAMPLE_SUBNET)
    yield running
    assert running.stop() == 0


def test_inventory_has_every_host_with_its_connection_variables(example):
    hostvars = example.hostvars
    assert list(hostvars) == ['ex-compliant', 'ex-absent', 'ex-expand-sz', 'ex-http', 'ex-sp3', 'ex-store-80', 'ex-store-2656',
                              'ex-no-exchange', 'ex-owa-plain', 'ex-owa-unknown', 'ex-write-denied', 'ex-lost-write', 'ex-hung', 'ex-https']
    assert hostvars['ex-compliant'] == {
        'ansible_host': '127.0.4.1', 'ansible_port': 5985, 'ansible_user': 'Administrator', 'ansible_password': 'Exch55!Sim',
        'ansible_connection': 'winrm', 'ansible_winrm_scheme': 'http', 'ansible_winrm_transport': 'ntlm',
        'ansible_winrm_server_cert_validation': 'validate', 'exchange55_transport': 'winrm',
        'exchange55_owa_url': 'http://127.0.4.1/exchange/'}
    https = hostvars['ex-https']
    assert (https['ansible_host'], https['ansible_port'], https['ansible_winrm_scheme'], https['ansible_winrm_transport']) == (
        '127.0.4.14', 5986, 'https', 'basic')
    assert https['ansible_winrm_ca_trust_path'] == example.ca_path
    with open(example.ca_path, 'rb') as handle:
        ca = x509.load_pem_x509_certificate(handle.read())
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert example.stdout[0] == f'STATE_DIR {example.state_dir}' and example.stdout[-1] == 'READY'
    assert sorted(os.listdir(example.state_dir)) == sorted(f'{name}.json' for name in hostvars)


def test_https_certificate_names_the_host_ip_and_is_validated(example):
    https = example.hostvars['ex-https']
    response = requests.post(f'https://{https["ansible_host"]}:5986/wsman', verify=example.ca_path, timeout=10)
    assert response.status_code == 401 and 'Basic realm="WSMAN"' in response.headers['WWW-Authenticate']
    with pytest.raises(requests.exceptions.SSLError):
        requests.post(f'https://{https["ansible_host"]}:5986/wsman', timeout=10)       # not trusted without the fleet CA


def test_owa_pages_answer_like_iis(example):
    def get(host: str) -> requests.Response:
        return requests.get(example.hostvars[host]['exchange55_owa_url'], timeout=5)

    ssl_only = get('ex-compliant')
    assert (ssl_only.status_code, ssl_only.reason, ssl_only.text) == (403, 'Access Forbidden', owa_pages.DEFAULT_403_4)
    assert '403.4 Forbidden: SSL required' in ssl_only.text          # Q224389's text
    plain = get('ex-owa-plain')
    assert plain.status_code == 200 and 'Outlook Web Access' in plain.text
    with pytest.raises(requests.exceptions.ConnectionError):
        get('ex-owa-unknown')
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(example.hostvars['ex-hung']['exchange55_owa_url'], timeout=1)
    assert requests.get('http://127.0.4.1/other', timeout=5).status_code == 404


def test_identify_with_and_without_authentication(example):
    url = 'http://127.0.4.2:5985/wsman'
    body = envelope(None, None, IDENTIFY)
    headers = {'Content-Type': 'application/soap+xml;charset=UTF-8', 'WSMANIDENTIFY': 'unauthenticated'}
    anonymous = requests.post(url, data=body, headers=headers, timeout=5)
    assert anonymous.status_code == 200
    assert ET.fromstring(anonymous.content).find('s:Body', NS)[0].tag == '{http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd}IdentifyResponse'
    refused = requests.post(url, data=body, headers={'Content-Type': 'application/soap+xml;charset=UTF-8'}, timeout=5)
    assert refused.status_code == 401 and refused.headers['WWW-Authenticate'] == 'Negotiate'
    signed_in = WinrmClient(example.hostvars['ex-absent']).send(None, None, IDENTIFY)
    assert signed_in.find('s:Body/{http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd}IdentifyResponse', NS) is not None


def test_response_action_and_relates_to(example):
    message_id = f'uuid:{uuid.uuid4()}'
    request = f'<p:EnumValues_INPUT xmlns:p="{REG_URI}"><p:sSubKeyName>{PARAMS_KEY}</p:sSubKeyName></p:EnumValues_INPUT>'
    root = WinrmClient(example.hostvars['ex-absent']).send(f'{REG_URI}/EnumValues', REG_URI, request, message_id=message_id)
    assert root.findtext('s:Header/a:Action', None, NS) == f'{REG_URI}/EnumValuesResponse'
    assert root.findtext('s:Header/a:RelatesTo', None, NS) == message_id


def test_local_account_names_with_a_domain_part_log_on(example):
    for user in ('EX-ABSENT\\Administrator', '.\\administrator'):
        hostvars = {**example.hostvars['ex-absent'], 'ansible_user': user}
        assert return_value(WinrmClient(hostvars).reg('GetStringValue', sValueName='DB Path')) == 0
    with pytest.raises(InvalidCredentialsError):
        WinrmClient({**example.hostvars['ex-absent'], 'ansible_user': 'OTHERHOST\\Administrator'}).reg('GetStringValue', sValueName='DB Path')


def test_plain_http_needs_message_encryption_and_refuses_basic(example):
    hostvars = example.hostvars['ex-absent']
    body = envelope(f'{REG_URI}/EnumKey', REG_URI, f'<p:EnumKey_INPUT xmlns:p="{REG_URI}"/>')
    for transport, encryption in (('ntlm', 'never'), ('basic', 'auto')):
        protocol = Protocol('http://127.0.4.2:5985/wsman', transport=transport, username=hostvars['ansible_user'],
                            password=hostvars['ansible_password'], message_encryption=encryption, ca_trust_path=None)
        with pytest.raises(InvalidCredentialsError):
            protocol.send_message(body)


def test_q294406_cases_read_as_expected(example):
    def owa_value(host: str) -> dict:
        return WinrmClient(example.hostvars[host]).reg('GetStringValue', sValueName='OWA Url Protocol')

    assert owa_value('ex-compliant')['sValue'] == ['https:']
    assert return_value(owa_value('ex-absent')) == 1
    assert owa_value('ex-expand-sz') == {'sValue': ['https:'], 'ReturnValue': ['0']}     # GetStr reads REG_EXPAND_SZ too
    assert owa_value('ex-http')['sValue'] == ['http:']
    assert return_value(owa_value('ex-no-exchange')) == 2
    versions = {host: WinrmClient(example.hostvars[host]).get('CIM_DataFile', Name='C:\\exchsrvr\\bin\\store.exe')['Version']
                for host in ('ex-sp3', 'ex-store-80', 'ex-store-2656')}
    assert versions == {'ex-sp3': '5.5.2650.21', 'ex-store-80': '5.5.2654.80', 'ex-store-2656': '5.5.2656.84'}
    denied = WinrmClient(example.hostvars['ex-write-denied'])
    assert return_value(denied.reg('SetStringValue', sValueName='OWA Url Protocol', sValue='https:')) == 5


def _exchange(address: str, port: int, request: bytes) -> bytes:
    with socket.create_connection((address, port), timeout=5) as sock:
        sock.sendall(request)
        response = b''
        while chunk := sock.recv(65536):
            response += chunk
    return response


def test_http_edge_cases(example):
    address = example.hostvars['ex-absent']['ansible_host']
    assert requests.get(f'http://{address}:5985/wsman', timeout=5).status_code == 405
    assert requests.post(f'http://{address}:5985/other', timeout=5).status_code == 404
    too_big = _exchange(address, 5985, b'POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 3000000\r\n\r\n')
    assert too_big.startswith(b'HTTP/1.1 413 ') and b'Connection: close' in too_big
    assert _exchange(address, 5985, b'NONSENSE\r\n\r\n').startswith(b'HTTP/1.1 400 ')
    body = envelope(None, None, IDENTIFY).encode()
    chunked = b''.join(b'%x\r\n%s\r\n' % (len(part), part) for part in (body[:100], body[100:])) + b'0\r\n\r\n'
    answer = _exchange(address, 5985, b'POST /wsman HTTP/1.1\r\nHost: x\r\nWSMANIDENTIFY: unauthenticated\r\nConnection: close\r\n'
                                      b'Transfer-Encoding: chunked\r\n\r\n' + chunked)
    assert answer.startswith(b'HTTP/1.1 200 OK') and b'IdentifyResponse' in answer


def _small_fleet() -> dict:
    return {'defaults': {'username': 'Administrator', 'password': 'Exch55!Sim', 'services': {'MSExchangeIS': {}}},
            'hosts': {'keeper': {'registry': {'HKLM\\' + PARAMS_KEY: {}}}, 'other': {}}}


def test_state_survives_a_restart_and_signals_stop_cleanly(tmp_path):
    first = Fleet(str(tmp_path / 'one'), _small_fleet(), RESTART_SUBNET)
    client = WinrmClient(first.hostvars['keeper'])
    assert return_value(client.reg('SetStringValue', sValueName='OWA Url Protocol', sValue='https:')) == 0
    assert return_value(client.invoke('http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Service', 'StopService',
                                      selectors={'Name': 'MSExchangeIS'})) == 0
    # An idle keep-alive connection and a half-sent request must not delay the stop.
    idle = socket.create_connection(('127.0.5.2', 5985))
    idle.sendall(b'POST /wsman HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n<s:Env')
    started = time.monotonic()
    assert first.stop(signal.SIGINT) == 0
    assert time.monotonic() - started < 3
    idle.close()
    with open(os.path.join(first.state_dir, '_stats.json'), encoding='utf-8') as handle:
        stats = json.load(handle)
    assert stats['hosts']['keeper']['operations'] == {'StdRegProv.SetStringValue': 1, 'Win32_Service.StopService': 1}
    saved = first.state('keeper')
    assert saved['registry']['HKLM\\' + PARAMS_KEY] == {'OWA Url Protocol': {'type': 'REG_SZ', 'data': 'https:'}}
    assert saved['services'] == {'MSExchangeIS': {'state': 'Stopped', 'start_mode': 'Auto'}}
    assert 'Exch55!Sim' not in json.dumps(saved)

    second = Fleet(str(tmp_path / 'two'), _small_fleet(), RESTART_SUBNET, state_dir=first.state_dir)
    client = WinrmClient(second.hostvars['keeper'])
    assert client.reg('GetStringValue', sValueName='OWA Url Protocol')['sValue'] == ['https:']
    assert client.get('Win32_Service', Name='MSExchangeIS')['State'] == 'Stopped'
    assert second.stop() == 0


def test_startup_failures_exit_1_in_one_line_and_overwrite_nothing(tmp_path):
    running = Fleet(str(tmp_path / 'running'), _small_fleet(), RESTART_SUBNET)
    try:
        snapshot = {path: pathlib.Path(path).read_bytes() for path in (running.inventory_path, running.ca_path, os.path.join(running.state_dir, 'keeper.json'))}
        clash = subprocess.run([sys.executable, FLEET_PY, 'serve', '--fleet', running.fleet_path, '--inventory', running.inventory_path,
                                '--state-dir', running.state_dir, '--subnet', RESTART_SUBNET], capture_output=True, text=True, timeout=60, check=False)
        assert clash.returncode == 1
        assert clash.stderr == 'fleet.py: error: cannot listen on 127.0.5.1:5985 for host keeper: Address already in use\n'
        assert 'READY' not in clash.stdout
        assert snapshot == {path: pathlib.Path(path).read_bytes() for path in snapshot}
        assert not os.path.exists(os.path.join(running.state_dir, '_stats.json'))
    finally:
        assert running.stop() == 0
    with open(os.path.join(running.state_dir, 'keeper.json'), 'w', encoding='utf-8') as handle:
        handle.write('{"registry": {"NOTAHIVE\\\\X": {}}}')
    broken = subprocess.run([sys.executable, FLEET_PY, 'serve', '--fleet', running.fleet_path, '--inventory', str(tmp_path / 'i.yml'),
                             '--state-dir', running.state_dir, '--subnet', RESTART_SUBNET], capture_output=True, text=True, timeout=60, check=False)
    assert broken.returncode == 1 and broken.stderr.count('\n') == 1
    assert f'state file {running.state_dir}/keeper.json cannot be used' in broken.stderr and 'delete it' in broken.stderr


def test_without_state_dir_a_temporary_one_is_used_and_printed(tmp_path):
    process = subprocess.Popen([sys.executable, FLEET_PY, 'serve', '--fleet', EXAMPLE_FLEET, '--inventory', str(tmp_path / 'inv.yml'),
                                '--subnet', '127.0.6', '--owa-port', '8081'], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    state_dir = None
    try:
        first = process.stdout.readline().strip()
        assert first.startswith('STATE_DIR ')
        state_dir = first.split(' ', 1)[1]
        assert process.stdout.readline().strip() == 'READY'
        assert os.path.exists(os.path.join(state_dir, 'ex-compliant.json')) and (tmp_path / 'inv-ca.pem').exists()
        process.send_signal(signal.SIGTERM)
        assert process.wait(20) == 0
    finally:
        if process.poll() is None:
            process.kill()
        if state_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
