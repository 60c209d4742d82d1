#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet benchmark behind ``make bench``: per transport one fleet, four ansible-playbook runs; one JSON document.

Phases, in order and on the same inventory: ``floor`` (one ``ansible.builtin.debug`` per host), ``audit``
(playbooks/q294406.yml with --check), ``apply`` (the fleet needs the change) and ``apply_again`` (idempotent).
For each: wall time, its ratio to the floor, controller CPU (user+sys of ansible-playbook and every process it
waited for), peak controller memory (RSS summed over its process tree, sampled every 0.1 s), and what the servers
saw per host between the phase's start and end.

``--transport winrm`` (default): the WS-Man simulator (tests/simulator), which counts requests, bytes and WS-Man
operations per host and delays every WinRM HTTP request by the latency.  ``--transport smb``: real Samba hosts
(tests/smbhost/smbfleet.py), each reached through its own relay (tests/smbhost/relay.py) that holds every message
half the latency in each direction (one round trip = the latency) and names every SMB request (tests/bench/smbwire.py).
``both``: the two, one after the other, a section each.  Every phase is checked against the servers' registries
(and the role's fleet report); the JSON goes to stdout, progress to stderr.  Exit status 1 if a phase did not do what
it should (the figures would mean nothing); the targets are reported, never enforced.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import glob
import json
import os
import platform
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO_ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path[:0] = [os.path.join(REPO_ROOT, 'tests', 'e2e'), os.path.join(REPO_ROOT, 'tests', 'smbhost'), HERE]

import smbwire  # noqa: E402  pylint: disable=wrong-import-position
from fleetctl import RECAP, Fleet, ansible_env  # noqa: E402  pylint: disable=wrong-import-position

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
VALUE = 'OWA Url Protocol'
# Every host needs the change: Exchange 5.5 SP4, Store.exe 5.5.2654.81, OWA SSL only, no OWA Url Protocol yet.
PARAMETERS_PRIVATE = {
    'DB Path': {'type': 'REG_SZ', 'data': 'C:\\exchsrvr\\mdbdata\\priv.edb'},
    'Sessions': {'type': 'REG_DWORD', 'data': 500},
}
FLEET_DEFAULTS = {
    'username': 'Administrator',
    'password': 'Exch55!Sim',
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
WINRM_DEFAULTS = {'auth': 'ntlm', 'scheme': 'http'}
FLOOR_PLAYBOOK = os.path.join(HERE, 'floor.yml')
ROLE_PLAYBOOK = 'legacy_exchange.exchange55.q294406'      # playbooks/q294406.yml of the collection benchmarked
# phase -> (playbook, extra arguments, the status every host must have afterwards, the value every host must hold)
WANTED_VALUE = {'type': 'REG_SZ', 'data': 'https:'}
PHASES = {
    'floor': (FLOOR_PLAYBOOK, (), None, None),
    'audit': (ROLE_PLAYBOOK, ('--check',), 'needs_change', 'absent'),
    'apply': (ROLE_PLAYBOOK, (), 'changed', WANTED_VALUE),
    'apply_again': (ROLE_PLAYBOOK, (), 'compliant', WANTED_VALUE),
}
SCALE_HOSTS = 200                  # with more hosts, the floor and the audit also run on the first 200 (growth)
WINRM_SUBNETS = range(100, 119)    # 127.0.100.x - 127.0.118.x, 254 hosts each
SMB_SUBNET, RELAY_SUBNET = 119, 120  # Samba hosts on 127.0.119.x, their relays on 127.0.120.x (one /24 each)
DEFAULT_HOSTS = {'winrm': 200, 'smb': 100}
MAX_SMB_HOSTS = 254
TARGETS = {'audit_wsman_requests': 6, 'apply_extra_requests': 3, 'audit_overhead_vs_network_floor': 1.5, 'cpu_ms_per_host_over_floor': 50,
           'winrm_audit_wall_vs_floor': 2.0, 'smb_audit_wall_vs_floor': 2.5, 'smb_cpu_ms_over_winrm': 40, 'smb_round_trips_over_minimum': 1.25,
           'winrm_1000_hosts_audit_wall_s': 60}
# The fewest SMB round trips the audit's reads need (see docs/performance.md "The minimum SMB round trips"): one request
# per exchange, as impacket and Windows' own tools send them (no AndX chains), the session ended by one LOGOFF.  The audit
# (since issue 10) lists the Setup key (3 values in the bench fleet), reads OWA Url Protocol and Store.exe's version.
SMB_MINIMUM = {
    'negotiate': 1, 'session_setup (NTLMSSP negotiate + authenticate)': 2,
    'tree_connect IPC$': 1, 'winreg: open pipe, bind': 2, 'rrp OpenLocalMachine': 1,
    'rrp BaseRegOpenKey Setup': 1, 'rrp BaseRegEnumValue Setup (3 values + the end)': 4,
    'rrp BaseRegOpenKey ParametersPrivate': 1, 'rrp BaseRegQueryValue OWA Url Protocol (type and data)': 1,
    'tree_connect C$': 1, 'open file store.exe': 1, 'read file: headers + section table, resource directory and version': 2,
    'logoff (closes every handle of the session)': 1,
}
PAGE = os.sysconf('SC_PAGE_SIZE')


def log(message: str) -> None:
    print(f'bench: {message}', file=sys.stderr, flush=True)


def fleet_file(path: str, transport: str, hosts: int, latency_ms: int) -> None:
    """Write a fleet of ``hosts`` identical servers that all need the change (JSON is valid YAML)."""
    defaults = dict(FLEET_DEFAULTS)
    if transport == 'winrm':                  # the relay makes the smb latency: Samba has no such fault
        defaults.update(WINRM_DEFAULTS, faults={'latency_ms': latency_ms})
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
    with open('/proc/meminfo', encoding='utf-8') as handle:
        memory = next((int(line.split()[1]) // 1024 for line in handle if line.startswith('MemTotal')), None)
    return {'cores': os.cpu_count(), 'cpu_model': model, 'memory_mib': memory, 'python': platform.python_version(), 'ansible_core': ansible_core,
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


def tree_pids(root: int, table: dict[int, int] | None = None) -> list[int]:
    """``root`` and every process below it."""
    children: dict[int, list[int]] = {}
    for pid, parent in (table if table is not None else _process_table()).items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def tree_rss(root: int, table: dict[int, int] | None = None) -> tuple[int, int]:
    """(bytes of RSS summed over ``root`` and its descendants, number of processes)."""
    total, count = 0, 0
    for pid in tree_pids(root, table):
        try:
            with open(f'/proc/{pid}/statm', 'rb') as handle:
                total += int(handle.read().split()[1]) * PAGE
            count += 1
        except (OSError, IndexError, ValueError):
            continue
    return total, count


def tree_memory(root: int) -> dict:
    """RSS and PSS (shared pages divided among their sharers, /proc/PID/smaps_rollup) of a process tree, by program."""
    by_program: dict[str, dict] = {}
    for pid in tree_pids(root):
        try:
            with open(f'/proc/{pid}/comm', encoding='utf-8') as handle:
                name = handle.read().strip()
            with open(f'/proc/{pid}/smaps_rollup', encoding='utf-8') as handle:
                fields = {line.split(':')[0]: int(line.split()[1]) for line in handle if line.split()[-1:] == ['kB']}
        except (OSError, ValueError, IndexError):
            continue
        entry = by_program.setdefault(name, {'processes': 0, 'rss_kib': 0, 'pss_kib': 0})
        entry['processes'] += 1
        entry['rss_kib'] += fields.get('Rss', 0)
        entry['pss_kib'] += fields.get('Pss', 0)
    return by_program


def cpu_seconds(pids) -> float:
    """user+sys CPU seconds of running processes (the servers) and of the children they have waited for."""
    total = 0.0
    for pid in pids:
        try:
            with open(f'/proc/{pid}/stat', 'rb') as handle:
                fields = handle.read().rsplit(b')', 1)[1].split()
        except OSError:
            continue
        total += sum(int(field) for field in fields[11:15])
    return total / os.sysconf('SC_CLK_TCK')


# ----------------------------------------------------------------------------------------------------------- the fleets
class WinRMBench:
    """The WS-Man simulator's fleet and its per-host counters (read by asking it to write ``_stats.json``, SIGUSR1)."""

    transport = 'winrm'

    def __init__(self, fleet_path: str, workdir: str, hosts: int):
        subnet = WINRM_SUBNETS[0]
        log(f'winrm: starting {hosts} simulated hosts on 127.0.{subnet}.x and on')
        self.fleet = Fleet('winrm', fleet_path, workdir, f'127.0.{subnet}', ready_timeout=600)
        self.inventory = self.fleet.inventory
        self.path = os.path.join(self.fleet.state_dir, '_stats.json')

    def server_pids(self) -> list[int]:
        return [self.fleet.process.pid]

    def snapshot(self) -> dict:
        previous = self._read().get('written_at')
        self.fleet.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            document = self._read()
            if document.get('written_at') not in (None, previous):
                return document['hosts']
            time.sleep(0.05)
        raise RuntimeError(f'the simulator did not write {self.path} within 60 s')

    def _read(self) -> dict:
        try:
            with open(self.path, encoding='utf-8') as handle:
                return json.load(handle)
        except (OSError, ValueError):
            return {}

    @staticmethod
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
        return {'requests': diff('requests'), 'round_trips': winrm, 'wsman_operations': wsman, 'handshake_requests': winrm - wsman,
                'owa_requests': owa, 'connections': diff('connections'), 'bytes': diff('bytes_in') + diff('bytes_out'), 'operations': operations}

    def registry(self, host: str) -> dict:
        """{name: {type, data}} of the host's ParametersPrivate as the simulator holds it now."""
        with open(os.path.join(self.fleet.state_dir, f'{host}.json'), encoding='utf-8') as handle:
            state = json.load(handle)
        return next((values for name, values in state['registry'].items() if name.lower() == KEY.lower()), {})

    def memory(self) -> dict:
        return {}

    def stop(self) -> None:
        self.fleet.stop()


class SMBBench:
    """Samba hosts (tests/smbhost/smbfleet.py), each behind a relay that adds the latency and names every request."""

    transport = 'smb'

    def __init__(self, fleet_path: str, workdir: str, hosts: int, latency_ms: int):
        from relay import Relay  # pylint: disable=import-outside-toplevel
        import yaml  # pylint: disable=import-outside-toplevel
        log(f'smb: starting {hosts} Samba hosts on 127.0.{SMB_SUBNET}.x, relays on 127.0.{RELAY_SUBNET}.x ({latency_ms} ms per round trip)')
        for subnet in (SMB_SUBNET, RELAY_SUBNET):          # a fleet left running would answer in place of the new one
            with contextlib.suppress(OSError), socket.create_connection((f'127.0.{subnet}.1', 445), timeout=1):
                raise RuntimeError(f'127.0.{subnet}.1:445 already answers: an earlier fleet is still running (run the bench under '
                                   f'/work/tools/netns-run or stop it first)')
        began = time.monotonic()
        self.fleet = Fleet('smb', fleet_path, workdir, f'127.0.{SMB_SUBNET}', ready_timeout=900)
        self.startup_s = round(time.monotonic() - began, 1)
        self.relays, self.counters = {}, {}
        with open(self.fleet.inventory, encoding='utf-8') as handle:
            inventory = yaml.safe_load(handle)
        hosts_vars = inventory['all']['children']['exchange55']['hosts']
        try:
            for name, variables in hosts_vars.items():
                address, port = variables['ansible_host'], int(variables['exchange55_smb_port'])
                listen = (f'127.0.{RELAY_SUBNET}.{address.rsplit(".", 1)[1]}', port)
                counter = smbwire.WireCounter()
                # The relay holds each message delay_ms in each direction: a request and its answer cost the latency.
                self.relays[name] = Relay(listen, (address, port), delay_ms=latency_ms / 2, observe=counter.observe).start()
                self.counters[name] = counter
                variables['ansible_host'] = listen[0]
        except BaseException:
            self.stop()
            raise
        self.inventory = os.path.join(workdir, 'inventory-smb-relayed.yml')
        with open(os.open(self.inventory, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inventory, handle, sort_keys=False)

    def server_pids(self) -> list[int]:
        return tree_pids(self.fleet.process.pid)

    def snapshot(self) -> dict:
        time.sleep(0.2)          # the relays' last answers of a finished run
        return {name: counter.snapshot() for name, counter in self.counters.items()}

    @staticmethod
    def host_delta(before: dict, after: dict) -> dict:
        gained = smbwire.delta(before, after)
        return dict(gained, round_trips=gained['requests'])

    def registry(self, host: str) -> dict:
        return self.fleet.registry(host, KEY)

    def memory(self) -> dict:
        """The Samba processes' memory now, by program, and per host."""
        programs = tree_memory(self.fleet.process.pid)
        samba = {name: entry for name, entry in programs.items() if not name.startswith('python')}
        hosts = len(self.relays) or 1
        rss = sum(entry['rss_kib'] for entry in samba.values())
        pss = sum(entry['pss_kib'] for entry in samba.values())
        return {'by_program': samba, 'processes': sum(entry['processes'] for entry in samba.values()),
                'rss_mib': round(rss / 1024, 1), 'pss_mib': round(pss / 1024, 1),
                'rss_mib_per_host': round(rss / 1024 / hosts, 1), 'pss_mib_per_host': round(pss / 1024 / hosts, 1)}

    def stop(self) -> None:
        """Stop the relays and the fleet, and make sure no Samba process of it is left."""
        for relay in self.relays.values():
            relay.stop()
        process = self.fleet.process
        if process.poll() is None:
            # smbfleet exports every host's registry before it stops Samba (a `net` run per host): that can take
            # minutes on a loaded machine, and fleetctl kills it after 60 s, which would leave Samba running.
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(900)
        self.fleet.stop()
        state = self.fleet.state_dir.encode()
        for pid in [int(name) for name in os.listdir('/proc') if name.isdigit()]:
            try:
                with open(f'/proc/{pid}/cmdline', 'rb') as handle:
                    if state not in handle.read():
                        continue
                os.killpg(os.getpgid(pid), signal.SIGKILL)       # a Samba process this fleet started, left behind
            except (OSError, ProcessLookupError):
                continue


# ----------------------------------------------------------------------------------------------------------- phases
def run_phase(name: str, bench, env: dict, workdir: str, hosts: int, forks: int, latency_ms: int, limit: str | None = None) -> dict:
    playbook, extra, _status, _value = PHASES[name.split('_at_')[0]]
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', bench.inventory, playbook, '--forks', str(forks), *extra,
               '-e', f'q294406_report_dir={workdir}/reports', '-e', f'q294406_backup_dir={workdir}/backups']
    if limit:
        command += ['--limit', limit]
    before = bench.snapshot()
    servers = bench.server_pids()
    server_cpu = cpu_seconds(servers)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    log_path = os.path.join(workdir, f'{bench.transport}-{name}.log')
    peak_rss, peak_processes, peak_server = 0, 0, 0
    start = time.perf_counter()
    with open(log_path, 'w', encoding='utf-8') as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=workdir)
        while process.poll() is None:
            table = _process_table()
            rss, count = tree_rss(process.pid, table)
            peak_rss, peak_processes = max(peak_rss, rss), max(peak_processes, count)
            if bench.transport == 'smb':
                peak_server = max(peak_server, tree_rss(bench.fleet.process.pid, table)[0])
            time.sleep(0.1)
    wall = time.perf_counter() - start
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_cpu = cpu_seconds(bench.server_pids()) - server_cpu
    after = bench.snapshot()
    cpu = (used.ru_utime - usage.ru_utime) + (used.ru_stime - usage.ru_stime)
    counted = min(SCALE_HOSTS, hosts) if limit else hosts
    # --limit exchange55[0:N-1] takes the first N hosts in inventory order, which is the fleet file's: bench0001, ...
    per_host = {host: bench.host_delta(before.get(host, {}), after[host]) for host in sorted(after)[:counted]}
    winrm_fields = ('wsman_operations', 'handshake_requests', 'owa_requests') if bench.transport == 'winrm' else ()
    fields = ('requests', 'round_trips', 'connections', 'bytes') + winrm_fields
    totals = {field: sum(delta[field] for delta in per_host.values()) for field in fields}
    round_trips = totals['round_trips'] / counted
    with open(log_path, encoding='utf-8') as handle:
        text = handle.read()
    recap = {field: sum(int(match[field]) for match in RECAP.finditer(text)) for field in ('ok', 'changed', 'failed', 'unreachable', 'skipped')}
    result = {
        'command': shlex.join(command),
        'rc': process.returncode,
        'log': log_path,
        'hosts': counted,
        'recap': recap,
        'wall_s': round(wall, 3),
        'controller_cpu_s': round(cpu, 3),
        'controller_cpu_ms_per_host': round(cpu * 1000 / counted, 2),
        'peak_controller_rss_mib': round(peak_rss / 2**20, 1),
        'peak_controller_processes': peak_processes,
        'server_cpu_s': round(server_cpu, 3),
    }
    if bench.transport == 'winrm':
        result.update({
            'requests_per_host': round(totals['requests'] / counted, 2),
            'winrm_requests_per_host': round(round_trips, 2),
            'wsman_operations_per_host': round(totals['wsman_operations'] / counted, 2),
            'handshake_requests_per_host': round(totals['handshake_requests'] / counted, 2),
            'owa_requests_per_host': round(totals['owa_requests'] / counted, 2),
        })
    else:
        result.update({'smb_round_trips_per_host': round(round_trips, 2), 'peak_samba_rss_mib': round(peak_server / 2**20, 1)})
    result.update({
        'connections_per_host': round(totals['connections'] / counted, 2),
        'bytes_per_host': round(totals['bytes'] / counted),
        'network_floor_s': round(round_trips * latency_ms / 1000 * counted / forks, 3),
        '_per_host': per_host,
    })
    return result


def check_phase(name: str, result: dict, bench, workdir: str, hosts: int) -> str | None:
    """Why the phase's figures cannot be trusted (it failed or did other work than asked), or None.

    The role's fleet report must count every host in the wanted status, and every server's ParametersPrivate must hold
    what the phase should have left there (read from the server: the simulator's state file, or Samba's registry
    through ``net registry export``, not through the collection).
    """
    if result['rc'] != 0:
        return f'{name}: ansible-playbook exited {result["rc"]} (see {result["log"]})'
    if result['recap']['failed'] or result['recap']['unreachable']:
        return f'{name}: {result["recap"]["failed"]} failed and {result["recap"]["unreachable"]} unreachable hosts (see {result["log"]})'
    _playbook, _extra, wanted, value = PHASES[name.split('_at_')[0]]
    if wanted is None:
        return None
    reports = sorted(glob.glob(os.path.join(workdir, 'reports', '*.json')), key=os.path.getmtime)
    if not reports:
        return f'{name}: the role wrote no fleet report'
    with open(reports[-1], encoding='utf-8') as handle:
        counts = json.load(handle).get('counts', {})
    if counts.get(wanted) != hosts:
        return f'{name}: expected {hosts} hosts {wanted}, the report counts {counts}'
    if name != 'audit' and not name.startswith('apply'):
        return None
    wrong = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:      # smb: one `net registry export` per host
        registries = dict(zip(sorted(result['_per_host']), pool.map(bench.registry, sorted(result['_per_host']))))
    for host, values in registries.items():
        stored = next((record for stored_name, record in values.items() if stored_name.lower() == VALUE.lower()), 'absent')
        others = {stored_name: record for stored_name, record in values.items() if stored_name.lower() != VALUE.lower()}
        if stored != value or others != PARAMETERS_PRIVATE:
            wrong.append(f'{host}: {VALUE} is {stored}, other values {others}')
    if wrong:
        return f'{name}: {len(wrong)} servers do not hold what the phase should have left, e.g. {wrong[0]}'
    return None


def worker_check(bench, env: dict, workdir: str, forks: int) -> dict:
    """Audit five hosts again with every worker measured (tests/bench/profile_workers.py): CPU and page faults per
    worker and task, the modules each worker imports itself, and whether impacket or pefile got loaded."""
    summary_path = os.path.join(workdir, f'{bench.transport}-workers.json')
    command = [sys.executable, os.path.join(HERE, 'profile_workers.py'), '--json', summary_path, '--', '-i', bench.inventory, ROLE_PLAYBOOK,
               '--check', '--forks', str(forks), '--limit', 'exchange55[0:4]',
               '-e', f'q294406_report_dir={workdir}/reports-workers', '-e', f'q294406_backup_dir={workdir}/backups']
    with open(os.path.join(workdir, f'{bench.transport}-workers.log'), 'w', encoding='utf-8') as output:
        subprocess.run(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, cwd=workdir, check=False, timeout=600)
    try:
        with open(summary_path, encoding='utf-8') as handle:
            return json.load(handle)
    except (OSError, ValueError):
        return {'error': f'no worker summary: see {workdir}/{bench.transport}-workers.log'}


def one_host(result: dict) -> dict:
    """The requests of the first host, and whether every host made the same ones."""
    per_host = result.pop('_per_host')
    first = per_host[min(per_host)]
    same = all(delta['operations'] == first['operations'] and delta['round_trips'] == first['round_trips'] for delta in per_host.values())
    return dict({key: value for key, value in first.items() if key != 'bytes'}, host=min(per_host), every_host_the_same=same)


def _target(value, target: str, met: bool, **extra) -> dict:
    return dict({'value': value, 'target': target, 'met': met}, **extra)


def winrm_targets(phases: dict, audit_host: dict, apply_host: dict, hosts: int) -> dict:
    """How close the run comes to each WinRM target (reported, not enforced)."""
    audit, floor = phases['audit'], phases['floor']
    extra = apply_host['wsman_operations'] - audit_host['wsman_operations']
    apply_allowed = TARGETS['apply_extra_requests'] + len(PARAMETERS_PRIVATE)
    overhead = (audit['wall_s'] - floor['wall_s']) / audit['network_floor_s'] if audit['network_floor_s'] else None
    cpu_over = audit['controller_cpu_ms_per_host'] - floor['controller_cpu_ms_per_host']
    targets = {
        'audit_wsman_requests': _target(audit_host['wsman_operations'], f'<= {TARGETS["audit_wsman_requests"]}',
                                        audit_host['wsman_operations'] <= TARGETS['audit_wsman_requests']),
        'apply_extra_wsman_requests': _target(extra, f'<= 3 + {len(PARAMETERS_PRIVATE)} values of ParametersPrivate = {apply_allowed}',
                                              extra <= apply_allowed),
        'audit_wall_over_floor_vs_network_floor': _target(
            None if overhead is None else round(overhead, 2), f'<= {TARGETS["audit_overhead_vs_network_floor"]}',
            overhead is not None and overhead <= TARGETS['audit_overhead_vs_network_floor'],
            detail=f'({audit["wall_s"]} s - {floor["wall_s"]} s) / {audit["network_floor_s"]} s'),
        'audit_cpu_ms_per_host_over_floor': _target(round(cpu_over, 1), f'<= {TARGETS["cpu_ms_per_host_over_floor"]}',
                                                    cpu_over <= TARGETS['cpu_ms_per_host_over_floor']),
        'audit_wall_vs_floor': _target(audit['wall_vs_floor'], f'<= {TARGETS["winrm_audit_wall_vs_floor"]}',
                                       audit['wall_vs_floor'] <= TARGETS['winrm_audit_wall_vs_floor']),
    }
    if hosts >= 1000:
        targets['audit_wall_s_1000_hosts'] = _target(audit['wall_s'], f'<= {TARGETS["winrm_1000_hosts_audit_wall_s"]} s for {hosts} hosts',
                                                     audit['wall_s'] <= TARGETS['winrm_1000_hosts_audit_wall_s'])
    return targets


def smb_targets(phases: dict, audit_host: dict) -> dict:
    audit, floor = phases['audit'], phases['floor']
    minimum = sum(SMB_MINIMUM.values())
    trips = audit_host['round_trips']
    return {
        'audit_wall_vs_floor': _target(audit['wall_vs_floor'], f'<= {TARGETS["smb_audit_wall_vs_floor"]}',
                                       audit['wall_vs_floor'] <= TARGETS['smb_audit_wall_vs_floor']),
        'audit_round_trips_vs_minimum': _target(
            round(trips / minimum, 2), f'<= {TARGETS["smb_round_trips_over_minimum"]} x the minimum {minimum}',
            trips <= TARGETS['smb_round_trips_over_minimum'] * minimum, detail=f'{trips} round trips, minimum {minimum}',
            minimum=SMB_MINIMUM),
        'audit_cpu_ms_per_host_over_floor': {'value': round(audit['controller_cpu_ms_per_host'] - floor['controller_cpu_ms_per_host'], 1),
                                             'target': 'compared with winrm in "comparison" (TRANSPORT=both)'},
    }


def comparison(sections: dict) -> dict:
    """smb against winrm, measured in the same run: audit CPU per host over each one's floor."""
    over = {name: section['phases']['audit']['controller_cpu_ms_per_host'] - section['phases']['floor']['controller_cpu_ms_per_host']
            for name, section in sections.items()}
    allowed = over['winrm'] + TARGETS['smb_cpu_ms_over_winrm']
    return {'audit_cpu_ms_per_host_over_floor': {name: round(value, 1) for name, value in over.items()},
            'smb_audit_cpu_vs_winrm': _target(round(over['smb'] - over['winrm'], 1), f'<= {TARGETS["smb_cpu_ms_over_winrm"]} ms over winrm',
                                              over['smb'] <= allowed)}


# ----------------------------------------------------------------------------------------------------------- one transport
def run_transport(transport: str, args, env: dict, workdir: str, hosts: int) -> tuple[dict, list[str]]:
    """Start the transport's fleet, run the phases, stop it; (section of the JSON document, problems)."""
    fleet_path = os.path.join(workdir, f'fleet-{transport}.json')
    fleet_file(fleet_path, transport, hosts, args.latency_ms)
    section = {'hosts': hosts, 'forks': args.forks, 'latency_ms': args.latency_ms}
    bench = WinRMBench(fleet_path, workdir, hosts) if transport == 'winrm' else SMBBench(fleet_path, workdir, hosts, args.latency_ms)
    problems, phases, workers = [], {}, None
    try:
        if transport == 'smb':
            section['samba'] = {'startup_s': bench.startup_s, 'idle': bench.memory()}
        names = [name for name in PHASES if name in args.phases]
        if hosts > SCALE_HOSTS and 'audit' in args.phases:
            names[2:2] = [f'floor_at_{SCALE_HOSTS}', f'audit_at_{SCALE_HOSTS}']
        for name in names:
            log(f'{transport} {name}: running')
            limit = f'exchange55[0:{SCALE_HOSTS - 1}]' if name.endswith(f'_at_{SCALE_HOSTS}') else None
            phases[name] = run_phase(name, bench, env, workdir, hosts, args.forks, args.latency_ms, limit)
            problem = check_phase(name, phases[name], bench, workdir, phases[name]['hosts'])
            if problem:
                problems.append(f'{transport} {problem}')
            log(f'{transport} {name}: {phases[name]["wall_s"]} s wall, {phases[name]["controller_cpu_ms_per_host"]} ms CPU per host'
                + (f' - {problem}' if problem else ''))
            if problem:
                break
        if not problems:
            log(f'{transport} workers: measuring every worker of an audit of five hosts')
            workers = worker_check(bench, env, workdir, args.forks)
            if transport == 'smb':
                section['samba']['after'] = bench.memory()
    finally:
        bench.stop()
    floor = phases['floor']['wall_s']
    for name, result in phases.items():
        base = phases[f'floor_at_{SCALE_HOSTS}']['wall_s'] if name.endswith(f'_at_{SCALE_HOSTS}') else floor
        result['wall_vs_floor'] = round(result['wall_s'] / base, 2)
    section['phases'] = phases
    if not problems and 'audit' in phases:
        audit_host = one_host(phases['audit'])
        apply_host = one_host(phases['apply']) if 'apply' in phases else None
        for result in phases.values():
            result.pop('_per_host', None)
        section['one_host'] = {'audit': audit_host, 'apply': apply_host, 'parameters_private_values_before_apply': len(PARAMETERS_PRIVATE)}
        if transport == 'winrm':
            section['targets'] = winrm_targets(phases, audit_host, apply_host or audit_host, hosts)
        else:
            section['targets'] = smb_targets(phases, audit_host)
        if hosts > SCALE_HOSTS:
            section['growth'] = {str(phases[name]['hosts']): {'floor_wall_s': phases[floor_name]['wall_s'], 'audit_wall_s': phases[name]['wall_s'],
                                                              'floor_cpu_ms_per_host': phases[floor_name]['controller_cpu_ms_per_host'],
                                                              'audit_cpu_ms_per_host': phases[name]['controller_cpu_ms_per_host'],
                                                              'audit_wall_ms_per_host': round(phases[name]['wall_s'] * 1000 / phases[name]['hosts'], 1)}
                                 for name, floor_name in ((f'audit_at_{SCALE_HOSTS}', f'floor_at_{SCALE_HOSTS}'), ('audit', 'floor'))}
        section['audit_workers'] = workers
    else:
        for result in phases.values():
            result.pop('_per_host', None)
    return section, problems


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n', 1)[0])
    parser.add_argument('--transport', default='winrm', choices=('winrm', 'smb', 'both'))
    parser.add_argument('--hosts', type=int, help=f'hosts per transport (default: winrm {DEFAULT_HOSTS["winrm"]}, smb {DEFAULT_HOSTS["smb"]})')
    parser.add_argument('--smb-hosts', type=int, help='smb hosts when they should differ from --hosts (e.g. --transport both --hosts 1000)')
    parser.add_argument('--forks', type=int, default=25)
    parser.add_argument('--latency-ms', type=int, default=20, help='simulated latency of every WinRM HTTP request and every SMB round trip')
    parser.add_argument('--phases', default=','.join(PHASES),
                        help='comma-separated subset of the phases, in their order (floor is always run; for quick before/after runs)')
    parser.add_argument('--collection', default=REPO_ROOT, help='the checkout of the collection to measure (default: this one)')
    parser.add_argument('--workdir', default=os.path.join(REPO_ROOT, '.cache', 'bench'), help='emptied first; logs, reports, fleet state')
    args = parser.parse_args(argv)
    if not os.path.isfile(os.path.join(args.collection, 'galaxy.yml')):
        parser.error(f'{args.collection} is not a checkout of the collection (no galaxy.yml)')
    if os.path.isdir(args.workdir) and os.listdir(args.workdir) and not glob.glob(os.path.join(args.workdir, 'fleet*.json')):
        parser.error(f'{args.workdir} is not empty and not a bench work directory: give a new or empty one')
    requested = {name.strip() for name in args.phases.split(',') if name.strip()}
    unknown = requested - set(PHASES)
    args.phases = [name for name in PHASES if name == 'floor' or name in requested]
    if 'apply_again' in args.phases and 'apply' not in args.phases or unknown:
        parser.error(f'--phases takes {", ".join(PHASES)} (apply_again needs apply)')
    transports = ('winrm', 'smb') if args.transport == 'both' else (args.transport,)
    args.counts = {name: (args.smb_hosts if name == 'smb' and args.smb_hosts else args.hosts) or DEFAULT_HOSTS[name] for name in transports}
    if min(args.counts.values()) < 1 or args.forks < 1 or args.latency_ms < 0:
        parser.error('HOSTS, SMB_HOSTS and FORKS must be at least 1 and LATENCY_MS at least 0')
    if args.counts.get('smb', 0) > MAX_SMB_HOSTS:
        parser.error(f'at most {MAX_SMB_HOSTS} Samba hosts (one /24; each is an smbd and a samba-dcerpcd): '
                     f'set SMB_HOSTS for the smb section, e.g. make bench TRANSPORT=both HOSTS=1000 SMB_HOSTS=50')
    if args.counts.get('winrm', 0) > 254 * len(WINRM_SUBNETS):
        parser.error(f'at most {254 * len(WINRM_SUBNETS)} WinRM hosts (127.0.{WINRM_SUBNETS[0]}-{WINRM_SUBNETS[-1]}.x)')
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
    settings = [('TRANSPORT', args.transport), ('HOSTS', args.hosts), ('SMB_HOSTS', args.smb_hosts), ('FORKS', args.forks),
                ('LATENCY_MS', args.latency_ms)]
    document = {'command': 'make bench ' + ' '.join(f'{k}={v}' for k, v in settings if v is not None),
                'argv': shlex.join([sys.argv[0]] + (argv if argv is not None else sys.argv[1:])), 'collection': os.path.abspath(args.collection),
                'machine': machine(), 'transports': list(args.counts)}
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))   # run the finally blocks: stop the fleets
    problems = []
    for transport, hosts in args.counts.items():
        try:
            document[transport], found = run_transport(transport, args, env, workdir, hosts)
        except RuntimeError as error:         # a fleet that did not start
            document[transport], found = {'hosts': hosts}, [f'{transport}: {error}']
        problems += found
        if found:
            break
    if not problems and len(args.counts) == 2:
        document['comparison'] = comparison({name: document[name] for name in args.counts})
    if problems:
        document['errors'] = problems
    document['machine']['load_average_at_end'] = [round(load, 2) for load in os.getloadavg()]
    print(json.dumps(document, indent=2))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
