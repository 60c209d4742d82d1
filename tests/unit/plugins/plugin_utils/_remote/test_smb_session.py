# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The SMB session without a server: user names, error mapping, a refused login, a missing impacket."""

from __future__ import annotations

import sys
import types

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _smb, _smb_session
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError

SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'


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
    assert _smb_session.split_username(username, domain) == expected


@pytest.mark.parametrize('username', ['', None, 'EXCHLAB\\', '@exchlab'])
def test_split_username_needs_a_user(username):
    with pytest.raises(ValueError, match='user name'):
        _smb_session.split_username(username)


# --- a session without a network ------------------------------------------------------------

impacket = pytest.importorskip('impacket')


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

    def getSMBServer(self):
        """An SMB1 session object's shape: the signature checker wraps its NetBIOS session."""
        session = types.SimpleNamespace(send_packet=lambda data: None, recv_packet=lambda timeout=None: None)
        return types.SimpleNamespace(_sess=session, _SigningSessionKey=b'', _SigningChallengeResponse=b'')

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


def test_missing_impacket_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(_smb_session, '_IMPACKET', None)
    monkeypatch.setitem(sys.modules, 'impacket', None)
    with pytest.raises(RemoteError) as raised:
        _smb.SMBHost('192.0.2.10', 'Administrator', 'pw')
    assert raised.value.kind == 'unsupported' and 'impacket' in str(raised.value)
