# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report that remembers: which earlier reports make the baseline, and what changed against it."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report_history import (
    compare,
    comparison_lines,
    found_state,
    left_state,
    load_baseline,
    regressed_hosts,
    remember,
)

SCHEMA = 'legacy_exchange.exchange55/q294406-report'


def report(mode, generated, statuses, reasons=None):
    return {'schema': SCHEMA, 'schema_version': 2, 'mode': mode, 'generated': generated,
            'servers': [{'host': host, 'status': status, 'reasons': (reasons or {}).get(host, [])}
                        for host, status in sorted(statuses.items())]}


def write(directory, name, document, mtime):
    path = os.path.join(directory, name)
    with open(path, 'w', encoding='utf-8') as handle:
        json.dump(document, handle)
    os.utime(path, ns=(mtime * 10**9, mtime * 10**9))
    return path


def test_states_a_run_found_and_left():
    assert (found_state('changed'), left_state('changed')) == ('needs_change', 'compliant')
    for status in ('compliant', 'needs_change', 'blocked', 'not_applicable', 'error'):
        assert found_state(status) == left_state(status) == status


def test_the_first_report_of_a_mode_has_nothing_to_compare_with(tmp_path):
    write(tmp_path, 'a.json', report('apply', '2026-12-01T10:00:00Z', {'s1': 'changed'}), 100)
    baseline = load_baseline(str(tmp_path), 'audit', SCHEMA)
    assert baseline['previous'] is None
    comparison = compare(report('audit', '2026-12-01T11:00:00Z', {'s1': 'compliant'}), baseline)
    assert comparison['baseline'] is None and comparison['regressed'] == [] and comparison['appeared'] == []
    assert comparison_lines({'mode': 'audit', 'comparison': comparison}) == [
        'no earlier audit report in this directory: nothing to compare with']
    assert load_baseline(str(tmp_path / 'missing'), 'audit', SCHEMA)['previous'] is None


def test_audit_apply_regression_audit_names_the_regression(tmp_path):
    first = write(tmp_path, 'q294406-audit-1.json',
                  report('audit', '2026-12-01T10:00:00Z', {'s1': 'needs_change', 's2': 'needs_change', 's3': 'blocked'}), 100)
    applied = write(tmp_path, 'q294406-apply-1.json',
                    report('apply', '2026-12-01T10:05:00Z', {'s1': 'changed', 's2': 'changed', 's3': 'blocked'}), 200)
    baseline = load_baseline(str(tmp_path), 'audit', SCHEMA)
    assert baseline['previous'][0] == first and [path for path, _report in baseline['updates']] == [applied]
    # s1 regressed (the Performance Optimizer reset it), s2 stayed fixed, s3 is still blocked.
    now = report('audit', '2026-12-01T11:00:00Z', {'s1': 'needs_change', 's2': 'compliant', 's3': 'blocked'},
                 reasons={'s1': ['OWA Url Protocol is absent']})
    comparison = compare(now, baseline)
    assert comparison['baseline']['report'] == first
    assert [u['report'] for u in comparison['baseline']['updated_by']] == [applied]
    assert comparison['regressed'] == [{'host': 's1', 'before': 'compliant', 'now': 'needs_change',
                                        'since': '2026-12-01T10:05:00Z', 'report': applied,
                                        'reasons': ['OWA Url Protocol is absent']}]
    assert comparison['newly_fixed'] == []  # s2 was fixed by the apply, which is newer knowledge than the audit
    assert [c['host'] for c in comparison['status_changes']] == ['s1']
    assert regressed_hosts(dict(now, comparison=comparison)) == ['s1']


def test_newly_fixed_appeared_disappeared_and_status_changes(tmp_path):
    write(tmp_path, 'old.json', report('audit', '2026-12-01T09:00:00Z',
                                       {'s1': 'needs_change', 's2': 'blocked', 'gone': 'compliant', 's4': 'compliant'}), 100)
    now = report('audit', '2026-12-01T10:00:00Z', {'s1': 'compliant', 's2': 'needs_change', 'new': 'compliant',
                                                   's4': 'not_applicable'})
    comparison = compare(now, load_baseline(str(tmp_path), 'audit', SCHEMA))
    assert [f['host'] for f in comparison['newly_fixed']] == ['s1']
    assert comparison['regressed'] == []  # compliant -> not_applicable is a status change, not a regression
    assert comparison['appeared'] == ['new'] and comparison['disappeared'] == ['gone']
    assert {(c['host'], c['before'], c['now']) for c in comparison['status_changes']} == {
        ('s1', 'needs_change', 'compliant'), ('s2', 'blocked', 'needs_change'), ('s4', 'compliant', 'not_applicable')}
    lines = comparison_lines(dict(now, comparison=comparison))
    assert lines[0] == 'since the audit of 2026-12-01T09:00:00Z:'
    assert any(line.split()[:3] == ['newly', 'fixed', '1'] and line.endswith('s1') for line in lines)
    assert any(line.split()[:2] == ['appeared', '1'] for line in lines)


@pytest.mark.parametrize('now_status, regressed', [
    ('needs_change', True), ('blocked', True), ('changed', True), ('error', False), ('not_applicable', False), ('compliant', False)])
def test_a_regression_is_a_compliant_server_found_needing_the_change_or_blocked(tmp_path, now_status, regressed):
    write(tmp_path, 'prev.json', report('apply', '2026-12-01T09:00:00Z', {'s1': 'compliant'}), 100)
    comparison = compare(report('apply', '2026-12-01T10:00:00Z', {'s1': now_status}),
                         load_baseline(str(tmp_path), 'apply', SCHEMA))
    assert bool(comparison['regressed']) is regressed
    # An apply that fixed the regression again leaves the server compliant: a regression, and not a status change
    # of its final state, but its status itself ('changed') differs from what the baseline left.
    assert bool(comparison['status_changes']) is (now_status != 'compliant')


def test_only_reports_since_the_previous_same_mode_report_are_read(tmp_path):
    write(tmp_path, 'ancient.json', {'not': 'a report'}, 50)
    write(tmp_path, 'older-audit.json', report('audit', '2026-12-01T08:00:00Z', {'s1': 'compliant'}), 60)
    older_apply = write(tmp_path, 'older-apply.json', report('apply', '2026-12-01T07:00:00Z', {'s1': 'blocked'}), 70)
    previous = write(tmp_path, 'audit.json', report('audit', '2026-12-01T09:00:00Z', {'s1': 'compliant'}), 100)
    broken = os.path.join(tmp_path, 'broken.json')
    with open(broken, 'w', encoding='utf-8') as handle:
        handle.write('{"schema": ')
    os.utime(broken, ns=(150 * 10**9, 150 * 10**9))
    write(tmp_path, 'other.json', {'schema': 'someone-else', 'mode': 'audit', 'servers': []}, 160)
    with open(os.path.join(tmp_path, 'notes.txt'), 'w', encoding='utf-8') as handle:
        handle.write('not json')
    baseline = load_baseline(str(tmp_path), 'audit', SCHEMA)
    assert baseline['previous'][0] == previous
    assert baseline['updates'] == [] and older_apply not in baseline['unreadable']
    assert baseline['unreadable'] == [broken]
    comparison = compare(report('audit', '2026-12-01T10:00:00Z', {'s1': 'compliant'}), baseline)
    assert comparison['unreadable'] == [broken] and comparison['status_changes'] == []


def test_hosts_in_a_baseline_entry_without_a_status_are_ignored(tmp_path):
    previous = report('audit', '2026-12-01T09:00:00Z', {'s1': 'compliant'})
    previous['servers'].append({'host': 's2'})
    previous['servers'].append('garbage')
    write(tmp_path, 'prev.json', previous, 100)
    comparison = compare(report('audit', '2026-12-01T10:00:00Z', {'s1': 'compliant', 's2': 'compliant'}),
                         load_baseline(str(tmp_path), 'audit', SCHEMA))
    assert comparison['appeared'] == ['s2'] and comparison['disappeared'] == []


def test_remember_marks_each_server_with_its_previous_state(tmp_path):
    write(tmp_path, 'a.json', report('audit', '2026-12-01T09:00:00Z', {'s1': 'needs_change', 's2': 'needs_change'}), 100)
    write(tmp_path, 'b.json', report('apply', '2026-12-01T09:30:00Z', {'s1': 'changed', 's2': 'blocked'}), 200)
    now = remember(report('audit', '2026-12-01T10:00:00Z', {'s1': 'needs_change', 's2': 'blocked', 's3': 'compliant'}),
                   load_baseline(str(tmp_path), 'audit', SCHEMA))
    servers = {server['host']: server for server in now['servers']}
    assert (servers['s1']['previous_status'], servers['s1']['regressed']) == ('compliant', True)
    assert (servers['s2']['previous_status'], servers['s2']['regressed']) == ('blocked', False)
    assert (servers['s3']['previous_status'], servers['s3']['regressed']) == (None, False)
    assert now['comparison']['appeared'] == ['s3']


def module_result(status, reasons=()):
    return {'changed': status == 'changed', 'q294406': {'status': status, 'reasons': list(reasons)}}


@pytest.mark.parametrize('mode', ['audit', 'apply'])
def test_a_regression_fails_its_junit_case_and_heads_the_html_and_the_summary(tmp_path, mode):
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import (  # pylint: disable=import-outside-toplevel
        build_report, render_html, render_junit, summary_lines)
    import xml.etree.ElementTree as ET  # pylint: disable=import-outside-toplevel
    write(tmp_path, 'prev.json', report(mode, '2026-12-01T09:00:00Z', {'exch<1>': 'compliant', 'ok': 'compliant'}), 100)
    now = build_report({'exch<1>': module_result('needs_change', ['OWA Url Protocol is absent']), 'ok': module_result('compliant')},
                       mode)
    remember(now, load_baseline(str(tmp_path), mode, SCHEMA))
    cases = {case.get('name'): case for case in ET.fromstring(render_junit(now)).iter('testcase')}
    failure = cases['exch<1>'].find('failure')
    assert failure is not None and failure.get('type') == 'regression'
    assert 'was compliant' in failure.get('message') and 'now needs_change' in failure.get('message')
    assert cases['ok'].find('failure') is None
    page = render_html(now)
    since = page.index('class="since regressed"')
    assert since < page.index('class="cards"')  # at the top, before the counts
    assert 'Regressed (1)' in page and '<b>exch&lt;1&gt;</b> compliant &rarr; needs_change' in page
    assert 'exch<1>' not in page
    lines = summary_lines(now)
    assert lines[1] == f'since the {mode} of 2026-12-01T09:00:00Z:'
    assert any(line.split()[:3] == ['regressed', '1', 'exch<1>'] for line in lines)
    assert json.loads(json.dumps(now))['comparison']['regressed'][0]['host'] == 'exch<1>'
