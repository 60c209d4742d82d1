# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The role end to end: real ansible-playbook runs of playbooks/q294406.yml against the demo fleet.

The fleet is examples/demo-fleet.yml (one server per status) plus ``exch-offline``, an
inventory host where nothing listens.  The scenario runs, in order: audit (--check),
apply, audit again, apply again, rollback, and an audit with q294406_fail_on_blocked.
Each test asserts one property of those runs, of the reports they wrote, and of the
servers' registries as the simulator's state files hold them.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET

import pytest
import yaml

from fleetctl import REPO_ROOT, Fleet, run_playbook

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
NAME = 'OWA Url Protocol'
FLEET_FILE = os.path.join(REPO_ROOT, 'examples', 'demo-fleet.yml')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
ROLLBACK = os.path.join(REPO_ROOT, 'playbooks', 'q294406_rollback.yml')
SUBNET = '127.0.72'
OFFLINE = 'exch-offline'
OFFLINE_ADDRESS = '127.0.73.1'  # nothing listens there
HTTPS = {'type': 'REG_SZ', 'data': 'https:'}
# host: (status in an audit, status when applied, value after the apply)
EXPECTED = {
    'exch-hq01': ('compliant', 'compliant', HTTPS),
    'exch-hq02': ('needs_change', 'changed', HTTPS),
    'exch-branch01': ('needs_change', 'changed', HTTPS),
    'exch-branch02': ('blocked', 'blocked', None),
    'exch-branch03': ('blocked', 'blocked', None),
    'exch-extranet': ('not_applicable', 'not_applicable', None),
    'fileserver01': ('not_applicable', 'not_applicable', None),
}
CHANGED = sorted(host for host, (audit, _apply, _after) in EXPECTED.items() if audit == 'needs_change')
BLOCKED = sorted(host for host, (audit, _apply, _after) in EXPECTED.items() if audit == 'blocked')


def registry(fleet: Fleet, host: str) -> dict:
    """The host's whole registry as the simulator holds it now."""
    with open(os.path.join(fleet.state_dir, f'{host}.json'), encoding='utf-8') as handle:
        return json.load(handle)['registry']


def value_in(snapshot: dict, host: str):
    """OWA Url Protocol in a snapshot {host: registry} taken after a run, or None when absent."""
    return next((value for name, value in snapshot[host].get(KEY, {}).items() if name.lower() == NAME.lower()), None)


@pytest.fixture(scope='module', name='scenario')
def role_scenario(tmp_path_factory, env_factory):
    workdir = tmp_path_factory.mktemp('role')
    fleet = Fleet('winrm', FLEET_FILE, str(workdir), SUBNET)
    try:
        yield run_scenario(fleet, workdir, env_factory(workdir))
    finally:
        fleet.stop()


def run_scenario(fleet: Fleet, workdir, env) -> dict:
    with open(fleet.inventory, encoding='utf-8') as handle:
        inventory = yaml.safe_load(handle)
    hosts = inventory['all']['children']['exchange55']['hosts']
    hosts[OFFLINE] = dict(hosts['exch-hq01'], ansible_host=OFFLINE_ADDRESS, exchange55_owa_url=f'http://{OFFLINE_ADDRESS}/exchange/')
    with open(fleet.inventory, 'w', encoding='utf-8') as handle:
        yaml.safe_dump(inventory, handle)

    reports, backups = str(workdir / 'reports'), str(workdir / 'backups')
    runs = {'fleet': fleet, 'reports': reports, 'backups': backups, 'password': hosts['exch-hq01']['ansible_password'],
            'initial': {host: registry(fleet, host) for host in EXPECTED}}

    def play(name, playbook, *args, **extra):
        extra = dict({'q294406_report_dir': reports, 'q294406_backup_dir': backups, 'q294406_report_name': name,
                      'q294406_connect_timeout': 5}, **extra)
        runs[name] = run_playbook(playbook, fleet.inventory, env, str(workdir / f'results-{name}'), *args, extra_vars=extra)
        runs[f'after_{name}'] = {host: registry(fleet, host) for host in EXPECTED}
        runs[f'backups_{name}'] = sorted(os.path.relpath(os.path.join(d, f), backups) for d, _s, files in os.walk(backups) for f in files)

    play('audit', PLAYBOOK, '--check')
    play('apply', PLAYBOOK)
    play('audit_again', PLAYBOOK, '--check')
    play('apply_again', PLAYBOOK)
    # exch-branch01 holds REG_EXPAND_SZ "https:", which StdRegProv returns expanded; an exact restore needs the
    # say-so (test_nothing_lost checks the refusal). "https:" has nothing to expand, so the restore is exact here.
    play('rollback', ROLLBACK, q294406_restore_expanded=True)
    play('gate', PLAYBOOK, '--check', q294406_fail_on_blocked=True)
    return runs


def report(scenario, name: str, fmt: str = 'json'):
    path = os.path.join(scenario['reports'], name + {'json': '.json', 'html': '.html', 'junit': '.junit.xml'}[fmt])
    if fmt == 'json':
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    if fmt == 'junit':
        return ET.parse(path).getroot().find('testsuite')
    with open(path, encoding='utf-8') as handle:
        return handle.read()


def statuses(document: dict) -> dict:
    return {server['host']: server['status'] for server in document['servers']}


def test_audit_reports_every_server_and_changes_nothing(scenario):
    document = report(scenario, 'audit')
    assert (document['mode'], document['schema_version']) == ('audit', 2)
    assert statuses(document) == dict({host: audit for host, (audit, _a, _v) in EXPECTED.items()}, **{OFFLINE: 'error'})
    assert scenario['after_audit'] == scenario['initial']
    assert scenario['backups_audit'] == []


def test_audit_shows_the_planned_value_for_servers_that_need_the_change(scenario):
    servers = {server['host']: server for server in report(scenario, 'audit')['servers']}
    for host in CHANGED:
        assert servers[host]['changed'] is True and servers[host]['after'] == HTTPS
        assert servers[host]['backup_file'] is None


def test_only_the_unreachable_host_fails_and_it_is_still_in_the_report(scenario):
    for name in ('audit', 'apply', 'audit_again'):
        run = scenario[name]
        assert run.rc == 2, run.output[-3000:]
        assert {host for host, recap in run.recap.items() if recap['failed']} == {OFFLINE}
        entry = next(s for s in report(scenario, name)['servers'] if s['host'] == OFFLINE)
        assert (entry['failed'], entry['error_kind']) == (True, 'unreachable') and '\n' not in entry['error']
        # it fails at the module task, and the report is still written afterwards (the role's always section)
        module_task, after = run.output.split('TASK [legacy_exchange.exchange55.q294406 : Write the fleet report]', 1)
        assert f'fatal: [{OFFLINE}]: FAILED!' in module_task.split('Audit or apply KB Q294406]', 1)[1]
        assert 'Show the fleet summary' in after


def test_apply_sets_the_value_where_the_kb_applies_and_nowhere_else(scenario):
    document = report(scenario, 'apply')
    assert statuses(document) == dict({host: applied for host, (_a, applied, _v) in EXPECTED.items()}, **{OFFLINE: 'error'})
    for host, (_audit, _applied, after) in EXPECTED.items():
        assert value_in(scenario['after_apply'], host) == after, host
        if host not in CHANGED:
            assert scenario['after_apply'][host] == scenario['initial'][host], host
    assert {host for host, recap in scenario['apply'].recap.items() if recap['changed']} == set(CHANGED)


def test_apply_backs_up_each_changed_server_and_the_report_names_the_backup(scenario):
    servers = {server['host']: server for server in report(scenario, 'apply')['servers']}
    for host in CHANGED:
        assert servers[host]['backup_file'].startswith(os.path.join(scenario['backups'], host) + os.sep)
        assert os.path.isfile(servers[host]['backup_file']) and os.path.isfile(servers[host]['backup_record'])


def test_audit_again_finds_nothing_to_change(scenario):
    document = report(scenario, 'audit_again')
    assert document['counts']['needs_change'] == 0 and document['totals']['changed'] == 0
    assert statuses(document) == dict({host: 'compliant' if host in CHANGED else audit for host, (audit, _a, _v) in EXPECTED.items()},
                                      **{OFFLINE: 'error'})
    assert scenario['audit_again'].changed_total() == 0


def test_a_second_apply_changes_nothing_and_takes_no_backup(scenario):
    assert scenario['apply_again'].changed_total() == 0
    assert scenario['after_apply_again'] == scenario['after_apply']
    assert scenario['backups_apply_again'] == scenario['backups_apply']
    assert sorted((name.split(os.sep)[0], os.path.splitext(name)[1]) for name in scenario['backups_apply']) == \
        sorted((host, extension) for host in CHANGED for extension in ('.json', '.reg'))


@pytest.mark.parametrize('name', ['audit', 'apply', 'audit_again'])
def test_the_three_formats_agree_with_each_other_and_with_the_servers(scenario, name):
    document = report(scenario, name)
    for server in document['servers']:
        if server['host'] != OFFLINE:
            assert server['versions']['exchange'] == (None if server['host'] == 'fileserver01' else '5.5')
            held = value_in(scenario[f'after_{name}'], server['host'])
            planned = document['mode'] == 'audit' and server['changed']
            assert server['after'] == (HTTPS if planned else held), server
    page = report(scenario, name, 'html')
    for server in document['servers']:
        assert f'<span class="host">{server["host"]}</span>' in page
    for status, count in document['counts'].items():
        assert f'<div class="card {status}{" zero" if not count else ""}"><div class="n">{count}</div>' in page
    suite = report(scenario, name, 'junit')
    cases = {case.get('name'): case for case in suite.findall('testcase')}
    assert sorted(cases) == sorted(statuses(document))
    failing = sorted(host for host, case in cases.items() if case.find('failure') is not None)
    want = BLOCKED + [OFFLINE] + (CHANGED if name == 'audit' else [])
    assert failing == sorted(want)


def test_the_audit_values_are_what_the_servers_held(scenario):
    servers = {server['host']: server for server in report(scenario, 'audit')['servers']}
    for host in EXPECTED:
        assert servers[host]['before'] == value_in(scenario['initial'], host), host


def test_summary_is_printed_once_at_the_end_of_the_play(scenario):
    output = scenario['apply'].output
    assert output.count('KB Q294406 - OWA Url Protocol: apply of 8 servers') == 1
    summary = output.split('Show the fleet summary', 1)[1]
    assert 'changed             2  exch-branch01, exch-hq02' in summary
    assert f'html report: {os.path.join(scenario["reports"], "apply.html")}' in summary
    # the role does not restart the Information Store by default: the changed servers are listed as pending
    assert 'Information Store restart pending: 2 (exch-branch01, exch-hq02)' in summary


def test_the_report_shows_the_deciding_item_and_the_pending_restart(scenario):
    servers = {server['host']: server for server in report(scenario, 'apply')['servers']}
    assert sorted(host for host, server in servers.items() if server['restart_required']) == sorted(CHANGED)
    assert servers['exch-hq02']['decided_by'] == 'Store.exe 5.5.2654.81'
    with open(os.path.join(scenario['reports'], 'apply.html'), encoding='utf-8') as handle:
        html = handle.read()
    assert html.count('Information Store restart pending') == len(CHANGED)
    assert 'decided by: Store.exe 5.5.2654.81' in html
    audit = report(scenario, 'audit')
    assert not any(server['restart_required'] for server in audit['servers'])     # check mode changes nothing


def test_rollback_returns_the_fleet_to_its_exact_starting_registry(scenario):
    assert scenario['after_rollback'] == scenario['initial']
    run = scenario['rollback']
    assert run.rc == 0, run.output[-3000:]
    assert {host for host, recap in run.recap.items() if recap['changed']} == set(CHANGED)
    for host in sorted(set(EXPECTED) - set(CHANGED)) + [OFFLINE]:
        assert f'No backup record for {host} under {scenario["backups"]}: nothing to restore on this host.' in run.output
    assert 'Unable to find' not in run.output      # the lookup warns about nothing (fileglob did, for every host)


def test_fail_on_blocked_fails_the_blocked_hosts_too(scenario):
    run = scenario['gate']
    assert run.rc == 2
    assert {host for host, recap in run.recap.items() if recap['failed']} == set(BLOCKED + [OFFLINE])
    document = report(scenario, 'gate')
    assert document['fail_on_blocked'] is True
    assert sorted(s['host'] for s in document['servers'] if s['failed']) == sorted(BLOCKED + [OFFLINE])
    assert 'Q294406 prerequisites not met, nothing was written: Service Pack 3 found' in run.output


def test_no_password_in_any_report_or_output(scenario):
    password = scenario['password']
    for name in os.listdir(scenario['reports']):
        with open(os.path.join(scenario['reports'], name), encoding='utf-8') as handle:
            assert password not in handle.read(), name
    for name in ('audit', 'apply', 'rollback', 'gate'):
        assert password not in scenario[name].output
