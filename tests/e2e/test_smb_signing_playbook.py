# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Issue 16 item 1 end to end: the audit playbook, run with ansible-playbook, against two real Samba hosts (SMB1, as
NT 4.0 and Windows 2000 speak) reached through a relay that changes one byte of every answer carrying Store.exe's
version (5.5.2654.81 becomes 5.5.2654.80).

Without signing the changed answer is believed: the report says Store.exe is older (this is what the relay can do to
anyone, and shows that it really tampers).  With ``exchange55_smb_require_signing: true`` the answer fails its
signature check and the host fails with one line saying so; the tampered version appears nowhere in its result.
The pytest-level tests of the same check are tests/smbhost/tests/test_smb_signing_relay.py; docs/smb-signing.md.
"""

from __future__ import annotations

import json
import os
import shutil
import sys

import pytest
import yaml

from fleetctl import REPO_ROOT, require_transport, run_playbook

sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'smbhost'))
import smbfleet  # noqa: E402  pylint: disable=wrong-import-position,import-error
from relay import Relay  # noqa: E402  pylint: disable=wrong-import-position,import-error

PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
SETUP = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
STORE = 'C:\\exchsrvr\\bin\\store.exe'
FIXED_FILE_INFO = b'\xbd\x04\xef\xfe'        # VS_FIXEDFILEINFO's signature; FileVersionLS (build.revision) is 12 bytes on
FLEET = {
    'defaults': {
        'username': 'Administrator', 'password': 'Exch55!Sim',
        'registry': {SETUP: {'Services': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'}, 'NewestBuild': {'type': 'REG_DWORD', 'data': 1960},
                             'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653}},
                     KEY: {'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'}}},
        'files': {STORE: {'version': '5.5.2654.81', 'size': 65536}},
    },
    'hosts': {'unsigned': {}, 'signed': {}},
}
FLEET_SUBNET, RELAY_SUBNET = '127.0.114', '127.0.115'


class LowerTheRevision:
    """A relay rewrite: flip the low bit of the revision in every answer that carries Store.exe's VS_FIXEDFILEINFO."""

    def __init__(self):
        self.done = 0

    def __call__(self, direction, index, message):
        at = message.find(FIXED_FILE_INFO) if direction == 's2c' else -1
        if at < 0:
            return None
        self.done += 1
        changed = bytearray(message)
        changed[at + 12] ^= 0x01
        return bytes(changed)


@pytest.fixture(scope='module')
def audit(tmp_path_factory, env_factory):
    require_transport('smb')
    workdir = tmp_path_factory.mktemp('smb-signing-playbook')
    fleet = smbfleet.SambaFleet(FLEET, workdir / 'state', subnet=FLEET_SUBNET, owa_port=0)
    fleet.start()
    relays = {}
    try:
        inventory = fleet.inventory()
        hosts = inventory['all']['children']['exchange55']['hosts']
        for number, name in enumerate(FLEET['hosts'], 1):
            relays[name] = Relay(listen=(f'{RELAY_SUBNET}.{number}', 445), target=(fleet[name].address, 445),
                                 rewrite=LowerTheRevision()).start()
            hosts[name]['ansible_host'] = relays[name].address[0]
        hosts['signed']['exchange55_smb_require_signing'] = True
        path = workdir / 'inventory.yml'
        with open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inventory, handle)      # it holds the password
        run = run_playbook(PLAYBOOK, str(path), env_factory(workdir), str(workdir / 'results'), '--check',
                           extra_vars={'q294406_owa_ssl_required': 'true', 'q294406_report_dir': str(workdir / 'reports'),
                                       'q294406_report_name': 'audit', 'q294406_connect_timeout': 10}, cwd=str(workdir))
        with open(workdir / 'reports' / 'audit.json', encoding='utf-8') as handle:
            servers = {server['host']: server for server in json.load(handle)['servers']}
        yield {'run': run, 'servers': servers, 'relays': relays}
    finally:
        for relay in relays.values():
            relay.stop()
        fleet.stop()
        shutil.rmtree(workdir / 'state', ignore_errors=True)


def test_unsigned_the_tampered_version_is_believed(audit):
    entry = audit['servers']['unsigned']
    assert audit['relays']['unsigned'].rewrite.done >= 1
    assert entry['status'] == 'blocked' and not entry['failed'], entry
    assert any('Store.exe 5.5.2654.80 is older than 5.5.2654.81' in reason for reason in entry['reasons']), entry['reasons']


def test_signed_the_tampered_answer_fails_the_host_in_one_line(audit):
    entry = audit['servers']['signed']
    assert audit['relays']['signed'].rewrite.done >= 1
    assert entry['failed'] is True and entry['status'] == 'error' and entry['error_kind'] == 'protocol', entry
    error = entry['error']
    assert 'failed its SMB signature check' in error and 'check what sits between the controller and the server' in error, error
    assert '\n' not in error and 'check ansible_host' not in error
    assert '5.5.2654.80' not in json.dumps(entry)
    run = audit['run']
    assert run.rc != 0 and run.recap['signed']['failed'] == 1 and 'Traceback' not in run.output
    fatal = [line for line in run.output.splitlines() if line.startswith('fatal: [signed]')]
    assert fatal and all('5.5.2654.80' not in line for line in fatal), fatal
