#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Serve a simulated fleet of Exchange 5.5 servers over WS-Management + WMI (see README.md beside this file).

  fleet.py serve --fleet FLEET.yml --inventory OUT.yml [--state-dir DIR] [--subnet 127.0.1]
                 [--owa-port 80] [--winrm-http-port 5985] [--winrm-https-port 5986]
  fleet.py validate FLEET.yml
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import shutil
import signal
import sys
import tempfile
import time
import typing

import yaml

from winsim.fleetfile import FleetError, HostSpec, load_fleet
from winsim.server import FleetServer, HostRuntime, StartupError, atomic_write, atomic_write_json
from winsim.tls import FleetCA


def host_addresses(subnet: str, count: int) -> list[str]:
    """127.0.1.1..254, then 127.0.2.1.. for a subnet '127.0.1'; ValueError if it is not loopback or runs out."""
    parts = subnet.split('.')
    if len(parts) != 3 or not all(p.isdigit() and int(p) <= 255 for p in parts) or parts[0] != '127':
        raise ValueError(f'--subnet must be the first three octets of a loopback address such as 127.0.1, got {subnet!r}')
    first, second, third = (int(p) for p in parts)
    last_third = third + (count - 1) // 254
    if last_third > 255:
        raise ValueError(f'{count} hosts do not fit after {subnet}.1 (254 hosts per /24, up to {first}.{second}.255.254)')
    return [f'{first}.{second}.{third + i // 254}.{i % 254 + 1}' for i in range(count)]


def owa_url(address: str, port: int) -> str:
    return f'http://{address}/exchange/' if port == 80 else f'http://{address}:{port}/exchange/'


def inventory(hosts: list[HostRuntime], ports: dict[str, int], ca_path: str) -> dict:
    """The Ansible inventory: group exchange55 with each host's WinRM connection variables and OWA URL."""
    hostvars = {}
    for host in hosts:
        spec: HostSpec = host.spec
        https = spec.scheme == 'https'
        hostvars[spec.name] = {
            'ansible_host': host.address,
            'ansible_port': ports['https' if https else 'http'],
            'ansible_user': spec.username,
            'ansible_password': spec.password,
            'ansible_connection': 'winrm',
            'ansible_winrm_scheme': spec.scheme,
            'ansible_winrm_transport': spec.auth,
            'ansible_winrm_server_cert_validation': 'validate',
            'exchange55_transport': 'winrm',
            'exchange55_owa_url': owa_url(host.address, ports['owa']),
        }
        if https:
            hostvars[spec.name]['ansible_winrm_ca_trust_path'] = ca_path
    return {'all': {'children': {'exchange55': {'hosts': hostvars}}}}


def _raise_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard if hard != resource.RLIM_INFINITY else max(soft, 65536), hard))


_EARLY_SIGNALS: list[int] = []


def _note_early_signal(signum: int, _frame: object) -> None:
    """Remember a SIGTERM/SIGINT that arrives while the fleet is still being built."""
    _EARLY_SIGNALS.append(signum)


async def _serve(server: FleetServer, stats_path: str, publish: typing.Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    if _EARLY_SIGNALS:
        stop.set()
    loop.add_signal_handler(signal.SIGUSR1, lambda: atomic_write_json(stats_path, server.stats_document()))
    started = time.monotonic()
    try:
        await server.start()
    except BaseException:
        await server.stop()
        raise
    publish()
    print(f'serving {len(server.hosts)} hosts, started in {time.monotonic() - started:.2f}s', file=sys.stderr, flush=True)
    print('READY', flush=True)
    try:
        await stop.wait()
    finally:
        await server.stop()
        atomic_write_json(stats_path, server.stats_document())


def serve(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, _note_early_signal)
    signal.signal(signal.SIGINT, _note_early_signal)
    specs = load_fleet(args.fleet)
    ports = {'http': args.winrm_http_port, 'https': args.winrm_https_port, 'owa': args.owa_port}
    try:
        addresses = host_addresses(args.subnet, len(specs))
    except ValueError as exc:
        raise StartupError(str(exc)) from None
    state_dir = args.state_dir or tempfile.mkdtemp(prefix='exchange55-fleet-')
    os.makedirs(state_dir, exist_ok=True)
    print(f'STATE_DIR {os.path.abspath(state_dir)}', flush=True)
    inventory_path = os.path.abspath(args.inventory)
    os.makedirs(os.path.dirname(inventory_path), exist_ok=True)
    stem = os.path.splitext(os.path.basename(inventory_path))[0]
    ca_path = os.path.join(os.path.dirname(inventory_path), f'{stem}-ca.pem')
    key_dir = tempfile.mkdtemp(prefix='exchange55-fleet-keys-')
    try:
        ca = FleetCA(key_dir)
        hosts = [HostRuntime(spec, address, state_dir, key_dir, ca.server_context(spec.name, address) if spec.scheme == 'https' else None)
                 for spec, address in zip(specs, addresses)]

        def publish() -> None:
            """Once every address is bound: state files, CA and inventory (a fleet that fails to start clobbers nothing)."""
            for host in hosts:
                host.save()
            atomic_write(ca_path, ca.ca_pem())
            atomic_write(inventory_path, yaml.safe_dump(inventory(hosts, ports, ca_path), sort_keys=False).encode('utf-8'))

        _raise_file_limit()
        asyncio.run(_serve(FleetServer(hosts, ports), os.path.join(state_dir, '_stats.json'), publish))
    finally:
        shutil.rmtree(key_dir, ignore_errors=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog='fleet.py', description='Simulated Exchange 5.5 fleet (WS-Management + WMI).')
    commands = parser.add_subparsers(dest='command', required=True)
    run = commands.add_parser('serve', help='serve the fleet until SIGTERM or SIGINT')
    run.add_argument('--fleet', required=True, help='fleet file (YAML)')
    run.add_argument('--inventory', required=True, help='Ansible inventory to write (the CA goes beside it as <stem>-ca.pem)')
    run.add_argument('--state-dir', help='where <host>.json state files live (default: a new temporary directory)')
    run.add_argument('--subnet', default='127.0.1', help='first three octets of the first host address (default 127.0.1)')
    run.add_argument('--owa-port', type=int, default=80)
    run.add_argument('--winrm-http-port', type=int, default=5985)
    run.add_argument('--winrm-https-port', type=int, default=5986)
    check = commands.add_parser('validate', help='check a fleet file and exit')
    check.add_argument('fleet')
    args = parser.parse_args(argv)
    try:
        if args.command == 'validate':
            print(f'{args.fleet}: {len(load_fleet(args.fleet))} hosts, valid')
            return 0
        return serve(args)
    except FleetError as exc:
        print(f'fleet.py: error: {exc}', file=sys.stderr)
        return 2
    except (StartupError, OSError) as exc:
        print(f'fleet.py: error: {exc}', file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
