# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KB engine: applicability from facts, plans, parameters without defaults, unverifiable conditions, reads once."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_reads import read_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import evaluate as q294406_evaluate
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import (
    SERVERS, FakeHost, exchange55_server, fake_server)

SERVICES = 'HKLM\\SYSTEM\\CurrentControlSet\\Services'
PUBLIC = SERVICES + '\\MSExchangeIS\\ParametersPublic'
PRIVATE = SERVICES + '\\MSExchangeIS\\ParametersPrivate'
CCMC = SERVICES + '\\MSExchangeCCMC'
IMC = SERVICES + '\\MSExchangeIMC'
IMC_EXE = 'C:\\exchsrvr\\connect\\msexcimc\\bin\\msexcimc.exe'
CURRENT_VERSION = 'HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'


def server(*, ccmc=None, imc=None, private=None, public=None, **kwargs) -> dict:
    """An Exchange 5.5 fleet-file host with the components a test needs.

    ``ccmc``: (Ccmc.exe version, Ccmsg.dll version, Parameters values); ``imc``: (ImagePath, Msexcimc.exe version,
    Parameters values); ``private`` / ``public``: extra ParametersPrivate / ParametersPublic values ({name: (type, data)}).
    """
    spec = exchange55_server(**kwargs)
    registry, files = spec['registry'], spec['files']
    for name, (kind, data) in (private or {}).items():
        registry[PRIVATE][name] = {'type': kind, 'data': data}
    registry[PUBLIC] = {name: {'type': kind, 'data': data} for name, (kind, data) in (public or {}).items()}
    if ccmc is not None:
        registry[CCMC] = {'ImagePath': {'type': 'REG_EXPAND_SZ', 'data': 'C:\\exchsrvr\\connect\\ccmail\\bin\\ccmc.exe'}}
        registry[CCMC + '\\Parameters'] = {name: {'type': 'REG_DWORD', 'data': data} for name, data in ccmc[2].items()}
        files['C:\\exchsrvr\\connect\\ccmail\\bin\\Ccmc.exe'] = {'version': ccmc[0]}
        files['C:\\exchsrvr\\res\\Ccmsg.dll'] = {'version': ccmc[1]}
    if imc is not None:
        registry[IMC] = {'ImagePath': {'type': 'REG_EXPAND_SZ', 'data': imc[0]}}
        registry[IMC + '\\Parameters'] = {name: {'type': 'REG_DWORD', 'data': data} for name, data in imc[2].items()}
        if imc[1] is not None:
            files[IMC_EXE] = {'version': imc[1]}
    return spec


def facts(spec, ids, ssl=True):
    host = FakeHost.from_spec(copy.deepcopy(spec))
    entries = [_kb.CATALOG[kb] for kb in ids]
    return read_facts(host, entries, OwaAnswer.declared(ssl) if ssl is not None else OwaAnswer.unknown('none declared')), host


def status(spec, kb, params=None, ssl=True):
    found, _host = facts(spec, [kb], ssl)
    return _kb.evaluate(_kb.CATALOG[kb], found, params)


# ------------------------------------------------------------------ Q294406: the same statuses as owa_url_protocol
@pytest.mark.parametrize('name', sorted(SERVERS))
@pytest.mark.parametrize('ssl', [True, False, None])
def test_q294406_entry_gives_the_status_of_the_q294406_policy(name, ssl):
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import gather_facts
    owa = OwaAnswer.declared(ssl) if ssl is not None else OwaAnswer.unknown('none declared')
    expected = q294406_evaluate(gather_facts(fake_server(name), owa=owa))
    found, _host = facts(SERVERS[name], ['Q294406'], ssl)
    assert _kb.evaluate(_kb.CATALOG['Q294406'], found)['status'] == expected['status']


def test_q294406_undeclared_owa_is_reported_as_not_checkable():
    result = status(exchange55_server(), 'Q294406', ssl=None)
    assert result['status'] == 'blocked' and result['condition'] == 'not_checkable'
    assert 'cannot be checked remotely' in result['reasons'][0] and 'params.Q294406.owa_ssl_only' in result['reasons'][0]


# ------------------------------------------------------------------ Q243581: the value's own state is the condition
def test_q243581_rewrites_only_the_values_that_are_zero():
    spec = server(private={'Background Cleanup': ('REG_DWORD', 0)}, public={'Background Cleanup': ('REG_DWORD', 120000)})
    found, _host = facts(spec, ['Q243581'])
    result = _kb.evaluate(_kb.CATALOG['Q243581'], found)
    assert result['status'] == 'needs_change'
    planned = _kb.plan(_kb.CATALOG['Q243581'], found)
    assert [(change.key, change.before, change.after) for change in planned] == [
        (PRIVATE, RegValue('REG_DWORD', 0), RegValue('REG_DWORD', 60000))]
    after = _kb.status_after_change(_kb.CATALOG['Q243581'], found, {}, planned)
    assert after['status'] == 'changed'


@pytest.mark.parametrize('private, public', [
    ({'Background Cleanup': ('REG_DWORD', 60000)}, {'Background Cleanup': ('REG_DWORD', 60000)}),
    ({}, {}),                                                          # absent: the default, nothing to fix
])
def test_q243581_compliant(private, public):
    assert status(server(private=private, public=public), 'Q243581')['status'] == 'compliant'


def test_q243581_without_public_folder_store_key_is_not_applicable():
    spec = server(private={'Background Cleanup': ('REG_DWORD', 0)})
    del spec['registry'][PUBLIC]
    result = status(spec, 'Q243581')
    assert result['status'] == 'not_applicable' and PUBLIC in result['reasons'][0]


# ------------------------------------------------------------------ Q195203: service key + two files + a declared input
def test_q195203_statuses():
    ok = ('5.5.2424.0', '5.5.2424.0', {})
    params = {'ccmail_801_clients': True}
    assert status(server(ccmc=ok), 'Q195203', params)['status'] == 'needs_change'
    assert status(server(ccmc=(*ok[:2], {'Version 8 Attachment Format': 1})), 'Q195203', params)['status'] == 'compliant'
    old = status(server(ccmc=('5.5.2232.0', '5.5.2424.0', {})), 'Q195203', params)
    assert old['status'] == 'blocked' and old['reasons'] == ['Ccmc.exe 5.5.2232.0 is older than 5.5.2424.0 (Q195203)']
    assert old['prerequisites']['Ccmc.exe'] is False and old['prerequisites']['Ccmsg.dll'] is True
    no_connector = status(server(), 'Q195203', params)
    assert no_connector['status'] == 'not_applicable' and 'MSExchangeCCMC' in no_connector['reasons'][0]
    declined = status(server(ccmc=ok), 'Q195203', {'ccmail_801_clients': False})
    assert declined['status'] == 'not_applicable' and declined['condition'] is False


def test_q195203_undeclared_condition_is_never_skipped_or_applied():
    found, _host = facts(server(ccmc=('5.5.2424.0', '5.5.2424.0', {})), ['Q195203'])
    result = _kb.evaluate(_kb.CATALOG['Q195203'], found)
    assert result['status'] == 'blocked' and result['condition'] == 'not_checkable'
    assert 'cannot be checked remotely' in result['reasons'][0]


# ------------------------------------------------------------------ Q285023: file by ImagePath, a choice with no default
@pytest.mark.parametrize('image', [IMC_EXE, f'"{IMC_EXE}"', f'{IMC_EXE} -service'])
def test_q285023_finds_msexcimc_by_the_services_image_path(image):
    result = status(server(imc=(image, '5.5.2654.52', {})), 'Q285023', {'enable_ttl': 1})
    assert result['status'] == 'needs_change' and result['prerequisites']['Msexcimc.exe'] is True


def test_q285023_statuses():
    assert status(server(imc=(IMC_EXE, '5.5.2654.52', {'EnableTTL': 1})), 'Q285023', {'enable_ttl': 1})['status'] == 'compliant'
    assert status(server(imc=(IMC_EXE, '5.5.2654.52', {'EnableTTL': 1})), 'Q285023', {'enable_ttl': 0})['status'] == 'needs_change'
    sp3 = status(server(imc=(IMC_EXE, '5.5.2654.52', {}), service_pack_build=2650, store='5.5.2650.21'), 'Q285023',
                 {'enable_ttl': 1})
    assert sp3['status'] == 'blocked' and 'needs Service Pack 4' in sp3['reasons'][0]
    missing = status(server(imc=(IMC_EXE, None, {})), 'Q285023', {'enable_ttl': 1})
    assert missing['status'] == 'blocked' and missing['reasons'] == [
        f'Msexcimc.exe not found at {IMC_EXE}; Q285023 needs 5.5.2654.52 or later']
    unexpanded = status(server(imc=('%SystemRoot%\\msexcimc.exe', '5.5.2654.52', {})), 'Q285023', {'enable_ttl': 1})
    assert unexpanded['status'] == 'blocked' and 'could not be located' in unexpanded['reasons'][0]


def test_choice_parameter_has_no_default():
    with pytest.raises(ValueError, match=r'^Q285023 needs params.Q285023.enable_ttl: EnableTTL is one of 0 \(.*there is no default$'):
        _kb.select(['Q285023'])
    with pytest.raises(ValueError, match='params.Q285023.enable_ttl is 2, but EnableTTL is one of'):
        _kb.select(['Q285023'], {'Q285023': {'enable_ttl': 2}})
    assert [entry['id'] for entry in _kb.select(['q285023', 'Q285023'], {'Q285023': {'enable_ttl': '1'}})] == ['Q285023']


@pytest.mark.parametrize('ids, params, message', [
    (['Q999999'], None, 'Q999999 is not in the KB catalog; the catalog has Q294406'),
    ([], None, 'ids must list KB ids'),
    (['Q294406'], {'Q243581': {}}, 'params names Q243581, which is not in ids'),
    (['Q294406'], {'Q294406': {'protocol': 'http:'}}, 'params.Q294406.protocol is not a parameter of Q294406; it takes owa_ssl_only'),
    (['Q195203'], {'Q195203': {'ccmail_801_clients': 'yes'}}, 'params.Q195203.ccmail_801_clients must be true or false'),
])
def test_bad_arguments_are_one_line_errors(ids, params, message):
    with pytest.raises(ValueError, match=message) as info:
        _kb.select(ids, params)
    assert '\n' not in str(info.value)


# ------------------------------------------------------------------ cost: each key listed once, each value read once
def test_all_kbs_list_each_key_once_and_read_each_file_once():
    spec = server(ccmc=('5.5.2424.0', '5.5.2424.0', {}), imc=(IMC_EXE, '5.5.2654.52', {}),
                  private={'Background Cleanup': ('REG_DWORD', 0)}, public={'Background Cleanup': ('REG_DWORD', 0)})
    spec['registry'][CURRENT_VERSION] = {'SystemRoot': {'type': 'REG_SZ', 'data': 'C:\\WINNT'}}
    found, host = facts(spec, list(_kb.CATALOG))
    listed = [call[1].lower() for call in host.calls if call[0] == 'enum_values']
    assert len(listed) == len(set(listed))
    values = [(call[1].lower(), call[2].lower()) for call in host.calls if call[0] == 'get_value']
    assert len(values) == len(set(values))
    read_files = [call[1].lower() for call in host.calls if call[0] == 'file_version']
    # Store.exe, Ccmc.exe, Ccmsg.dll, Msexcimc.exe, Imcmsg.dll, and Q229089's Mdbmsg.dll, Gapi32.dll, Netif.dll, Dsamain.exe
    assert len(read_files) == len(set(read_files)) == 9
    assert 'c:\\winnt\\system32\\gapi32.dll' in read_files
    assert found['reads'] == len(host.calls)


def test_other_release_and_no_exchange_are_not_applicable_for_every_kb():
    for name in ('no_exchange', 'exchange_2000'):
        found, _host = facts(SERVERS[name], list(_kb.CATALOG))
        for entry in _kb.CATALOG.values():
            assert _kb.evaluate(entry, found, {'enable_ttl': 1})['status'] == 'not_applicable'


def test_image_path_forms():
    assert _kb.image_path('"C:\\Program Files\\x\\a.exe" -s') == 'C:\\Program Files\\x\\a.exe'
    assert _kb.image_path('C:\\exchsrvr\\a.EXE /x') == 'C:\\exchsrvr\\a.EXE'
    assert _kb.image_path('%SystemRoot%\\a.exe') is None
    assert _kb.image_path('a.exe') is None


def test_range_parameter_has_no_default_and_is_checked():
    with pytest.raises(ValueError, match=r'^Q247654 needs params.Q247654.ver_pages: EDB max ver pages \(increment over the '
                                         r'minimum\) is a number from 2000 to 4294967295 16-KB pages'):
        _kb.select(['Q247654'])
    with pytest.raises(ValueError, match='params.Q247654.ver_pages is 1000, but'):
        _kb.select(['Q247654'], {'Q247654': {'ver_pages': 1000}})
    entry = _kb.select(['Q247654'], {'Q247654': {'ver_pages': 3000}})[0]
    spec = exchange55_server()
    spec['registry'][SERVICES + '\\MSExchangeDS\\Parameters'] = {
        'EDB max ver pages (increment over the minimum)': {'type': 'REG_DWORD', 'data': 2000}}
    spec['registry'][SERVICES + '\\MSExchangeDS'] = {}
    found, _host = facts(spec, ['Q247654'])
    result = _kb.evaluate(entry, found, {'ver_pages': 3000, 'ds_event_1171': True})
    assert result['status'] == 'needs_change' and result['reasons'] == [
        'EDB max ver pages (increment over the minimum) is REG_DWORD 0x000007d0 (2000); must be REG_DWORD 0x00000bb8 (3000)']


# ------------------------------------------------------------------ files beside a service's program, under the system root
def test_q216162_reads_imcmsg_beside_the_imc_program():
    spec = server(imc=('"C:\\exchsrvr\\connect\\msexcimc\\msexcimc.exe" -s', '5.5.2539.1', {}))
    spec['files']['C:\\exchsrvr\\connect\\msexcimc\\msexcimc.exe'] = {'version': '5.5.2539.1'}
    spec['files']['C:\\exchsrvr\\connect\\msexcimc\\Imcmsg.dll'] = {'version': '5.5.2539.1'}
    result = status(spec, 'Q216162', {'always_suppress_dr': 1})
    assert result['status'] == 'needs_change' and result['prerequisites']['Imcmsg.dll'] is True
    del spec['files']['C:\\exchsrvr\\connect\\msexcimc\\Imcmsg.dll']
    result = status(spec, 'Q216162', {'always_suppress_dr': 1})
    assert result['status'] == 'blocked' and result['reasons'] == [
        'Imcmsg.dll not found at C:\\exchsrvr\\connect\\msexcimc\\Imcmsg.dll; Q216162 needs 5.5.2539.1 or later']


def _q229089_server(system_root):
    spec = exchange55_server(store='5.5.2650.21', service_pack_build=2650)
    spec['registry'][PUBLIC] = {}
    if system_root is not None:
        spec['registry'][CURRENT_VERSION] = {'SystemRoot': {'type': 'REG_SZ', 'data': system_root}}
    for path in ('C:\\exchsrvr\\res\\Mdbmsg.dll', 'C:\\exchsrvr\\bin\\Netif.dll', 'C:\\exchsrvr\\bin\\Dsamain.exe',
                 'D:\\WINNT\\system32\\Gapi32.dll'):
        spec['files'][path] = {'version': '5.5.2650.21'}
    return spec


def test_q229089_reads_gapi32_under_the_system_root():
    params = {'old_forward_method': True}
    assert status(_q229089_server('D:\\WINNT'), 'Q229089', params)['status'] == 'needs_change'
    elsewhere = status(_q229089_server('C:\\WINNT'), 'Q229089', params)
    assert elsewhere['status'] == 'blocked' and elsewhere['reasons'] == [
        'Gapi32.dll not found at C:\\WINNT\\system32\\Gapi32.dll; Q229089 needs 5.5.2607.0 or later']
    unknown = status(_q229089_server(None), 'Q229089', params)
    assert unknown['status'] == 'blocked' and unknown['reasons'] == [
        'Gapi32.dll could not be located: the system root is not known (HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion '
        'SystemRoot is not set)']


def test_q184534_replaces_the_q182083_value_only_when_declared():
    spec = exchange55_server()
    spec['registry'][SERVICES + '\\MSExchangeIS\\ParametersSystem\\InternetContent'] = {
        'RemapExtension': {'type': 'REG_DWORD', 'data': 1}}
    chosen = status(spec, 'Q184534', {'remap_extensionless_only': True})
    assert chosen['status'] == 'needs_change' and chosen['reasons'] == [
        'RemapExtension is REG_DWORD 0x00000001 (1); must be REG_DWORD 0x00000002 (2)']
    assert status(spec, 'Q184534', {'remap_extensionless_only': False})['status'] == 'not_applicable'
    assert status(spec, 'Q184534')['condition'] == 'not_checkable'
    del spec['registry'][SERVICES + '\\MSExchangeIS\\ParametersSystem\\InternetContent']
    assert status(spec, 'Q184534', {'remap_extensionless_only': True})['status'] == 'not_applicable'
