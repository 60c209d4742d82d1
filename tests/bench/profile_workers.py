#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a forked Ansible worker spends its time: ansible-playbook in-process, every worker under cProfile.

    profile_workers.py [--top N] [--sort cumulative|tottime] [--out DIR] -- ANSIBLE-PLAYBOOK-ARGUMENTS...

Each worker (one per host per task) writes ``DIR/worker-<pid>.prof`` and the modules it imported itself
(what the parent had not imported before forking, so every worker imports them again). At the end the
profiles are merged and the top functions, the workers' mean time and the modules imported per worker are
printed. Run it with the environment ansible-playbook would have (ANSIBLE_COLLECTIONS_PATH, ...).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import glob
import json
import os
import pstats
import shutil
import sys
import tempfile
import time


def patch_workers(out_dir: str) -> None:
    """Make every WorkerProcess profile its own run and list the modules it imported."""
    from ansible.executor.process.worker import WorkerProcess  # pylint: disable=import-outside-toplevel

    original = WorkerProcess._run  # pylint: disable=protected-access

    def profiled(self):
        loaded = set(sys.modules)
        profiler = cProfile.Profile()
        start = time.perf_counter()
        try:
            return profiler.runcall(original, self)
        finally:
            elapsed = time.perf_counter() - start
            stem = os.path.join(out_dir, f'worker-{os.getpid()}')
            profiler.dump_stats(stem + '.prof')
            with open(stem + '.tmp', 'w', encoding='utf-8') as handle:
                json.dump({'task': self._task.get_name(), 'host': self._host.name, 'seconds': elapsed,  # pylint: disable=protected-access
                           'imported': sorted(set(sys.modules) - loaded)}, handle)
            os.replace(stem + '.tmp', stem + '.json')     # the .json appears last: the worker is done

    WorkerProcess._run = profiled  # pylint: disable=protected-access


def summarize(out_dir: str, top: int, sort: str, settle: float = 2.0) -> None:
    # ansible-playbook does not wait for its last workers to exit: wait until no worker is left writing.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(glob.glob(os.path.join(out_dir, 'worker-*.prof'))) != len(glob.glob(os.path.join(out_dir, 'worker-*.json'))):
        time.sleep(0.1)
    time.sleep(min(settle, 0.5))
    records = []
    for path in glob.glob(os.path.join(out_dir, 'worker-*.json')):
        with open(path, encoding='utf-8') as handle:
            records.append(json.load(handle))
    by_task = collections.defaultdict(list)
    for record in records:
        by_task[record['task']].append(record)
    print(f'\n{len(records)} workers')
    for task, runs in by_task.items():
        mean = sum(run['seconds'] for run in runs) / len(runs)
        imported = collections.Counter(name for run in runs for name in run['imported'])
        always = sorted(name for name, count in imported.items() if count == len(runs))
        print(f'- {task}: {len(runs)} workers, {mean * 1000:.1f} ms each on average; '
              f'{len(always)} modules imported by every one of them:')
        print('    ' + ', '.join(always))
    profiles = [path[:-len('.json')] + '.prof' for path in glob.glob(os.path.join(out_dir, 'worker-*.json'))]
    if profiles:
        stats = pstats.Stats(profiles[0])
        for path in profiles[1:]:
            stats.add(path)
        print(f'\nmerged profile of {len(profiles)} workers (totals; divide by the worker count for one worker)')
        stats.sort_stats(sort).print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--top', type=int, default=40)
    parser.add_argument('--sort', default='cumulative', choices=('cumulative', 'tottime'))
    parser.add_argument('--out', help='where the profiles go (default: a temporary directory, removed at the end)')
    parser.add_argument('playbook_args', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    playbook_args = args.playbook_args[1:] if args.playbook_args[:1] == ['--'] else args.playbook_args
    out_dir = args.out or tempfile.mkdtemp(prefix='worker-profiles-')
    os.makedirs(out_dir, exist_ok=True)
    patch_workers(out_dir)
    from ansible.cli.playbook import PlaybookCLI  # pylint: disable=import-outside-toplevel
    sys.argv = ['ansible-playbook', *playbook_args]
    try:
        PlaybookCLI.cli_executor(sys.argv)
    except SystemExit as exc:
        rc = exc.code or 0
    else:
        rc = 0
    summarize(out_dir, args.top, args.sort)
    if not args.out:
        shutil.rmtree(out_dir)
    return rc


if __name__ == '__main__':
    sys.exit(main())
