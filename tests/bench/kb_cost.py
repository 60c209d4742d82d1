#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What auditing the 10 catalog KBs costs per host, against Q294406 alone (docs/performance.md).

    /work/tools/netns-run .venv/bin/python tests/bench/kb_cost.py [--hosts 25] [--rounds 3] [--transport winrm|smb|both]

Starts a fleet of ``--hosts`` copies of tests/e2e/fleets/kb.yml's ``kb_applicable`` server (every KB applies), then runs
tests/e2e/playbooks/kb.yml in check mode with ``kb_ids: [Q294406]`` and with all 10 ids, ``--rounds`` times each,
alternating.  Prints one JSON document: per transport and id set the wall time of each run (the median too), the
module's ``reads`` per host and, over winrm, the simulator's HTTP requests per host.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'e2e'))

from fleetctl import Fleet, ansible_env, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

PLAYBOOK = os.path.join(REPO_ROOT, 'tests', 'e2e', 'playbooks', 'kb.yml')
FLEET = os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'kb.yml')
SUBNETS = {'winrm': '127.0.93', 'smb': '127.0.94'}
TEN = ['Q294406', 'Q243581', 'Q195203', 'Q285023', 'Q192593', 'Q223161', 'Q194131', 'Q258745', 'Q157420', 'Q185693']
INPUTS = {'Q195203': 'ccmail_801_clients', 'Q223161': 'zero_on_backup', 'Q194131': 'disable_esmtp_advertising',
          'Q258745': 'slow_smtp_banner', 'Q157420': 'msmail_clients', 'Q185693': 'routing_recalculation_spins'}


def fleet_file(workdir: str, hosts: int) -> str:
    with open(FLEET, encoding='utf-8') as handle:
        fleet = yaml.safe_load(handle)
    template = fleet['hosts']['kb_applicable']
    fleet['hosts'] = {f'kbhost{index:03d}': template for index in range(1, hosts + 1)}
    path = os.path.join(workdir, 'fleet.yml')
    with open(path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(fleet, handle)
    return path


def requests(fleet: Fleet):
    if fleet.transport != 'winrm':
        return None
    return fleet.stats()['totals']['requests']


def measure(transport: str, hosts: int, rounds: int, workdir: str, collections: str) -> dict:
    fleet = Fleet(transport, fleet_file(workdir, hosts), workdir, SUBNETS[transport], ready_timeout=600)
    out = {}
    try:
        env = ansible_env(collections, workdir)
        sets = {'Q294406': {'kb_ids': ['Q294406'], 'kb_params': {}},
                '10 KBs': {'kb_ids': TEN, 'kb_params': dict({kb: {name: True} for kb, name in INPUTS.items()},
                                                            Q285023={'enable_ttl': 1})}}
        for name in sets:
            out[name] = {'wall_s': [], 'reads_per_host': None, 'http_requests_per_host': None}
        for _round in range(rounds):
            for name, extra in sets.items():
                before = requests(fleet)
                start = time.monotonic()
                run = run_playbook(PLAYBOOK, fleet.inventory, env, os.path.join(workdir, 'results'), '--check', extra_vars=extra)
                out[name]['wall_s'].append(round(time.monotonic() - start, 2))
                failed = [host for host, result in run.results.items() if result.get('failed')]
                if run.rc != 0 or failed:
                    raise RuntimeError(f'{name}: rc {run.rc}, failed {failed[:3]}: {run.output[-2000:]}')
                out[name]['reads_per_host'] = sorted({result['reads'] for result in run.results.values()})
                after = requests(fleet)
                if before is not None:
                    out[name]['http_requests_per_host'] = round((after - before) / hosts, 1)
        for name in sets:
            out[name]['wall_s_median'] = statistics.median(out[name]['wall_s'])
    finally:
        fleet.stop()
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument('--hosts', type=int, default=25)
    parser.add_argument('--rounds', type=int, default=3)
    parser.add_argument('--transport', choices=['winrm', 'smb', 'both'], default='both')
    options = parser.parse_args()
    root = tempfile.mkdtemp(prefix='kb-cost-')
    collections = os.path.join(root, 'collections')
    os.makedirs(os.path.join(collections, 'ansible_collections', 'legacy_exchange'))
    os.symlink(REPO_ROOT, os.path.join(collections, 'ansible_collections', 'legacy_exchange', 'exchange55'))
    report = {'hosts': options.hosts, 'rounds': options.rounds, 'forks': 25}
    for transport in (['winrm', 'smb'] if options.transport == 'both' else [options.transport]):
        workdir = os.path.join(root, transport)
        os.makedirs(workdir)
        report[transport] = measure(transport, options.hosts, options.rounds, workdir, collections)
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == '__main__':
    sys.exit(main())
