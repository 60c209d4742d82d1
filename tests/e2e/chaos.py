# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault run (``make chaos``): a simulated fleet of 200 servers, 22 of them faulty, audited, applied, applied
again and rolled back with the real playbooks; prints the figures and exits non-zero if anything was lost.

Faulty servers (for 200 hosts; scaled down for smaller fleets, at least one of each kind):

- transient: 3 with HTTP 500 on 25% of WS-Man operations, 3 with the "maximum number of concurrent operations"
  InternalError on 25%, 3 with a connection reset on 25%: these must converge within the default retries;
- slow: 3 answering every request after 400 ms: these must converge;
- hard: 2 that hang, 2 whose ParametersPrivate refuses writes, 2 that lose writes, 2 with a wrong password,
  2 where the account may log on but not use WMI: each must be in the report, failed, with the right error_kind,
  and nothing of theirs may change.

Ground truth is the simulator's state files, read without the collection. "Values lost" counts servers whose
whole registry after the rollback differs from before the apply; "rollback byte-exact" counts servers whose
whole registry is identical (every key, every value, type and data).

    python tests/e2e/chaos.py [--hosts 200] [--forks 25] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fleetctl import REPO_ROOT, Fleet, ansible_env, run_playbook  # noqa: E402  pylint: disable=wrong-import-position

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
NAME = 'OWA Url Protocol'
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
ROLLBACK = os.path.join(REPO_ROOT, 'playbooks', 'q294406_rollback.yml')
HTTPS = {'type': 'REG_SZ', 'data': 'https:'}
WRONG_PASSWORD = 'not-the-password'

# kind -> (count per 200 hosts, faults, what the apply must end in: 'compliant' or the error_kind)
FAULTS = {
    'http500': (3, {'http_500_rate': 0.25}, 'compliant'),
    'busy': (3, {'internal_error_rate': 0.25}, 'compliant'),
    'reset': (3, {'reset_rate': 0.25}, 'compliant'),
    'slow': (3, {'latency_ms': 400}, 'compliant'),
    'hang': (2, {'hang': True}, 'timeout'),
    'denied': (2, 'deny_write', 'access_denied'),
    'lost': (2, {'lost_write': True}, 'read_back_mismatch'),
    'password': (2, 'password', 'auth'),
    # the facts cannot be read, so the prerequisites cannot be determined: blocked, the reason naming the refusal
    'wmi_denied': (2, {'access_denied': True}, 'blocked'),
}
# Prior values of OWA Url Protocol, in turn: absent, http:, the wrong type, no colon, already compliant.
PRIORS = [None, {'type': 'REG_SZ', 'data': 'http:'}, {'type': 'REG_EXPAND_SZ', 'data': 'https:'},
          {'type': 'REG_SZ', 'data': 'https'}, HTTPS]


def build_fleet(hosts: int, seed: int = 55) -> tuple[dict, dict]:
    """The fleet file and {host: kind} ('healthy' or a FAULTS key)."""
    with open(os.path.join(REPO_ROOT, 'tests', 'e2e', 'fleets', 'matrix.yml'), encoding='utf-8') as handle:
        defaults = yaml.safe_load(handle)['defaults']
    kinds = []
    for kind, (count, _faults, _end) in FAULTS.items():
        kinds.extend([kind] * max(1, round(count * hosts / 200)))
    if len(kinds) > hosts:
        raise SystemExit(f'--hosts {hosts} is too small for one server of each fault kind ({len(kinds)})')
    kinds.extend(['healthy'] * (hosts - len(kinds)))
    fleet, plan = {}, {}
    for index, kind in enumerate(kinds):
        name = f'chaos{index + 1:03d}-{kind}'
        prior = PRIORS[index % len(PRIORS)] if kind not in ('denied', 'lost') else PRIORS[1]
        spec = {'registry': {KEY: {NAME: prior}}} if prior else {}
        if kind != 'healthy':
            faults = FAULTS[kind][1]
            if faults == 'deny_write':
                spec['deny_write'] = [KEY]
            elif isinstance(faults, dict):
                spec['faults'] = dict(faults, seed=seed + index)
        fleet[name] = spec
        plan[name] = kind
    return {'defaults': defaults, 'hosts': fleet}, plan


def registries(fleet: Fleet, hosts) -> dict:
    out = {}
    for host in hosts:
        with open(os.path.join(fleet.state_dir, f'{host}.json'), encoding='utf-8') as handle:
            out[host] = json.load(handle)['registry']
    return out


def value_of(registry: dict):
    values = next((v for k, v in registry.items() if k.lower() == KEY.lower()), {})
    return next((v for n, v in values.items() if n.lower() == NAME.lower()), None)


def collections_root(workdir: str) -> str:
    root = os.path.join(workdir, 'collections')
    link = os.path.join(root, 'ansible_collections', 'legacy_exchange', 'exchange55')
    if not os.path.islink(link):
        os.makedirs(os.path.dirname(link), exist_ok=True)
        os.symlink(REPO_ROOT, link)
    return root


def run(hosts: int, forks: int, workdir: str, subnet: str = '127.0.130', log=print) -> dict:
    os.makedirs(workdir, exist_ok=True)
    fleet_doc, plan = build_fleet(hosts)
    fleet_path = os.path.join(workdir, 'chaos-fleet.yml')
    with open(fleet_path, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(fleet_doc, handle)
    for stale in ('state-winrm', 'backups', 'reports'):
        shutil.rmtree(os.path.join(workdir, stale), ignore_errors=True)
    fleet = Fleet('winrm', fleet_path, workdir, subnet, ready_timeout=300)
    try:
        with open(fleet.inventory, encoding='utf-8') as handle:
            inventory = yaml.safe_load(handle)
        for host, kind in plan.items():
            if kind == 'password':
                inventory['all']['children']['exchange55']['hosts'][host]['ansible_password'] = WRONG_PASSWORD
        with open(fleet.inventory, 'w', encoding='utf-8') as handle:
            yaml.safe_dump(inventory, handle)
        env = dict(ansible_env(collections_root(workdir), workdir), ANSIBLE_FORKS=str(forks))
        # The REG_EXPAND_SZ priors are "https:", with nothing to expand: their restore is exact, but over WinRM it needs the say-so.
        extra = {'q294406_backup_dir': os.path.join(workdir, 'backups'), 'q294406_report_dir': os.path.join(workdir, 'reports'),
                 'q294406_connect_timeout': 5, 'q294406_owa_ssl_required': 'true', 'q294406_restore_expanded': True}
        initial = registries(fleet, plan)
        timings, runs = {}, {}
        for name, playbook, args in (('audit', PLAYBOOK, ('--check',)), ('apply', PLAYBOOK, ()), ('apply_again', PLAYBOOK, ()),
                                     ('rollback', ROLLBACK, ())):
            log(f'chaos: {name} of {hosts} servers ...')
            start = time.monotonic()
            runs[name] = run_playbook(playbook, fleet.inventory, env, os.path.join(workdir, f'results-{name}'), *args,
                                      extra_vars=dict(extra, q294406_report_name=name), timeout=3600)
            timings[name] = round(time.monotonic() - start, 1)
            if name == 'apply':
                after_apply = registries(fleet, plan)
        after_rollback = registries(fleet, plan)
        reports = {}
        for name in ('audit', 'apply', 'apply_again'):
            with open(os.path.join(workdir, 'reports', f'{name}.json'), encoding='utf-8') as handle:
                reports[name] = {server['host']: server for server in json.load(handle)['servers']}
    finally:
        fleet.stop()
    return figures(plan, initial, after_apply, after_rollback, reports, runs, timings)


def figures(plan, initial, after_apply, after_rollback, reports, runs, timings) -> dict:
    problems = []
    converge = [h for h, k in plan.items() if k == 'healthy' or FAULTS[k][2] == 'compliant']
    hard = {h: FAULTS[k][2] for h, k in plan.items() if k != 'healthy' and FAULTS[k][2] != 'compliant'}
    compliant = [h for h in converge if value_of(after_apply[h]) == HTTPS]
    for host in sorted(set(converge) - set(compliant)):
        entry = reports['apply'].get(host, {})
        problems.append(f'{host} ({plan[host]}) did not converge: {entry.get("error_kind")}: {entry.get("error")}')
    reported = []
    for host, kind in hard.items():
        entry = reports['apply'].get(host)
        if kind == 'blocked':
            ok = entry and entry['status'] == 'blocked' and any('ccess denied' in reason for reason in entry['reasons'])
        else:
            ok = entry and entry['failed'] and entry['error_kind'] == kind and entry['error'] and '\n' not in entry['error']
        if ok:
            reported.append(host)
        else:
            problems.append(f'{host} ({plan[host]}) not reported as {kind}: {entry and (entry["error_kind"], entry["error"])}')
        if value_of(after_apply[host]) != value_of(initial[host]):
            problems.append(f'{host} ({plan[host]}) failed but its value changed')
    missing = sorted(set(plan) - set(reports['apply']))
    problems.extend(f'{host} is missing from the apply report' for host in missing)
    exact = [h for h in plan if after_rollback[h] == initial[h]]
    lost = sorted(set(plan) - set(exact))
    problems.extend(f'{host} ({plan[host]}) not restored exactly by the rollback' for host in lost)
    again_changed = sum(1 for s in reports['apply_again'].values() if s['changed'])
    if again_changed:
        problems.append(f'the second apply changed {again_changed} servers')
    transient = [h for h, k in plan.items() if k in ('http500', 'busy', 'reset')]
    retried = sum(int(reports['apply'][h].get('retried') or 0) + int(reports['audit'][h].get('retried') or 0)
                  for h in transient if h in reports['apply'] and h in reports['audit'])
    return {
        'servers': len(plan),
        'faulty': sum(1 for k in plan.values() if k != 'healthy'),
        'compliant_after_apply': f'{len(compliant)}/{len(converge)}',
        'healthy_compliant': f'{sum(1 for h in compliant if plan[h] == "healthy")}/{sum(1 for k in plan.values() if k == "healthy")}',
        'transient_converged': f'{sum(1 for h in compliant if h in transient)}/{len(transient)} '
                               f'(25% of operations failing; {retried} operations retried)',
        'faulty_reported': f'{len(reported)}/{len(hard)} (each failed with its error_kind in one line, or blocked with the reason)',
        'in_apply_report': f'{len(reports["apply"])}/{len(plan)}',
        'second_apply_changed': again_changed,
        'values_lost': len(lost),
        'rollback_byte_exact': f'{len(exact)}/{len(plan)}',
        'rc': {name: run.rc for name, run in runs.items()},
        'seconds': timings,
        'problems': problems,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', 1)[0])
    parser.add_argument('--hosts', type=int, default=200)
    parser.add_argument('--forks', type=int, default=25)
    parser.add_argument('--workdir')
    parser.add_argument('--subnet', default='127.0.130')
    args = parser.parse_args(argv)
    workdir = args.workdir or tempfile.mkdtemp(prefix='exchange55-chaos-')
    result = run(args.hosts, args.forks, os.path.abspath(workdir), args.subnet, log=lambda line: print(line, file=sys.stderr))
    print(json.dumps(result, indent=2))
    print(f"chaos: {result['servers']} servers ({result['faulty']} faulty): compliant after apply {result['compliant_after_apply']}, "
          f"transient converged {result['transient_converged']}, faulty reported {result['faulty_reported']}, "
          f"values lost {result['values_lost']}, rollback byte-exact {result['rollback_byte_exact']}")
    return 1 if result['problems'] else 0


if __name__ == '__main__':
    sys.exit(main())
