# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report that remembers, end to end with real ansible-playbook runs on the demo fleet:

audit -> apply -> a server regresses (its value is removed again, as Exchange's Performance Optimizer may do:
KB Q245235) -> audit: the audit's JSON, HTML and JUnit all name the regression, and the play's summary says it.
Then apply (the server is newly fixed), another server regresses, and an audit with q294406_fail_on_regression
fails the play.  The regressions are made by the rollback playbook, which removes the value the apply wrote.
"""

from __future__ import annotations

import glob
import json
import os
import xml.etree.ElementTree as ET

import pytest

from fleetctl import REPO_ROOT, Fleet, run_playbook

FLEET_FILE = os.path.join(REPO_ROOT, 'examples', 'demo-fleet.yml')
PLAYBOOK = os.path.join(REPO_ROOT, 'playbooks', 'q294406.yml')
ROLLBACK = os.path.join(REPO_ROOT, 'playbooks', 'q294406_rollback.yml')
SUBNET = '127.0.122'
KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'


@pytest.fixture(scope='module', name='history')
def report_history(tmp_path_factory, env_factory):
    workdir = tmp_path_factory.mktemp('history')
    fleet = Fleet('winrm', FLEET_FILE, str(workdir), SUBNET)
    env = env_factory(workdir)
    reports, backups = str(workdir / 'reports'), str(workdir / 'backups')
    runs = {'reports': reports, 'fleet': fleet}

    def play(name, playbook, *args, **extra):
        run = run_playbook(playbook, fleet.inventory, env, str(workdir / f'results-{name}'), *args,
                           extra_vars=dict({'q294406_report_dir': reports, 'q294406_backup_dir': backups}, **extra))
        runs[name] = run
        runs[name + '_json'] = newest_report(reports)
        return run

    try:
        play('audit1', PLAYBOOK, '--check')
        play('apply1', PLAYBOOK)
        play('regress1', ROLLBACK, '--limit', 'exch-hq02')
        runs['value_after_regression'] = fleet.registry('exch-hq02', KEY).get('OWA Url Protocol')
        play('audit2', PLAYBOOK, '--check')
        play('apply2', PLAYBOOK)
        # exch-branch01 held REG_EXPAND_SZ "https:", which StdRegProv returns expanded: the restore needs the say-so
        play('regress2', ROLLBACK, '--limit', 'exch-branch01', q294406_restore_expanded=True)
        play('audit3', PLAYBOOK, '--check', q294406_fail_on_regression=True)
        yield runs
    finally:
        fleet.stop()


def newest_report(directory):
    paths = sorted(glob.glob(os.path.join(directory, '*.json')), key=os.path.getmtime)
    return paths[-1] if paths else None


def load(path):
    with open(path, encoding='utf-8') as handle:
        return json.load(handle)


def test_the_first_audit_has_nothing_to_compare_with(history):
    report = load(history['audit1_json'])
    assert report['schema_version'] == 2 and report['comparison']['baseline'] is None
    assert 'no earlier audit report in this directory' in history['audit1'].output


def test_the_audit_after_a_regression_names_it_in_json_html_junit_and_summary(history):
    assert history['value_after_regression'] is None  # the rollback really removed the value on the server
    run = history['audit2']
    assert run.rc == 0, run.output[-3000:]  # q294406_fail_on_regression is off by default
    report = load(history['audit2_json'])
    comparison = report['comparison']
    assert comparison['baseline']['report'] == history['audit1_json']
    assert [u['report'] for u in comparison['baseline']['updated_by']] == [history['apply1_json']]
    assert [(r['host'], r['before'], r['now']) for r in comparison['regressed']] == [('exch-hq02', 'compliant', 'needs_change')]
    servers = {server['host']: server for server in report['servers']}
    assert servers['exch-hq02']['regressed'] is True and servers['exch-hq02']['previous_status'] == 'compliant'
    assert not any(server['regressed'] for host, server in servers.items() if host != 'exch-hq02')
    assert comparison['appeared'] == comparison['disappeared'] == []

    stem = history['audit2_json'][:-len('.json')]
    with open(stem + '.html', encoding='utf-8') as handle:
        page = handle.read()
    top = page[page.index('class="since regressed"'):page.index('class="cards"')]
    assert 'Regressed (1)' in top and '<b>exch-hq02</b> compliant &rarr; needs_change' in top
    cases = {case.get('name'): case for case in ET.parse(stem + '.junit.xml').getroot().iter('testcase')}
    assert cases['exch-hq02'].find('failure').get('type') == 'regression'
    assert all(case.find('failure') is None or case.find('failure').get('type') != 'regression'
               for name, case in cases.items() if name != 'exch-hq02')
    assert 'since the audit of' in run.output and 'regressed' in run.output and 'exch-hq02' in run.output


def test_the_next_apply_fixes_it_again_and_says_newly_fixed(history):
    report = load(history['apply2_json'])
    comparison = report['comparison']
    assert comparison['baseline']['report'] == history['apply1_json']
    assert [u['report'] for u in comparison['baseline']['updated_by']] == [history['audit2_json']]
    assert [(f['host'], f['before'], f['now']) for f in comparison['newly_fixed']] == [('exch-hq02', 'needs_change', 'changed')]
    assert comparison['regressed'] == []


def test_fail_on_regression_fails_the_play_and_names_the_servers(history):
    run = history['audit3']
    assert run.rc != 0
    assert 'server(s) regressed since the' in run.output and 'exch-branch01' in run.output
    report = load(history['audit3_json'])
    assert [r['host'] for r in report['comparison']['regressed']] == ['exch-branch01']
