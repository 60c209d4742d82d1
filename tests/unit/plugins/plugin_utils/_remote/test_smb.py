# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""SMBHost without a server: administrative-share paths, constructor arguments, unsupported requests, lazy imports."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _smb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError

SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'


# --- arguments ----------------------------------------------------------------------------------

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


def test_importing_the_module_does_not_import_impacket():
    code = ('import sys; from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _smb; '
            'sys.exit(1 if "impacket" in sys.modules or "pefile" in sys.modules else 0)')
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    assert subprocess.run([sys.executable, '-c', code], env=env, check=False).returncode == 0


@pytest.mark.parametrize('path, form', [
    ('"C:\\exchsrvr"\\bin\\store.exe', 'is quoted'),
    ('\\\\exsrv01\\c$\\exchsrvr\\bin\\store.exe', 'is a UNC path'),
    ('%SystemDrive%\\exchsrvr\\bin\\store.exe', 'holds environment variables'),
])
def test_a_path_smb_cannot_read_says_what_it_is(path, form):
    with pytest.raises(ValueError) as raised:
        _smb.split_windows_path(path)
    assert f'the path {form}' in str(raised.value) and 'drive letter' in str(raised.value)


# --- lost connections, retries, the deadline (no network: the failures are made here) -----------------------------

def test_a_connection_lost_after_login_is_transient_and_one_never_made_is_unreachable():
    host = _smb.SMBHost('192.0.2.10', 'Administrator', 'pw')
    never = host._translate('connect', ConnectionRefusedError(111, 'Connection refused'))
    assert never.kind == 'unreachable' and not never.transient
    host._conn = object()                    # the session is up
    lost = host._translate('read HKLM\\SOFTWARE\\x', ConnectionResetError(104, 'Connection reset by peer'))
    assert lost.kind == 'transient' and lost.transient and 'the connection was lost during read' in str(lost)
    host._conn = None


class _Flaky:
    """The parts of an SMB session that retried() uses, with a clock and sleep that do not wait."""

    host = 'exsrv01'

    def __init__(self, failures, retries=5, retry_delay=0.5, deadline=None):
        self.failures, self.retries, self.retry_delay, self.deadline = failures, retries, retry_delay, deadline
        self.retried, self._retrying, self.calls, self.reconnects, self.slept, self.now = 0, False, 0, 0, [], 0.0

    def _clock(self):
        return self.now

    def _sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds

    def _reconnect(self):
        self.reconnects += 1

    @_smb.retried
    def read(self):
        self.calls += 1
        if self.calls <= self.failures:
            error = RemoteError('exsrv01:445: the connection was lost during read (reset)', kind='transient', host=self.host)
            error.transient = True
            raise error
        return 'data'

    @_smb.retried
    def refused(self):
        self.calls += 1
        raise RemoteError('exsrv01: access denied', kind='access_denied')


def test_a_lost_connection_is_retried_on_a_new_session_with_a_doubling_delay():
    flaky = _Flaky(failures=3)
    assert flaky.read() == 'data'
    assert (flaky.calls, flaky.retried, flaky.reconnects, flaky.slept) == (4, 3, 3, [0.5, 1.0, 2.0])


def test_retries_end_with_one_line_saying_so():
    flaky = _Flaky(failures=10, retries=2)
    with pytest.raises(RemoteError) as raised:
        flaky.read()
    assert raised.value.kind == 'transient' and 'still failing after 2 retries' in str(raised.value)
    assert flaky.calls == 3


def test_only_transient_failures_are_retried_and_never_past_the_deadline():
    flaky = _Flaky(failures=0)
    with pytest.raises(RemoteError):
        flaky.refused()
    assert flaky.calls == 1 and flaky.retried == 0
    late = _Flaky(failures=10, deadline=1.0)       # the first delay (0.5) fits, the second (1.0) would end past it
    with pytest.raises(RemoteError):
        late.read()
    assert late.calls == 2 and late.retried == 1


def test_task_timeout_fails_before_a_request_once_the_deadline_has_passed():
    now = [0.0]
    host = _smb.SMBHost('192.0.2.10', 'Administrator', 'pw', task_timeout=3, clock=lambda: now[0])
    assert host._check_deadline('a read') == 3           # no request may wait past the deadline
    now[0] = 3.5
    with pytest.raises(RemoteError) as raised:
        host.get_value('HKLM\\SOFTWARE\\x', 'y')
    assert raised.value.kind == 'timeout' and 'task_timeout of 3s reached before the SMB login' in str(raised.value)
    assert raised.value.advice == '' and host.requests == 0


def test_a_refused_pipe_gets_advice_saying_what_to_do():
    from impacket.smbconnection import SessionError   # pylint: disable=import-outside-toplevel
    host = _smb.SMBHost('192.0.2.10', 'Administrator', 'pw')
    with pytest.raises(RemoteError) as raised:
        with host._pipe_refusal('winreg'):
            raise SessionError(0xC0000034)
    assert 'refused the \\winreg pipe' in str(raised.value) and 'STATUS_OBJECT_NAME_NOT_FOUND' in str(raised.value)
    assert 'Remote Registry service' in raised.value.advice and '\n' not in raised.value.advice
