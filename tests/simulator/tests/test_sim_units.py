# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""In-process checks of the fleet file validation, the registry model, WQL and the address plan."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fleet import host_addresses
from simhelpers import EXAMPLE_FLEET, FLEET_PY
from winsim import wql
from winsim.fleetfile import FleetError, load_fleet, parse_fleet
from winsim.registry import Registry

BASE = {'defaults': {'username': 'Administrator', 'password': 'Secret-1'}}


def fleet(hosts: dict, **defaults) -> list:
    return parse_fleet({'defaults': {**BASE['defaults'], **defaults}, 'hosts': hosts}, 'f.yml')


@pytest.mark.parametrize('hosts, message', [
    ({'h1': {'registry': {'HKLM\\X': {'V': {'type': 'REG_DWORD', 'data': 'abc'}}}}},
     "f.yml: host 'h1': registry['HKLM\\\\X']['V']: REG_DWORD data must be an integer from 0 to 4294967295, got 'abc'"),
    ({'h1': {'registry': {'SOFTWARE\\X': {}}}}, "f.yml: host 'h1': registry['SOFTWARE\\\\X']: registry key 'SOFTWARE\\\\X' must start with a hive"),
    ({'h1': {'registry': {'HKLM\\X': {'V': {'type': 'REG_TEXT', 'data': 'a'}}}}}, "registry['HKLM\\\\X']['V']: type must be one of"),
    ({'h1': {'registry': {'HKLM\\X': {'V': {'type': 'REG_BINARY', 'data': 'zz'}}}}}, 'REG_BINARY data must be a hex string'),
    ({'h1': {'registry': {'HKLM\\X': {'V': {'type': 'REG_MULTI_SZ', 'data': 'a'}}}}}, 'REG_MULTI_SZ data must be a list of strings'),
    ({'h1': {'registry': {'HKLM\\X': {}, 'hklm\\x': {}}}}, 'the key is listed twice (key names are case-insensitive)'),
    ({'h1': {'files': {'C:\\a.exe': {'version': 5.5}}}}, "host 'h1': files['C:\\\\a.exe'].version: must be a quoted dotted version"),
    ({'h1': {'files': {'a.exe': {}}}}, 'a file path must be absolute with a drive letter'),
    ({'h1': {'services': {'MSExchangeIS': {'state': 'Sleeping'}}}}, "services['MSExchangeIS'].state: must be one of Running, Stopped"),
    ({'h1': {'owa': {'ssl': True}}}, "host 'h1': owa: unknown field 'ssl'"),
    ({'h1': {'faults': {'reset_rate': 2}}}, "host 'h1': faults.reset_rate: must be a number from 0 to 1, got 2"),
    ({'h1': {'faults': {'explode': True}}}, "host 'h1': faults: unknown field 'explode'"),
    ({'h1': {'auth': 'basic'}}, "host 'h1': auth: basic needs scheme: https"),
    ({'h1': {'colour': 'red'}}, "host 'h1': host: unknown field 'colour'"),
    ({'_stats': {}}, "hosts['_stats']: a host name must be"),
    ({'h1': {}, 'H1': {}}, "hosts['H1']: duplicates host 'h1'"),
    ({'h1': {'deny_write': 'HKLM\\X'}}, "host 'h1': deny_write: must be a list of registry key paths"),
    ({'h1': {'owa': {'ssl_required': True, 'page': 'custom'}}},
     "host 'h1': owa.page: must be one of default, meta_refresh, redirect_https, forbidden_other, got 'custom'"),
    ({'h1': {'environment': {'SystemRoot': 5}}}, "host 'h1': environment.SystemRoot: must be a string"),
    ({'h1': {'environment': {'A%B': 'x'}}}, "host 'h1': environment: variable names must be non-empty strings without % or ="),
])
def test_invalid_fleet_files_name_the_host_and_field(hosts, message):
    with pytest.raises(FleetError) as raised:
        fleet(hosts)
    assert message in str(raised.value)
    assert '\n' not in str(raised.value)


def test_a_missing_or_bad_password_is_reported_without_echoing_it():
    with pytest.raises(FleetError, match="host 'h1': password: is required"):
        parse_fleet({'hosts': {'h1': {'username': 'u'}}}, 'f.yml')
    with pytest.raises(FleetError) as raised:
        parse_fleet({'hosts': {'h1': {'username': 'u', 'password': 12345678}}}, 'f.yml')
    assert '12345678' not in str(raised.value)


def test_defaults_merge_into_hosts_and_null_removes_what_the_defaults_gave():
    hosts = fleet(
        {
            'keeps': {'registry': {'HKEY_LOCAL_MACHINE\\software\\A': {'Two': {'type': 'REG_DWORD', 'data': 2}}}},
            'drops': {'registry': {'HKLM\\SOFTWARE\\A': {'One': None}, 'HKLM\\SOFTWARE\\B': None},
                      'owa': None, 'files': None, 'services': {'W3SVC': None}, 'faults': {'seed': 3}},
        },
        registry={'HKLM\\SOFTWARE\\A': {'One': {'type': 'REG_SZ', 'data': '1'}}, 'HKLM\\SOFTWARE\\B': {}},
        files={'C:\\x\\store.exe': {'version': '5.5.2654.81'}},
        services={'W3SVC': {'state': 'Stopped'}, 'MSExchangeIS': {}},
        owa={'ssl_required': True},
        faults={'latency_ms': 5},
    )
    keeps, drops = hosts
    assert keeps.registry == {'HKLM\\SOFTWARE\\A': {'One': {'type': 'REG_SZ', 'data': '1'}, 'Two': {'type': 'REG_DWORD', 'data': 2}},
                              'HKLM\\SOFTWARE\\B': {}}
    assert keeps.owa_ssl_required is True and keeps.files['c:\\x\\store.exe'].version == '5.5.2654.81'
    assert keeps.services['w3svc'].state == 'Stopped' and keeps.services['msexchangeis'].state == 'Running'
    assert drops.registry == {'HKLM\\SOFTWARE\\A': {}}
    assert drops.owa_ssl_required is None and drops.files == {} and list(drops.services) == ['msexchangeis']
    assert (drops.faults.latency_ms, drops.faults.seed) == (5.0, 3)


def test_owa_page_and_environment_defaults_and_merging():
    plain, paged, env, removed = fleet(
        {'plain': {}, 'paged': {'owa': {'ssl_required': True, 'page': 'META_REFRESH'}},
         'env': {'environment': {'systemroot': 'D:\\WINNT40', 'ExchSrvr': 'D:\\exchsrvr'}},
         'removed': {'environment': {'Custom': None, 'windir': None}}},
        owa={'ssl_required': True}, environment={'Custom': 'c'})
    assert (plain.owa_ssl_required, plain.owa_page, paged.owa_page) == (True, 'default', 'meta_refresh')
    assert plain.environment['systemroot'] == ('SystemRoot', 'C:\\WINNT') and plain.environment['custom'] == ('Custom', 'c')
    assert env.environment['systemroot'] == ('systemroot', 'D:\\WINNT40') and env.environment['exchsrvr'][1] == 'D:\\exchsrvr'
    assert 'custom' not in removed.environment and 'windir' not in removed.environment and 'systemroot' in removed.environment


def test_example_fleet_is_valid_and_has_every_case():
    hosts = {h.name: h for h in load_fleet(EXAMPLE_FLEET)}
    assert len(hosts) == 14
    assert hosts['ex-hung'].faults.hang and hosts['ex-lost-write'].faults.lost_write
    assert hosts['ex-owa-unknown'].owa_ssl_required is None and hosts['ex-owa-plain'].owa_ssl_required is False
    assert hosts['ex-no-exchange'].files == {} and 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup' not in hosts['ex-no-exchange'].registry
    assert hosts['ex-expand-sz'].registry['HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'][
        'OWA Url Protocol'] == {'type': 'REG_EXPAND_SZ', 'data': 'https:'}


def test_cli_reports_an_invalid_fleet_in_one_line_and_exits_2(tmp_path):
    path = tmp_path / 'bad.yml'
    path.write_text("hosts:\n  h1:\n    username: u\n    password: p\n    faults: {hang: 1}\n")
    result = subprocess.run([sys.executable, FLEET_PY, 'serve', '--fleet', str(path), '--inventory', str(tmp_path / 'i.yml')],
                            capture_output=True, text=True, check=False)
    assert result.returncode == 2
    assert result.stderr == f"fleet.py: error: {path}: host 'h1': faults.hang: must be true or false, got 1\n"
    assert not (tmp_path / 'i.yml').exists()
    path.write_text('hosts: [unclosed\n')
    result = subprocess.run([sys.executable, FLEET_PY, 'validate', str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and 'not valid YAML at line 2' in result.stderr and result.stderr.count('\n') == 1


def test_registry_records_round_trip_and_keep_case():
    records = {
        'HKLM\\SOFTWARE\\Empty': {},
        'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup': {
            'Bin': {'type': 'REG_BINARY', 'data': '00ff10'}, 'Multi': {'type': 'REG_MULTI_SZ', 'data': ['a', 'b']},
            'Q': {'type': 'REG_QWORD', 'data': 2 ** 40}, 'S': {'type': 'REG_SZ', 'data': 'x'}},
    }
    registry = Registry.from_records(records)
    assert registry.to_records() == records
    assert registry.open('HKLM', ('software', 'MICROSOFT', 'exchange', 'setup')).name == 'Setup'
    assert registry.open('HKLM', ('SOFTWARE', 'Microsoft')).values == {}
    assert registry.open('HKLM', ('SOFTWARE', 'Nope')) is None


@pytest.mark.parametrize('text, props, cls, conditions', [
    ('select * from Win32_Service', None, 'Win32_Service', ()),
    ("SELECT Name,State FROM win32_service WHERE name = 'MSExchangeIS'", ('Name', 'State'), 'win32_service', (('name', '=', 'MSExchangeIS'),)),
    ("select Version from CIM_DataFile where Name = 'c:\\\\exchsrvr\\\\bin\\\\store.exe'", ('Version',), 'CIM_DataFile',
     (('Name', '=', 'c:\\exchsrvr\\bin\\store.exe'),)),
    ('select * from X where Started = TRUE and ProcessId <> 0 and A != "it\\"s"', None, 'X',
     (('Started', '=', True), ('ProcessId', '<>', 0), ('A', '<>', 'it"s'))),
])
def test_wql_subset_parses(text, props, cls, conditions):
    assert wql.parse(text) == wql.Query(props, cls, conditions)


@pytest.mark.parametrize('text', [
    "select Version from CIM_DataFile where Name = 'c:\\exchsrvr\\store.exe'",   # single backslashes are invalid WQL
    'select from Win32_Service', 'select * Win32_Service', "select * from A where B = 'x' or C = 'y'", "select * from A where B = 'x",
    'delete from Win32_Service',
])
def test_wql_rejects_invalid_queries(text):
    with pytest.raises(wql.WqlError):
        wql.parse(text)


def test_wql_matching_is_case_insensitive_for_strings():
    instance = {'Name': 'MSExchangeIS', 'ProcessId': 40, 'Started': True}
    assert wql.matches(instance, (('Name', '=', 'msexchangeis'), ('ProcessId', '>', 3), ('Started', '=', True)))
    assert not wql.matches(instance, (('Name', '<>', 'MSEXCHANGEIS'),))


def test_host_addresses_fill_each_24_then_move_on():
    addresses = host_addresses('127.0.1', 500)
    assert addresses[:2] == ['127.0.1.1', '127.0.1.2'] and addresses[253:255] == ['127.0.1.254', '127.0.2.1']
    assert addresses[-1] == '127.0.2.246' and len(set(addresses)) == 500
    for bad in ('10.0.1', '127.0', '127.0.300'):
        with pytest.raises(ValueError):
            host_addresses(bad, 1)
    with pytest.raises(ValueError, match='do not fit'):
        host_addresses('127.0.255', 255)
