# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The -vvv trail: one Display line per WS-Man request, with what it worked on and its result; nothing below -vvv."""

from __future__ import annotations

import re

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _trail
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._wsman import WSManClient
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils._remote.wsman_fakes import (
    PASSWORD,
    STDREGPROV,
    WMI,
    access_denied_fault,
    get_response,
    make_protocol,
    reg_output,
)

KEY = 'SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
LINE = re.compile(r'^exchange55 winrm: (?P<operation>.+) -> (?P<result>\S+(?: \S+)*) \((?P<ms>\d+) ms\)$')


@pytest.fixture(name='shown')
def shown_lines(monkeypatch):
    lines = []
    monkeypatch.setattr(_trail.display, 'verbosity', 3)
    monkeypatch.setattr(_trail.display, 'vvv', lambda msg, host=None: lines.append((host, msg)))
    return lines


def client(*answers):
    protocol, _transport = make_protocol(*answers)
    return WSManClient(protocol, host='192.0.2.10')


def test_each_request_is_one_line_with_its_target_and_return_code(shown):
    wsman = client(reg_output('EnumValues', 0, sNames=['DB Path'], Types=[1]), reg_output('GetStringValue', 2),
                   get_response('CIM_DataFile', ('Version', '5.5.2654.81')))
    wsman.invoke(STDREGPROV, 'EnumValues', {'hDefKey': 0x80000002, 'sSubKeyName': KEY}, arrays=('sNames', 'Types'))
    wsman.invoke(STDREGPROV, 'GetStringValue', {'hDefKey': 0x80000002, 'sSubKeyName': KEY, 'sValueName': 'OWA Url Protocol'})
    wsman.get(WMI + 'root/cimv2/CIM_DataFile', {'Name': 'c:\\exchsrvr\\bin\\store.exe'})
    assert [host for host, _msg in shown] == ['192.0.2.10'] * 3
    parsed = [LINE.match(msg).groupdict() for _host, msg in shown]
    assert [(p['operation'], p['result']) for p in parsed] == [
        (f'StdRegProv.EnumValues HKLM\\{KEY}', '0'),
        (f'StdRegProv.GetStringValue HKLM\\{KEY} "OWA Url Protocol"', '2'),
        ("Get CIM_DataFile (Name='c:\\exchsrvr\\bin\\store.exe')", 'ok'),
    ]


def test_a_failed_request_is_one_line_with_its_error_and_no_password(shown):
    wsman = client(access_denied_fault())
    with pytest.raises(RemoteError):
        wsman.invoke(STDREGPROV, 'SetStringValue', {'hDefKey': 0x80000002, 'sSubKeyName': KEY, 'sValueName': 'OWA Url Protocol',
                                                    'sValue': 'https:'})
    assert len(shown) == 1
    parsed = LINE.match(shown[0][1]).groupdict()
    assert parsed['operation'] == f'StdRegProv.SetStringValue HKLM\\{KEY} "OWA Url Protocol"'
    assert parsed['result'].startswith('error access_denied')
    assert PASSWORD not in shown[0][1] and 'https:' not in shown[0][1]


def test_nothing_is_shown_below_vvv(monkeypatch):
    lines = []
    monkeypatch.setattr(_trail.display, 'verbosity', 2)
    monkeypatch.setattr(_trail.display, 'vvv', lambda msg, host=None: lines.append(msg))
    client(reg_output('GetStringValue', 0, sValue='https:')).invoke(
        STDREGPROV, 'GetStringValue', {'hDefKey': 0x80000002, 'sSubKeyName': KEY, 'sValueName': 'x'})
    assert lines == []


def test_the_operation_helper_records_results_and_exceptions(shown):
    with _trail.operation('h', 'smb', 'RRP BaseRegOpenKey HKLM\\X') as step:
        step.result = 0
    with pytest.raises(RemoteError):
        with _trail.operation('h', 'smb', 'RRP BaseRegQueryValue HKLM\\X "y"'):
            raise RemoteError('nope', kind='not_found', code=2)
    assert [msg.split(' (')[0] for _host, msg in shown] == [
        'exchange55 smb: RRP BaseRegOpenKey HKLM\\X -> 0', 'exchange55 smb: RRP BaseRegQueryValue HKLM\\X "y" -> error not_found 2']
    assert _trail.failure(RemoteError('x', kind='access_denied', code=0xC0000022)) == 'error access_denied 0xc0000022'


def test_smb_calls_are_named_after_their_ms_rrp_and_ms_scmr_operations():
    from impacket.dcerpc.v5 import rrp, scmr  # pylint: disable=import-outside-toplevel
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb_session import (  # pylint: disable=import-outside-toplevel
        _rpc_text)

    class Pipe:
        def request(self, call):
            return call

    key = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
    assert _rpc_text(f'read {key}\\Services', Pipe().request, (rrp.BaseRegQueryValue(),)) == \
        f'RRP BaseRegQueryValue {key}\\Services'
    assert _rpc_text(f'list the subkeys of {key}', rrp.hBaseRegEnumKey, ()) == f'RRP BaseRegEnumKey {key}'
    assert _rpc_text('query service MSExchangeIS', scmr.hRQueryServiceStatus, ()) == 'SCMR RQueryServiceStatus service MSExchangeIS'

    class Host:
        def _open_subkey(self):
            return None
    assert _rpc_text(f'read {key}', Host()._open_subkey, ()) == f'RRP BaseRegOpenKey {key}'
