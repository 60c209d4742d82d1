# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run shape the registry suites share (test_registry_peer.py, test_registry_roundtrip.py): one fleet per transport
from tests/e2e/fleets/registry_peer.yml, started for a test module and stopped after it, and real ansible-playbook runs
of a cases playbook (a list of {case, host, args}) whose results come back as {case: module result}."""

from __future__ import annotations

import os

import yaml

from fleetctl import REPO_ROOT, Fleet, require_transport, run_playbook

FLEET_FILE = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'registry_peer.yml')
CASES_PLAYBOOK = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'registry_cases.yml')
INFO_PLAYBOOK = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'registry_info_cases.yml')


def fleet_file(transport: str, workdir) -> str:
    """The fleet file, without the NT 4.0 host for smb: Samba answers HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion
    itself and refuses writes to it (source3/registry/reg_backend_current_version.c), so no Samba host can pose as NT 4.0."""
    if transport == 'winrm':
        return FLEET_FILE
    with open(FLEET_FILE, encoding='utf-8') as handle:
        document = yaml.safe_load(handle)
    document['hosts'].pop('nt4_server')
    path = os.path.join(str(workdir), 'registry_peer_smb.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(document, handle)
    return path


class RegistryRuns:
    """A started fleet for ``request.param`` (the transport) and the playbook runs against it."""

    def __init__(self, request, tmp_path_factory, env_factory, suite: str, subnets: dict):
        require_transport(request.param)
        self.transport = request.param
        self.workdir = tmp_path_factory.mktemp(f'{suite}-{request.param}')
        self.fleet = Fleet(request.param, fleet_file(request.param, self.workdir), str(self.workdir), subnets[request.param])
        request.addfinalizer(self.fleet.stop)
        self.env = env_factory(self.workdir)

    def play(self, phase: str, cases: list, *flags: str, playbook: str = CASES_PLAYBOOK, **extra_vars) -> dict:
        """Run ``playbook`` with ``cases`` (and ``--check``/``--diff`` flags, extra variables) once; {case: result}."""
        return run_playbook(playbook, self.fleet.inventory, self.env, str(self.workdir / f'results-{phase}'), *flags,
                            extra_vars={'cases': cases, 'connect_timeout': 10, **extra_vars}).results
