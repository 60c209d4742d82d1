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
