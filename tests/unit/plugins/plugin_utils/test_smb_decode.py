# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The smb transport without a server: value decoding, argument parsing, error mapping, lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys
import types

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _smb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError

SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'


def utf16(text: str) -> bytes:
    return text.encode('utf-16-le')


# --- decoding what MS-RRP returns ---------------------------------------------------------------

@pytest.mark.parametrize('code, data, expected', [
    (1, utf16('https:\0'), RegValue('REG_SZ', 'https:')),
    (1, utf16('https:'), RegValue('REG_SZ', 'https:')),                       # stored without terminator
    (1, utf16('https:\0junk after the terminator\0'), RegValue('REG_SZ', 'https:')),
    (1, utf16('ab\0') + b'\x00', RegValue('REG_SZ', 'ab')),                   # odd length: the stray byte is dropped
    (1, b'', RegValue('REG_SZ', '')),
    (2, utf16('%SystemRoot%\\system32\0'), RegValue('REG_EXPAND_SZ', '%SystemRoot%\\system32')),
    (4, b'\xa8\x07\x00\x00', RegValue('REG_DWORD', 1960)),
    (4, b'\xff\xff\xff\xff', RegValue('REG_DWORD', 0xFFFFFFFF)),
    (4, b'\x05', RegValue('REG_DWORD', 5)),                                    # short data is zero-padded
    (11, (2 ** 40 + 5).to_bytes(8, 'little'), RegValue('REG_QWORD', 2 ** 40 + 5)),
    (7, utf16('a\0bc\0\0'), RegValue('REG_MULTI_SZ', ('a', 'bc'))),
    (7, utf16('a\0\0ignored\0\0'), RegValue('REG_MULTI_SZ', ('a',))),          # the list ends at the first empty string
    (7, utf16('\0'), RegValue('REG_MULTI_SZ', ())),
    (7, utf16('no terminator'), RegValue('REG_MULTI_SZ', ('no terminator',))),
    (3, b'\x00\x01\xff', RegValue('REG_BINARY', b'\x00\x01\xff')),
])
def test_decode_value(code, data, expected):
    assert _smb.decode_value(code, data) == expected


@pytest.mark.parametrize('code', [0, 5, 6, 8, 9, 10])
def test_decode_value_rejects_types_regvalue_cannot_hold(code):
    with pytest.raises(RemoteError) as raised:
        _smb.decode_value(code, b'\x00\x00\x00\x00')
    assert raised.value.kind == 'unsupported' and str(code) in str(raised.value)


@pytest.mark.parametrize('value', [
    RegValue('REG_SZ', 'https:'),
    RegValue('REG_SZ', ''),
    RegValue('REG_SZ', 'Größe ✓'),
    RegValue('REG_EXPAND_SZ', '%SystemRoot%'),
    RegValue('REG_DWORD', 0),
    RegValue('REG_DWORD', 0xFFFFFFFF),
    RegValue('REG_QWORD', 2 ** 64 - 1),
    RegValue('REG_MULTI_SZ', ('a', 'b')),
    RegValue('REG_MULTI_SZ', ()),
    RegValue('REG_BINARY', b''),
    RegValue('REG_BINARY', b'\x00\xff'),
])
def test_encode_then_decode_is_identity(value):
    code, data = _smb.encode_value(value)
    assert code == value.type_code
    assert _smb.decode_value(code, data) == value


def test_strings_are_written_nul_terminated():
    assert _smb.encode_value(RegValue('REG_SZ', 'https:')) == (1, utf16('https:\0'))
    assert _smb.encode_value(RegValue('REG_MULTI_SZ', ('a', 'b'))) == (7, utf16('a\0b\0\0'))
    assert _smb.encode_value(RegValue('REG_DWORD', 1960)) == (4, b'\xa8\x07\x00\x00')


def test_encode_value_needs_a_regvalue():
    with pytest.raises(TypeError):
        _smb.encode_value('https:')


# --- arguments ----------------------------------------------------------------------------------

@pytest.mark.parametrize('username, domain, expected', [
    ('Administrator', '', ('Administrator', '')),
    ('Administrator', 'EXCHLAB', ('Administrator', 'EXCHLAB')),
    ('EXCHLAB\\exadmin', '', ('exadmin', 'EXCHLAB')),
    ('EXCHLAB\\exadmin', 'OTHER', ('exadmin', 'EXCHLAB')),
    ('exadmin@exchlab.example.com', '', ('exadmin', 'exchlab.example.com')),
    ('  spaced  ', '', ('spaced', '')),
])
def test_split_username(username, domain, expected):
    assert _smb.split_username(username, domain) == expected


@pytest.mark.parametrize('username', ['', None, 'EXCHLAB\\', '@exchlab'])
def test_split_username_needs_a_user(username):
    with pytest.raises(ValueError, match='user name'):
        _smb.split_username(username)


@pytest.mark.parametrize('path, expected', [
    ('C:\\exchsrvr\\bin\\store.exe', ('C$', 'exchsrvr\\bin\\store.exe')),
    ('e:/Exchsrvr//BIN/store.exe', ('E$', 'Exchsrvr\\BIN\\store.exe')),
    (' D:\\store.exe ', ('D$', 'store.exe')),
])
def test_split_windows_path(path, expected):
    assert _smb.split_windows_path(path) == expected


@pytest.mark.parametrize('path', ['exchsrvr\\bin\\store.exe', '\\\\server\\c$\\store.exe', 'C:', 'C:\\', '%SystemDrive%\\exchsrvr', ''])
def test_split_windows_path_needs_a_drive(path):
    with pytest.raises(ValueError, match='drive letter'):
        _smb.split_windows_path(path)


# --- SMBHost without a network -----------------------------------------------------------------

impacket = pytest.importorskip('impacket')


def test_constructor_does_not_connect_and_hides_the_password():
    host = _smb.SMBHost('192.0.2.10', 'EXCHLAB\\exadmin', 's3cret!', port='139')
    assert (host.host, host.port, host.username, host.domain, host.requests) == ('192.0.2.10', 139, 'exadmin', 'EXCHLAB', 0)
    assert 's3cret!' not in repr(host)
    host.close()
    host.close()


@pytest.mark.parametrize('kwargs, message', [
    ({'host': ''}, 'host'),
    ({'port': 'smb'}, 'port'),
    ({'username': ''}, 'user name'),
])
def test_constructor_rejects_bad_arguments(kwargs, message):
    arguments = {'host': '192.0.2.10', 'username': 'Administrator', 'password': 'pw', **kwargs}
    with pytest.raises(ValueError, match=message):
        _smb.SMBHost(**arguments)


def test_bad_service_action_is_unsupported():
    with pytest.raises(RemoteError) as raised:
        _smb.SMBHost('192.0.2.10', 'Administrator', 'pw').control_service('MSExchangeIS', 'restart')
    assert raised.value.kind == 'unsupported'


def test_file_path_without_drive_is_unsupported():
    with pytest.raises(RemoteError) as raised:
        _smb.SMBHost('192.0.2.10', 'Administrator', 'pw').file_version('%SystemDrive%\\exchsrvr\\bin\\store.exe')
    assert raised.value.kind == 'unsupported'


def _translated(error):
    host = _smb.SMBHost('192.0.2.10', 'EXCHLAB\\exadmin', 'pw')
    return host._translate('read HKLM\\SOFTWARE', error)


def test_error_mapping():
    from impacket import nmb
    from impacket.dcerpc.v5 import rpcrt
    from impacket.smbconnection import SessionError

    cases = [
        (rpcrt.DCERPCException(error_code=5), 'access_denied'),
        (rpcrt.DCERPCException(error_code=0x6BA), 'protocol'),
        (SessionError(0xC000006D), 'auth'),
        (SessionError(0xC0000072), 'auth'),
        (SessionError(0xC0000022), 'access_denied'),
        (SessionError(0xC00000B5), 'timeout'),
        (SessionError(0xC00000BB), 'protocol'),
        (nmb.NetBIOSTimeout(), 'timeout'),
        (TimeoutError(), 'timeout'),
        (OSError('Connection error (192.0.2.10:445)', ConnectionRefusedError(111, 'Connection refused')), 'unreachable'),
        (ConnectionResetError(104, 'Connection reset by peer'), 'unreachable'),
        (nmb.NetBIOSError('Error while reading from remote'), 'unreachable'),
    ]
    for error, kind in cases:
        translated = _translated(error)
        assert (translated.kind, translated.host) == (kind, '192.0.2.10'), error
        assert '\n' not in str(translated)
    assert 'STATUS_LOGON_FAILURE' in str(_translated(SessionError(0xC000006D)))
    assert 'EXCHLAB\\exadmin' in str(_translated(SessionError(0xC000006D)))
    assert 'connection refused' in str(_translated(cases[9][0]))


class _RefusingConnection:
    """Stands in for impacket's SMBConnection: negotiates, then refuses every login."""

    created = 0

    def __init__(self, *args, **kwargs):
        type(self).created += 1

    def login(self, user, password, domain):
        from impacket.smbconnection import SessionError
        raise SessionError(0xC000006D)

    def close(self):
        return None


def test_refused_login_is_remembered_not_retried(monkeypatch):
    host = _smb.SMBHost('192.0.2.10', 'Administrator', 'wrong')
    fake = types.SimpleNamespace(**vars(host._lib))
    fake.SMBConnection = _RefusingConnection
    monkeypatch.setattr(host, '_lib', fake)
    for call in (lambda: host.get_value(SETUP, 'Services'), lambda: host.get_values(SETUP), lambda: host.file_version('C:\\x.exe')):
        with pytest.raises(RemoteError) as raised:
            call()
        assert raised.value.kind == 'auth' and 'wrong' not in str(raised.value)
    assert _RefusingConnection.created == 1
    assert host.requests == 3   # negotiate + the two NTLM session-setup legs, once


def test_importing_the_module_does_not_import_impacket():
    code = ('import sys; from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _smb; '
            'sys.exit(1 if "impacket" in sys.modules or "pefile" in sys.modules else 0)')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    assert subprocess.run([sys.executable, '-c', code], env=env, check=False).returncode == 0


def test_missing_impacket_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_smb, '_IMPACKET', None)
    monkeypatch.setitem(sys.modules, 'impacket', None)
    with pytest.raises(RemoteError) as raised:
        _smb.SMBHost('192.0.2.10', 'Administrator', 'pw')
    assert raised.value.kind == 'unsupported' and 'impacket' in str(raised.value)
