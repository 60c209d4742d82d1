#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet benchmark behind ``make bench``: one simulated fleet, four ansible-playbook runs, one JSON document.

Phases, in order and on the same inventory: ``floor`` (one ``ansible.builtin.debug`` per host), ``audit``
(playbooks/q294406.yml with --check), ``apply`` (the fleet needs the change) and ``apply_again`` (idempotent).
For each: wall time, its ratio to the floor, controller CPU (user+sys of ansible-playbook and every process it
waited for), peak controller memory (RSS summed over its process tree, sampled every 0.1 s), and what the
simulator counted per host (requests, bytes, WS-Man operations) between the phase's start and end.
The JSON goes to stdout, progress to stderr. Exit status 1 if a phase did not do what it should (the figures
would mean nothing); the targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'e2e'))

from fleetctl import RECAP, Fleet, ansible_env  # noqa: E402  pylint: disable=wrong-import-position

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
# Every host needs the change: Exchange 5.5 SP4, Store.exe 5.5.2654.81, OWA SSL only, no OWA Url Protocol yet.
PARAMETERS_PRIVATE = {
    'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'},
    'Sessions': {'type': 'REG_DWORD', 'data': 500},
}
FLEET_DEFAULTS = {
    'username': 'Administrator',
    'password': 'Exch55!Sim',
    'auth': 'ntlm',
    'scheme': 'http',
    'registry': {
        'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup': {
            'Services': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr'},
            'NewestBuild': {'type': 'REG_DWORD', 'data': 1960},
            'ServicePackBuild': {'type': 'REG_DWORD', 'data': 2653},
        },
        KEY: PARAMETERS_PRIVATE,
    },
    'files': {'C:\\exchsrvr\\bin\\store.exe': {'version': '5.5.2654.81'}},
    'services': {'MSExchangeIS': {'state': 'Running'}},
    'owa': {'ssl_required': True},
}
FLOOR_PLAYBOOK = os.path.join(HERE, 'floor.yml')
ROLE_PLAYBOOK = 'legacy_exchange.exchange55.q294406'      # playbooks/q294406.yml of the collection benchmarked
# phase -> (playbook, extra arguments, the fleet report's status every host must have afterwards)
PHASES = {
    'floor': (FLOOR_PLAYBOOK, (), None),
    'audit': (ROLE_PLAYBOOK, ('--check',), 'needs_change'),
    'apply': (ROLE_PLAYBOOK, (), 'changed'),
    'apply_again': (ROLE_PLAYBOOK, (), 'compliant'),
}
SUBNETS = range(100, 121)          # 127.0.100.x - 127.0.120.x, 254 hosts each
TARGETS = {'audit_wsman_requests': 6, 'apply_extra_requests': 3, 'audit_overhead_vs_network_floor': 1.5, 'cpu_ms_per_host_over_floor': 50}
PAGE = os.sysconf('SC_PAGE_SIZE')


def log(message: str) -> None:
    print(f'bench: {message}', file=sys.stderr, flush=True)


def fleet_file(path: str, hosts: int, latency_ms: int) -> None:
    """Write a fleet of ``hosts`` identical servers that all need the change (JSON is valid YAML)."""
    defaults = dict(FLEET_DEFAULTS, faults={'latency_ms': latency_ms})
    document = {'defaults': defaults, 'hosts': {f'bench{number:04d}': {} for number in range(1, hosts + 1)}}
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(document, handle, indent=1)


def machine() -> dict:
    """What the figures were measured on."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo', encoding='utf-8') as handle:
            model = next((line.split(':', 1)[1].strip() for line in handle if line.startswith('model name')), model)
    except OSError:
        pass
    from ansible.release import __version__ as ansible_core  # pylint: disable=import-outside-toplevel
    return {'cores': os.cpu_count(), 'cpu_model': model, 'python': platform.python_version(), 'ansible_core': ansible_core,
            'platform': platform.platform(), 'load_average_at_start': [round(load, 2) for load in os.getloadavg()]}


def _process_table() -> dict[int, int]:
    """{pid: parent pid} of every process now."""
    parents = {}
    for name in os.listdir('/proc'):
        if name.isdigit():
            try:
                with open(f'/proc/{name}/stat', 'rb') as handle:
                    stat = handle.read()
            except OSError:
                continue
            parents[int(name)] = int(stat[stat.rindex(b')') + 2:].split(None, 2)[1])
    return parents


def tree_rss(root: int) -> tuple[int, int]:
    """(bytes of RSS summed over ``root`` and its descendants, number of processes)."""
    children: dict[int, list[int]] = {}
    for pid, parent in _process_table().items():
        children.setdefault(parent, []).append(pid)
    total, count, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f'/proc/{pid}/statm', 'rb') as handle:
                total += int(handle.read().split()[1]) * PAGE
            count += 1
        except (OSError, IndexError, ValueError):
            continue
        todo.extend(children.get(pid, ()))
    return total, count


def cpu_seconds(pid: int) -> float:
    """user+sys CPU seconds of one running process (the simulator)."""
    with open(f'/proc/{pid}/stat', 'rb') as handle:
        fields = handle.read().rsplit(b')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


class Counters:
    """The simulator's per-host counters, read by asking it to write ``_stats.json`` (SIGUSR1)."""

    def __init__(self, fleet: Fleet):
        self.fleet = fleet
        self.path = os.path.join(fleet.state_dir, '_stats.json')

    def snapshot(self) -> dict:
        previous = self._read().get('written_at')
        self.fleet.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            document = self._read()
            if document.get('written_at') not in (None, previous):
                return document['hosts']
            time.sleep(0.05)
        raise RuntimeError(f'the simulator did not write {self.path} within 30 s')

    def _read(self) -> dict:
        try:
            with open(self.path, encoding='utf-8') as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}


def host_delta(before: dict, after: dict) -> dict:
    """What one host served between two snapshots, split into WS-Man operations, NTLM handshake and OWA requests.

    The simulator counts every HTTP request on every port. WS-Man operations are counted by name; the OWA page
    is the only thing that answers 403 (every bench host requires SSL for OWA); the rest of the WinRM requests
    are the handshake: the 401s and the empty context-setup POST.
    """
    def diff(name):
        return after.get(name, 0) - before.get(name, 0)

    operations = {name: count - before.get('operations', {}).get(name, 0) for name, count in after.get('operations', {}).items()}
    operations = {name: count for name, count in sorted(operations.items()) if count}
    owa = after.get('status', {}).get('403', 0) - before.get('status', {}).get('403', 0)
    wsman = sum(operations.values())
    winrm = diff('requests') - owa
    return {'requests': diff('requests'), 'winrm_requests': winrm, 'wsman_operations': wsman, 'handshake_requests': winrm - wsman,
            'owa_requests': owa, 'connections': diff('connections'), 'bytes': diff('bytes_in') + diff('bytes_out'), 'operations': operations}


def run_phase(name: str, fleet: Fleet, counters: Counters, env: dict, workdir: str, hosts: int, forks: int, latency_ms: int) -> dict:
    playbook, extra, _status = PHASES[name]
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', fleet.inventory, playbook, '--forks', str(forks), *extra,
               '-e', f'q294406_report_dir={workdir}/reports', '-e', f'q294406_backup_dir={workdir}/backups']
    before = counters.snapshot()
    simulator_cpu = cpu_seconds(fleet.process.pid)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    log_path = os.path.join(workdir, f'{name}.log')
    peak_rss, peak_processes = 0, 0
    start = time.perf_counter()
    with open(log_path, 'w', encoding='utf-8') as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=workdir)
        while process.poll() is None:
            rss, count = tree_rss(process.pid)
            peak_rss, peak_processes = max(peak_rss, rss), max(peak_processes, count)
            time.sleep(0.1)
    wall = time.perf_counter() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    simulator_cpu = cpu_seconds(fleet.process.pid) - simulator_cpu
    after = counters.snapshot()
    cpu = (used.ru_utime - usage.ru_utime) + (used.ru_stime - usage.ru_stime)
    per_host = {host: host_delta(before.get(host, {}), after[host]) for host in after}
    totals = {field: sum(delta[field] for delta in per_host.values())
              for field in ('requests', 'winrm_requests', 'wsman_operations', 'handshake_requests', 'owa_requests', 'connections', 'bytes')}
    winrm_per_host = totals['winrm_requests'] / hosts
    with open(log_path, encoding='utf-8') as handle:
        text = handle.read()
    recap = {field: sum(int(match[field]) for match in RECAP.finditer(text)) for field in ('ok', 'changed', 'failed', 'unreachable', 'skipped')}
    return {
        'command': shlex.join(command),
        'rc': process.returncode,
        'log': log_path,
        'recap': recap,
        'wall_s': round(wall, 3),
        'controller_cpu_s': round(cpu, 3),
        'controller_cpu_ms_per_host': round(cpu * 1000 / hosts, 2),
        'peak_controller_rss_mib': round(peak_rss / 2**20, 1),
        'peak_controller_processes': peak_processes,
        'simulator_cpu_s': round(simulator_cpu, 3),
        'requests_per_host': round(totals['requests'] / hosts, 2),
        'winrm_requests_per_host': round(winrm_per_host, 2),
        'wsman_operations_per_host': round(totals['wsman_operations'] / hosts, 2),
        'handshake_requests_per_host': round(totals['handshake_requests'] / hosts, 2),
        'owa_requests_per_host': round(totals['owa_requests'] / hosts, 2),
        'connections_per_host': round(totals['connections'] / hosts, 2),
        'bytes_per_host': round(totals['bytes'] / hosts),
        'network_floor_s': round(winrm_per_host * latency_ms / 1000 * hosts / forks, 3),
        '_per_host': per_host,
    }


def check_phase(name: str, result: dict, workdir: str, hosts: int) -> str | None:
    """Why the phase's figures cannot be trusted (it failed or did other work than asked), or None."""
    if result['rc'] != 0:
        return f'{name}: ansible-playbook exited {result["rc"]} (see {result["log"]})'
    if result['recap']['failed'] or result['recap']['unreachable']:
        return f'{name}: {result["recap"]["failed"]} failed and {result["recap"]["unreachable"]} unreachable hosts (see {result["log"]})'
    wanted = PHASES[name][2]
    if wanted is None:
        return None
    reports = sorted(glob.glob(os.path.join(workdir, 'reports', '*.json')), key=os.path.getmtime)
    if not reports:
        return f'{name}: the role wrote no fleet report'
    with open(reports[-1], encoding='utf-8') as handle:
        counts = json.load(handle).get('counts', {})
    if counts.get(wanted) != hosts:
        return f'{name}: expected {hosts} hosts {wanted}, the report counts {counts}'
    return None


def worker_check(fleet: Fleet, env: dict, workdir: str, forks: int) -> dict:
    """Audit five hosts again with every worker measured (tests/bench/profile_workers.py): CPU and page faults per
    worker and task, the modules each worker imports itself, and whether impacket or pefile got loaded."""
    summary_path = os.path.join(workdir, 'workers.json')
    command = [sys.executable, os.path.join(HERE, 'profile_workers.py'), '--json', summary_path, '--', '-i', fleet.inventory, ROLE_PLAYBOOK,
               '--check', '--forks', str(forks), '--limit', 'exchange55[0:4]',
               '-e', f'q294406_report_dir={workdir}/reports-workers', '-e', f'q294406_backup_dir={workdir}/backups']
    with open(os.path.join(workdir, 'workers.log'), 'w', encoding='utf-8') as output:
        subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=workdir, check=False, timeout=600)
    try:
        with open(summary_path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {'error': f'no worker summary: see {workdir}/workers.log'}


def one_host(result: dict) -> dict:
    """The requests of the first host, and whether every host made the same ones."""
    per_host = result.pop('_per_host')
    first = per_host[min(per_host)]
    same = all(delta['operations'] == first['operations'] and delta['winrm_requests'] == first['winrm_requests'] for delta in per_host.values())
    return dict({key: value for key, value in first.items() if key != 'bytes'}, host=min(per_host), every_host_the_same=same)


def targets(phases: dict, audit_host: dict, apply_host: dict) -> dict:
    """How close the run comes to each target (reported, not enforced)."""
    audit, floor = phases['audit'], phases['floor']
    extra = apply_host['wsman_operations'] - audit_host['wsman_operations']
    apply_allowed = TARGETS['apply_extra_requests'] + len(PARAMETERS_PRIVATE)
    overhead = (audit['wall_s'] - floor['wall_s']) / audit['network_floor_s'] if audit['network_floor_s'] else None
    cpu_over = audit['controller_cpu_ms_per_host'] - floor['controller_cpu_ms_per_host']
    return {
        'audit_wsman_requests': {'value': audit_host['wsman_operations'], 'target': f'<= {TARGETS["audit_wsman_requests"]}',
                                 'met': audit_host['wsman_operations'] <= TARGETS['audit_wsman_requests']},
        'apply_extra_wsman_requests': {'value': extra, 'target': f'<= 3 + {len(PARAMETERS_PRIVATE)} values of ParametersPrivate = {apply_allowed}',
                                       'met': extra <= apply_allowed},
        'audit_wall_over_floor_vs_network_floor': {
            'value': None if overhead is None else round(overhead, 2), 'target': f'<= {TARGETS["audit_overhead_vs_network_floor"]}',
            'met': overhead is not None and overhead <= TARGETS['audit_overhead_vs_network_floor'],
            'detail': f'({audit["wall_s"]} s - {floor["wall_s"]} s) / {audit["network_floor_s"]} s'},
        'audit_cpu_ms_per_host_over_floor': {'value': round(cpu_over, 1), 'target': f'<= {TARGETS["cpu_ms_per_host_over_floor"]}',
                                             'met': cpu_over <= TARGETS['cpu_ms_per_host_over_floor']},
    }


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--hosts', type=int, default=200)
    parser.add_argument('--forks', type=int, default=25)
    parser.add_argument('--latency-ms', type=int, default=20, help='simulated latency of every WinRM HTTP request')
    parser.add_argument('--subnet', type=int, default=100, help='first /24 used: 127.0.SUBNET.x (100-120)')
    parser.add_argument('--collection', default=REPO_ROOT, help='the checkout of the collection to measure (default: this one)')
    parser.add_argument('--workdir', default=os.path.join(REPO_ROOT, '.cache', 'bench'), help='emptied first; logs, reports, fleet state')
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.collection, 'galaxy.yml')):
        parser.error(f'{args.collection} is not a checkout of the collection (no galaxy.yml)')
    if os.path.isdir(args.workdir) and os.listdir(args.workdir) and not os.path.exists(os.path.join(args.workdir, 'fleet.json')):
        parser.error(f'{args.workdir} is not empty and not a bench work directory: give a new or empty one')
    needed = -(-args.hosts // 254)
    if args.hosts < 1 or args.forks < 1 or args.latency_ms < 0:
        parser.error('HOSTS and FORKS must be at least 1 and LATENCY_MS at least 0')
    if args.subnet not in SUBNETS or args.subnet + needed - 1 not in SUBNETS:
        parser.error(f'{args.hosts} hosts need {needed} subnets from 127.0.{args.subnet}: only 127.0.100-127.0.120 may be used')
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = os.path.abspath(args.workdir)
    shutil.rmtree(workdir, ignore_errors=True)
    collections = os.path.join(workdir, 'collections')
    os.makedirs(os.path.join(collections, 'ansible_collections', 'legacy_exchange'))
    os.symlink(os.path.abspath(args.collection), os.path.join(collections, 'ansible_collections', 'legacy_exchange', 'exchange55'))
    env = ansible_env(collections, workdir)
    env['ANSIBLE_FORKS'] = str(args.forks)
    # Wait for the last workers to exit instead of terminating them: an unreaped worker's CPU would not be counted.
    env['ANSIBLE_WORKER_SHUTDOWN_POLL_COUNT'] = '100'
    document = {'command': 'make bench ' + ' '.join(f'{k}={v}' for k, v in (('HOSTS', args.hosts), ('FORKS', args.forks), ('LATENCY_MS', args.latency_ms))),
                'argv': shlex.join([sys.argv[0]] + (argv if argv is not None else sys.argv[1:])), 'collection': os.path.abspath(args.collection),
                'machine': machine(), 'hosts': args.hosts, 'forks': args.forks, 'latency_ms': args.latency_ms}

    fleet_path = os.path.join(workdir, 'fleet.json')
    fleet_file(fleet_path, args.hosts, args.latency_ms)
    log(f'starting {args.hosts} simulated hosts on 127.0.{args.subnet}.x ({args.latency_ms} ms per WinRM request)')
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the finally below
    fleet = Fleet('winrm', fleet_path, workdir, f'127.0.{args.subnet}')
    problems = []
    try:
        counters = Counters(fleet)
        phases, workers = {}, None
        for name in PHASES:
            log(f'{name}: running')
            phases[name] = run_phase(name, fleet, counters, env, workdir, args.hosts, args.forks, args.latency_ms)
            problem = check_phase(name, phases[name], workdir, args.hosts)
            if problem:
                problems.append(problem)
            log(f'{name}: {phases[name]["wall_s"]} s wall, {phases[name]["controller_cpu_ms_per_host"]} ms CPU per host'
                + (f' - {problem}' if problem else ''))
            if problem:
                break
        if not problems:
            log('workers: measuring every worker of an audit of five hosts')
            workers = worker_check(fleet, env, workdir, args.forks)
    finally:
        fleet.stop()
    floor = phases['floor']['wall_s']
    for result in phases.values():
        result['wall_vs_floor'] = round(result['wall_s'] / floor, 2)
    document['phases'] = phases
    if not problems:
        audit_host, apply_host = one_host(phases['audit']), one_host(phases['apply'])
        for name in ('floor', 'apply_again'):
            phases[name].pop('_per_host')
        document['one_host'] = {'audit': audit_host, 'apply': apply_host,
                                'parameters_private_values_before_apply': len(PARAMETERS_PRIVATE)}
        document['targets'] = targets(phases, audit_host, apply_host)
        document['audit_workers'] = workers
    else:
        for result in phases.values():
            result.pop('_per_host', None)
        document['errors'] = problems
    document['machine']['load_average_at_end'] = [round(load, 2) for load in os.getloadavg()]
    print(json.dumps(document, indent=2))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
