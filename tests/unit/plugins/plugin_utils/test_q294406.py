# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The Q294406 policy: protocol rules, status order, version comparison, plans and the status after a change."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import gather_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import (
    KEY, VALUE_NAME, Plan, current_value, evaluate, plan, status_after_change, validate_protocol, validate_state, write_allowed)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import REFUSAL, refusal
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import PARAMETERS_PRIVATE, SERVERS, fake_server

HTTPS = RegValue('REG_SZ', 'https:')
_FACTS = {}


def facts_of(name: str, ssl_required: bool | None = True) -> dict:
    """Facts of a named fake server (gathered once per server, copied per test)."""
    if (name, ssl_required) not in _FACTS:
        owa = OwaAnswer.declared(ssl_required) if ssl_required is not None else OwaAnswer.unknown('no owa_url given')
        _FACTS[name, ssl_required] = gather_facts(fake_server(name), owa=owa)
    return copy.deepcopy(_FACTS[name, ssl_required])


def test_key_and_value_name_are_the_kb_ones():
    assert KEY == PARAMETERS_PRIVATE
    assert VALUE_NAME == 'OWA Url Protocol'


@pytest.mark.parametrize('protocol', ['https:', 'http:'])
def test_valid_protocols(protocol):
    assert validate_protocol(protocol) == protocol


@pytest.mark.parametrize('protocol', ['https', 'http', 'HTTPS', ' https '])
def test_protocol_without_colon_quotes_the_kb_rule(protocol):
    with pytest.raises(ValueError, match=r'lacks its colon: use "https?:" \(Q294406: "Data must end with a colon \(:\)"\)'):
        validate_protocol(protocol)


@pytest.mark.parametrize('protocol', ['ftp:', 'HTTPS:', 'https://', '', None, 1])
def test_other_protocols_are_refused(protocol):
    with pytest.raises(ValueError, match=r'^protocol must be "https:" or "http:", got '):
        validate_protocol(protocol)


def test_state_must_be_present_or_absent():
    assert validate_state('absent') == 'absent'
    with pytest.raises(ValueError, match='state must be "present" or "absent"'):
        validate_state('enabled')


def test_evaluate_refuses_a_bad_protocol():
    with pytest.raises(ValueError, match='Data must end with a colon'):
        evaluate(facts_of('compliant'), 'https')


@pytest.mark.parametrize('name', sorted(SERVERS))
def test_every_server_gets_a_known_status_and_reasons(name):
    ssl_required = SERVERS[name]['owa']['ssl_required']
    verdict = evaluate(facts_of(name, ssl_required))
    assert verdict['status'] in ('compliant', 'needs_change', 'not_applicable', 'blocked')
    assert verdict['reasons'] and all(isinstance(reason, str) and '\n' not in reason for reason in verdict['reasons'])


# -- order: not_applicable, then blocked, then compliant / needs_change --------------------------

def test_not_applicable_wins_over_unknown_owa_without_exchange():
    verdict = evaluate(facts_of('no_exchange', None))
    assert verdict['status'] == 'not_applicable'
    assert verdict['prerequisites']['exchange_55'] is False


def test_owa_not_ssl_only_wins_over_missing_prerequisites():
    assert evaluate(facts_of('sp3', False))['status'] == 'not_applicable'


def test_blocked_lists_every_missing_prerequisite():
    facts = facts_of('sp3', None)
    facts['denied'].append({'what': 'the state of service MSExchangeIS', 'reason': 'Access is denied'})
    verdict = evaluate(facts)
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == [
        'Service Pack 3 found (ServicePackBuild 2650); Q294406 needs Service Pack 4',
        'Store.exe 5.5.2650.21 is older than 5.5.2654.81',
        'OWA SSL-only could not be determined (no owa_url given); declare it with owa_ssl_required: true or false',
        'Access denied reading the state of service MSExchangeIS: Access is denied',
    ]
    assert verdict['prerequisites'] == {'exchange_55': True, 'service_pack_4': False, 'store_exe': False, 'owa_ssl_only': None,
                                        'information_store_key': True, 'readable': False}


def test_compliant_value_on_a_blocked_server_is_still_blocked():
    facts = facts_of('store_2654_80')
    facts['owa_url_protocol'].update(present=True, type='REG_SZ', data='https:')
    assert evaluate(facts)['status'] == 'blocked'


def test_no_service_pack_is_named():
    facts = facts_of('sp3')
    facts['exchange'].update(service_pack=0, service_pack_build=1960, service_pack_evidence='ServicePackBuild 1960')
    assert evaluate(facts)['reasons'][0] == 'Exchange 5.5 without a service pack found (ServicePackBuild 1960); Q294406 needs Service Pack 4'


# -- Store.exe versions compare as four integers --------------------------------------------------

@pytest.mark.parametrize('version, met, reason', [
    ('5.5.2654.81', True, None),
    ('5.5.2654.100', True, None),        # as strings "100" < "81"; as numbers it is newer
    ('5.5.2654.89', True, None),
    ('5, 5, 2656, 84', True, None),      # the version-resource comma form
    ('5.5.2654.9', False, 'Store.exe 5.5.2654.9 is older than 5.5.2654.81'),
    ('5.5.2653.23', False, 'Store.exe 5.5.2653.23 is older than 5.5.2654.81'),
    ('', None, 'Store.exe at C:\\exchsrvr\\bin\\store.exe has no file version'),
    ('5.5.2654', None, "Store.exe at C:\\exchsrvr\\bin\\store.exe reports version '5.5.2654', which is not a file version"),
])
def test_store_version(version, met, reason):
    facts = facts_of('value_absent')
    facts['store']['version'] = version
    verdict = evaluate(facts)
    assert verdict['prerequisites']['store_exe'] is met
    if reason is None:
        assert verdict['status'] == 'needs_change'
    else:
        assert (verdict['status'], verdict['reasons']) == ('blocked', [reason])


# -- plans ------------------------------------------------------------------------------------------

@pytest.mark.parametrize('current, state, protocol, action, after', [
    (None, 'present', 'https:', 'set', HTTPS),
    (HTTPS, 'present', 'https:', 'none', HTTPS),
    (RegValue('REG_EXPAND_SZ', 'https:'), 'present', 'https:', 'set', HTTPS),
    (RegValue('REG_SZ', 'HTTPS:'), 'present', 'https:', 'set', HTTPS),
    (HTTPS, 'present', 'http:', 'set', RegValue('REG_SZ', 'http:')),
    (HTTPS, 'absent', 'https:', 'delete', None),
    (RegValue('REG_DWORD', 1), 'absent', 'https:', 'delete', None),
    (None, 'absent', 'https:', 'none', None),
])
def test_plan(current, state, protocol, action, after):
    assert plan(current, state, protocol) == Plan(action, current, after)


def test_plan_validates_its_input():
    with pytest.raises(ValueError, match='Data must end with a colon'):
        plan(None, 'present', 'https')
    with pytest.raises(ValueError, match='state must be'):
        plan(None, 'gone')


def test_plan_diff_shows_type_drift():
    diff = plan(RegValue('REG_EXPAND_SZ', 'https:')).diff()
    assert diff == {'before': 'OWA Url Protocol = REG_EXPAND_SZ "https:"\n', 'after': 'OWA Url Protocol = REG_SZ "https:"\n',
                    'before_header': KEY, 'after_header': KEY}
    assert plan(None).diff()['before'] == ''


def test_current_value_reads_the_facts():
    assert current_value(facts_of('expand_sz_https')) == RegValue('REG_EXPAND_SZ', 'https:')
    assert current_value(facts_of('value_absent')) is None
    assert current_value(facts_of('access_denied_parameters_private')) is None


# -- may it be written, and what is the status afterwards ------------------------------------------

@pytest.mark.parametrize('status, state, ignore, allowed', [
    ('needs_change', 'present', False, True),
    ('blocked', 'present', False, False),
    ('not_applicable', 'present', False, False),
    ('blocked', 'present', True, True),
    ('blocked', 'absent', False, True),
    ('not_applicable', 'present', True, False),     # the docs: a not_applicable server is never changed
    ('not_applicable', 'absent', False, True),
    ('compliant', 'present', False, True),
])
def test_write_allowed(status, state, ignore, allowed):
    assert write_allowed({'status': status}, state, ignore) is allowed


def test_a_refused_blocked_write_names_the_reasons_and_the_way_out():
    message = refusal({'status': 'blocked', 'reasons': ['Service Pack 3 found', 'Store.exe missing']})
    assert message == (f'{REFUSAL}: Service Pack 3 found; Store.exe missing (set ignore_prerequisites: true to write anyway)')
    assert refusal({'status': 'not_applicable', 'reasons': ['OWA is not SSL-only']}) is None


def test_setting_the_value_reports_changed():
    facts = facts_of('expand_sz_https')
    change = plan(current_value(facts))
    verdict = status_after_change(facts, change)
    assert verdict['status'] == 'changed'
    assert verdict['reasons'] == ['OWA Url Protocol is REG_SZ "https:"']
    assert facts['owa_url_protocol']['type'] == 'REG_EXPAND_SZ'  # the input facts are left alone


def test_no_change_keeps_compliant():
    facts = facts_of('compliant')
    assert status_after_change(facts, plan(current_value(facts)))['status'] == 'compliant'


def test_deleting_the_value_leaves_it_needing_change():
    facts = facts_of('compliant')
    verdict = status_after_change(facts, plan(current_value(facts), 'absent'))
    assert (verdict['status'], verdict['reasons']) == ('needs_change', ['OWA Url Protocol is not set; must be REG_SZ "https:"'])


def test_forced_write_on_a_blocked_server_stays_blocked():
    facts = facts_of('store_2654_80')
    verdict = status_after_change(facts, plan(current_value(facts)))
    assert (verdict['status'], verdict['reasons']) == ('blocked', ['Store.exe 5.5.2654.80 is older than 5.5.2654.81'])
