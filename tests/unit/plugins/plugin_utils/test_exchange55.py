# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gather_facts and identify against named fake servers: the family, the service pack, the evidence list,
the Q294406 verdict, and what the reads cost."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import (
    families_from_build, gather_facts, identify, service_pack_from_build)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import evaluate
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb import split_windows_path
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import (
    IDENTIFICATION, PARAMETERS_PRIVATE, SERVERS, SETUP, FakeHost, exchange55_server, fake_server)

STORE = 'C:\\exchsrvr\\bin\\store.exe'
UNREACHABLE_OWA = OwaAnswer(None, 'http://127.0.30.9/exchange/: connection refused (nothing listens there)', url='http://127.0.30.9/exchange/')

# The reads of a typical Exchange 5.5 audit, in order: the Setup key listed once, each value that exists read
# with its listed type, Store.exe, then ParametersPrivate listed (the value is read only when it exists).
AUDIT_CALLS = [
    ('enum_values', SETUP),
    ('get_value', SETUP, 'Services', 'REG_SZ'),
    ('get_value', SETUP, 'NewestBuild', 'REG_DWORD'),
    ('get_value', SETUP, 'ServicePackBuild', 'REG_DWORD'),
    ('file_version', STORE),
    ('enum_values', PARAMETERS_PRIVATE),
]


def owa_for(spec: dict) -> OwaAnswer:
    """The OWA answer the fleet entry describes: declared true/false, or an unreachable probe."""
    ssl_required = spec['owa']['ssl_required']
    return UNREACHABLE_OWA if ssl_required is None else OwaAnswer.declared(ssl_required)


def audit(host: FakeHost, spec: dict, protocol: str = 'https:', **kwargs):
    facts = gather_facts(host, owa=owa_for(spec), **kwargs)
    assert json.loads(json.dumps(facts)) == facts  # JSON-safe, nothing lost
    return facts, evaluate(facts, protocol)


def audit_server(name: str, protocol: str = 'https:'):
    host = fake_server(name)
    facts, verdict = audit(host, SERVERS[name], protocol)
    return host, facts, verdict


def audit_spec(spec: dict, **kwargs):
    host = FakeHost.from_spec(copy.deepcopy(spec))
    facts, verdict = audit(host, spec, **kwargs)
    return host, facts, verdict


def value_facts(present=False, type_=None, data=None, key_present=True, name='OWA Url Protocol') -> dict:
    return {'key': PARAMETERS_PRIVATE, 'name': name, 'key_present': key_present, 'present': present, 'type': type_, 'data': data}


def evidence_of(facts: dict) -> dict:
    return {entry['item']: entry for entry in facts['evidence']}


# -- the matrix of Setup-key shapes ----------------------------------------------------------------

@pytest.mark.parametrize('name', sorted(IDENTIFICATION))
def test_identification_matrix(name):
    spec, status, family, deciding = IDENTIFICATION[name]
    host, facts, verdict = audit_spec(spec)
    exchange = facts['exchange']
    assert verdict['status'] == status, verdict['reasons']
    assert (exchange['family'], exchange['family_evidence']) == (family, deciding)
    # Every Setup value the server has is in the evidence with its value and what it says, and Store.exe is read
    # whatever the Setup values say.
    evidence = evidence_of(facts)
    for value_name, record in spec['registry'][SETUP].items():
        item = evidence[f'Setup\\{value_name}']
        shown = item['value'] if isinstance(item['value'], int) else item['value']
        assert str(record['data']).strip() in str(shown) and item['says']
    assert ('file_version', spec['registry'][SETUP]['Services']['data'] + '\\bin\\store.exe') in host.calls
    assert ('enum_values', PARAMETERS_PRIVATE) in host.calls
    if deciding:
        assert evidence[deciding.rsplit(' ', 1)[0] if deciding.startswith('Store.exe') else f'Setup\\{deciding.rsplit(" ", 1)[0]}'
                        ]['decides'][0] == 'family'
    if status == 'not_applicable' and family != '5.5':
        assert verdict['reasons'] == [f'Exchange Server {family} found ({deciding}); Q294406 applies to Exchange Server 5.5 only']


def test_sp4_servers_without_newest_build_are_fixed_not_blocked():
    for name in ('sp4_services_and_service_pack_build_only', 'sp4_services_version_55', 'sp4_service_pack_number_only'):
        _host, facts, verdict = audit_spec(IDENTIFICATION[name][0])
        assert verdict['status'] == 'needs_change'
        assert verdict['prerequisites'] == {'exchange_55': True, 'service_pack_4': True, 'store_exe': True, 'owa_ssl_only': True,
                                            'information_store_key': True, 'readable': True}
        assert facts['exchange']['service_pack'] == 4


def test_service_pack_evidence_says_which_item_was_used():
    cases = {
        'sp4_services_and_service_pack_build_only': 'ServicePackBuild 2653',
        'sp4_service_pack_number_only': 'ServicePackNumber 4',
        'sp4_newest_build_2653': 'Store.exe build 2654',
    }
    for name, used in cases.items():
        _host, facts, _verdict = audit_spec(IDENTIFICATION[name][0])
        assert facts['exchange']['service_pack_evidence'] == used
        deciding = [entry['item'] for entry in facts['evidence'] if 'service pack' in entry['decides']]
        assert deciding == ['Store.exe' if used.startswith('Store.exe') else f'Setup\\{used.split()[0]}']


def test_conflict_names_both_sides():
    _host, facts, verdict = audit_spec(IDENTIFICATION['conflicting_services_version_55_store_6_0'][0])
    assert facts['exchange']['conflict'] == ('conflicting evidence: Store.exe 6.0.4417.0 says Exchange 2000, '
                                             'but Services Version 55 says Exchange 5.5; ServicePackBuild 2653 says Exchange 4.0, 5.0 or 5.5')
    assert verdict['reasons'] == [facts['exchange']['conflict'] + '; resolve it on the server, nothing is guessed']
    assert verdict['prerequisites']['exchange_55'] is None
    _host, facts, verdict = audit_spec(IDENTIFICATION['conflicting_newest_build_4417_store_5_5'][0])
    assert 'NewestBuild 4417 says Exchange 2000 or later' in verdict['reasons'][0]
    assert 'Store.exe 5.5.2654.81 says Exchange 5.5' in verdict['reasons'][0]


def test_stale_setup_key_is_not_applicable_and_not_probed():
    probes = []
    host = FakeHost.from_spec(copy.deepcopy(IDENTIFICATION['stale_setup_key_after_uninstall'][0]))
    facts = gather_facts(host, owa=lambda: probes.append(1) or OwaAnswer.declared(True))
    verdict = evaluate(facts)
    assert verdict['reasons'] == [f'no Exchange 5.5 Information Store on this server: {PARAMETERS_PRIVATE} does not exist '
                                  '(the Setup key survives an uninstall, Q178975)']
    assert verdict['prerequisites']['exchange_55'] is False and not probes
    assert facts['information_store']['key_present'] is False


def test_information_store_without_services_value_is_a_conflict():
    spec = exchange55_server()
    del spec['registry'][SETUP]['Services']
    _host, facts, verdict = audit_spec(spec)
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'][0].startswith(f'conflicting evidence: {PARAMETERS_PRIVATE} exists but Exchange is not installed')
    spec['registry'].pop(PARAMETERS_PRIVATE)
    _host, facts, verdict = audit_spec(spec)
    assert verdict['status'] == 'not_applicable'


# -- the rules, one by one -------------------------------------------------------------------------

@pytest.mark.parametrize('build, families', [
    (837, {'4.0'}), (993, {'4.0'}), (1456, {'4.0'}), (1457, {'5.0'}), (1460, {'5.0'}), (1959, {'5.0'}), (1960, {'5.5'}),
    (2653, {'5.5'}), (4046, {'5.5'}), (4047, {'2000', '2003'}), (4417, {'2000', '2003'}), (6944, {'2000', '2003'})])
def test_newest_build_families(build, families):
    assert families_from_build(build) == families


@pytest.mark.parametrize('build, service_pack', [(1959, None), (1960, 0), (2231, 0), (2232, 1), (2449, 2), (2650, 3), (2652, 3),
                                                 (2653, 4), (2999, 4), (3000, None), (4712, None)])
def test_service_pack_is_the_highest_at_or_below_the_build(build, service_pack):
    assert service_pack_from_build(build) == service_pack


def readings(values=None, store='5.5.2654.81', pp=True):
    values = {'Services': RegValue('REG_SZ', 'C:\\exchsrvr'), **(values or {})}
    return {'setup_key': True, 'values': values, 'store_path': STORE, 'store': store, 'store_read': True,
            'parameters_private': pp}


def dword(number):
    return RegValue('REG_DWORD', number)


@pytest.mark.parametrize('values, store, service_pack, used', [
    ({'ServicePackNumber': dword(4)}, '5.5.2650.4', 4, 'ServicePackNumber 4'),
    ({'ServicePackNumber': dword(3)}, '5.5.2650.4', 3, 'ServicePackNumber 3'),
    ({'ServicePackBuild': dword(2653)}, '5.5.2650.4', 4, 'ServicePackBuild 2653'),
    ({'ServicePackBuild': dword(2999)}, None, 4, 'ServicePackBuild 2999'),
    ({'ServicePackBuild': dword(2650)}, '5.5.2653.22', 4, 'Store.exe build 2653'),
    ({}, '5.5.2448.8', 2, 'Store.exe build 2448'),
    ({'ServicePackNumber': dword(0)}, '5.5.1960.8', 0, 'ServicePackNumber 0'),
    ({}, None, None, 'no ServicePackNumber, no ServicePackBuild and no Store.exe build to show one'),
])
def test_service_pack_rule(values, store, service_pack, used):
    values = {'NewestBuild': dword(1960), **values}
    exchange = identify(readings(values, store))['exchange']
    assert (exchange['family'], exchange['service_pack'], exchange['service_pack_evidence']) == ('5.5', service_pack, used)


def test_service_pack_disagreement_is_noted():
    exchange = identify(readings({'ServicePackNumber': dword(3)}, '5.5.2654.81'))['exchange']
    assert exchange['service_pack'] == 4
    assert exchange['notes'] == ['ServicePackNumber 3 disagrees with Store.exe build 2654; Service Pack 4 taken from Store.exe build 2654']


def test_service_pack_build_of_exchange_2000_is_not_an_sp4_on_5_5():
    exchange = identify(readings({'ServicePackBuild': dword(4712)}, None))['exchange']
    assert (exchange['conflict'], exchange['family'], exchange['service_pack']) == (None, '2000 or later', None)
    exchange = identify(readings({'ServicePackBuild': dword(4712)}, '5.5.2654.81'))['exchange']
    assert exchange['conflict'].startswith('conflicting evidence: Store.exe 5.5.2654.81 says Exchange 5.5, but ServicePackBuild 4712')


@pytest.mark.parametrize('version, family', [('5.0.1460.8', '5.0'), ('5.5.2654.81', '5.5'), ('5.05.2654.81', '5.5'),
                                             ('5, 5, 2654, 81', '5.5'), ('6.0.6249.0', '2000'), ('6.5.6944.0', '2003'),
                                             ('5.5.2654.81 (Alpha)', '5.5')])
def test_store_version_decides_the_family_leniently(version, family):
    assert identify(readings(store=version))['exchange']['family'] == family


@pytest.mark.parametrize('version', ['6.0.6620.15', '6.5.7638.1', '7.0.0.0'])
def test_a_store_exe_outside_5_5_never_passes(version):
    """Even when every Setup value says 5.5, a Store.exe of another line is not compared with 5.5.2654.81."""
    _host, facts, verdict = audit_spec(exchange55_server(services_version=55, store=version))
    assert verdict['status'] == 'blocked'
    assert verdict['prerequisites']['store_exe'] is not True


def test_unknown_services_version_is_noted_and_does_not_vote():
    exchange = identify(readings({'Services Version': dword(57)}))['exchange']
    assert exchange['family'] == '5.5' and exchange['family_evidence'] == 'Store.exe 5.5.2654.81'
    assert exchange['notes'] == ['Services Version 57 is not a known value (55 means Exchange 5.5)']


def test_nothing_names_a_release_blocks():
    _host, facts, verdict = audit_spec(exchange55_server(newest_build=None, service_pack_build=2653, store=''))
    assert facts['exchange']['family'] is None
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'][0].startswith('Exchange version could not be determined')


# -- what is read, and what it costs ---------------------------------------------------------------

def test_compliant():
    host, facts, verdict = audit_server('compliant')
    assert facts['exchange'] == {
        'installed': True, 'family': '5.5', 'family_evidence': 'Store.exe 5.5.2654.81', 'conflict': None,
        'install_path': 'C:\\exchsrvr', 'services_version': None, 'newest_build': 1960, 'service_pack_number': None,
        'service_pack_build': 2653, 'service_pack': 4, 'service_pack_evidence': 'ServicePackBuild 2653',
        'values_found': {'Services': 'REG_SZ', 'NewestBuild': 'REG_DWORD', 'ServicePackBuild': 'REG_DWORD'}, 'notes': []}
    assert facts['store'] == {'path': STORE, 'present': True, 'version': '5.5.2654.81', 'not_read': None}
    assert facts['information_store'] == {'service': 'MSExchangeIS', 'state': None, 'key_present': True}
    assert facts['owa_url_protocol'] == value_facts(True, 'REG_SZ', 'https:')
    assert [entry['item'] for entry in facts['evidence']] == [
        'Setup\\Services', 'Setup\\NewestBuild', 'Store.exe', f'{PARAMETERS_PRIVATE} key', 'Setup\\ServicePackBuild']
    assert verdict == {'status': 'compliant', 'reasons': ['OWA Url Protocol is REG_SZ "https:"'],
                       'prerequisites': {'exchange_55': True, 'service_pack_4': True, 'store_exe': True, 'owa_ssl_only': True,
                                         'information_store_key': True, 'readable': True}}
    assert host.calls == AUDIT_CALLS + [('get_value', PARAMETERS_PRIVATE, 'OWA Url Protocol', 'REG_SZ')]


def test_value_absent_costs_six_reads():
    host, facts, verdict = audit_server('value_absent')
    assert facts['owa_url_protocol'] == value_facts(present=False)
    assert (verdict['status'], verdict['reasons']) == ('needs_change', ['OWA Url Protocol is not set; must be REG_SZ "https:"'])
    assert host.calls == AUDIT_CALLS


def test_service_state_is_read_only_when_asked():
    host, facts, _verdict = audit_spec(SERVERS['value_absent'], service_state=True)
    assert facts['information_store']['state'] == 'Running'
    assert host.calls == AUDIT_CALLS + [('service_state', 'MSExchangeIS')]


def test_expand_sz_https_is_drift():
    host, facts, verdict = audit_server('expand_sz_https')
    assert facts['owa_url_protocol'] == value_facts(True, 'REG_EXPAND_SZ', 'https:')
    assert verdict['reasons'] == ['OWA Url Protocol is REG_EXPAND_SZ "https:"; must be REG_SZ "https:"']
    assert host.calls[-1] == ('get_value', PARAMETERS_PRIVATE, 'OWA Url Protocol', 'REG_EXPAND_SZ')


def test_no_exchange_costs_two_reads_and_no_probe():
    probes = []
    host = fake_server('no_exchange')
    facts = gather_facts(host, owa=lambda: probes.append('probed') or UNREACHABLE_OWA)
    verdict = evaluate(facts)
    assert facts['exchange']['installed'] is False and facts['exchange']['family'] is None
    assert facts['owa']['source'] == 'unknown' and not probes
    assert verdict['status'] == 'not_applicable'
    assert verdict['reasons'] == ['Exchange Server is not installed (no HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup key '
                                  'or no Services value in it)']
    assert host.calls == [('enum_values', SETUP), ('enum_values', PARAMETERS_PRIVATE)]


def test_build_as_reg_sz_is_read_and_noted():
    _host, facts, verdict = audit_server('build_as_reg_sz')
    assert facts['exchange']['values_found'] == {'Services': 'REG_SZ', 'NewestBuild': 'REG_SZ', 'ServicePackBuild': 'REG_SZ'}
    assert facts['exchange']['notes'] == ['NewestBuild is REG_SZ "1960" (expected REG_DWORD); read as 1960',
                                          'ServicePackBuild is REG_SZ " 2653" (expected REG_DWORD); read as 2653']
    assert verdict['status'] == 'needs_change'


def test_non_numeric_build_is_noted_and_ignored():
    _host, facts, verdict = audit_spec(exchange55_server(newest_build='5.5 SP4'))
    assert facts['exchange']['newest_build'] is None
    assert facts['exchange']['notes'] == ['NewestBuild is REG_SZ "5.5 SP4": not a number, ignored']
    assert verdict['status'] == 'needs_change'   # Store.exe decides


def test_value_name_is_matched_case_insensitively():
    spec = exchange55_server()
    spec['registry'][PARAMETERS_PRIVATE]['owa url protocol'] = {'type': 'REG_SZ', 'data': 'https:'}
    host, facts, verdict = audit_spec(spec)
    assert facts['owa_url_protocol'] == value_facts(True, 'REG_SZ', 'https:', name='owa url protocol')
    assert verdict['status'] == 'compliant'


def test_missing_store_exe_blocks():
    _host, facts, verdict = audit_spec(exchange55_server(store=None))
    assert facts['store'] == {'path': STORE, 'present': False, 'version': None, 'not_read': None}
    assert verdict['reasons'] == [f'Store.exe not found at {STORE}']


# -- access denied and other failures ------------------------------------------------------------

def test_access_denied_on_setup_blocks():
    spec = exchange55_server()
    spec['deny_read'] = [SETUP]
    host, facts, verdict = audit_spec(spec)
    assert facts['exchange']['installed'] is None
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == [f'Access denied reading the values of {SETUP}: access denied to {SETUP}']
    assert host.calls == [('enum_values', SETUP), ('enum_values', PARAMETERS_PRIVATE)]


def test_access_denied_over_smb_names_the_winreg_acl_not_a_missing_exchange():
    spec = exchange55_server()
    spec['deny_read'] = [SETUP]
    host = FakeHost.from_spec(copy.deepcopy(spec))
    host.transport = 'smb'
    verdict = evaluate(gather_facts(host, owa=OwaAnswer.declared(True)))
    assert verdict['status'] == 'blocked'
    assert ('NT 4.0 and Windows 2000 allow remote registry access only to Administrators' in verdict['reasons'][0]
            and 'winreg' in verdict['reasons'][0] and 'Q153183' in verdict['reasons'][0])
    assert 'not installed' not in verdict['reasons'][0]


def test_access_denied_parameters_private():
    host, facts, verdict = audit_server('access_denied_parameters_private')
    assert facts['owa_url_protocol'] == value_facts(present=None, key_present=None)
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == [f'Access denied reading the values of {PARAMETERS_PRIVATE}: access denied to {PARAMETERS_PRIVATE}']
    assert verdict['prerequisites']['readable'] is False


def test_access_denied_on_setup_is_still_not_applicable_when_owa_is_not_ssl_only():
    spec = exchange55_server(ssl_required=False)
    spec['deny_read'] = [SETUP]
    _host, _facts, verdict = audit_spec(spec)
    assert verdict['status'] == 'not_applicable'


@pytest.mark.parametrize('method', ['get_value', 'file_version', 'enum_values'])
def test_other_remote_errors_propagate(method):
    host = fake_server('compliant')
    host.faults[method] = RemoteError('no answer within 30 s', kind='timeout', host='compliant')
    with pytest.raises(RemoteError) as caught:
        gather_facts(host, owa=OwaAnswer.declared(True))
    assert caught.value.kind == 'timeout'


def test_owa_callable_is_called_once_for_exchange_55():
    probes = []
    facts = gather_facts(fake_server('value_absent'), owa=lambda: probes.append('probed') or OwaAnswer.declared(True))
    assert probes == ['probed']
    assert facts['owa']['ssl_required'] is True


def test_no_owa_answer_is_unknown():
    facts = gather_facts(fake_server('value_absent'))
    assert facts['owa'] == {'ssl_required': None, 'source': 'unknown', 'url': None,
                            'detail': 'no OWA URL to probe and no declared setting'}
    assert evaluate(facts)['status'] == 'blocked'


@pytest.mark.parametrize('services', ['"C:\\exchsrvr"', '\\\\exsrv01\\c$\\exchsrvr', '%SystemDrive%\\exchsrvr'])
def test_a_services_path_smb_cannot_read_blocks_the_server_with_the_reason(services):
    """Over smb Store.exe is read through the drive's administrative share; a quoted, UNC or %variable% Services path
    cannot be read that way, so the version is unknown: blocked, saying why, instead of failing the host."""
    class Host(FakeHost):
        transport = 'smb'

        def file_version(self, path):
            try:
                split_windows_path(path)
            except ValueError as error:
                raise RemoteError(str(error), kind='unsupported', host=self.name) from None
            return super().file_version(path)

    spec = exchange55_server(install_path=services)
    host = Host.from_spec(spec)
    facts = gather_facts(host, owa=OwaAnswer.declared(True))
    verdict = evaluate(facts)
    assert verdict['status'] == 'blocked', verdict
    assert facts['store']['not_read'] and 'drive letter' in facts['store']['not_read']
    assert any("Store.exe's version could not be read" in reason and 'Services' in reason for reason in verdict['reasons'])
