# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection settings: a host's ordinary Windows inventory works unchanged; module options override it."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._connection import open_remote_host, resolve_settings
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError

OPTIONS = {'connect_timeout': 30}


def resolve(host_vars, **options):
    return resolve_settings(dict(OPTIONS, **options), host_vars, 'exsrv01')


def test_winrm_defaults_are_https_5986_ntlm_validated():
    settings = resolve({'ansible_user': 'admin', 'ansible_password': 'pw'})
    assert (settings.transport, settings.host, settings.port, settings.scheme) == ('winrm', 'exsrv01', 5986, 'https')
    assert (settings.winrm_transport, settings.server_cert_validation) == ('ntlm', 'validate')


@pytest.mark.parametrize('host_vars,port,scheme', [
    ({'ansible_port': 5985}, 5985, 'http'),
    ({'ansible_port': '5986'}, 5986, 'https'),
    ({'ansible_winrm_scheme': 'http'}, 5985, 'http'),
    ({'ansible_port': 8080, 'ansible_winrm_scheme': 'http'}, 8080, 'http'),
])
def test_port_and_scheme_follow_the_winrm_connection_plugin(host_vars, port, scheme):
    settings = resolve(host_vars)
    assert (settings.port, settings.scheme) == (port, scheme)


def test_an_existing_windows_inventory_is_read_unchanged():
    settings = resolve({'ansible_host': '10.0.0.5', 'ansible_user': 'CORP\\svc', 'ansible_password': 'pw',
                        'ansible_winrm_transport': ['kerberos', 'ntlm'], 'ansible_winrm_server_cert_validation': 'ignore',
                        'ansible_winrm_ca_trust_path': '/etc/ca.pem'})
    assert settings.host == '10.0.0.5' and settings.user == 'CORP\\svc'
    assert settings.winrm_transport == 'kerberos' and settings.server_cert_validation == 'ignore'
    assert settings.ca_trust_path == '/etc/ca.pem'
    assert resolve({'ansible_winrm_transport': 'credssp, ntlm'}).winrm_transport == 'credssp'


def test_module_options_override_host_variables():
    settings = resolve({'ansible_host': '10.0.0.5', 'ansible_user': 'a', 'exchange55_transport': 'smb'},
                       transport='winrm', remote_host='10.9.9.9', remote_user='b', port=5985)
    assert (settings.transport, settings.host, settings.user, settings.port, settings.scheme) == ('winrm', '10.9.9.9', 'b', 5985, 'http')


def test_smb_hosts_use_exchange55_smb_port_whatever_the_connection():
    settings = resolve({'exchange55_transport': 'smb', 'ansible_connection': 'local', 'ansible_host': '10.0.0.7',
                        'ansible_port': 22, 'exchange55_smb_port': '1445'})
    assert (settings.transport, settings.host, settings.port) == ('smb', '10.0.0.7', 1445)
    assert resolve({'exchange55_transport': 'smb'}).port == 445
    assert settings.describe() == '10.0.0.7:1445 (smb)'


@pytest.mark.parametrize('host_vars,message', [
    ({'exchange55_transport': 'ssh'}, 'must be winrm or smb'),
    ({'ansible_winrm_scheme': 'ftp'}, 'must be http or https'),
    ({'ansible_port': 'abc'}, 'must be a port number'),
    ({'ansible_port': 0}, 'from 1 to 65535'),
    ({'ansible_winrm_transport': 'basic', 'ansible_port': 5985}, 'clear text'),
    ({'ansible_winrm_server_cert_validation': 'maybe'}, 'validate or ignore'),
])
def test_bad_settings_are_one_line_errors(host_vars, message):
    with pytest.raises(ValueError, match=message) as raised:
        resolve(host_vars)
    assert '\n' not in str(raised.value)


def test_password_is_not_in_the_settings_repr():
    assert 'hunter2' not in repr(resolve({'ansible_password': 'hunter2'}))


@pytest.mark.parametrize('host_vars,message', [({'ansible_password': 'pw'}, 'ansible_user'), ({'ansible_user': 'u'}, 'ansible_password')])
def test_missing_credentials_fail_before_connecting(host_vars, message):
    with pytest.raises(RemoteError, match=message) as raised:
        open_remote_host(resolve(host_vars))
    assert raised.value.kind == 'auth'


@pytest.mark.parametrize('value,expected', [(True, True), ('yes', True), ('false', False), (None, False)])
def test_smb_signing_comes_from_the_host_variable(value, expected):
    host_vars = {'exchange55_transport': 'smb'}
    if value is not None:
        host_vars['exchange55_smb_require_signing'] = value
    assert resolve(host_vars).require_signing is expected
    assert resolve(dict(host_vars), smb_require_signing=True).require_signing is True


def test_smb_signing_rejects_garbage():
    with pytest.raises(ValueError, match='exchange55_smb_require_signing must be true or false'):
        resolve({'exchange55_transport': 'smb', 'exchange55_smb_require_signing': 'sometimes'})
