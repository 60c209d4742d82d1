# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What every server-facing action does with failures: one line that names the host once, and the traceback of
an unexpected exception under ``exception``, without the password."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.action import server_info
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import host_named_once
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._connection import ConnectionSettings
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.action.test_owa_url_protocol import HOST_VARS, owa, run_action
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import fake_server

SMB = ConnectionSettings('smb', '192.0.2.10', 'Administrator', 'pw', 445)
WINRM = ConnectionSettings('winrm', '192.0.2.10', 'Administrator', 'pw', 5985, scheme='http')


@pytest.mark.parametrize('settings, message, expected', [
    (SMB, '192.0.2.10: login refused for EXCH\\Administrator: STATUS_LOGON_FAILURE',
     'login refused for EXCH\\Administrator: STATUS_LOGON_FAILURE'),
    (SMB, '192.0.2.10:445: no answer within 30 s (SMB negotiate)', 'no answer within 30 s (SMB negotiate)'),
    (WINRM, 'cannot connect to http://192.0.2.10:5985/wsman: Connection refused',
     'cannot connect to the endpoint /wsman: Connection refused'),
    (WINRM, "login refused for user 'Administrator' at https://192.0.2.10:5986/wsman: check ansible_user",
     "login refused for user 'Administrator' at the endpoint /wsman: check ansible_user"),
    # Another host, or the address inside a longer name, is not this host.
    (WINRM, 'redirected to http://192.0.2.100:5985/wsman', 'redirected to http://192.0.2.100:5985/wsman'),
    (SMB, 'the value HKLM\\...\\192.0.2.10 is odd', 'the value HKLM\\...\\192.0.2.10 is odd'),
])
def test_messages_name_the_host_once(settings, message, expected):
    assert host_named_once(message, settings) == expected
    assert (settings.describe() + ': ' + host_named_once(message, settings)).count('192.0.2.10:') == 1


def test_a_remote_error_that_names_the_host_is_shown_with_it_once():
    server = fake_server('compliant')
    server.faults['get_value'] = RemoteError('192.0.2.10: login refused for Administrator', kind='auth')
    result, _opened = run_action(server_info, server, owa())
    assert result['msg'].count('192.0.2.10') == 1, result['msg']


def test_an_unexpected_exception_fails_with_one_line_and_returns_its_traceback():
    server = fake_server('compliant')
    server.faults['get_value'] = KeyError(f'boom {HOST_VARS["ansible_password"]}')
    result, _opened = run_action(server_info, server, owa())
    assert result['failed'] is True and result['error_kind'] == 'internal'
    assert '\n' not in result['msg'] and result['msg'].startswith('192.0.2.10:5986 (winrm https): unexpected KeyError')
    assert 'Traceback (most recent call last)' in result['exception'] and 'KeyError' in result['exception']
    assert HOST_VARS['ansible_password'] not in result['msg'] + result['exception']
