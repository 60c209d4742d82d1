# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMBHost against real Samba servers on 127.0.43.x - 127.0.49.x (started by smbfleet).

Every test here talks SMB, MS-RRP and MS-SCMR to a real smbd / samba-dcerpcd; server-side
state is checked through ``net registry export``, a path that does not use the code under test.
The whole module is skipped, with the reason, when Samba cannot run on this machine.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import pytest
import yaml

HERE = pathlib.Path(__file__).resolve().parent
SMBHOST_DIR = HERE.parent
COLLECTION_ROOT = SMBHOST_DIR.parent.parent
sys.path.insert(0, str(SMBHOST_DIR))

import smbfleet


def _collection_module(name: str):
    """Import a module of this collection, linking the checkout as ansible_collections/legacy_exchange/exchange55 if needed."""
    full = f'ansible_collections.legacy_exchange.exchange55.{name}'
    try:
        return importlib.import_module(full)
    except ImportError:
        tree = pathlib.Path(tempfile.mkdtemp(prefix='smbhost-coll-'))
        (tree / 'ansible_collections' / 'legacy_exchange').mkdir(parents=True)
        (tree / 'ansible_collections' / 'legacy_exchange' / 'exchange55').symlink_to(COLLECTION_ROOT)
        sys.path.insert(0, str(tree))
        for cached in [m for m in sys.modules if m == 'ansible_collections' or m.startswith('ansible_collections.')]:
            del sys.modules[cached]
        return importlib.import_module(full)


_smb = _collection_module('plugins.plugin_utils._remote._smb')
_smb_session = _collection_module('plugins.plugin_utils._remote._smb_session')
RemoteError = _collection_module('plugins.plugin_utils._remote._base').RemoteError
RegValue = _collection_module('plugins.plugin_utils._registry').RegValue
SMBHost = _smb.SMBHost

SETUP = r'HKLM\SOFTWARE\Microsoft\Exchange\Setup'
PARAMS = r'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeIS\ParametersPrivate'
TYPES = r'HKLM\SOFTWARE\Exchange55Test\Types'
NAMES = r'HKLM\SOFTWARE\Exchange55Test\Namen Größe'
# Value names in cp1252 (ä ö ß €, and 0x80-0x9F's curly quotes and ellipsis, written as escapes) and beyond it (Cyrillic, CJK, outside the BMP).
NON_ASCII_NAMES = ['Größe', '€ Währung', '\u201cquoted\u201d \u2026', 'Размер', '名前', 'emoji 😀', 'MiXeD CaSe']
STORE = r'C:\exchsrvr\bin\store.exe'
PASSWORD = 'Exch55!Sim'
LONG_TEXT = 'x' * 700          # 1402 bytes as UTF-16: larger than the first read buffer

EXSRV_SETUP = {
    'Services': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'},
    'NewestBuild': {'type': 'REG_DWORD', 'data': 1960},
    'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653},
}
EXSRV_PARAMS = {
    'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'},
    'Send Threads': {'type': 'REG_DWORD', 'data': 4},
}

# The servers, named after what they are (the fleet-file format of tests/simulator/README.md).
FLEET = {
    'defaults': {'username': 'Administrator', 'password': PASSWORD},
    'hosts': {
        'sp4_fixed': {   # Exchange 5.5 SP4 with the Q294406 store.exe, plus one value of every type
            'registry': {
                SETUP: EXSRV_SETUP,
                PARAMS: EXSRV_PARAMS,
                TYPES: {
                    'Sz': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'},
                    'Empty': {'type': 'REG_SZ', 'data': ''},
                    'Umlaut': {'type': 'REG_SZ', 'data': 'Größe ✓'},
                    'Long': {'type': 'REG_SZ', 'data': LONG_TEXT},
                    'Expand': {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\system32'},
                    'Dword': {'type': 'REG_DWORD', 'data': 0xFFFFFFFF},
                    'Qword': {'type': 'REG_QWORD', 'data': 2 ** 40 + 5},
                    'Multi': {'type': 'REG_MULTI_SZ', 'data': ['first', 'second', 'Größe']},
                    'Binary': {'type': 'REG_BINARY', 'data': '0001ff7f'},
                    '': {'type': 'REG_SZ', 'data': 'default value'},
                },
                NAMES: {name: {'type': 'REG_SZ', 'data': name} for name in NON_ASCII_NAMES},
            },
            'files': {STORE: {'version': '5.5.2654.81'}},
            'owa': {'ssl_required': True},
        },
        'sp3_old_store': {
            'registry': {SETUP: {'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2650}}, PARAMS: EXSRV_PARAMS},
            'files': {STORE: {'version': '5.5.2650.21', 'size': 3 * 1024 * 1024}},
            'owa': {'ssl_required': False},
        },
        'rollup_2002': {'registry': {PARAMS: EXSRV_PARAMS}, 'files': {STORE: {'version': '5.5.2656.84'}}},
        'locked_params': {   # the account may read ParametersPrivate but not change it
            'registry': {PARAMS: {**EXSRV_PARAMS, 'OWA Url Protocol': {'type': 'REG_SZ', 'data': 'http:'}}},
            'deny_write': [PARAMS],
            'files': {STORE: {'version': '5.5.2654.81'}},
        },
        'store_missing': {},
        'store_unversioned': {'files': {STORE: {'version': None}}},
        'wmi_denied': {'faults': {'access_denied': True}, 'files': {STORE: {'version': '5.5.2654.81'}}},
        'hung': {'faults': {'hang': True}},
        'nt4_port139': {   # NT 4.0 has no port 445: NetBIOS session service only
            'username': 'EXCHLAB\\exadmin', 'password': 'nt4 pass phrase',
            'files': {STORE: {'version': '5.5.2654.89'}},
        },
        'signing_off': {},
        'smb3_signing_required': {},
    },
}
# What the fleet file cannot say: per-host SMB settings.
OVERRIDES = {
    'nt4_port139': {'port': 139},
    'signing_off': {'signing': 'disabled'},
    'smb3_signing_required': {'protocol': 'SMB3', 'signing': 'mandatory'},
}
FLEET['defaults']['registry'] = {SETUP: EXSRV_SETUP}


def _environment_problem() -> str | None:
    try:
        smbfleet.require_environment()
    except smbfleet.FleetError as error:
        return str(error)
    return None


def _skip_or_fail(reason: str):
    """Skip when Samba cannot run here, unless EXCHANGE55_REQUIRE_SMB says this suite must run (CI)."""
    if os.environ.get('EXCHANGE55_REQUIRE_SMB'):
        pytest.fail(f'the smb suite must run here (EXCHANGE55_REQUIRE_SMB is set) but Samba cannot start: {reason}')
    pytest.skip(f'Samba cannot be started here: {reason}')


def _state_dir() -> pathlib.Path:
    """A fresh directory under /tmp: Samba's unprivileged account must be able to reach it (pytest's tmp_path is mode 700)."""
    path = pathlib.Path(tempfile.mkdtemp(prefix='smbfleet-test-', dir='/tmp'))
    path.chmod(0o711)
    return path


@contextlib.contextmanager
def running_fleet(document, subnet: str, **options):
    """A Samba fleet for one test module, in a fresh state directory, stopped and removed afterwards; the module skips
    (or, under EXCHANGE55_REQUIRE_SMB, fails) when Samba cannot run here."""
    reason = _environment_problem()
    if reason:
        _skip_or_fail(reason)
    state = _state_dir()
    running = smbfleet.SambaFleet(document, state, subnet=subnet, **options)
    try:
        running.start()
        yield running
    finally:
        running.stop()
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope='module')
def fleet():
    with running_fleet(FLEET, '127.0.43', overrides=OVERRIDES) as running:
        print(f'\n{len(running.hosts)} Samba hosts started in {running.startup_seconds:.2f} s')
        yield running


def connect(fleet, name, **options) -> SMBHost:
    host = fleet[name]
    options.setdefault('port', host.port)
    return SMBHost(host.address, options.pop('username', host.username), options.pop('password', host.password), **options)


def stored(fleet, name, key):
    """The key as Samba stores it, read with net registry export (not through SMBHost)."""
    return fleet[name].dump([key])['registry'].get(key)


# ------------------------------------------------------------------ registry reads
@pytest.mark.parametrize('name, expected', [
    ('Sz', RegValue('REG_SZ', 'C:\\exchsrvr')),
    ('Empty', RegValue('REG_SZ', '')),
    ('Umlaut', RegValue('REG_SZ', 'Größe ✓')),
    ('Long', RegValue('REG_SZ', LONG_TEXT)),
    ('Expand', RegValue('REG_EXPAND_SZ', '%SystemRoot%\\system32')),
    ('Dword', RegValue('REG_DWORD', 0xFFFFFFFF)),
    ('Qword', RegValue('REG_QWORD', 2 ** 40 + 5)),
    ('Multi', RegValue('REG_MULTI_SZ', ('first', 'second', 'Größe'))),
    ('Binary', RegValue('REG_BINARY', b'\x00\x01\xff\x7f')),
    ('', RegValue('REG_SZ', 'default value')),
])
def test_get_value_returns_type_and_data(fleet, name, expected):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.get_value(TYPES, name) == expected


def test_value_names_are_case_insensitive(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.get_value(SETUP.lower(), 'newestbuild') == RegValue('REG_DWORD', 1960)


def test_get_values_lists_every_value_in_stored_order(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        values = host.get_values(TYPES)
        types = host.enum_values(TYPES)
    expected = FLEET['hosts']['sp4_fixed']['registry'][TYPES]
    assert list(values) == list(expected)
    assert {name: value.to_record() for name, value in values.items()} == expected
    assert types == {name: spec['type'] for name, spec in expected.items()}


def test_non_ascii_names_reach_samba_exactly_and_read_back(fleet):
    """The harness writes names over MS-RRP: Samba's registry.tdb holds them as given (not re-encoded), and so do reads."""
    assert fleet['sp4_fixed'].raw_values(NAMES) == [
        (name, 1, (name + '\0').encode('utf-16-le')) for name in NON_ASCII_NAMES]
    with connect(fleet, 'sp4_fixed') as host:
        assert host.get_values(NAMES) == {name: RegValue('REG_SZ', name) for name in NON_ASCII_NAMES}
        assert host.get_value(NAMES, 'GRÖSSE') is None            # the registry folds one character at a time: ß is not SS
        assert host.get_value(NAMES, 'GRÖßE') == RegValue('REG_SZ', 'Größe')
        assert host.get_value(NAMES, 'mixed case') == RegValue('REG_SZ', 'MiXeD CaSe')


def test_a_listing_answers_later_reads_of_its_key_until_a_write_under_it(fleet):
    """get_value/get_values after a listing cost no round trip; a write forgets the listing, so the read-back asks Samba."""
    with connect(fleet, 'sp4_fixed') as host:
        listed = host.get_values(TYPES)
        sent = host.requests
        assert host.get_value(TYPES, 'dWORD') == listed['Dword']
        assert host.get_value(TYPES, 'NoSuchValue') is None
        assert host.get_values(TYPES) == listed
        assert host.requests == sent
        assert host.enum_values(TYPES) == {name: value.type for name, value in listed.items()}
        host.get_values(PARAMS)
        host.set_value(PARAMS, 'Cache Probe', RegValue('REG_SZ', 'written'))
        sent = host.requests
        assert host.get_value(PARAMS, 'Cache Probe') == RegValue('REG_SZ', 'written')
        assert host.requests > sent                      # the read-back reached the server
        host.get_values(PARAMS)
        assert host.delete_value(PARAMS, 'Cache Probe') is True
        assert host.get_value(PARAMS, 'Cache Probe') is None
    assert 'Cache Probe' not in stored(fleet, 'sp4_fixed', PARAMS)


def test_raw_values_reads_the_registry_file_itself(fleet):
    assert fleet['sp4_fixed'].raw_values(TYPES)[0] == ('Sz', 1, 'C:\\exchsrvr\0'.encode('utf-16-le'))
    assert fleet['sp4_fixed'].raw_values(r'HKLM\SOFTWARE\NoSuchVendor') is None


def test_missing_key_and_value_are_none(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.get_value(r'HKLM\SOFTWARE\NoSuchVendor\NoSuchKey', 'Services') is None
        assert host.get_value(SETUP, 'NoSuchValue') is None
        assert host.get_values(r'HKLM\SOFTWARE\NoSuchVendor') is None
        assert host.enum_values(r'HKLM\SOFTWARE\NoSuchVendor') is None
        assert host.delete_value(r'HKLM\SOFTWARE\NoSuchVendor', 'x') is False
        with pytest.raises(RemoteError) as raised:
            host.set_value(r'HKLM\SOFTWARE\NoSuchVendor', 'x', RegValue('REG_SZ', 'y'))
    assert raised.value.kind == 'not_found'


# ------------------------------------------------------------------ registry writes
def test_set_reg_sz_is_stored_and_read_back(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.get_value(PARAMS, 'OWA Url Protocol') is None
        host.set_value(PARAMS, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'))
        assert host.get_value(PARAMS, 'OWA Url Protocol') == RegValue('REG_SZ', 'https:')
    assert stored(fleet, 'sp4_fixed', PARAMS)['OWA Url Protocol'] == {'type': 'REG_SZ', 'data': 'https:'}
    assert stored(fleet, 'sp4_fixed', PARAMS)['DB Path'] == EXSRV_PARAMS['DB Path']


@pytest.mark.parametrize('value', [
    RegValue('REG_EXPAND_SZ', 'https:'),
    RegValue('REG_DWORD', 443),
    RegValue('REG_QWORD', 2 ** 63),
    RegValue('REG_MULTI_SZ', ('a', 'b')),
    RegValue('REG_BINARY', b'\x01\x02'),
    RegValue('REG_SZ', 'Größe ' + LONG_TEXT),
])
def test_set_every_type_round_trips(fleet, value):
    with connect(fleet, 'rollup_2002') as host:
        host.set_value(PARAMS, 'Probe', value)
        assert host.get_value(PARAMS, 'Probe') == value
    assert stored(fleet, 'rollup_2002', PARAMS)['Probe'] == value.to_record()


def test_rewriting_changes_the_type(fleet):
    with connect(fleet, 'rollup_2002') as host:
        host.set_value(PARAMS, 'OWA Url Protocol', RegValue('REG_EXPAND_SZ', 'https:'))
        host.set_value(PARAMS, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'))
        assert host.get_value(PARAMS, 'OWA Url Protocol') == RegValue('REG_SZ', 'https:')


def test_delete_value_reports_whether_it_existed(fleet):
    with connect(fleet, 'sp3_old_store') as host:
        host.set_value(PARAMS, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'))
        assert host.delete_value(PARAMS, 'OWA Url Protocol') is True
        assert host.delete_value(PARAMS, 'OWA Url Protocol') is False
        assert host.get_value(PARAMS, 'OWA Url Protocol') is None
    assert 'OWA Url Protocol' not in stored(fleet, 'sp3_old_store', PARAMS)


def test_denied_write_is_access_denied_and_changes_nothing(fleet):
    with connect(fleet, 'locked_params') as host:
        assert host.get_value(PARAMS, 'OWA Url Protocol') == RegValue('REG_SZ', 'http:')
        with pytest.raises(RemoteError) as raised:
            host.set_value(PARAMS, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'))
        assert raised.value.kind == 'access_denied'
        with pytest.raises(RemoteError) as raised_delete:
            host.delete_value(PARAMS, 'OWA Url Protocol')
        assert raised_delete.value.kind == 'access_denied'
        host.set_value(SETUP, 'Probe', RegValue('REG_SZ', 'writable elsewhere'))   # other keys stay writable
    assert stored(fleet, 'locked_params', PARAMS)['OWA Url Protocol'] == {'type': 'REG_SZ', 'data': 'http:'}


# ------------------------------------------------------------------ files
@pytest.mark.parametrize('name, version', [
    ('sp4_fixed', '5.5.2654.81'),
    ('sp3_old_store', '5.5.2650.21'),
    ('rollup_2002', '5.5.2656.84'),
    ('nt4_port139', '5.5.2654.89'),
])
def test_store_version_reads_only_headers_and_resources(fleet, name, version):
    size = (fleet[name].dir / 'C' / 'exchsrvr' / 'bin' / 'store.exe').stat().st_size
    with connect(fleet, name) as host:
        assert host.file_version(STORE) == version
        assert host.file_version(STORE.upper()) == version        # Windows paths are case-insensitive
        assert host.bytes_read <= 2 * 8192 < size


def test_missing_file_is_none(fleet):
    with connect(fleet, 'store_missing') as host:
        assert host.file_version(STORE) is None
        assert host.file_version(r'C:\no\such\dir\store.exe') is None
        assert host.file_version('C:\\exchsrvr') is None            # no such directory either
    with connect(fleet, 'sp4_fixed') as host:
        with pytest.raises(RemoteError) as raised:                # a directory is not a missing file: say what it is
            host.file_version('C:\\exchsrvr\\bin')
    assert raised.value.kind == 'not_found' and 'is a directory, not a file' in str(raised.value)


def test_file_without_version_resource_is_empty(fleet):
    (fleet['store_unversioned'].dir / 'C' / 'exchsrvr' / 'bin' / 'readme.txt').write_text('not an executable\r\n', encoding='ascii')
    with connect(fleet, 'store_unversioned') as host:
        assert host.file_version(STORE) == ''
        assert host.file_version(r'C:\exchsrvr\bin\readme.txt') == ''


def test_missing_admin_share_is_not_found(fleet):
    with connect(fleet, 'store_missing') as host:
        with pytest.raises(RemoteError) as raised:
            host.file_version(r'Q:\exchsrvr\bin\store.exe')
    assert raised.value.kind == 'not_found' and 'Q$' in str(raised.value)


# ------------------------------------------------------------------ services
def test_service_states_and_missing_service(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.service_state('MSExchangeIS') is None        # Samba cannot host it: not simulated, see README
        assert host.service_state('RemoteRegistry') == 'Running'  # Samba's built-in services
        with pytest.raises(RemoteError) as raised:
            host.control_service('MSExchangeIS', 'start')
    assert raised.value.kind == 'not_found'


def test_control_service_stops_and_starts(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.service_state('Spooler') == 'Running'
        host.control_service('Spooler', 'stop')
        assert host.service_state('Spooler') == 'Stopped'
        host.control_service('Spooler', 'stop')                    # already stopped: accepted
        host.control_service('Spooler', 'start')
        assert host.service_state('Spooler') == 'Running'
        with pytest.raises(RemoteError) as raised:
            host.control_service('RemoteRegistry', 'stop')          # Samba refuses to stop winreg
    assert raised.value.kind == 'access_denied'


# ------------------------------------------------------------------ sessions and failures
@pytest.mark.parametrize('username', ['Administrator', 'EXCHLAB\\Administrator', 'Administrator@exchlab.example'])
def test_user_name_forms(fleet, username):
    with connect(fleet, 'sp4_fixed', username=username) as host:
        assert host.get_value(SETUP, 'NewestBuild') == RegValue('REG_DWORD', 1960)


def test_wrong_password_is_auth_and_not_retried(fleet):
    host = connect(fleet, 'sp4_fixed', password='not-the-password')
    with pytest.raises(RemoteError) as raised:
        host.get_value(SETUP, 'Services')
    assert raised.value.kind == 'auth'
    assert 'not-the-password' not in str(raised.value) and 'not-the-password' not in repr(host)
    sent = host.requests
    with pytest.raises(RemoteError) as again:
        host.get_values(SETUP)
    assert again.value.kind == 'auth' and host.requests == sent   # no second login attempt
    host.close()


def test_closed_port_is_unreachable():
    start = time.monotonic()
    with pytest.raises(RemoteError) as raised:
        SMBHost('127.0.49.250', 'Administrator', PASSWORD, timeout=5).get_value(SETUP, 'Services')
    assert raised.value.kind == 'unreachable' and time.monotonic() - start < 2


def test_hung_host_is_timeout(fleet):
    start = time.monotonic()
    with pytest.raises(RemoteError) as raised:
        connect(fleet, 'hung', timeout=1).get_value(SETUP, 'Services')
    assert raised.value.kind == 'timeout' and 0.9 < time.monotonic() - start < 5


def test_account_without_registry_or_share_access_is_access_denied(fleet):
    with connect(fleet, 'wmi_denied') as host:
        for call in (lambda: host.get_value(SETUP, 'Services'), lambda: host.get_values(SETUP),
                     lambda: host.enum_values(r'HKLM\SOFTWARE\Microsoft'), lambda: host.file_version(STORE)):
            with pytest.raises(RemoteError) as raised:
                call()
            assert raised.value.kind == 'access_denied'


def test_required_signing_signs_even_when_the_server_only_offers_it(fleet):
    with connect(fleet, 'sp4_fixed', require_signing=True) as host:
        assert host.get_value(SETUP, 'NewestBuild') == RegValue('REG_DWORD', 1960)
        assert _smb_session._signing_active(host._conn)
    with connect(fleet, 'sp4_fixed') as host:
        host.get_value(SETUP, 'NewestBuild')
        assert not _smb_session._signing_active(host._conn)


def test_required_signing_refuses_a_server_without_signing(fleet):
    with pytest.raises(RemoteError) as raised:
        connect(fleet, 'signing_off', require_signing=True).get_value(SETUP, 'Services')
    assert raised.value.kind == 'protocol' and 'signing' in str(raised.value)
    with connect(fleet, 'signing_off') as host:
        assert host.get_value(SETUP, 'Services') == RegValue('REG_SZ', 'C:\\exchsrvr')


def test_server_that_requires_signing_gets_signed_smb3(fleet):
    with connect(fleet, 'smb3_signing_required') as host:
        assert host.get_value(SETUP, 'Services') == RegValue('REG_SZ', 'C:\\exchsrvr')
        assert host._conn.getDialect() >= 0x300 and _smb_session._signing_active(host._conn)


def test_nt4_style_host_on_port_139(fleet):
    with connect(fleet, 'nt4_port139') as host:
        assert host.get_values(SETUP)['NewestBuild'] == RegValue('REG_DWORD', 1960)


def test_audit_sequence_cost(fleet, monkeypatch):
    """An audit reads Setup, Store.exe's version, ParametersPrivate and the service: count the round trips."""
    nmb = importlib.import_module('impacket.nmb')
    sent = []
    original = nmb.NetBIOSTCPSession.send_packet
    monkeypatch.setattr(nmb.NetBIOSTCPSession, 'send_packet', lambda self, data: sent.append(len(data)) or original(self, data))
    host = connect(fleet, 'sp4_fixed')
    host.get_values(SETUP)
    assert host.file_version(STORE) == '5.5.2654.81'
    host.get_values(PARAMS)
    host.service_state('MSExchangeIS')
    before_close = host.requests
    host.close()
    print(f'\naudit: {before_close} round trips before close, {host.requests} with close; {len(sent)} SMB messages sent')
    assert host.requests == len(sent)        # the counter is exact
    assert before_close <= 30


# ------------------------------------------------------------------ the tool itself
def test_dump_has_the_simulator_state_shape(fleet):
    dumped = fleet['sp3_old_store'].dump()
    assert dumped == {'host': 'sp3_old_store',
                      'registry': {SETUP: {**EXSRV_SETUP, 'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2650}}, PARAMS: EXSRV_PARAMS}}
    assert smbfleet.dump_host(fleet.state_dir, 'sp3_old_store', [PARAMS.upper()]) == {
        'host': 'sp3_old_store', 'registry': {PARAMS.upper(): EXSRV_PARAMS}}


def test_state_dir_under_a_private_parent(tmp_path):
    """pytest's tmp_path is mode 700: Samba's registry goes to a reachable place, and is removed once the state dir is gone."""
    reason = _environment_problem()
    if reason:
        _skip_or_fail(reason)
    document = {'hosts': {'private': {'username': 'Administrator', 'password': PASSWORD, 'registry': {SETUP: EXSRV_SETUP}}}}
    with smbfleet.SambaFleet(document, tmp_path / 'state', subnet='127.0.46', owa_port=0) as first:
        assert first.samba_root != first.state_dir and first.samba_root.exists()
        with SMBHost(first['private'].address, 'Administrator', PASSWORD) as host:
            assert host.get_value(SETUP, 'NewestBuild') == RegValue('REG_DWORD', 1960)
    shutil.rmtree(tmp_path / 'state')
    with smbfleet.SambaFleet(document, tmp_path / 'other', subnet='127.0.46', owa_port=0) as second:
        assert not first.samba_root.exists()
    shutil.rmtree(second.samba_root)


def test_owa_responder(fleet):
    def status(name):
        try:
            with urllib.request.urlopen(f'http://{fleet[name].address}/exchange/', timeout=5) as answer:
                return answer.status
        except urllib.error.HTTPError as error:
            return error.code

    assert [status('sp4_fixed'), status('sp3_old_store'), status('rollup_2002')] == [403, 200, 404]


@pytest.fixture
def scratch():
    path = _state_dir()
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_serve_writes_inventory_and_stops_everything_on_sigterm(scratch):
    if _environment_problem():
        _skip_or_fail(_environment_problem())
    tmp_path = scratch
    fleet_file = tmp_path / 'fleet.yml'
    fleet_file.write_text(yaml.safe_dump({
        'defaults': {'username': 'Administrator', 'password': PASSWORD},
        'hosts': {'exsrv01': {'registry': {SETUP: EXSRV_SETUP}, 'files': {STORE: {'version': '5.5.2654.81'}}},
                  'exsrv02': {'password': 'second', 'registry': {SETUP: EXSRV_SETUP}}},
    }), encoding='utf-8')
    inventory = tmp_path / 'inventory.yml'
    with subprocess.Popen([sys.executable, str(SMBHOST_DIR / 'smbfleet.py'), 'serve', '--fleet', str(fleet_file),
                           '--inventory', str(inventory), '--state-dir', str(tmp_path / 'state'), '--subnet', '127.0.45'],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as serve:
        try:
            assert serve.stdout.readline().strip() == 'READY'
            hosts = yaml.safe_load(inventory.read_text(encoding='utf-8'))['all']['children']['exchange55']['hosts']
            assert hosts['exsrv02'] == {
                'ansible_host': '127.0.45.2', 'ansible_connection': 'local', 'ansible_python_interpreter': '{{ ansible_playbook_python }}',
                'ansible_user': 'Administrator', 'ansible_password': 'second', 'exchange55_transport': 'smb',
                'exchange55_smb_port': 445, 'exchange55_owa_url': 'http://127.0.45.2/exchange/'}
            assert oct(inventory.stat().st_mode & 0o777) == '0o600'
            first = hosts['exsrv01']
            with SMBHost(first['ansible_host'], first['ansible_user'], first['ansible_password'],
                         port=first['exchange55_smb_port']) as host:
                assert host.file_version(STORE) == '5.5.2654.81'
                host.set_value(SETUP, 'Probe', RegValue('REG_DWORD', 7))
            groups = _samba_groups(tmp_path / 'state')
            assert groups and all(smbfleet.group_members(group) for group in groups)
        finally:
            serve.send_signal(signal.SIGTERM)
            _out, err = serve.communicate(timeout=30)
    assert serve.returncode == 0, err
    assert not [group for group in groups if smbfleet.group_members(group)]
    snapshot = yaml.safe_load((tmp_path / 'state' / 'exsrv01.json').read_text(encoding='utf-8'))
    assert snapshot['registry'][SETUP]['Probe'] == {'type': 'REG_DWORD', 'data': 7}


def _samba_groups(state_dir: pathlib.Path) -> list[int]:
    """Process groups of the Samba daemons started for ``state_dir`` (found through /proc)."""
    groups = set()
    for cmdline in pathlib.Path('/proc').glob('[0-9]*/cmdline'):
        try:
            args = cmdline.read_bytes().split(b'\0')
            if any(str(state_dir).encode() in arg for arg in args) and b'smbfleet.py' not in b' '.join(args):
                groups.add(os.getpgid(int(cmdline.parent.name)))
        except (OSError, ProcessLookupError):
            continue
    return sorted(groups)


# ------------------------------------------------------------------ keys: BaseRegCreateKey, BaseRegEnumKey, BaseRegDeleteKey
KEYS = r'HKLM\SOFTWARE\Exchange55Test\Keys'


def stored_subkeys(fleet, name, key) -> list[str] | None:
    """The key's subkeys as Samba's own `net registry enumerate` lists them (not through SMBHost); None if no such key."""
    host = fleet[name]
    result = subprocess.run([host.paths['net'], '-s', str(host.conf), 'registry', 'enumerate', key],
                            capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        return None
    return [line.split('=', 1)[1].strip() for line in result.stdout.splitlines() if line.strip().lower().startswith('keyname')]


def test_create_key_makes_every_missing_level_and_keeps_existing_ones(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        assert host.enum_keys(KEYS) is None
        host.create_key(KEYS + r'\nest1\nested')
        host.create_key(KEYS + r'\nest2')
        host.create_key(KEYS + r'\nest2')                       # already there: opened, not an error
        assert host.enum_keys(KEYS) == ['nest1', 'nest2']
        assert host.enum_keys(KEYS + r'\nest1') == ['nested']
        assert host.enum_keys(KEYS + r'\nest2') == []
        host.set_value(KEYS + r'\nest1\nested', 'Value', RegValue('REG_DWORD', 7))
    assert sorted(stored_subkeys(fleet, 'sp4_fixed', KEYS)) == ['nest1', 'nest2']
    assert stored_subkeys(fleet, 'sp4_fixed', KEYS + r'\nest1') == ['nested']


def test_delete_key_removes_the_whole_tree_deepest_first(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        host.create_key(KEYS + r'\Tree\a\b\c')
        host.create_key(KEYS + r'\Tree\d')
        host.set_value(KEYS + r'\Tree\a\b', 'kept?', RegValue('REG_SZ', 'no'))
        assert host.get_value(KEYS + r'\Tree\a\b', 'kept?') == RegValue('REG_SZ', 'no')    # a cached handle under the tree
        assert host.delete_key(KEYS + r'\Tree') is True
        assert host.enum_keys(KEYS + r'\Tree') is None
        assert host.get_value(KEYS + r'\Tree\a\b', 'kept?') is None
        assert host.delete_key(KEYS + r'\Tree') is False
        assert 'Tree' not in host.enum_keys(KEYS)
    assert stored_subkeys(fleet, 'sp4_fixed', KEYS + r'\Tree') is None
    assert 'Tree' not in stored_subkeys(fleet, 'sp4_fixed', KEYS)


def test_key_operations_on_a_hive_root_are_refused(fleet):
    with connect(fleet, 'sp4_fixed') as host:
        for call in (lambda: host.create_key('HKLM'), lambda: host.delete_key('HKEY_LOCAL_MACHINE')):
            with pytest.raises(RemoteError) as raised:
                call()
            assert raised.value.kind == 'unsupported'
