# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16's round trip over real Samba: 30 hosts, each holding another prior value of ``OWA Url Protocol``, are
audited (``--check``), applied, applied again and rolled back with the real playbooks and ansible-playbook.

The prior values are put on the hosts over MS-RRP as raw (type code, bytes) pairs, so the fleet holds what a real
server can hold and the fleet file cannot say: no value, REG_SZ, REG_EXPAND_SZ with ``%vars%``, REG_BINARY,
REG_MULTI_SZ, numbers, REG_NONE and an unknown type code, malformed strings, a value of 80 KB, the value's name in
another case, and siblings with odd names (a backslash, quotes, ``=``, the default value, cp1252 and Cyrillic).

Ground truth is each host's ``registry.tdb``, read with ``tdbdump`` (``SambaHost.raw_values``): nothing of SMB, of
Samba's registry code or of the collection is on that path.  After the rollback every value of ParametersPrivate and
of the Exchange Setup key of every host must be what it was before, name, type code and bytes, in order.
"""

from __future__ import annotations

import os
import shutil
import sys

import pytest
import yaml

from fleetctl import REPO_ROOT, require_transport, run_playbook

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'smbhost'))
import smbfleet  # noqa: E402  pylint: disable=wrong-import-position

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
NAME = 'OWA Url Protocol'
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
ROLLBACK = os.path.join(REPO_ROOT, 'playbooks', 'q294406_rollback.yml')
SUBNET = '127.0.113'


def utf16(text: str) -> bytes:
    return text.encode('utf-16-le')


def sz(text: str) -> bytes:
    """What Windows stores for a well-formed string: UTF-16LE with its terminating NUL."""
    return utf16(text + '\0')


HTTPS = (1, sz('https:'))
ODD_SIBLINGS = {
    'back\\slash': (1, sz('C:\\exchsrvr\\bin')),
    'say "hi"': (1, sz('a "quoted" text')),
    'a=b': (1, sz('1=2')),
    '': (1, sz('the default value')),
    'Größe': (1, sz('Größe €')),
}
# host -> (the prior OWA Url Protocol as (name, type code, bytes), or None for absent; sibling values written before it;
#          role variables of this host)
HOSTS = {
    'absent': (None, {}, {}),
    'http_sz': ((NAME, 1, sz('http:')), {}, {}),
    'compliant': ((NAME, *HTTPS), {}, {}),
    'expand_https': ((NAME, 2, sz('https:')), {}, {}),
    'expand_var': ((NAME, 2, sz('%SystemRoot%\\owa')), {}, {}),
    'expand_two_vars': ((NAME, 2, sz('%SystemDrive%\\%ExchangeDir%\\x')), {}, {}),
    'binary': ((NAME, 3, b'\x01\x02\xfe'), {}, {}),
    'binary_empty': ((NAME, 3, b''), {}, {}),
    'multi_sz': ((NAME, 7, utf16('http:\0https:\0\0')), {}, {}),
    'multi_sz_empty': ((NAME, 7, utf16('\0')), {}, {}),
    'dword': ((NAME, 4, (1).to_bytes(4, 'little')), {}, {}),
    'qword': ((NAME, 11, (5).to_bytes(8, 'little')), {}, {}),
    'reg_none': ((NAME, 0, b'\x01\x02'), {}, {}),
    'unknown_type': ((NAME, 0x4242, b'\xde\xad'), {}, {}),
    'empty_sz': ((NAME, 1, sz('')), {}, {}),
    'no_colon': ((NAME, 1, sz('https')), {}, {}),
    'upper_data': ((NAME, 1, sz('HTTPS:')), {}, {}),
    'cr_data': ((NAME, 1, sz('http:\r\nX\r')), {}, {}),
    'cp1252_data': ((NAME, 1, sz('Größe €')), {}, {}),
    'no_terminator': ((NAME, 1, utf16('http:')), {}, {}),
    'embedded_nul': ((NAME, 1, utf16('https:\0x\0')), {}, {}),
    # a REGEDIT4 file cannot hold an odd-length string (the apply says so and names this way out): a Version 5.00 file can
    'odd_length': ((NAME, 1, utf16('http:') + b'\0'), {}, {'q294406_backup_encoding': 'utf-16'}),
    'dword_2_bytes': ((NAME, 4, b'\x01\x02'), {}, {}),
    'large_80kb': ((NAME, 1, sz('h' * 40000)), {}, {}),
    'lower_name': (('owa url protocol', 1, sz('http:')), {}, {}),
    'upper_name_compliant': (('OWA URL PROTOCOL', *HTTPS), {}, {}),
    'lower_name_expand': (('owa url PROTOCOL', 2, sz('%SystemRoot%')), {}, {}),
    'odd_siblings': ((NAME, 1, sz('http:')), ODD_SIBLINGS, {}),
    'odd_siblings_absent': (None, ODD_SIBLINGS, {}),
    'cyrillic_sibling': ((NAME, 1, sz('http:')), {'Сервер': (1, sz('Москва'))}, {'q294406_backup_encoding': 'utf-16'}),
}
# The hosts whose value already is REG_SZ "https:": nothing to change, so no backup and nothing to roll back.
COMPLIANT = {'compliant', 'upper_name_compliant'}
FLEET = {
    'defaults': {
        'username': 'Administrator', 'password': 'Exch55!Sim',
        'registry': {
            SETUP: {'Services': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'}, 'NewestBuild': {'type': 'REG_DWORD', 'data': 1960},
                    'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653}},
            KEY: {'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'}, 'Sessions': {'type': 'REG_DWORD', 'data': 500}},
        },
        'files': {'C:\\exchsrvr\\bin\\store.exe': {'version': '5.5.2654.81', 'size': 65536}},
        'owa': {'ssl_required': True},
    },
    'hosts': {name: {} for name in HOSTS},
}


def tdb_state(fleet) -> dict:
    """{host: {key: [(name, type code, bytes), ...]}} straight from every host's registry.tdb."""
    return {name: {key: fleet[name].raw_values(key) for key in (KEY, SETUP)} for name in HOSTS}


def owa_value(values) -> tuple | None:
    """The OWA Url Protocol entry of a key's raw values, whatever the case of its name."""
    return next((entry for entry in values or () if entry[0].lower() == NAME.lower()), None)


@pytest.fixture(scope='module')
def trip(tmp_path_factory, env_factory):
    require_transport('smb')
    workdir = tmp_path_factory.mktemp('smb-round-trip')
    fleet = smbfleet.SambaFleet(FLEET, workdir / 'state', subnet=SUBNET)
    fleet.start()
    try:
        for name, (prior, siblings, _variables) in HOSTS.items():
            values = dict(siblings)
            if prior is not None:
                values[prior[0]] = prior[1:]
            if values:
                fleet[name].write_values({KEY: values})
        inventory = fleet.inventory()
        for name, (_prior, _siblings, variables) in HOSTS.items():
            inventory['all']['children']['exchange55']['hosts'][name].update(variables)
        inventory_path = workdir / 'inventory.yml'
        with open(os.open(inventory_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inventory, handle, allow_unicode=True)     # it holds the password
        env = env_factory(workdir)
        common = {'q294406_backup_dir': str(workdir / 'backups'), 'q294406_report_dir': str(workdir / 'reports'),
                  'q294406_connect_timeout': 10}
        runs = {'before': tdb_state(fleet)}
        for step, playbook, args in (('audit', PLAYBOOK, ('--check',)), ('apply', PLAYBOOK, ()), ('apply_again', PLAYBOOK, ()),
                                     ('rollback', ROLLBACK, ())):
            runs[step] = run_playbook(playbook, str(inventory_path), env, str(workdir / f'results-{step}'), *args,
                                      extra_vars=dict(common, q294406_report_name=step), cwd=str(workdir))
            runs[f'after_{step}'] = tdb_state(fleet)
        yield runs
    finally:
        fleet.stop()
        shutil.rmtree(workdir / 'state', ignore_errors=True)


def test_the_fleet_holds_the_prior_values_as_written(trip):
    for name, (prior, siblings, _variables) in HOSTS.items():
        values = trip['before'][name][KEY]
        assert owa_value(values) == prior, name
        assert [entry[0] for entry in values][:2] == ['DB Path', 'Sessions'], name
        assert {entry[0]: entry[1:] for entry in values if entry[0] in siblings} == siblings, name


def test_the_audit_changes_nothing(trip):
    run = trip['audit']
    assert run.rc == 0, run.output[-3000:]
    assert trip['after_audit'] == trip['before']
    assert set(run.recap) == set(HOSTS) and not any(host['failed'] or host['unreachable'] for host in run.recap.values()), run.output[-3000:]


def test_the_apply_makes_every_host_compliant_and_touches_nothing_else(trip):
    run = trip['apply']
    assert run.rc == 0, run.output[-3000:]
    for name in HOSTS:
        after, before = trip['after_apply'][name], trip['before'][name]
        assert owa_value(after[KEY])[1:] == HTTPS, (name, owa_value(after[KEY]))
        others = [entry for entry in after[KEY] if entry[0].lower() != NAME.lower()]
        assert others == [entry for entry in before[KEY] if entry[0].lower() != NAME.lower()], name
        assert after[SETUP] == before[SETUP], name
    changed = {host for host, recap in run.recap.items() if recap['changed']}
    assert changed == set(HOSTS) - COMPLIANT, run.output[-3000:]


def test_the_apply_keeps_the_stored_spelling_of_the_value_name(trip):
    """Windows matches value names case-insensitively and keeps the stored spelling (docs/windows-semantics.md):
    writing an existing value must leave its name as the server holds it."""
    for name in ('lower_name', 'lower_name_expand', 'upper_name_compliant'):
        assert owa_value(trip['after_apply'][name][KEY])[0] == HOSTS[name][0][0], name


def test_a_second_apply_changes_nothing(trip):
    run = trip['apply_again']
    assert run.rc == 0 and run.changed_total() == 0, run.output[-3000:]
    assert trip['after_apply_again'] == trip['after_apply']


def test_the_rollback_gives_every_host_back_its_registry_byte_for_byte(trip):
    run = trip['rollback']
    assert run.rc == 0, run.output[-3000:]
    differing = sorted(name for name in HOSTS if trip['after_rollback'][name] != trip['before'][name])
    assert not differing, {name: (trip['before'][name][KEY], trip['after_rollback'][name][KEY]) for name in differing[:3]}
    restored = {host for host, recap in run.recap.items() if recap['changed']}
    assert restored == set(HOSTS) - COMPLIANT, run.output[-3000:]
