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


# ---------------------------------------------------------------- one check per setting, naming what the user set

@pytest.mark.parametrize('transport', ['winrm', 'smb'])
@pytest.mark.parametrize('options, host_vars, name', [
    ({}, {'ansible_user': 'EXCHLAB\\'}, 'ansible_user'),
    ({}, {'ansible_user': ' '}, 'ansible_user'),
    ({}, {'ansible_user': '@'}, 'ansible_user'),
    ({}, {'ansible_user': '\\admin'}, 'ansible_user'),
    ({}, {'ansible_user': 'admin@'}, 'ansible_user'),
    ({}, {'ansible_user': 'A\\B\\c'}, 'ansible_user'),
    ({}, {'ansible_user': 'adm\tin'}, 'ansible_user'),
    ({}, {'ansible_winrm_user': 'EXCHLAB\\'}, 'ansible_winrm_user'),
    ({'remote_user': '@'}, {'ansible_user': 'fine'}, 'remote_user'),
    ({}, {'ansible_host': ' '}, 'ansible_host'),
    ({}, {'ansible_host': 'exsrv 01'}, 'ansible_host'),
    ({}, {'ansible_host': 'http://exsrv01'}, 'ansible_host'),
    ({'remote_host': ' '}, {}, 'remote_host'),
    ({'connect_timeout': 0}, {}, 'connect_timeout'),
    ({'connect_timeout': -5}, {}, 'connect_timeout'),
    ({'connect_timeout': 'soon'}, {}, 'connect_timeout'),
    ({'retries': 11}, {}, 'retries'),
    ({'retry_delay': -1}, {}, 'retry_delay'),
    ({'task_timeout': -1}, {}, 'task_timeout'),
])
def test_each_bad_setting_is_one_line_naming_what_was_set(transport, options, host_vars, name):
    with pytest.raises(ValueError) as raised:
        resolve(dict(host_vars, exchange55_transport=transport), **options)
    message = str(raised.value)
    assert message.startswith(name + ' ') and '\n' not in message


@pytest.mark.parametrize('options, host_vars, name, text', [
    ({}, {'ansible_port': 70000}, 'ansible_port', 'port number from 1 to 65535, not 70000'),
    ({}, {'ansible_winrm_port': 70000}, 'ansible_winrm_port', 'not 70000'),
    ({'port': 70000}, {'ansible_port': 5985}, 'port', 'not 70000'),
    ({}, {'ansible_port': 'abc'}, 'ansible_port', "not 'abc'"),
    ({}, {'ansible_winrm_scheme': 'gopher'}, 'ansible_winrm_scheme', "http or https, not 'gopher'"),
    ({'scheme': 'gopher'}, {}, 'scheme', 'gopher'),
    ({}, {'ansible_winrm_transport': 'telnet'}, 'ansible_winrm_transport', 'telnet'),
    ({}, {'ansible_winrm_server_cert_validation': 'no'}, 'ansible_winrm_server_cert_validation', 'validate or ignore'),
    ({'connect_timeout': 100000}, {}, 'connect_timeout', 'whole number of seconds from 1 to 3600, not 100000'),
])
def test_winrm_settings_name_the_variable_or_option_set(options, host_vars, name, text):
    with pytest.raises(ValueError) as raised:
        resolve(host_vars, **options)
    assert str(raised.value).startswith(name + ' ') and text in str(raised.value)
    assert 'port number' not in str(raised.value) or 'port' in name


@pytest.mark.parametrize('host_vars, options, name', [
    ({'exchange55_smb_port': 0}, {}, 'exchange55_smb_port'),
    ({'exchange55_smb_port': 70000}, {}, 'exchange55_smb_port'),
    ({'exchange55_smb_port': 'x'}, {}, 'exchange55_smb_port'),
    ({}, {'smb_port': 0}, 'smb_port'),
])
def test_smb_port_zero_is_an_error_not_445(host_vars, options, name):
    with pytest.raises(ValueError) as raised:
        resolve(dict(host_vars, exchange55_transport='smb'), **options)
    assert str(raised.value).startswith(name + ' must be a port number from 1 to 65535')


@pytest.mark.parametrize('user', ['admin', 'EXCHLAB\\admin', 'admin@exchlab.local', '.\\Administrator', 'John Smith', 'Größe'])
def test_ordinary_account_names_are_accepted(user):
    assert resolve({'ansible_user': user}).user == user
    assert resolve({'ansible_user': user, 'exchange55_transport': 'smb'}).user == user


@pytest.mark.parametrize('host', ['10.0.0.5', 'exsrv01', 'exsrv01.corp.example', '::1', '[fe80::1]', 'under_score'])
def test_ordinary_host_addresses_are_accepted(host):
    assert resolve({'ansible_host': host}).host == host


def test_an_odd_inventory_name_without_ansible_host_says_to_set_it():
    with pytest.raises(ValueError, match="the inventory hostname 'norm 07' is not a host name or IP address: set ansible_host"):
        resolve_settings(dict(OPTIONS), {}, 'norm 07')
    assert resolve_settings(dict(OPTIONS), {'ansible_host': '10.0.0.7'}, 'norm 07').host == '10.0.0.7'


@pytest.mark.parametrize('timeout', [1, 2, 3, 30, 3600])
def test_every_allowed_timeout_makes_a_usable_winrm_host(timeout):
    settings = resolve({'ansible_user': 'u', 'ansible_password': 'p', 'ansible_port': 5985}, connect_timeout=timeout)
    assert settings.timeout == timeout
    assert 0 < settings.operation_timeout < settings.read_timeout     # what pywinrm requires
    host = open_remote_host(settings)
    assert host.client.protocol.read_timeout_sec == settings.read_timeout


def test_basic_auth_with_a_password_outside_latin1_says_what_to_do():
    with pytest.raises(ValueError) as raised:
        resolve({'ansible_winrm_transport': 'basic', 'ansible_password': 'пароль', 'ansible_port': 5986})
    assert 'Latin-1' in str(raised.value) and 'ntlm' in str(raised.value) and 'пароль' not in str(raised.value)
    assert resolve({'ansible_winrm_transport': 'ntlm', 'ansible_password': 'пароль'}).password == 'пароль'
    assert resolve({'ansible_winrm_transport': 'basic', 'ansible_password': 'Passwört', 'ansible_port': 5986}).password == 'Passwört'


def test_retry_settings_reach_the_winrm_client():
    settings = resolve({'ansible_user': 'u', 'ansible_password': 'p'}, retries=5, retry_delay=0.25, task_timeout=60)
    client = open_remote_host(settings).client
    assert (client.retries, client.retry_delay, client.task_timeout) == (5, 0.25, 60)
    assert client.deadline is not None
    assert open_remote_host(resolve({'ansible_user': 'u', 'ansible_password': 'p'})).client.deadline is None
