# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Round trips through the registry module with real ansible-playbook, over both transports:
every type and data form is written (and read back by the module), the key is deleted with a backup, the backup
record is restored, and the server must then hold exactly what was written: for smb the very bytes in Samba's
registry.tdb, for winrm the simulator's stored type and data.  Names with ``\\``, ``"`` and ``=``, a ``{...}`` name
and an empty default value are among them.

Over winrm some forms cannot be written (docs/registry.md): an empty REG_MULTI_SZ / REG_BINARY (StdRegProv refuses
an empty array) and REG_NONE (StdRegProv has no setter for it). They run over smb only, and over winrm the refusal
itself is asserted.  A REG_EXPAND_SZ holding ``%...%`` is written over both (SetExpandedStringValue stores the text
as given; WMI reads it back expanded), on a key of its own: the server must hold the text unexpanded, and a second
run must change nothing.
"""

from __future__ import annotations

import os
import pathlib
import sys

import pytest

from fleetctl import REPO_ROOT, Fleet
from registry_runs import INFO_PLAYBOOK, RegistryRuns

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'smbhost'))
import smbfleet  # noqa: E402  pylint: disable=wrong-import-position

SUBNETS = {'winrm': '127.0.66', 'smb': '127.0.67'}
HOST = 'win2000_server'
KEY = 'HKLM\\SOFTWARE\\RoundTrip'
SUB = KEY + '\\Sub key {x}'
EXP = 'HKLM\\SOFTWARE\\RoundTrip Expand'
EXPAND = {'expand variables': ({'data': '%SystemRoot%\\system32;%windir%;%Unknown%', 'type': 'expandstring'},
                               {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\system32;%windir%;%Unknown%'})}
# What registry_info returns for it (win_reg_stat's value and raw_value): over winrm StdRegProv answers the text the
# simulator expanded (SystemRoot and windir C:\WINNT by default) for both; over smb the stored text is read and
# expanded with the server's registry: Samba presents CurrentVersion\SystemRoot as c:\Windows
# (source3/registry/reg_backend_current_version.c), the fleet file gives Session Manager\Environment windir.
EXPAND_INFO = {'winrm': ('C:\\WINNT\\system32;C:\\WINNT;%Unknown%', 'C:\\WINNT\\system32;C:\\WINNT;%Unknown%'),
               'smb': ('c:\\Windows\\system32;c:\\Windows;%Unknown%', '%SystemRoot%\\system32;%windir%;%Unknown%')}

# name -> (module arguments, the record the server must hold afterwards)
FORMS = {
    '': ({'data': ''}, {'type': 'REG_SZ', 'data': ''}),                                   # an empty default value
    'plain': ({'data': 'hello world'}, {'type': 'REG_SZ', 'data': 'hello world'}),
    'back\\slash': ({'data': 'C:\\exchsrvr\\bin'}, {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\bin'}),
    'say "hi"': ({'data': 'a "quoted" text'}, {'type': 'REG_SZ', 'data': 'a "quoted" text'}),
    'a=b': ({'data': '1=2', 'type': 'REG_SZ'}, {'type': 'REG_SZ', 'data': '1=2'}),
    '{7f51bda7-bcea-465a-9eb6-5a2bcd9cb52f}': ({'data': 'guid named'}, {'type': 'REG_SZ', 'data': 'guid named'}),
    'expand plain': ({'data': 'no variables', 'type': 'expandstring'}, {'type': 'REG_EXPAND_SZ', 'data': 'no variables'}),
    'dword int': ({'data': 1960, 'type': 'dword'}, {'type': 'REG_DWORD', 'data': 1960}),
    'dword hex': ({'data': '0xffffffff', 'type': 'dword'}, {'type': 'REG_DWORD', 'data': 4294967295}),
    'dword decimal text': ({'data': '2653', 'type': 'dword'}, {'type': 'REG_DWORD', 'data': 2653}),
    'dword negative': ({'data': -1, 'type': 'dword'}, {'type': 'REG_DWORD', 'data': 4294967295}),
    'qword max': ({'data': '0xffffffffffffffff', 'type': 'qword'}, {'type': 'REG_QWORD', 'data': 2 ** 64 - 1}),
    'multi': ({'data': ['SMTP', 'X.400', 'back\\slash "q"'], 'type': 'multistring'},
              {'type': 'REG_MULTI_SZ', 'data': ['SMTP', 'X.400', 'back\\slash "q"']}),
    'multi single': ({'data': 'one', 'type': 'multistring'}, {'type': 'REG_MULTI_SZ', 'data': ['one']}),
    'binary hex:': ({'data': 'hex:be,ef,00,01', 'type': 'binary'}, {'type': 'REG_BINARY', 'data': 'beef0001'}),
    'binary list': ({'data': [0, 1, 127, 255], 'type': 'binary'}, {'type': 'REG_BINARY', 'data': '00017fff'}),
    'binary text': ({'data': 'cafe', 'type': 'REG_BINARY'}, {'type': 'REG_BINARY', 'data': 'cafe'}),
}
SMB_ONLY = {
    'none bytes': ({'data': 'hex:be,ef', 'type': 'none'}, {'type': 'REG_NONE', 'data': 'beef'}),
    'none empty': ({'type': 'none'}, {'type': 'REG_NONE', 'data': ''}),
    'binary empty': ({'data': '', 'type': 'binary'}, {'type': 'REG_BINARY', 'data': ''}),
    'multi empty': ({'data': [], 'type': 'multistring'}, {'type': 'REG_MULTI_SZ', 'data': []}),
}


def cases(transport: str) -> list[dict]:
    forms = dict(FORMS, **SMB_ONLY)
    out = [{'case': f'set {name!r}', 'host': HOST, 'args': {'path': KEY, 'name': name, **args}} for name, (args, _want) in forms.items()]
    out.append({'case': 'set in subkey', 'host': HOST, 'args': {'path': SUB, 'name': 'deep', 'data': 7, 'type': 'dword'}})
    return out


def wanted(transport: str) -> dict:
    forms = dict(FORMS, **(SMB_ONLY if transport == 'smb' else {}))
    return {name: want for name, (_args, want) in forms.items()}


def server_state(fleet: Fleet, key: str) -> dict:
    """{name: {type, data}} of ``key`` read from the server's own store: Samba's registry.tdb, or the simulator's state file."""
    if fleet.transport == 'winrm':
        return fleet.registry(HOST, key)
    raw = fleet.raw_values(HOST, key)
    return {} if raw is None else {name: (code, data) for name, code, data in raw}


def as_stored(fleet: Fleet, record: dict):
    """What the server's store holds for a value record: (type code, bytes) in registry.tdb, the record in the simulator."""
    if fleet.transport == 'smb' and record['type'] == 'REG_NONE':       # REG_NONE (0) holds its bytes as they are
        return 0, bytes.fromhex(record['data'])
    return smbfleet.record_bytes(record) if fleet.transport == 'smb' else record


@pytest.fixture(scope='module', params=['winrm', 'smb'])
def trip(request, tmp_path_factory, env_factory):
    runner = RegistryRuns(request, tmp_path_factory, env_factory, 'registry-roundtrip', SUBNETS)
    fleet = runner.fleet
    backups = str(runner.workdir / 'backups')
    runs = {'fleet': fleet}

    def play(name, items, **extra):
        runs[name] = runner.play(name, items, **extra)

    play('write', cases(request.param))
    expand = [{'case': name, 'host': HOST, 'args': {'path': EXP, 'name': name, **args}} for name, (args, _want) in EXPAND.items()]
    play('expand', expand)
    play('expand_again', expand)
    play('expand_info', [{'case': 'value', 'host': HOST, 'args': {'path': EXP, 'name': 'expand variables'}},
                         {'case': 'key', 'host': HOST, 'args': {'path': EXP}}], playbook=INFO_PLAYBOOK)
    runs['expanded'] = server_state(fleet, EXP)
    runs['written'] = server_state(fleet, KEY)
    runs['written_sub'] = server_state(fleet, SUB)
    play('delete', [{'case': 'delete', 'host': HOST, 'args': {'path': KEY, 'state': 'absent'}}], backup=True, backup_dir=backups)
    runs['deleted'] = server_state(fleet, KEY)
    record = runs['delete']['delete'].get('backup_record')
    play('first_restore', [{'case': 'restore', 'host': HOST, 'args': {'path': KEY}}], restore_records={'restore': record})
    # Over winrm every REG_EXPAND_SZ comes back expanded, so the record cannot promise its text: restore_expanded says
    # "write what was read" (here the same text: 'expand plain' holds no %...%).
    expanded = {'restore_expanded': True} if request.param == 'winrm' else {}
    play('restore', [{'case': 'restore', 'host': HOST, 'args': {'path': KEY}}], restore_records={'restore': record}, **expanded)
    runs['restored'] = server_state(fleet, KEY)
    runs['restored_sub'] = server_state(fleet, SUB)
    play('restore_again', [{'case': 'restore', 'host': HOST, 'args': {'path': KEY}}], restore_records={'restore': record}, **expanded)
    return runs


def test_every_form_is_written_and_read_back(trip):
    transport = trip['fleet'].transport
    for name, want in wanted(transport).items():
        outcome = trip['write'][f'set {name!r}']
        assert outcome['changed'] and not outcome.get('failed'), (name, outcome.get('msg'))
        assert trip['written'][name] == as_stored(trip['fleet'], want), name
    assert trip['written_sub']['deep'] == as_stored(trip['fleet'], {'type': 'REG_DWORD', 'data': 7})


def test_forms_winrm_cannot_carry_are_refused_in_one_line(trip):
    if trip['fleet'].transport != 'winrm':
        pytest.skip('smb writes every form')
    for name in SMB_ONLY:
        outcome = trip['write'][f'set {name!r}']
        assert outcome['failed'] and outcome['error_kind'] == 'unsupported' and '\n' not in outcome['msg'], outcome
        assert name not in trip['written']


def test_delete_backup_restore_gives_back_the_same_bytes(trip):
    deleted = trip['delete']['delete']
    assert deleted['changed'] and trip['deleted'] == {}
    assert os.path.exists(deleted['backup_file']) and os.path.exists(deleted['backup_record'])
    first, restored = trip['first_restore']['restore'], trip['restore']['restore']
    if trip['fleet'].transport == 'winrm':      # the record lists 'expand plain' as read expanded: no exact restore
        assert first['error_kind'] == 'not_restorable' and 'restore_expanded' in first['msg'], first
        assert restored['changed'] and not restored.get('failed') and restored['restore_exact'] is False, restored.get('msg')
    else:                                       # smb read the stored text: the first restore is exact
        assert first['changed'] and first['restore_exact'] is True and not first.get('failed'), first.get('msg')
        assert restored['changed'] is False
    assert trip['restored'] == trip['written']
    assert trip['restored_sub'] == trip['written_sub']
    assert trip['restore_again']['restore']['changed'] is False


def test_the_backup_file_is_a_regedit4_export_of_the_subtree(trip):
    sys.path.insert(0, REPO_ROOT)
    text = pathlib.Path(trip['delete']['delete']['backup_file']).read_bytes().decode('cp1252')
    assert text.startswith('REGEDIT4\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\RoundTrip]\r\n')
    assert '[HKEY_LOCAL_MACHINE\\SOFTWARE\\RoundTrip\\Sub key {x}]\r\n"deep"=dword:00000007\r\n' in text
    assert '"a=b"="1=2"' in text and '"say \\"hi\\""="a \\"quoted\\" text"' in text and '@=""' in text


def test_expand_sz_with_references_is_stored_as_written_and_idempotent(trip):
    """SetExpandedStringValue / BaseRegSetValue store the text as given; over winrm it reads back expanded, and the
    read-back and the second run compare the text around each %NAME% (docs/registry.md)."""
    for name, (_args, want) in EXPAND.items():
        first, again = trip['expand'][name], trip['expand_again'][name]
        assert first['changed'] and not first.get('failed'), first.get('msg')
        assert again['changed'] is False and not again.get('failed'), again.get('msg')
        assert trip['expanded'][name] == as_stored(trip['fleet'], want)
        if trip['fleet'].transport == 'winrm':      # the simulator expands %SystemRoot% to C:\WINNT, as the fleet says
            assert first['after'] == {'type': 'REG_EXPAND_SZ', 'data': EXPAND_INFO['winrm'][0]}
        else:
            assert first['after'] == want


def test_registry_info_returns_expand_sz_as_win_reg_stat_does(trip):
    """win_reg_stat returns ``value`` expanded and ``raw_value`` as stored; registry_info does over smb, and over winrm,
    where only the expanded text can be read, returns that for both (docs/registry.md)."""
    value, raw_value = EXPAND_INFO[trip['fleet'].transport]
    one, key = trip['expand_info']['value'], trip['expand_info']['key']
    assert (one['exists'], one['type'], one['value'], one['raw_value']) == (True, 'REG_EXPAND_SZ', value, raw_value), one
    assert key['properties']['expand variables'] == {'type': 'REG_EXPAND_SZ', 'value': value, 'raw_value': raw_value}
