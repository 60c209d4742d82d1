# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""One fleet file, two transports: the WinRM simulator and the Samba hosts give every server the same status and facts."""

from __future__ import annotations

import os

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'matrix.yml')
PLAYBOOK = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'server_info.yml')
# lost_write needs a fault Samba cannot inject; the two unreachable hosts fail on both (checked in test_modules).
LEFT_OUT = {'lost_write', 'wrong_password', 'silent_host'}


def test_the_same_fleet_file_yields_the_same_statuses_over_winrm_and_smb(tmp_path_factory, env_factory):
    require_transport('smb')
    tmp_path = tmp_path_factory.mktemp('agree')  # short: Samba's sockets live below it
    results = {}
    for transport, subnet in (('winrm', '127.0.62'), ('smb', '127.0.63')):
        fleet = Fleet(transport, FLEET_FILE, str(tmp_path), subnet)
        try:
            run = run_playbook(PLAYBOOK, fleet.inventory, env_factory(tmp_path), str(tmp_path / f'results-{transport}'),
                               '--limit', ':'.join(f'!{host}' for host in sorted(LEFT_OUT)), extra_vars={'connect_timeout': 5})
        finally:
            fleet.stop()
        results[transport] = run.results
    assert set(results['winrm']) == set(results['smb']) and len(results['winrm']) == 11
    for host, winrm in results['winrm'].items():
        smb = results['smb'][host]
        assert not winrm.get('failed') and not smb.get('failed'), (host, winrm.get('msg'), smb.get('msg'))
        for part in ('status', 'prerequisites'):
            assert winrm['q294406'][part] == smb['q294406'][part], (host, part)
        # (reasons may word an unanswerable OWA probe differently: the Samba hosts' web server says 404, the simulator refuses)
        for fact in ('exchange', 'store', 'owa_url_protocol'):
            assert winrm['server'][fact] == smb['server'][fact], (host, fact)
        assert (winrm['transport'], smb['transport']) == ('winrm', 'smb')
