# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Nothing lost, whatever the server or the user does: the role, the rollback and the modules end to end, over
both transports, against servers and inventories built to break them.

The inventory renames four servers to host names outside ``[A-Za-z0-9._-]`` (two of which the old mapping sent
to one directory), adds hosts whose variables are wrong in the ways users get them wrong, and a server whose
``OWA Url Protocol`` holds a control character, and one of 200,000 characters. The playbooks run
from a working directory with a relative backup directory and a ``~`` report directory, as users run them.

Two servers fail on purpose: one fails every operation after its first write, one answers every message 1.5 s late.
The WinRM simulator injects those faults itself; over smb the Samba host is reached through a relay
(tests/smbhost/relay.py) that drops every DCE/RPC request after the write (the read-back and every retry lose their
connection), or holds every message 1.5 s.
"""

from __future__ import annotations

import json
import os
import sys
import xml.etree.ElementTree as ET

import pytest
import yaml

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'smbhost'))
from relay import DROP, Relay  # noqa: E402  pylint: disable=wrong-import-position,import-error

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
NAME = 'OWA Url Protocol'
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
ROLLBACK = os.path.join(REPO_ROOT, 'playbooks', 'q294406_rollback.yml')
MODULE_PLAYBOOKS = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks')
SUBNETS = {'winrm': '127.0.111', 'smb': '127.0.112'}
# fleet host -> inventory name
ODD_NAMES = {'odd1': 'norm@05', 'odd2': 'norm 07', 'odd3': 'col@x', 'odd4': 'col_x'}
CONTROL = 'http:\x01\x1b[0m'
HUGE = 'h' * 200000
CR_DATA = 'https:\r\nX\r'
EXPAND_RAW = '%SystemRoot%\\owa'
# per-host role variables of the hosts that test one option each
HOST_VARIABLES = {'stopped_is': {'q294406_restart_information_store': True}, 'unencodable_utf16': {'q294406_backup_encoding': 'utf-16'},
                  'fails_after_write': {'q294406_retries': 1, 'q294406_retry_delay': 0}, 'slow': {'q294406_task_timeout': 3}}
# inventory host -> (variables that break it, error_kind, the name the message starts with)
WATCHED = ['control_char', 'expand_raw', 'binary_prior', 'unencodable', 'unencodable_utf16']
BAD_HOSTS = {
    'bad_user': ({'ansible_user': 'EXCHLAB\\'}, 'invalid_option', 'ansible_user'),
    'blank_user': ({'ansible_user': ' '}, 'invalid_option', 'ansible_user'),
    'at_user': ({'ansible_user': '@'}, 'invalid_option', 'ansible_user'),
    'blank_host': ({'ansible_host': ' '}, 'invalid_option', 'ansible_host'),
    'zero_smb_port': ({'exchange55_smb_port': 0}, 'invalid_option', 'exchange55_smb_port'),
    'bad_choice': ({'q294406_owa_ssl_required': 'yes'}, 'no_result', None),
}


def fleet_file(workdir, transport: str) -> str:
    base = {'registry': {KEY: {NAME: {'type': 'REG_SZ', 'data': 'http:'}}}}
    hosts = {name: base for name in ODD_NAMES}
    hosts['control_char'] = {'registry': {KEY: {NAME: {'type': 'REG_SZ', 'data': CONTROL}}}}
    hosts['cr_target'] = {}
    hosts['spare'] = {}
    hosts['expand_raw'] = {'registry': {KEY: {NAME: {'type': 'REG_EXPAND_SZ', 'data': EXPAND_RAW}}}}
    hosts['binary_prior'] = {'registry': {KEY: {NAME: {'type': 'REG_BINARY', 'data': '01 02 fe'}}}}
    hosts['stopped_is'] = {'services': {'MSExchangeIS': {'state': 'Stopped'}}}
    hosts['unencodable'] = {'registry': {KEY: {'Сервер': {'type': 'REG_SZ', 'data': 'Москва'}}}}
    hosts['unencodable_utf16'] = hosts['unencodable']
    hosts['huge'] = {'registry': {KEY: {NAME: {'type': 'REG_SZ', 'data': HUGE}}}}
    # over smb these two are reached through a relay that makes the fault (smb_relays)
    hosts['fails_after_write'] = {'faults': {'fail_after_write': True}} if transport == 'winrm' else {}
    hosts['slow'] = {'faults': {'latency_ms': 1500}} if transport == 'winrm' else {}
    with open(os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'matrix.yml'), encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)['defaults']
    path = os.path.join(str(workdir), f'fleet-{transport}.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump({'defaults': defaults, 'hosts': hosts}, handle, allow_unicode=False)
    return path


class DropAfterWrite:
    """A relay rewrite: forward everything until the client sends MS-RRP BaseRegSetValue (opnum 22), then drop the
    connection at every later SMB_COM_TRANSACTION (the DCE/RPC calls): the write reaches the server, the read-back and
    every retry of it lose their connection, as with a server that fails after each write."""

    SET_VALUE = 22

    def __init__(self):
        self.written = False

    def __call__(self, direction, index, message):
        if direction != 'c2s' or message[:4] != b'\xffSMB' or message[4] != 0x25:
            return None
        if self.written:
            return DROP
        rpc = message.find(b'\x05\x00\x00\x03\x10\x00\x00\x00')      # a DCE/RPC request PDU, one fragment, little-endian
        if rpc >= 0 and int.from_bytes(message[rpc + 22:rpc + 24], 'little') == self.SET_VALUE:
            self.written = True
        return None


def smb_relays(hosts: dict, subnet: str) -> list:
    """Put the smb hosts ``fails_after_write`` and ``slow`` behind relays that make their faults; return the relays."""
    relays = []
    for number, (name, options) in enumerate((('fails_after_write', {'rewrite': DropAfterWrite()}), ('slow', {'delay_ms': 1500})), 201):
        target = (hosts[name]['ansible_host'], int(hosts[name].get('exchange55_smb_port', 445)))
        relay = Relay(listen=(f'{subnet}.{number}', target[1]), target=target, **options).start()
        hosts[name]['ansible_host'] = relay.address[0]
        relays.append(relay)
    return relays


def registry(fleet: Fleet, host: str) -> dict:
    return fleet.registry(host, KEY)


def value_in(values: dict):
    return next((value for name, value in values.items() if name.lower() == NAME.lower()), None)


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def scenario(request, tmp_path_factory, env_factory):
    transport = request.param
    require_transport(transport)
    workdir = tmp_path_factory.mktemp(f'lost-{transport}')
    fleet = Fleet(transport, fleet_file(workdir, transport), str(workdir), SUBNETS[transport])
    request.addfinalizer(fleet.stop)
    with open(fleet.inventory, encoding='utf-8') as handle:
        inventory = yaml.safe_load(handle)
    hosts = inventory['all']['children']['exchange55']['hosts']
    for fleet_name, odd in ODD_NAMES.items():
        hosts[odd] = hosts.pop(fleet_name)
    if transport == 'smb':
        for relay in smb_relays(hosts, SUBNETS[transport]):
            request.addfinalizer(relay.stop)
    for name, (variables, _kind, _var) in BAD_HOSTS.items():
        hosts[name] = dict(hosts['spare'], **variables)
    hosts['wrong_password'] = dict(hosts['spare'], ansible_password='not-the-password')
    del hosts['spare']
    for name, variables in hosts.items():
        variables.setdefault('q294406_owa_ssl_required', 'true')
        variables.update(HOST_VARIABLES.get(name, {}))
    with open(fleet.inventory, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(inventory, handle, allow_unicode=True)

    home = workdir / 'home'
    home.mkdir()
    env = dict(env_factory(workdir), HOME=str(home))
    runs = {'transport': transport, 'fleet': fleet, 'workdir': workdir, 'home': home,
            'initial': {fleet_name: registry(fleet, fleet_name) for fleet_name in list(ODD_NAMES) + WATCHED}}
    common = {'q294406_backup_dir': 'backups', 'q294406_report_dir': '~/reports', 'q294406_connect_timeout': 5}
    limit = ()

    def play(name, playbook, *args, **extra):
        runs[name] = run_playbook(playbook, fleet.inventory, env, str(workdir / f'results-{name}'), *args, *limit,
                                  extra_vars=dict(common, **dict({'q294406_report_name': name}, **extra)), cwd=str(workdir))

    play('bad_report', PLAYBOOK, '--limit', 'norm@05', q294406_report_name='../x')
    runs['after_bad_report'] = registry(fleet, 'odd1')
    play('audit', PLAYBOOK, '--check')
    runs['after_audit'] = {fleet_name: registry(fleet, fleet_name) for fleet_name in runs['initial']}
    play('apply', PLAYBOOK)
    if transport == 'winrm':
        with open(os.path.join(fleet.state_dir, 'stopped_is.json'), encoding='utf-8') as handle:
            runs['services_after_apply'] = json.load(handle)['services']['MSExchangeIS']['state']
    runs['after_apply'] = {fleet_name: registry(fleet, fleet_name) for fleet_name in runs['initial']}
    play('rollback', ROLLBACK)
    runs['after_rollback'] = {fleet_name: registry(fleet, fleet_name) for fleet_name in runs['initial']}
    if transport == 'smb':
        runs['raw_after_rollback'] = {name: fleet.raw_values(name, KEY) for name in ('expand_raw', 'binary_prior')}
    play('rollback_expanded', ROLLBACK, '--limit', 'expand_raw', q294406_restore_expanded=True)
    runs['after_rollback_expanded'] = registry(fleet, 'expand_raw')
    play('rollback_nothing', ROLLBACK, q294406_backup_dir='backupz')

    record = workdir / 'cr-record.json'
    record.write_text(json.dumps({'format': 'legacy_exchange.exchange55/q294406-backup/1', 'inventory_hostname': 'cr_target',
                                  'key': KEY, 'value_name': NAME, 'prior': {'type': 'REG_SZ', 'data': CR_DATA}}))
    runs['cr'] = run_playbook(os.path.join(MODULE_PLAYBOOKS, 'owa_url_protocol.yml'), fleet.inventory, env, str(workdir / 'results-cr'),
                              '--limit', 'cr_target', extra_vars={'restore_records': {'cr_target': 'cr-record.json'},
                                                                  'owa_ssl_required': 'true', 'connect_timeout': 5},
                              cwd=str(workdir))
    runs['after_cr'] = registry(fleet, 'cr_target')
    if transport == 'smb':
        runs['after_cr_raw'] = fleet.raw_values('cr_target', KEY)
    return runs


def report(scenario, name):
    path = os.path.join(str(scenario['home']), 'reports', f'{name}.json')
    with open(path, encoding='utf-8') as handle:
        return {server['host']: server for server in json.load(handle)['servers']}


def test_a_relative_backup_dir_and_a_home_report_dir_resolve_from_where_the_playbook_runs(scenario):
    workdir = scenario['workdir']
    assert os.path.isdir(workdir / 'backups') and os.path.isfile(scenario['home'] / 'reports' / 'apply.json')
    servers = report(scenario, 'apply')
    assert servers['norm@05']['backup_file'].startswith(str(workdir / 'backups') + os.sep)


def test_every_host_is_in_the_report_even_those_that_stopped_before_the_module(scenario):
    run = scenario['apply']
    assert run.rc != 0
    servers = report(scenario, 'apply')
    assert set(ODD_NAMES.values()) | set(BAD_HOSTS) | {'control_char', 'wrong_password'} <= set(servers)
    for host, (_variables, kind, var) in BAD_HOSTS.items():
        if kind == 'invalid_option' and scenario['transport'] == 'winrm' and var == 'exchange55_smb_port':
            continue          # the smb port means nothing to a WinRM host
        entry = servers[host]
        assert entry['status'] == 'error' and entry['failed'] is True, host
        assert entry['error_kind'] == kind, (host, entry['error'])
        if var:
            assert entry['error'].startswith(var + ' '), entry['error']
    assert 'q294406_owa_ssl_required must be one of' in servers['bad_choice']['error']


def test_login_advice_is_given_once(scenario):
    error = report(scenario, 'apply')['wrong_password']['error']
    assert report(scenario, 'apply')['wrong_password']['error_kind'] == 'auth'
    assert error.count('ansible_password') == 1, error


def test_odd_host_names_are_backed_up_apart_and_rolled_back_exactly(scenario):
    servers = report(scenario, 'apply')
    directories = {os.path.basename(os.path.dirname(servers[odd]['backup_file'])) for odd in ODD_NAMES.values()}
    assert len(directories) == len(ODD_NAMES)
    for fleet_name, odd in ODD_NAMES.items():
        assert value_in(scenario['after_apply'][fleet_name]) == {'type': 'REG_SZ', 'data': 'https:'}, odd
        assert scenario['after_rollback'][fleet_name] == scenario['initial'][fleet_name], odd
    assert 'Unable to find' not in scenario['rollback'].output
    assert '[WARNING]' not in scenario['rollback'].output, scenario['rollback'].output[-2000:]


def test_rollback_of_nothing_fails_once_naming_the_directory_searched(scenario):
    run = scenario['rollback_nothing']
    assert run.rc != 0
    searched = str(scenario['workdir'] / 'backupz')
    failures = [line for line in run.output.splitlines() if line.startswith('fatal: [') and 'no host of this play' in line]
    assert len(failures) == 1 and f'no host of this play has a backup record under {searched} ' in failures[0], run.output[-3000:]
    assert 'Unable to find' not in run.output


def test_reports_hold_control_characters_in_every_format(scenario):
    home = scenario['home'] / 'reports'
    ET.parse(str(home / 'apply.junit.xml'))
    entry = report(scenario, 'apply')['control_char']
    if scenario['transport'] == 'winrm':
        # XML 1.0 cannot carry U+0001, so no WS-Management answer can hold this value: the host fails, saying so
        assert entry['error_kind'] == 'unsupported' and 'XML 1.0 cannot carry' in entry['error'], entry['error']
        assert '\x01' not in entry['error'] and value_in(scenario['after_apply']['control_char']) == {'type': 'REG_SZ', 'data': CONTROL}
        return
    assert entry['before']['data'] == 'http:[U+0001][U+001B][0m'
    html = (home / 'apply.html').read_text(encoding='utf-8')
    assert '\x01' not in html and '\x1b' not in html
    # the backup keeps the exact value
    with open(entry['backup_record'], encoding='utf-8') as handle:
        assert json.load(handle)['prior'] == {'type': 'REG_SZ', 'data': CONTROL}
    assert value_in(scenario['after_rollback']['control_char']) == {'type': 'REG_SZ', 'data': CONTROL}


def test_a_huge_value_is_capped_in_reports_and_whole_in_the_backup(scenario):
    home = scenario['home'] / 'reports'
    for name in ('apply.json', 'apply.html', 'apply.junit.xml'):
        assert os.path.getsize(home / name) < 100000, name
    entry = report(scenario, 'apply')['huge']
    assert entry['before']['truncated'] is True and entry['before']['length'] == len(HUGE)
    with open(entry['backup_record'], encoding='utf-8') as handle:
        assert json.load(handle)['prior']['data'] == HUGE


def test_a_cr_in_restored_data_reaches_the_server(scenario):
    result = scenario['cr'].results['cr_target']
    assert not result.get('failed'), result.get('msg')
    if scenario['transport'] == 'smb':     # registry.tdb itself: `net registry export` (the dump) splits lines at a CR
        raw = {name.lower(): (code, data) for name, code, data in scenario['after_cr_raw']}
        assert raw[NAME.lower()] == (1, (CR_DATA + '\0').encode('utf-16-le'))
    else:
        assert value_in(scenario['after_cr']) == {'type': 'REG_SZ', 'data': CR_DATA}


def test_check_mode_runs_the_backup_precheck_and_says_what_would_stop_the_apply(scenario):
    audit, apply = report(scenario, 'audit'), report(scenario, 'apply')
    for name in ('audit', 'apply'):
        entry = {'audit': audit, 'apply': apply}[name]['unencodable']
        assert entry['error_kind'] == 'backup_failed', (name, entry['error'])
        assert 'backup_encoding' in entry['error'] and 'utf-16' in entry['error']
    assert 'would stop' in audit['unencodable']['error']
    assert scenario['after_apply']['unencodable'] == scenario['initial']['unencodable']
    # with backup_encoding utf-16 the same server is fixed, and its backup is a Version 5.00 file
    assert apply['unencodable_utf16']['status'] == 'changed', apply['unencodable_utf16']['error']
    with open(apply['unencodable_utf16']['backup_file'], 'rb') as handle:
        assert handle.read().startswith(b'\xff\xfe' + 'Windows Registry Editor Version 5.00'.encode('utf-16-le'))
    assert audit['unencodable_utf16']['status'] == 'needs_change' and not audit['unencodable_utf16']['failed']


def test_a_prior_value_no_rollback_could_write_back_is_not_overwritten(scenario):
    entry = report(scenario, 'apply')['binary_prior']
    if entry['error_kind'] == 'not_restorable':          # a transport without a REG_BINARY writer refuses the write
        assert entry['failed'] and not entry['write_sent'] and 'REG_BINARY' in entry['error']
        assert scenario['after_apply']['binary_prior'] == scenario['initial']['binary_prior']
    else:                                               # a transport that can write it back does, exactly
        assert entry['status'] == 'changed', entry['error']
        assert scenario['after_rollback']['binary_prior'] == scenario['initial']['binary_prior']


def test_reg_expand_sz_is_restored_exactly_or_not_called_exact(scenario):
    apply = report(scenario, 'apply')['expand_raw']
    assert apply['status'] == 'changed', apply['error']
    with open(apply['backup_record'], encoding='utf-8') as handle:
        record = json.load(handle)
    rollback = scenario['rollback'].results
    if scenario['transport'] == 'smb':                 # MS-RRP returns the stored text: exact
        assert record['prior'] == {'type': 'REG_EXPAND_SZ', 'data': EXPAND_RAW} and not record.get('prior_expanded_by_server')
        assert scenario['after_rollback']['expand_raw'] == scenario['initial']['expand_raw']
        raw = {name.lower(): (code, data) for name, code, data in scenario['raw_after_rollback']['expand_raw']}
        assert raw[NAME.lower()] == (2, (EXPAND_RAW + '\0').encode('utf-16-le'))
        return
    # StdRegProv returned the expanded text: the record says so, and the rollback refuses to call it exact
    assert record['prior']['type'] == 'REG_EXPAND_SZ' and record['prior_expanded_by_server'] is True
    assert 'expand_raw' in scenario['rollback'].output
    assert value_in(scenario['after_rollback']['expand_raw']) == {'type': 'REG_SZ', 'data': 'https:'}
    assert 'not_restorable' in scenario['rollback'].output and 'restore_expanded' in scenario['rollback'].output
    # told to, it writes the expanded text back as REG_EXPAND_SZ and says the restore was not exact
    assert value_in(scenario['after_rollback_expanded']) == {'type': 'REG_EXPAND_SZ', 'data': record['prior']['data']}
    assert scenario['rollback_expanded'].rc == 0, scenario['rollback_expanded'].output[-2000:]


def test_a_stopped_information_store_is_left_stopped_and_restart_required(scenario):
    entry = report(scenario, 'apply')['stopped_is']
    assert entry['status'] == 'changed' and entry['restarted'] is False, entry['error']
    if scenario['transport'] == 'winrm':
        assert scenario['services_after_apply'] == 'Stopped'


def test_a_failure_after_the_write_keeps_the_backup_and_says_a_write_was_sent(scenario):
    entry = report(scenario, 'apply')['fails_after_write']
    assert entry['failed'] and entry['write_sent'] is True and entry['changed'] is True, entry
    assert entry['backup_file'] and os.path.exists(entry['backup_file'])
    assert entry['error_kind'] == 'transient' and 'still failing after 1 retries' in entry['error'], entry['error']
    assert 'check ansible_host' not in entry['error']


def test_task_timeout_bounds_a_slow_host(scenario):
    entry = report(scenario, 'apply')['slow']
    assert entry['error_kind'] == 'timeout' and 'task_timeout of 3s' in entry['error'], entry['error']


def test_report_settings_are_checked_before_any_host_is_touched(scenario):
    run = scenario['bad_report']
    assert run.rc != 0 and 'the report could not be written, so no host was touched' in run.output
    assert "name '../x' must be a plain file name" in run.output
    assert scenario['after_bad_report'] == scenario['initial']['odd1']
    assert 'Audit or apply KB Q294406]' not in run.output.split('PLAY RECAP')[0].split('Check the report settings')[1]
