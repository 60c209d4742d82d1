#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The controller CPU of the smb audit's reads alone, without Ansible: one Samba host, the audit's reads N times.

    /work/tools/netns-run .venv/bin/python tests/bench/smb_audit_cpu.py [--rounds 20] [--cprofile] [--top 30]

Starts one Samba host (tests/smbhost/smbfleet.py, 127.0.119.1, the bench's fleet), then runs ``gather_facts`` of the
collection over a fresh SMBHost (login, reads, logoff) ``--rounds`` times in this process and prints the CPU per
audit (``time.process_time``: this process only, not Samba), the round trips and the Store.exe bytes read; with
``--cprofile`` the profile of the rounds (the profiler inflates small functions: read it for proportions).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import shutil
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(REPO_ROOT, 'tests', 'smbhost'), HERE]

import bench  # noqa: E402  pylint: disable=wrong-import-position
import smbfleet  # noqa: E402  pylint: disable=wrong-import-position


def _collection():
    """Import the collection's smb transport, linking this checkout as ansible_collections/legacy_exchange/exchange55."""
    tree = tempfile.mkdtemp(prefix='smb-audit-cpu-')
    os.makedirs(os.path.join(tree, 'ansible_collections', 'legacy_exchange'))
    os.symlink(REPO_ROOT, os.path.join(tree, 'ansible_collections', 'legacy_exchange', 'exchange55'))
    sys.path.insert(0, tree)
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _connection, _exchange55
    return tree, _connection, _exchange55


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--cprofile', action='store_true')
    parser.add_argument('--top', type=int, default=30)
    args = parser.parse_args()
    tree, connection, exchange55 = _collection()
    document = {'defaults': dict(bench.FLEET_DEFAULTS), 'hosts': {'cpu0001': {}}}
    state = tempfile.mkdtemp(prefix='smb-audit-cpu-', dir='/tmp')
    os.chmod(state, 0o711)
    try:
        with smbfleet.SambaFleet(document, os.path.join(state, 'state'), subnet=f'127.0.{bench.SMB_SUBNET}', owa_port=0) as fleet:
            host = fleet['cpu0001']
            settings = connection.resolve_settings({}, {'ansible_host': host.address, 'ansible_user': host.username,
                                                        'ansible_password': host.password, 'exchange55_transport': 'smb',
                                                        'exchange55_smb_port': host.port}, 'cpu0001')

            def audit():
                remote = connection.open_remote_host(settings)
                try:
                    exchange55.gather_facts(remote, None)
                finally:
                    remote.close()
                return remote

            first = audit()                       # warm: the first login also loads what impacket loads lazily
            start = time.process_time()
            for _round in range(args.rounds):
                audit()
            per_audit = (time.process_time() - start) / args.rounds
            print(f'{per_audit * 1000:.1f} ms CPU per audit (this process, {args.rounds} rounds); '
                  f'{first.requests} round trips; {first.bytes_read} bytes of Store.exe read')
            if args.cprofile:
                profiler = cProfile.Profile(time.process_time)
                profiler.runcall(lambda: [audit() for _round in range(args.rounds)])
                pstats.Stats(profiler).sort_stats('cumulative').print_stats(args.top)
    finally:
        shutil.rmtree(state, ignore_errors=True)
        shutil.rmtree(tree, ignore_errors=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
