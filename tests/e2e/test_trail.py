# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The -vvv trail: an audit at -vvv shows one line per remote operation (host, transport, operation, result,
milliseconds); over winrm those lines are exactly the operations the simulator counted for each host; no password
appears; errors name the host once."""

from __future__ import annotations

import collections
import os
import re

import pytest
import yaml

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'trail.yml')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
SUBNETS = {'winrm': '127.0.120', 'smb': '127.0.121'}
# <address> exchange55 <transport>: <operation> -> <result> (<n> ms)
TRAIL = re.compile(r'^<(?P<address>[^>]+)> exchange55 (?P<transport>winrm|smb): (?P<operation>.+) -> (?P<result>.+) '
                   r'\((?P<ms>\d+) ms\)$', re.M)


@pytest.fixture(scope='module', name='audit', params=['winrm', 'smb'])
def verbose_audit(request, tmp_path_factory, env_factory):
    transport = request.param
    require_transport(transport)
    workdir = tmp_path_factory.mktemp(f'trail-{transport}')
    fleet = Fleet(transport, FLEET_FILE, str(workdir), SUBNETS[transport])
    try:
        hosts = fleet.hosts()
        before = fleet.stats() if transport == 'winrm' else None
        run = run_playbook(PLAYBOOK, fleet.inventory, env_factory(workdir), str(workdir / 'results'), '--check', '-vvv',
                           extra_vars={'q294406_report_dir': str(workdir / 'reports'),
                                       'q294406_backup_dir': str(workdir / 'backups')})
        after = fleet.stats() if transport == 'winrm' else None
        yield {'transport': transport, 'run': run, 'hosts': hosts, 'before': before, 'after': after}
    finally:
        fleet.stop()


def trail(run, transport):
    return [match for match in TRAIL.finditer(run.output) if match['transport'] == transport]


def test_every_operation_is_one_line_with_host_result_and_milliseconds(audit):
    assert audit['run'].rc == 0, audit['run'].output[-3000:]
    lines = trail(audit['run'], audit['transport'])
    addresses = {str(vars_['ansible_host']) for vars_ in audit['hosts'].values()}
    assert lines and {line['address'] for line in lines} == addresses
    for line in lines:
        assert line['operation'].strip() and line['result'].strip() and int(line['ms']) >= 0


def test_the_winrm_trail_holds_exactly_the_operations_the_simulator_counted(audit):
    if audit['transport'] != 'winrm':
        pytest.skip('the WS-Man simulator counts operations; Samba does not')
    by_address = collections.defaultdict(collections.Counter)
    for line in trail(audit['run'], 'winrm'):
        by_address[line['address']][line['operation'].split(' ', 1)[0]] += 1
    for name, host_vars in audit['hosts'].items():
        counted = collections.Counter(audit['after']['hosts'][name]['operations'])
        counted.subtract(audit['before']['hosts'].get(name, {}).get('operations', {}))
        counted = +counted
        assert counted, name
        assert by_address[str(host_vars['ansible_host'])] == counted, name
    # What a StdRegProv line says: the method, the hive and key, the value name, and the method's return code.
    key = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
    assert any(line['operation'] == f'StdRegProv.EnumValues {key}' and line['result'] == '0'
               for line in trail(audit['run'], 'winrm'))


def test_the_smb_trail_names_the_rpc_calls_and_their_status(audit):
    if audit['transport'] != 'smb':
        pytest.skip('smb only')
    lines = trail(audit['run'], 'smb')
    operations = {line['operation'] for line in lines}
    key = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
    # The login, the \\winreg pipe, the hive, the key, its values (MS-RRP 3.1.5.11 BaseRegEnumValue), Store.exe over C$.
    expected = {'RRP OpenLocalMachine HKLM', f'RRP BaseRegOpenKey {key}', f'RRP BaseRegEnumValue {key}',
                'SMB open pipe \\winreg + DCE/RPC bind', 'SMB connectTree share C$'}
    assert expected <= operations, sorted(operations)
    assert any(op.startswith('SMB negotiate + session setup (port ') for op in operations)
    # The value enumeration ends with ERROR_NO_MORE_ITEMS (259, MS-RRP 3.1.5.11), which the trail shows as its result.
    results = {(line['operation'], line['result']) for line in lines}
    assert any(op.startswith('RRP BaseRegEnumValue') and result == '259' for op, result in results), sorted(results)[:40]


def test_no_password_at_vvv(audit):
    passwords = {str(vars_['ansible_password']) for vars_ in audit['hosts'].values()}
    for password in passwords:
        assert password not in audit['run'].output


def test_an_unreachable_host_is_named_once_in_its_error(tmp_path, env_factory):
    inventory = tmp_path / 'inventory.yml'
    address = '127.0.124.1'  # nothing listens there
    with open(inventory, 'w', encoding='utf-8') as handle:
        yaml.safe_dump({'all': {'children': {'exchange55': {'hosts': {'exch-gone': {
            'ansible_host': address, 'ansible_user': 'Administrator', 'ansible_password': 'Exch55!Sim', 'ansible_port': 5985,
            'ansible_winrm_scheme': 'http', 'ansible_winrm_transport': 'ntlm', 'exchange55_transport': 'winrm',
            'exchange55_owa_url': f'http://{address}/exchange/'}}}}}}, handle)
    run = run_playbook(PLAYBOOK, str(inventory), env_factory(tmp_path), str(tmp_path / 'results'), '--check',
                       extra_vars={'q294406_report_dir': str(tmp_path / 'reports'), 'q294406_backup_dir': str(tmp_path / 'b')})
    assert run.rc != 0
    msg = re.search(r'fatal: \[exch-gone\]: FAILED! => .*?"msg": "([^"]*)"', run.output)
    assert msg, run.output[-3000:]
    assert msg.group(1).count(address) == 1, msg.group(1)
