# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""REG_SZ and REG_EXPAND_SZ through the collection's own RemoteHosts and apply pipeline, against real servers.

StdRegProv's GetStringValue also reads REG_EXPAND_SZ, and returns it expanded (docs/windows-semantics.md),
so over WinRM only EnumValues tells the types apart; over smb (MS-RRP) the raw data and type come back.
These tests prove on both transports that drift is still seen, that every write is read back with its
type, and that a REG_EXPAND_SZ holding %SystemRoot% reads back as written.
"""

from __future__ import annotations

import pytest
import yaml

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import apply_change
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._connection import resolve_settings, open_remote_host
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import Plan
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from fleetctl import Fleet, require_transport

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
SUBNETS = {'winrm': '127.0.64', 'smb': '127.0.65'}
VALUES = {
    'OWA Url Protocol': {'type': 'REG_EXPAND_SZ', 'data': 'https:'},
    'Log Path': {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\system32\\logs'},
    'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'},
}
FLEET = {
    'defaults': {'username': 'Administrator', 'password': 'Exch55!Sim', 'registry': {KEY: VALUES}},
    'hosts': {'writes_kept': {}, 'writes_lost': {'faults': {'lost_write': True}}},
}


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def fleet(request, tmp_path_factory):
    require_transport(request.param)
    workdir = tmp_path_factory.mktemp(f'string-types-{request.param}')
    fleet_file = workdir / 'fleet.yml'
    fleet_file.write_text(yaml.safe_dump(FLEET), encoding='utf-8')
    running = Fleet(request.param, str(fleet_file), str(workdir), SUBNETS[request.param])
    request.addfinalizer(running.stop)
    return running


def connect(fleet, host):
    variables = fleet.hosts()[host]
    settings = resolve_settings({'connect_timeout': 10}, variables, host)
    return open_remote_host(settings)


def stored(fleet, host, name):
    return fleet.registry(host, KEY).get(name)


def test_the_listing_gives_the_real_types_and_drift_is_seen(fleet):
    with connect(fleet, 'writes_kept') as host:
        listed = host.enum_values(KEY)
        assert {name: listed[name] for name in VALUES} == {name: value['type'] for name, value in VALUES.items()}
        # A REG_SZ hint does not make a REG_EXPAND_SZ look like a REG_SZ (GetStringValue answers 0 for both on Windows).
        assert host.get_value(KEY, 'OWA Url Protocol', 'REG_SZ') == RegValue('REG_EXPAND_SZ', 'https:')
        log_path = host.get_value(KEY, 'Log Path', 'REG_SZ')
        assert log_path.type == 'REG_EXPAND_SZ'
        if fleet.transport == 'winrm':     # StdRegProv expands in the server's environment (SystemRoot = C:\WINNT)
            assert log_path.data == 'C:\\WINNT\\system32\\logs'
        else:                              # MS-RRP returns the stored text
            assert log_path.data == '%SystemRoot%\\system32\\logs'


@pytest.mark.parametrize('name, after', [
    ('OWA Url Protocol', RegValue('REG_SZ', 'https:')),                          # drift fixed: type changes, data does not
    ('Log Path', RegValue('REG_EXPAND_SZ', '%SystemRoot%\\system32\\owa')),      # %SystemRoot% written and read back
    ('DB Path', RegValue('REG_EXPAND_SZ', '%SystemDrive%\\exchsrvr\\mdbdata\\priv.edb')),   # REG_SZ -> REG_EXPAND_SZ
])
def test_writes_are_read_back_with_their_type(fleet, name, after):
    with connect(fleet, 'writes_kept') as host:
        before = host.get_value(KEY, name, 'REG_SZ')
        outcome = apply_change(host, Plan('set', before, after), key=KEY, name=name, check_mode=False, diff=False)
        assert outcome.written, outcome.result.get('msg')
        assert outcome.result['changed'] is True and 'failed' not in outcome.result
    assert stored(fleet, 'writes_kept', name) == after.to_record()       # the server holds exactly what was written


def test_a_type_change_that_was_not_stored_is_caught(fleet):
    """The lost write leaves REG_EXPAND_SZ "https:": GetStringValue alone would read "https:" and pass it."""
    if fleet.transport == 'smb':
        pytest.skip('Samba has no hook to drop a registry write while reporting success')
    with connect(fleet, 'writes_lost') as host:
        before = host.get_value(KEY, 'OWA Url Protocol', 'REG_SZ')
        outcome = apply_change(host, Plan('set', before, RegValue('REG_SZ', 'https:')), key=KEY, name='OWA Url Protocol',
                               check_mode=False, diff=False)
    assert not outcome.written
    assert outcome.result['error_kind'] == 'read_back_mismatch' and outcome.result['changed'] is False
    assert 'the server holds REG_EXPAND_SZ "https:"' in outcome.result['msg']
    assert stored(fleet, 'writes_lost', 'OWA Url Protocol') == VALUES['OWA Url Protocol']
