#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where a forked Ansible worker spends its time: ansible-playbook in-process, every worker measured.

    profile_workers.py [--cprofile] [--top N] [--sort cumulative|tottime] [--json FILE] -- ANSIBLE-PLAYBOOK-ARGUMENTS...

Ansible forks one worker per host and task. Each worker records its CPU (user and sys since the fork),
page faults (copy-on-write of the parent's memory), garbage collections, the modules it imported itself
(the parent had not, so every worker imports them again) and whether impacket or pefile are loaded in it,
and whether it imported them itself (then every smb worker pays for the import again).
With ``--cprofile`` each worker also runs under cProfile (CPU clock) and the merged profile is printed;
the profiler inflates small functions, so read its figures as proportions. ``--json FILE`` writes the
per-task summary as JSON. Run it with the environment ansible-playbook would have (ANSIBLE_COLLECTIONS_PATH...).
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import glob
import json
import os
import pstats
import resource
import shutil
import sys
import tempfile
import time

HEAVY = ('impacket', 'pefile')      # must never be loaded in a worker that serves a winrm host


def patch_workers(out_dir: str, use_cprofile: bool) -> None:
    """Make every WorkerProcess record what its own run cost (and profile it if asked)."""
    from ansible.executor.process.worker import WorkerProcess  # pylint: disable=import-outside-toplevel

    original = WorkerProcess._run  # pylint: disable=protected-access

    def measured(self):
        stem = os.path.join(out_dir, f'worker-{os.getpid()}')
        with open(stem + '.started', 'w', encoding='utf-8'):
            pass
        loaded = set(sys.modules)
        collections_before = [generation['collections'] for generation in gc.get_stats()]
        profiler = cProfile.Profile(time.process_time) if use_cprofile else None
        start = time.perf_counter()
        try:
            return profiler.runcall(original, self) if profiler else original(self)
        finally:
            elapsed = time.perf_counter() - start
            usage = resource.getrusage(resource.RUSAGE_SELF)     # since the fork: the whole worker
            if profiler:
                profiler.dump_stats(stem + '.prof')
            record = {
                'task': self._task.get_name(), 'host': self._host.name, 'seconds': elapsed,  # pylint: disable=protected-access
                'cpu_user': usage.ru_utime, 'cpu_sys': usage.ru_stime, 'minor_faults': usage.ru_minflt,
                'gc_collections': [generation['collections'] - before for generation, before in zip(gc.get_stats(), collections_before)],
                'imported': sorted(set(sys.modules) - loaded),
                'heavy_loaded': sorted(name for name in HEAVY if name in sys.modules),
                'heavy_imported': sorted(name for name in HEAVY if name in sys.modules and name not in loaded),
            }
            with open(stem + '.tmp', 'w', encoding='utf-8') as handle:
                json.dump(record, handle)
            os.replace(stem + '.tmp', stem + '.json')     # the .json appears last: the worker is done

    WorkerProcess._run = measured  # pylint: disable=protected-access


def collect(out_dir: str) -> dict:
    """{task name: summary of its workers}, once every started worker has written its record."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(glob.glob(os.path.join(out_dir, 'worker-*.started'))) > len(glob.glob(os.path.join(out_dir, 'worker-*.json'))):
        time.sleep(0.1)
    by_task = collections.defaultdict(list)
    for path in glob.glob(os.path.join(out_dir, 'worker-*.json')):
        with open(path, encoding='utf-8') as handle:
            record = json.load(handle)
        by_task[record['task'].rpartition(' : ')[2][:60]].append(record)      # without the role prefix, short
    summary = {}
    for task, runs in by_task.items():
        def mean(field, runs=runs):
            return sum(run[field] for run in runs) / len(runs)
        imported = collections.Counter(name for run in runs for name in run['imported'])
        summary[task] = {
            'workers': len(runs),
            'wall_ms': round(mean('seconds') * 1000, 1),
            'cpu_user_ms': round(mean('cpu_user') * 1000, 1),
            'cpu_sys_ms': round(mean('cpu_sys') * 1000, 1),
            'minor_faults': round(mean('minor_faults')),
            'gc_collections': [round(sum(run['gc_collections'][g] for run in runs) / len(runs), 2) for g in range(3)],
            'imported_by_every_worker': sorted(name for name, count in imported.items() if count == len(runs)),
            'heavy_modules_loaded': sorted({name for run in runs for name in run['heavy_loaded']}),
            'heavy_modules_imported_by_the_worker': sorted({name for run in runs for name in run.get('heavy_imported', ())}),
        }
    return summary


def print_summary(summary: dict, out_dir: str, top: int, sort: str) -> None:
    for task, item in summary.items():
        print(f'- {task}: {item["workers"]} workers; each on average {item["wall_ms"]} ms wall in the task, '
              f'{item["cpu_user_ms"]} ms user + {item["cpu_sys_ms"]} ms sys CPU since the fork, {item["minor_faults"]} page faults, '
              f'garbage collections per generation {item["gc_collections"]}; impacket/pefile loaded: {item["heavy_modules_loaded"] or "no"} '
              f'(imported by the worker itself: {item["heavy_modules_imported_by_the_worker"] or "no"}); '
              f'{len(item["imported_by_every_worker"])} modules imported by every worker:')
        print('    ' + ', '.join(item['imported_by_every_worker']))
    profiles = [path for path in glob.glob(os.path.join(out_dir, 'worker-*.prof')) if os.path.exists(path[:-len('.prof')] + '.json')]
    if profiles:
        stats = pstats.Stats(profiles[0])
        for path in profiles[1:]:
            stats.add(path)
        print(f'\nmerged CPU profile of {len(profiles)} workers (totals; divide by the worker count for one worker)')
        stats.files = []        # not one line per profile file
        stats.sort_stats(sort).print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--cprofile', action='store_true', help='run every worker under cProfile and print the merged profile')
    parser.add_argument('--top', type=int, default=40)
    parser.add_argument('--sort', default='cumulative', choices=('cumulative', 'tottime'))
    parser.add_argument('--json', help='write the per-task summary here as JSON')
    parser.add_argument('playbook_args', nargs=argparse.REMAINDER)
    args = parser.parse_args()
    playbook_args = args.playbook_args[1:] if args.playbook_args[:1] == ['--'] else args.playbook_args
    out_dir = tempfile.mkdtemp(prefix='worker-profiles-')
    # Let the last workers finish writing instead of being terminated at the end of the play.
    os.environ.setdefault('ANSIBLE_WORKER_SHUTDOWN_POLL_COUNT', '300')
    patch_workers(out_dir, args.cprofile)
    from ansible.cli.playbook import PlaybookCLI  # pylint: disable=import-outside-toplevel
    try:
        PlaybookCLI.cli_executor(['ansible-playbook', *playbook_args])
    except SystemExit as exc:
        rc = exc.code or 0
    else:
        rc = 0
    try:
        summary = collect(out_dir)
        if args.json:
            with open(args.json, 'w', encoding='utf-8') as handle:
                json.dump(summary, handle, indent=2)
        print()
        print_summary(summary, out_dir, args.top, args.sort)
    finally:
        shutil.rmtree(out_dir)
    return rc


if __name__ == '__main__':
    sys.exit(main())
