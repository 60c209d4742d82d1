# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""`make demo` keeps working: it exits 0, names every status, and its reports agree with the servers' final state; its
last step audits the whole KB catalog and writes a hosts x KBs report (its cells: tests/e2e/test_kb_remediation.py)."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import yaml

from fleetctl import REPO_ROOT

# tests/run/floor.sh runs this test with the demo on another ansible-core (the tested floor, 2.16): the demo then
# runs in that virtualenv, and must say that it did.
DEMO_VENV = os.environ.get('EXCHANGE55_DEMO_VENV')
DEMO_ANSIBLE = os.environ.get('EXCHANGE55_DEMO_ANSIBLE')
KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
STATUSES = ('compliant', 'needs_change', 'changed', 'not_applicable', 'blocked')


def owa_url_protocol(state_file):
    with open(state_file, encoding='utf-8') as handle:
        registry = json.load(handle)['registry']
    values = next((v for k, v in registry.items() if k.lower() == KEY.lower()), {})
    return next((v for k, v in values.items() if k.lower() == 'owa url protocol'), None)


def test_make_demo_runs_and_its_reports_agree_with_the_fleet(tmp_path_factory):
    demo_dir = tmp_path_factory.mktemp('demo')
    env = dict(os.environ, DEMO_DIR=str(demo_dir), DEMO_SUBNET='127.0.64')
    if DEMO_VENV:
        env['VENV'] = DEMO_VENV
    demo = subprocess.run(['bash', os.path.join(REPO_ROOT, 'tests', 'run', 'demo.sh')], env=env, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    for status in STATUSES:
        assert status in demo.stdout, status
    assert 'the simulated fleet is stopped' in demo.stdout
    if DEMO_ANSIBLE:
        assert f'with ansible-playbook core {DEMO_ANSIBLE}' in demo.stdout, demo.stdout[-2000:]

    audits = sorted(glob.glob(str(demo_dir / 'reports' / 'q294406-audit-*.json')))
    applies = sorted(glob.glob(str(demo_dir / 'reports' / 'q294406-apply-*.json')))
    assert len(audits) == 2 and len(applies) == 1
    final = audits[-1][:-len('.json')]
    assert os.path.exists(final + '.html') and os.path.exists(final + '.junit.xml')
    with open(audits[-1], encoding='utf-8') as handle:
        report = json.load(handle)
    with open(applies[0], encoding='utf-8') as handle:
        applied = {server['host']: server for server in json.load(handle)['servers']}

    for server in report['servers']:
        value = owa_url_protocol(demo_dir / 'state' / f"{server['host']}.json")
        if server['status'] == 'compliant':
            assert value == {'type': 'REG_SZ', 'data': 'https:'} == server['after'], server['host']
        else:
            assert server['status'] in ('blocked', 'not_applicable') and value is None, server['host']
        assert applied[server['host']]['changed'] is (applied[server['host']]['status'] == 'changed')
    assert {s['host'] for s in applied.values() if s['status'] == 'changed'} == {'exch-hq02', 'exch-branch01'}

    junit = ET.parse(final + '.junit.xml').getroot()
    cases = {case.get('name'): case for case in junit.iter('testcase')}
    assert len(cases) == len(report['servers']) == 7
    failing = {name for name, case in cases.items() if case.find('failure') is not None}
    assert failing == {s['host'] for s in report['servers'] if s['status'] == 'blocked'}

    with open(demo_dir / 'kb-reports' / 'kb-audit.json', encoding='utf-8') as handle:
        kbs = json.load(handle)['kbs']
    with open(os.path.join(REPO_ROOT, 'examples', 'demo-kbs.yml'), encoding='utf-8') as handle:
        assert kbs['ids'] == yaml.safe_load(handle)['kb_remediation_ids']
    assert len(kbs['rows']) == len(report['servers'])
    assert {status for row in kbs['rows'] for status in row['statuses'].values()} == {
        'compliant', 'needs_change', 'not_applicable', 'blocked'}
    assert 'kb-reports/kb-audit.html' in demo.stdout
