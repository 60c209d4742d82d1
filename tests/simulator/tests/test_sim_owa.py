# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet file's owa.page contract and the /exchange courtesy redirect, and the per-host environment that
REG_EXPAND_SZ data is expanded with, as a plain HTTP client and pywinrm see them."""

from __future__ import annotations

import pytest
import requests

from simhelpers import Fleet, WinrmClient, return_value

SUBNET = '127.0.9'
PAGES = ('default', 'meta_refresh', 'redirect_https', 'forbidden_other')
DEFAULTS = {'username': 'Administrator', 'password': 'Exch55!Sim',
            'registry': {'HKLM\\SOFTWARE\\Test': {'Root': {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\system32;%Custom%'}}}}


@pytest.fixture(scope='module')
def fleet(tmp_path_factory):
    hosts = {page.replace('_', '-'): {'owa': {'ssl_required': True, 'page': page}} for page in PAGES}
    hosts['plain'] = {'owa': {'ssl_required': False, 'page': 'meta_refresh'}}   # page only matters when SSL is required
    hosts['ssl-no-page'] = {'owa': {'ssl_required': True}}                        # page defaults to default
    hosts['d-drive'] = {'environment': {'SystemRoot': 'D:\\WINNT40', 'Custom': 'x'}}
    running = Fleet(str(tmp_path_factory.mktemp('owa')), {'defaults': DEFAULTS, 'hosts': hosts}, SUBNET)
    yield running
    assert running.stop() == 0


def get(fleet, host: str, path: str = '/exchange/') -> requests.Response:
    base = fleet.hostvars[host]['exchange55_owa_url'].rsplit('/exchange/', 1)[0]
    return requests.get(base + path, allow_redirects=False, timeout=5)


def test_default_page_is_iis4_403_4_text(fleet):
    for host in ('default', 'ssl-no-page'):
        answer = get(fleet, host)
        assert (answer.status_code, answer.reason) == (403, 'Access Forbidden')
        assert '403.4 Forbidden: SSL required' in answer.text and 'typing "https://"' in answer.text   # Q224389


def test_meta_refresh_is_q268822s_page_with_the_server_name(fleet):
    answer = get(fleet, 'meta-refresh')
    address = fleet.hostvars['meta-refresh']['ansible_host']
    assert answer.status_code == 403 and '403.4' not in answer.text
    assert f'content="0;url=https://{address}/exchange/logon.asp"' in answer.text


def test_redirect_https_is_q279681s_302(fleet):
    answer = get(fleet, 'redirect-https')
    address = fleet.hostvars['redirect-https']['ansible_host']
    assert (answer.status_code, answer.reason, answer.headers['Location']) == (302, 'Object moved', f'https://{address}/exchange')


def test_forbidden_other_is_a_403_6(fleet):
    answer = get(fleet, 'forbidden-other')
    assert answer.status_code == 403 and '403.6 Forbidden: IP address rejected' in answer.text and '403.4' not in answer.text


def test_plain_owa_answers_200(fleet):
    answer = get(fleet, 'plain')
    assert answer.status_code == 200 and 'Outlook Web Access' in answer.text


@pytest.mark.parametrize('host', ['default', 'meta-refresh', 'redirect-https', 'forbidden-other', 'plain'])
def test_exchange_without_the_slash_is_a_courtesy_redirect(fleet, host):
    """Q298408: whatever the page, /exchange answers 302 "Object moved" to /exchange/ on the same host."""
    answer = get(fleet, host, '/exchange')
    address = fleet.hostvars[host]['ansible_host']
    assert (answer.status_code, answer.reason, answer.headers['Location']) == (302, 'Object moved', f'http://{address}/exchange/')


def test_other_paths_are_404(fleet):
    assert get(fleet, 'default', '/iisadmpwd/').status_code == 404


def test_expansion_uses_the_hosts_environment(fleet):
    """Registry::GetStr expands with ExpandEnvironmentStrings: the default SystemRoot is C:\\WINNT, a host's
    environment map overrides and adds names, and unknown names stay as written."""
    def read(host, getter):
        return WinrmClient(fleet.hostvars[host]).reg(getter, key='SOFTWARE\\Test', sValueName='Root')

    for getter in ('GetStringValue', 'GetExpandedStringValue'):
        assert read('default', getter) == {'sValue': ['C:\\WINNT\\system32;%Custom%'], 'ReturnValue': ['0']}
        assert read('d-drive', getter) == {'sValue': ['D:\\WINNT40\\system32;x'], 'ReturnValue': ['0']}
    assert return_value(read('default', 'GetDWORDValue')) == 2147749893
    # The stored data is never changed by a read.
    assert fleet.state('d-drive')['registry']['HKLM\\SOFTWARE\\Test']['Root'] == DEFAULTS['registry']['HKLM\\SOFTWARE\\Test']['Root']
