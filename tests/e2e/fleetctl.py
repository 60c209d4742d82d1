# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Start and stop simulated fleets, and run real ansible-playbook against them, for the end-to-end tests."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import threading
import time

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVERS = {
    'winrm': [sys.executable, os.path.join(REPO_ROOT, 'tests', 'simulator', 'fleet.py'), 'serve'],
    'smb': [sys.executable, os.path.join(REPO_ROOT, 'tests', 'smbhost', 'smbfleet.py'), 'serve'],
}
RECAP = re.compile(r'^(?P<host>\S+)\s+:\s+ok=(?P<ok>\d+)\s+changed=(?P<changed>\d+)\s+unreachable=(?P<unreachable>\d+)\s+'
                   r'failed=(?P<failed>\d+)\s+skipped=(?P<skipped>\d+)\s+rescued=(?P<rescued>\d+)\s+ignored=(?P<ignored>\d+)', re.M)


class Fleet:
    """A simulated fleet (WinRM simulator or Samba hosts) running as a real subprocess."""

    def __init__(self, transport: str, fleet_file: str, workdir: str, subnet: str, ready_timeout: float = 120):
        self.transport = transport
        self.workdir = workdir
        self.inventory = os.path.join(workdir, f'inventory-{transport}.yml')
        self.state_dir = os.path.join(workdir, f'state-{transport}')
        self.log_path = os.path.join(workdir, f'fleet-{transport}.log')
        command = SERVERS[transport] + ['--fleet', fleet_file, '--inventory', self.inventory, '--state-dir', self.state_dir,
                                        '--subnet', subnet]
        self._log = open(self.log_path, 'w', encoding='utf-8')  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=self._log, text=True)  # pylint: disable=consider-using-with
        ready = threading.Event()
        lines = []

        def watch():
            for line in self.process.stdout:
                lines.append(line)
                self._log.write(line)
                self._log.flush()
                if line.strip() == 'READY':
                    ready.set()
        threading.Thread(target=watch, daemon=True).start()
        deadline = time.monotonic() + ready_timeout
        while not ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                with open(self.log_path, encoding='utf-8') as log:
                    raise RuntimeError(f'the {transport} fleet did not start:\n{log.read()[-4000:]}')

    def hosts(self) -> dict:
        with open(self.inventory, encoding='utf-8') as handle:
            return yaml.safe_load(handle)['all']['children']['exchange55']['hosts']

    def edit_hosts(self, change) -> dict:
        """Let ``change(hosts)`` edit the inventory's host variables in place, write it back, return the hosts."""
        with open(self.inventory, encoding='utf-8') as handle:
            inventory = yaml.safe_load(handle)
        hosts = inventory['all']['children']['exchange55']['hosts']
        change(hosts)
        with open(self.inventory, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inventory, handle)
        return hosts

    def registry(self, host: str, key: str) -> dict:
        """The host's values under ``key`` as the server holds them now ({name: {type, data}}); {} when absent."""
        if self.transport == 'smb':
            out = subprocess.run(SERVERS['smb'][:2] + ['dump', '--state-dir', self.state_dir, '--host', host],
                                 check=True, capture_output=True, text=True).stdout
            state = json.loads(out)
        else:
            with open(os.path.join(self.state_dir, f'{host}.json'), encoding='utf-8') as handle:
                state = json.load(handle)
        for name, values in state['registry'].items():
            if name.lower() == key.lower():
                return values
        return {}

    def raw_values(self, host: str, key: str):
        """smb only: the key's values straight from the host's registry.tdb, [(name, type code, bytes)] (see
        tests/smbhost/README.md "Reading a host's state"); the dump's ``net registry export`` splits data at a CR."""
        sys.path.insert(0, os.path.join(REPO_ROOT, 'tests', 'smbhost'))
        import smbfleet  # pylint: disable=import-outside-toplevel,import-error
        root = smbfleet._samba_state_root(pathlib.Path(self.state_dir))  # pylint: disable=protected-access
        return smbfleet.read_registry_tdb(root / host / 'state' / 'registry.tdb').get(
            smbfleet._fold(smbfleet.fleetfile.canonical_key(key)))  # pylint: disable=protected-access

    def stats(self, timeout: float = 10) -> dict:
        """The simulator's request counters (winrm only): SIGUSR1 makes it write _stats.json."""
        path = os.path.join(self.state_dir, '_stats.json')
        before = os.stat(path).st_mtime_ns if os.path.exists(path) else 0
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while not os.path.exists(path) or os.stat(path).st_mtime_ns == before:
            if time.monotonic() > deadline:
                raise RuntimeError('the simulator did not write _stats.json after SIGUSR1')
            time.sleep(0.05)
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


class PlaybookRun:
    """The outcome of one ansible-playbook run: exit code, output, recap and per-host recorded results."""

    def __init__(self, completed: subprocess.CompletedProcess, results_dir: str):
        self.rc = completed.returncode
        self.output = completed.stdout + completed.stderr
        self.recap = {m['host']: {k: int(v) for k, v in m.groupdict().items() if k != 'host'} for m in RECAP.finditer(completed.stdout)}
        self.results = {}
        for name in os.listdir(results_dir):
            with open(os.path.join(results_dir, name), encoding='utf-8') as handle:
                self.results[name[:-len('.json')]] = json.load(handle)

    def changed_total(self) -> int:
        return sum(host['changed'] for host in self.recap.values())


def require_transport(transport: str) -> None:
    """Skip (or, with EXCHANGE55_REQUIRE_SMB set, fail) a test whose transport cannot run here."""
    if transport != 'smb':
        return
    check = subprocess.run(SERVERS['smb'][:2] + ['check'], capture_output=True, text=True, check=False)
    if check.returncode == 0:
        return
    reason = (check.stdout + check.stderr).strip().splitlines()[-1:] or ['smbfleet.py check failed']
    import pytest  # pylint: disable=import-outside-toplevel
    if os.environ.get('EXCHANGE55_REQUIRE_SMB'):
        pytest.fail(f'the smb suite must run here (EXCHANGE55_REQUIRE_SMB is set) but Samba cannot start: {reason[0]}')
    pytest.skip(f'smb suite skipped: Samba cannot be started here: {reason[0]}')


def ansible_env(collections_root: str, workdir: str) -> dict:
    env = dict(os.environ)
    env.update(
        ANSIBLE_COLLECTIONS_PATH=collections_root,
        ANSIBLE_COLLECTIONS_SCAN_SYS_PATH='false',
        ANSIBLE_HOST_KEY_CHECKING='false',
        ANSIBLE_RETRY_FILES_ENABLED='false',
        ANSIBLE_NOCOLOR='1',
        ANSIBLE_FORCE_COLOR='0',
        ANSIBLE_LOCAL_TEMP=os.path.join(workdir, 'ansible-tmp'),
        ANSIBLE_PYTHON_INTERPRETER=sys.executable,
        ANSIBLE_DEPRECATION_WARNINGS='false',
        ANSIBLE_FORKS='25',
    )
    return env


def run_playbook(playbook: str, inventory: str, env: dict, results_dir: str, *args: str, extra_vars: dict | None = None,
                 timeout: float = 600, cwd: str | None = None) -> PlaybookRun:
    """Run ansible-playbook for real and collect what its tasks recorded into ``results_dir``."""
    os.makedirs(results_dir, exist_ok=True)
    for name in os.listdir(results_dir):
        os.unlink(os.path.join(results_dir, name))
    command = [os.path.join(os.path.dirname(sys.executable), 'ansible-playbook'), '-i', inventory, playbook,
               '-e', json.dumps(dict(extra_vars or {}, results_dir=results_dir)), *args]
    completed = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
                               cwd=cwd)
    return PlaybookRun(completed, results_dir)
