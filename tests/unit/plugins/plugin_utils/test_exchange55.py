# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""gather_facts against one named fake server each: the facts, the Q294406 verdict, and what the reads cost."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import (
    family_from_build, gather_facts, service_pack_from_build)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import evaluate
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import (
    PARAMETERS_PRIVATE, SERVERS, SETUP, FakeHost, exchange55_server, fake_server)

STORE = 'C:\\exchsrvr\\bin\\store.exe'
UNREACHABLE_OWA = OwaAnswer(None, 'http://127.0.30.9/exchange/: connection refused (nothing listens there)', url='http://127.0.30.9/exchange/')

# The reads of a typical Exchange 5.5 audit, in order; the last one only when the value exists.
AUDIT_CALLS = [
    ('get_value', SETUP, 'Services', 'REG_SZ'),
    ('get_value', SETUP, 'NewestBuild', 'REG_DWORD'),
    ('get_value', SETUP, 'ServicePackBuild', 'REG_DWORD'),
    ('file_version', STORE),
    ('service_state', 'MSExchangeIS'),
    ('enum_values', PARAMETERS_PRIVATE),
]


def owa_for(spec: dict) -> OwaAnswer:
    """The OWA answer the fleet entry describes: declared true/false, or an unreachable probe."""
    ssl_required = spec['owa']['ssl_required']
    return UNREACHABLE_OWA if ssl_required is None else OwaAnswer.declared(ssl_required)


def audit(host: FakeHost, spec: dict, protocol: str = 'https:'):
    facts = gather_facts(host, owa=owa_for(spec))
    assert json.loads(json.dumps(facts)) == facts  # JSON-safe, nothing lost
    return facts, evaluate(facts, protocol)


def audit_server(name: str, protocol: str = 'https:'):
    host = fake_server(name)
    facts, verdict = audit(host, SERVERS[name], protocol)
    return host, facts, verdict


def exchange_facts(**changes) -> dict:
    """The exchange facts of a healthy 5.5 SP4 server, with ``changes`` applied."""
    facts = {'installed': True, 'family': '5.5', 'family_evidence': 'NewestBuild 1960', 'install_path': 'C:\\exchsrvr',
             'newest_build': 1960, 'services_version': None, 'service_pack_build': 2653, 'service_pack': 4,
             'service_pack_evidence': 'ServicePackBuild 2653', 'values_found': {'Services': 'REG_SZ', 'NewestBuild': 'REG_DWORD',
                                                                                'ServicePackBuild': 'REG_DWORD'}, 'notes': []}
    facts.update(changes)
    return facts


def value_facts(present=False, type_=None, data=None, key_present=True, name='OWA Url Protocol') -> dict:
    return {'key': PARAMETERS_PRIVATE, 'name': name, 'key_present': key_present, 'present': present, 'type': type_, 'data': data}


def test_compliant():
    host, facts, verdict = audit_server('compliant')
    assert facts == {
        'exchange': exchange_facts(),
        'store': {'path': STORE, 'present': True, 'version': '5.5.2654.81'},
        'information_store': {'service': 'MSExchangeIS', 'state': 'Running'},
        'owa': {'ssl_required': True, 'source': 'declared', 'url': None, 'detail': 'declared by the operator with owa_ssl_required: true'},
        'owa_url_protocol': value_facts(True, 'REG_SZ', 'https:'),
        'denied': [],
    }
    assert verdict == {'status': 'compliant', 'reasons': ['OWA Url Protocol is REG_SZ "https:"'],
                       'prerequisites': {'exchange_55': True, 'service_pack_4': True, 'store_exe': True, 'owa_ssl_only': True,
                                         'information_store_key': True, 'readable': True}}
    # Six reads plus the value itself, read with the type the listing reported; Services Version is not needed.
    assert host.calls == AUDIT_CALLS + [('get_value', PARAMETERS_PRIVATE, 'OWA Url Protocol', 'REG_SZ')]


def test_value_absent():
    host, facts, verdict = audit_server('value_absent')
    assert facts['owa_url_protocol'] == value_facts(present=False)
    assert (verdict['status'], verdict['reasons']) == ('needs_change', ['OWA Url Protocol is not set; must be REG_SZ "https:"'])
    assert host.calls == AUDIT_CALLS  # an absent value costs no get_value


def test_expand_sz_https():
    host, facts, verdict = audit_server('expand_sz_https')
    assert facts['owa_url_protocol'] == value_facts(True, 'REG_EXPAND_SZ', 'https:')
    assert verdict['status'] == 'needs_change'
    assert verdict['reasons'] == ['OWA Url Protocol is REG_EXPAND_SZ "https:"; must be REG_SZ "https:"']
    assert host.calls[-1] == ('get_value', PARAMETERS_PRIVATE, 'OWA Url Protocol', 'REG_EXPAND_SZ')
    assert len(host.calls) == 7


def test_http_value():
    host, facts, verdict = audit_server('http_value')
    assert facts['owa_url_protocol'] == value_facts(True, 'REG_SZ', 'http:')
    assert (verdict['status'], verdict['reasons']) == ('needs_change', ['OWA Url Protocol is REG_SZ "http:"; must be REG_SZ "https:"'])
    assert evaluate(facts, 'http:')['status'] == 'compliant'
    assert len(host.calls) == 7


def test_sp3():
    host, facts, verdict = audit_server('sp3')
    assert facts['exchange'] == exchange_facts(service_pack_build=2650, service_pack=3, service_pack_evidence='ServicePackBuild 2650')
    assert facts['store']['version'] == '5.5.2650.21'
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == ['Service Pack 3 found (ServicePackBuild 2650); Q294406 needs Service Pack 4',
                                  'Store.exe 5.5.2650.21 is older than 5.5.2654.81']
    assert (verdict['prerequisites']['service_pack_4'], verdict['prerequisites']['store_exe']) == (False, False)
    assert host.calls == AUDIT_CALLS


def test_store_2654_80():
    host, facts, verdict = audit_server('store_2654_80')
    assert facts['store'] == {'path': STORE, 'present': True, 'version': '5.5.2654.80'}
    assert (verdict['status'], verdict['reasons']) == ('blocked', ['Store.exe 5.5.2654.80 is older than 5.5.2654.81'])
    assert len(host.calls) == 6


def test_store_2656_84():
    host, facts, verdict = audit_server('store_2656_84')
    assert facts['store']['version'] == '5.5.2656.84'
    assert verdict['status'] == 'needs_change'
    assert verdict['prerequisites']['store_exe'] is True
    assert len(host.calls) == 6


def test_no_exchange():
    probes = []
    host = fake_server('no_exchange')
    facts = gather_facts(host, owa=lambda: probes.append('probed') or UNREACHABLE_OWA)
    verdict = evaluate(facts)
    assert facts['exchange'] == exchange_facts(installed=False, family=None, family_evidence=None, install_path=None,
                                               newest_build=None, service_pack_build=None, service_pack=None,
                                               service_pack_evidence=None, values_found={})
    assert facts['store'] == {'path': None, 'present': None, 'version': None}
    assert facts['owa']['source'] == 'unknown' and facts['owa']['ssl_required'] is None
    assert facts['owa_url_protocol'] == value_facts(present=None, key_present=None)
    assert verdict['status'] == 'not_applicable'
    assert verdict['reasons'] == ['Exchange Server is not installed (no HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup key)']
    # Services is missing, so the key is listed to tell "no Exchange" from "no install folder"; nothing else is read.
    assert host.calls == [('get_value', SETUP, 'Services', 'REG_SZ'), ('enum_values', SETUP)]
    assert not probes


def test_exchange_2000():
    probes = []
    host = fake_server('exchange_2000')
    facts = gather_facts(host, owa=lambda: probes.append('probed') or OwaAnswer.declared(True))
    verdict = evaluate(facts)
    assert facts['exchange']['family'] == '2000 or later'
    assert facts['exchange']['install_path'] == 'C:\\Program Files\\Exchsrvr'
    assert facts['store']['path'] is None
    assert verdict['status'] == 'not_applicable'
    assert verdict['reasons'] == ['Exchange Server 2000 or later found (NewestBuild 4417); Q294406 applies to Exchange Server 5.5 only']
    assert host.calls == AUDIT_CALLS[:2]
    assert not probes


def test_owa_not_ssl_only():
    host, facts, verdict = audit_server('owa_not_ssl_only')
    assert facts['owa']['ssl_required'] is False
    assert verdict['status'] == 'not_applicable'
    assert verdict['reasons'] == ['OWA is not SSL-only (declared by the operator with owa_ssl_required: false); '
                                  'Q294406 applies only when OWA requires SSL']
    assert len(host.calls) == 6


def test_owa_unknown():
    host, facts, verdict = audit_server('owa_unknown')
    assert facts['owa'] == UNREACHABLE_OWA.to_facts()
    assert facts['owa']['source'] == 'probe'
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == ['OWA SSL-only could not be determined (http://127.0.30.9/exchange/: connection refused '
                                  '(nothing listens there)); declare it with owa_ssl_required: true or false']
    assert verdict['prerequisites']['owa_ssl_only'] is None
    assert len(host.calls) == 6


def test_build_as_reg_sz():
    host, facts, verdict = audit_server('build_as_reg_sz')
    assert facts['exchange'] == exchange_facts(
        values_found={'Services': 'REG_SZ', 'NewestBuild': 'REG_SZ', 'ServicePackBuild': 'REG_SZ'},
        notes=['NewestBuild is REG_SZ "1960" (expected REG_DWORD); read as 1960',
               'ServicePackBuild is REG_SZ " 2653" (expected REG_DWORD); read as 2653'])
    assert verdict['status'] == 'needs_change'
    assert len(host.calls) == 6


def test_access_denied_parameters_private():
    host, facts, verdict = audit_server('access_denied_parameters_private')
    assert facts['owa_url_protocol'] == value_facts(present=None, key_present=None)
    assert facts['denied'] == [{'what': f'the values of {PARAMETERS_PRIVATE}', 'reason': f'access denied to {PARAMETERS_PRIVATE}'}]
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == [f'Access denied reading the values of {PARAMETERS_PRIVATE}: access denied to {PARAMETERS_PRIVATE}']
    assert verdict['prerequisites']['readable'] is False
    assert host.calls == AUDIT_CALLS


# -- variants of the weakly sourced Setup values -------------------------------------------------

def audit_spec(spec: dict):
    host = FakeHost.from_spec(copy.deepcopy(spec))
    facts, verdict = audit(host, spec)
    return host, facts, verdict


def test_services_version_read_only_when_newest_build_is_missing():
    spec = exchange55_server(newest_build=None)
    spec['registry'][SETUP]['Services Version'] = {'type': 'REG_DWORD', 'data': 55}
    host, facts, verdict = audit_spec(spec)
    assert (facts['exchange']['family'], facts['exchange']['family_evidence']) == ('5.5', 'Services Version 55')
    assert facts['exchange']['services_version'] == 55
    assert verdict['status'] == 'needs_change'
    assert host.calls[:4] == AUDIT_CALLS[:2] + [('get_value', SETUP, 'Services Version', 'REG_DWORD'), AUDIT_CALLS[2]]
    assert len(host.calls) == 7


def test_unknown_services_version_blocks():
    spec = exchange55_server(newest_build=None)
    spec['registry'][SETUP]['Services Version'] = {'type': 'REG_DWORD', 'data': 60}
    host, facts, verdict = audit_spec(spec)
    assert facts['exchange']['family'] is None
    assert facts['exchange']['notes'] == ['Services Version 60 is not a known value (55 means Exchange 5.5)']
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'][0].startswith('Exchange version could not be determined')
    assert len(host.calls) == 3  # nothing past the Setup key can change a blocked verdict


def test_sp4_taken_from_newest_build_when_service_pack_build_is_missing():
    host, facts, verdict = audit_spec(exchange55_server(newest_build=2653, service_pack_build=None))
    assert facts['exchange']['service_pack'] == 4
    assert facts['exchange']['service_pack_evidence'] == 'no ServicePackBuild; NewestBuild 2653 is Service Pack 4 or later'
    assert facts['exchange']['notes'] == ['Service Pack 4 taken from NewestBuild 2653: there is no ServicePackBuild value']
    assert verdict['status'] == 'needs_change'
    assert len(host.calls) == 6


def test_rtm_newest_build_without_service_pack_build_blocks():
    host, facts, verdict = audit_spec(exchange55_server(newest_build=1960, service_pack_build=None))
    assert facts['exchange']['service_pack'] is None
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == ['Service pack could not be determined (no ServicePackBuild value; NewestBuild 1960 does not show one); '
                                  'Q294406 needs Service Pack 4']


@pytest.mark.parametrize('build, service_pack', [(1959, None), (1960, 0), (2231, 0), (2232, 1), (2449, 2), (2650, 3), (2652, 3),
                                                 (2653, 4), (2660, 4)])
def test_service_pack_is_the_highest_at_or_below_the_build(build, service_pack):
    assert service_pack_from_build(build) == service_pack


@pytest.mark.parametrize('build, family', [(837, '4.0'), (1456, '4.0'), (1457, '5.0'), (1959, '5.0'), (1960, '5.5'), (2999, '5.5'),
                                           (3000, None), (4416, None), (4417, '2000 or later'), (6944, '2000 or later')])
def test_family_from_build(build, family):
    assert family_from_build(build) == family


def test_setup_key_without_services_lists_the_key_and_reads_with_listed_types():
    spec = exchange55_server(newest_build='1960')
    del spec['registry'][SETUP]['Services']
    host, facts, verdict = audit_spec(spec)
    assert facts['exchange']['installed'] is True and facts['exchange']['install_path'] is None
    assert facts['exchange']['values_found'] == {'NewestBuild': 'REG_SZ', 'ServicePackBuild': 'REG_DWORD'}
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == ['Store.exe could not be located: no install folder (Services) under HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup']
    assert host.calls == [('get_value', SETUP, 'Services', 'REG_SZ'), ('enum_values', SETUP),
                          ('get_value', SETUP, 'NewestBuild', 'REG_SZ'), ('get_value', SETUP, 'ServicePackBuild', 'REG_DWORD'),
                          ('service_state', 'MSExchangeIS'), ('enum_values', PARAMETERS_PRIVATE)]


def test_non_numeric_build_is_noted_and_ignored():
    host, facts, verdict = audit_spec(exchange55_server(newest_build='5.5 SP4'))
    assert facts['exchange']['newest_build'] is None
    assert facts['exchange']['notes'] == ['NewestBuild is REG_SZ "5.5 SP4": not a number, ignored']
    assert verdict['status'] == 'blocked'
    assert len(host.calls) == 3  # NewestBuild, then Services Version as the fallback


def test_value_name_is_matched_case_insensitively():
    spec = exchange55_server()
    spec['registry'][PARAMETERS_PRIVATE]['owa url protocol'] = {'type': 'REG_SZ', 'data': 'https:'}
    host, facts, verdict = audit_spec(spec)
    assert facts['owa_url_protocol'] == value_facts(True, 'REG_SZ', 'https:', name='owa url protocol')
    assert verdict['status'] == 'compliant'
    assert host.calls[-1] == ('get_value', PARAMETERS_PRIVATE, 'owa url protocol', 'REG_SZ')


def test_missing_store_exe_blocks():
    spec = exchange55_server()
    spec['files'] = {}
    _host, facts, verdict = audit_spec(spec)
    assert facts['store'] == {'path': STORE, 'present': False, 'version': None}
    assert verdict['reasons'] == [f'Store.exe not found at {STORE}']


def test_missing_parameters_private_key_blocks():
    spec = exchange55_server()
    del spec['registry'][PARAMETERS_PRIVATE]
    _host, facts, verdict = audit_spec(spec)
    assert facts['owa_url_protocol'] == value_facts(present=False, key_present=False)
    assert verdict['reasons'] == [f'Key {PARAMETERS_PRIVATE} not found: the Information Store is not installed on this server']


# -- access denied and other failures ------------------------------------------------------------

def test_access_denied_on_setup_blocks_after_one_read():
    spec = exchange55_server()
    spec['deny_read'] = [SETUP]
    host, facts, verdict = audit_spec(spec)
    assert facts['exchange']['installed'] is None
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == [f'Access denied reading {SETUP} value "Services": access denied to {SETUP}']
    assert host.calls == AUDIT_CALLS[:1]


def test_access_denied_on_setup_is_still_not_applicable_when_owa_is_not_ssl_only():
    spec = exchange55_server(ssl_required=False)
    spec['deny_read'] = [SETUP]
    _host, _facts, verdict = audit_spec(spec)
    assert verdict['status'] == 'not_applicable'


@pytest.mark.parametrize('method', ['get_value', 'file_version', 'service_state', 'enum_values'])
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


def test_access_denied_on_newest_build_does_not_fall_back_to_services_version():
    host = fake_server('value_absent')
    real_get_value = host.get_value

    def get_value(key, name, expected_type=None):
        if name == 'NewestBuild':
            host.calls.append(('get_value', key, name, expected_type))
            raise RemoteError('Access is denied', kind='access_denied')
        return real_get_value(key, name, expected_type)

    host.get_value = get_value
    facts = gather_facts(host, owa=OwaAnswer.declared(True))
    assert facts['denied'] == [{'what': f'{SETUP} value "NewestBuild"', 'reason': 'Access is denied'}]
    assert facts['exchange']['installed'] is True and facts['exchange']['family'] is None
    assert evaluate(facts)['reasons'] == [f'Access denied reading {SETUP} value "NewestBuild": Access is denied']
    assert host.calls == AUDIT_CALLS[:2]
