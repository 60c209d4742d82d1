# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Identification of real Exchange servers end to end, over both transports.

One fleet (tests/e2e/fleets/identification.yml) holds a server per Setup-key shape the KBs and scanners
show and per OWA page style.  server_info runs with the OWA probe (no declared answer), then
owa_url_protocol applies; every status is checked against what the server then holds.
"""

from __future__ import annotations

import os

import pytest

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'identification.yml')
PLAYBOOKS = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks')
SUBNETS = {'winrm': '127.0.62', 'smb': '127.0.63'}
HTTPS = {'type': 'REG_SZ', 'data': 'https:'}

# host: (status from server_info, family, the item that decided the family, reason fragment)
EXPECTED = {
    'sp4_services_and_service_pack_build_only': ('needs_change', '5.5', 'Store.exe', None),
    'sp4_newest_build_2653': ('needs_change', '5.5', 'Store.exe', None),
    'sp4_services_version_55': ('needs_change', '5.5', 'Store.exe', None),
    'sp4_service_pack_number_only': ('needs_change', '5.5', 'Store.exe', None),
    'alpha_store_version_5_05': ('needs_change', '5.5', 'Store.exe', None),
    'exchange_50_sp2': ('not_applicable', '5.0', 'Store.exe', 'Exchange Server 5.0 found'),
    'exchange_2000_sp1': ('not_applicable', '2000', 'Store.exe', 'Exchange Server 2000 found'),
    'exchange_2003': ('not_applicable', '2003', 'Store.exe', 'Exchange Server 2003 found'),
    'stale_setup_key_after_uninstall': ('not_applicable', '5.5', 'Setup\\NewestBuild', 'no Exchange 5.5 Information Store'),
    'conflicting_services_version_55_store_6_0': ('blocked', None, None, 'conflicting evidence: Store.exe 6.0.6249.0 says '
                                                  'Exchange 2000, but Services Version 55 says Exchange 5.5'),
    'owa_page_default': ('needs_change', '5.5', 'Store.exe', None),
    'owa_page_meta_refresh': ('needs_change', '5.5', 'Store.exe', None),
    'owa_page_redirect_https': ('needs_change', '5.5', 'Store.exe', None),
    'owa_page_forbidden_other': ('blocked', '5.5', 'Store.exe', 'which is not the SSL-required answer (403.4)'),
    'owa_page_plain_http': ('not_applicable', '5.5', 'Store.exe', 'OWA is not SSL-only'),
    'owa_url_without_trailing_slash': ('needs_change', '5.5', 'Store.exe', None),
    'registry_denied_to_this_account': ('blocked', None, None, 'Access denied reading'),
}
# What the OWA probe saw, per page style (the part of owa.detail that shows the rule used).
OWA_DETAIL = {
    'owa_page_default': ': "403.4"',
    'owa_page_meta_refresh': 'whose page sends the browser to https://',
    'owa_page_redirect_https': 'a redirect to https://',
    'owa_page_forbidden_other': '403.6 Forbidden: IP address rejected',
    'owa_page_plain_http': 'answered HTTP 200 OK over plain http',
    'owa_url_without_trailing_slash': 'answered HTTP 302 to http://',
}


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def runs(request, tmp_path_factory, env_factory):
    require_transport(request.param)
    workdir = tmp_path_factory.mktemp(f'identification-{request.param}')
    fleet = Fleet(request.param, FLEET_FILE, str(workdir), SUBNETS[request.param])
    request.addfinalizer(fleet.stop)

    def without_slash(hosts):
        slashless = hosts['owa_url_without_trailing_slash']
        slashless['exchange55_owa_url'] = slashless['exchange55_owa_url'].rstrip('/')
    hosts = fleet.edit_hosts(without_slash)
    assert hosts['owa_url_without_trailing_slash']['exchange55_owa_url'].endswith('/exchange')
    env = env_factory(workdir)
    results = {'fleet': fleet, 'transport': request.param, 'inventory': hosts}
    results['initial'] = {host: fleet.registry(host, KEY) for host in EXPECTED}
    results['info'] = run_playbook(os.path.join(PLAYBOOKS, 'server_info.yml'), fleet.inventory, env, str(workdir / 'info'),
                                   extra_vars={'connect_timeout': 5})
    results['apply'] = run_playbook(os.path.join(PLAYBOOKS, 'owa_url_protocol.yml'), fleet.inventory, env, str(workdir / 'apply'),
                                    extra_vars={'connect_timeout': 5})
    results['after'] = {host: fleet.registry(host, KEY) for host in EXPECTED}
    return results


@pytest.mark.parametrize('host', sorted(EXPECTED))
def test_server_info_identifies_the_server(runs, host):
    status, family, deciding, reason = EXPECTED[host]
    result = runs['info'].results[host]
    assert not result.get('failed'), result.get('msg')
    assert result['q294406']['status'] == status, result['q294406']['reasons']
    exchange = result['server']['exchange']
    assert exchange['family'] == family
    if reason:
        assert any(reason in line for line in result['q294406']['reasons']), result['q294406']['reasons']
    evidence = {entry['item']: entry for entry in result['server']['evidence']}
    assert all(set(entry) == {'item', 'value', 'says', 'decides'} and entry['says'] for entry in evidence.values())
    if deciding:
        assert 'family' in evidence[deciding]['decides']
        assert exchange['family_evidence'].startswith(deciding.rsplit('\\', 1)[-1])
    if host in OWA_DETAIL:
        assert OWA_DETAIL[host] in result['server']['owa']['detail'], result['server']['owa']
        assert result['server']['owa']['source'] == 'probe'


@pytest.mark.parametrize('host', sorted(EXPECTED))
def test_apply_changes_exactly_the_servers_the_kb_applies_to(runs, host):
    """Each status is checked against the server's own state after the apply run."""
    status = EXPECTED[host][0]
    result = runs['apply'].results[host]
    before, after = runs['initial'][host], runs['after'][host]
    if status == 'needs_change':
        assert result['q294406']['status'] == 'changed' and result['changed'] is True
        assert {name: value for name, value in after.items() if name != 'OWA Url Protocol'} == before
        assert after['OWA Url Protocol'] == HTTPS
    else:
        assert after == before and result['changed'] is False
        assert result['q294406']['status'] == status
        if status == 'blocked':
            assert result['failed'] and result['error_kind'] == 'blocked'


def test_the_stale_key_has_no_information_store_to_write_to(runs):
    assert runs['after']['stale_setup_key_after_uninstall'] == {}
    evidence = runs['info'].results['stale_setup_key_after_uninstall']['server']['evidence']
    assert any(entry['item'] == f'{KEY} key' and entry['value'] == 'missing' for entry in evidence)


def test_a_refused_registry_is_blocked_and_never_called_not_exchange(runs):
    reasons = runs['info'].results['registry_denied_to_this_account']['q294406']['reasons']
    assert not any('not installed' in reason or 'not_applicable' in reason for reason in reasons)
    if runs['transport'] == 'smb':
        assert all('allow remote registry access only to Administrators' in reason and 'Q153183' in reason
                   for reason in reasons if 'HKLM' in reason), reasons
