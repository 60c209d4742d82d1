# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WinRMHost remembers what it read during one task, but never trusts that memory after a write."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._winrm import WinRMHost
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils._remote.wsman_fakes import PASSWORD, USER, FakeTransport, reg_output

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'


def host_with(*answers):
    host = WinRMHost('127.0.20.1', 5985, 'http', USER, PASSWORD)
    transport = FakeTransport(*answers)
    host.client.protocol.transport = transport
    return host, transport


def names(transport):
    return [sent.action.rpartition('/')[2] for sent in transport.requests()]


def test_backup_after_audit_reuses_listing_and_values_and_read_back_asks():
    host, transport = host_with(
        reg_output('EnumValues', 0, sNames=['DB Path', 'OWA Url Protocol'], Types=[1, 1]),
        reg_output('GetStringValue', 0, sValue='http:'),          # audit reads the value
        reg_output('GetStringValue', 0, sValue='C:\\x'),          # backup reads DB Path only
        reg_output('SetStringValue', 0),
        reg_output('GetStringValue', 0, sValue='https:'),         # read back asks again,
        reg_output('EnumValues', 0, sNames=['DB Path', 'OWA Url Protocol'], Types=[1, 1]),   # and for the type
    )
    assert host.enum_values(KEY) == {'DB Path': 'REG_SZ', 'OWA Url Protocol': 'REG_SZ'}
    assert host.get_value(KEY, 'OWA Url Protocol', 'REG_SZ') == RegValue('REG_SZ', 'http:')
    assert host.get_values('HKEY_LOCAL_MACHINE\\system\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate\\') == {
        'DB Path': RegValue('REG_SZ', 'C:\\x'), 'OWA Url Protocol': RegValue('REG_SZ', 'http:')}
    host.set_value(KEY, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'))
    assert host.get_value(KEY, 'owa url protocol', 'REG_SZ') == RegValue('REG_SZ', 'https:')
    # GetStringValue also answers for a REG_EXPAND_SZ (REGMETHODS.CPP), so only EnumValues shows the type written.
    assert names(transport) == ['EnumValues', 'GetStringValue', 'GetStringValue', 'SetStringValue', 'GetStringValue', 'EnumValues']


def test_failed_write_forgets_too():
    listing = reg_output('EnumValues', 0, sNames=['OWA Url Protocol'], Types=[1])
    host, transport = host_with(reg_output('GetStringValue', 0, sValue='http:'), listing, reg_output('SetStringValue', 5),
                                reg_output('GetStringValue', 0, sValue='http:'), listing)
    host.get_value(KEY, 'OWA Url Protocol', 'REG_SZ')
    with pytest.raises(RemoteError, match='access denied'):
        host.set_value(KEY, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'))
    host.get_value(KEY, 'OWA Url Protocol', 'REG_SZ')
    assert names(transport) == ['GetStringValue', 'EnumValues', 'SetStringValue', 'GetStringValue', 'EnumValues']
