# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fleet report: built from what owa_url_protocol really returns for the named fake servers.

The results come from the owa_url_protocol action plugin's own ``work()`` run against
in-memory servers (tests/unit/.../fakes.py), then passed through what Ansible does to a
result registered with ``failed_when: false`` (as the role registers it).
"""

from __future__ import annotations

import datetime
import json
import os
import re
import stat
import types
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _report as _report_module
from ansible_collections.legacy_exchange.exchange55.plugins.action.owa_url_protocol import ActionModule as OwaUrlProtocol
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import REFUSAL
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import (
    NO_RESULT,
    REPORT_STATUSES,
    SCHEMA_VERSION,
    build_report,
    failed_hosts,
    render_html,
    render_json,
    render_junit,
    summary_lines,
    value_text,
    versions_text,
    write_report,
)
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import SERVERS, fake_server

GENERATED = datetime.datetime(2026, 11, 28, 10, 15, 0, tzinfo=datetime.timezone.utc)
SECRET = 'Exch55!Sim-secret'
AUTH_ERROR = {'failed': True, 'transport': 'winrm', 'error_kind': 'auth',
              'msg': 'wrong_password (winrm http://127.0.0.9:5985): authentication failed (HTTP 401); '
                     'check ansible_user and ansible_password for this host'}
# server: (status in audit, status in apply)
FLEET = {
    'compliant': ('compliant', 'compliant'),
    'value_absent': ('needs_change', 'changed'),
    'expand_sz_https': ('needs_change', 'changed'),
    'sp3': ('blocked', 'blocked'),
    'no_exchange': ('not_applicable', 'not_applicable'),
    'owa_not_ssl_only': ('not_applicable', 'not_applicable'),
}


def registered(result: dict) -> dict:
    """What Ansible registers for a task with ``failed_when: false``: ``failed`` is rewritten to False."""
    return dict(result, failed=False, failed_when_result=False)


def module_result(name: str, check_mode: bool, backup_dir: str | None = None, lose_writes: bool = False, ignore_prerequisites: bool = False) -> dict:
    """Run owa_url_protocol's work() on the named fake server, as a real task would (winrm transport)."""
    action = OwaUrlProtocol(types.SimpleNamespace(check_mode=check_mode, diff=False), None, None, None, None)
    action.settings = types.SimpleNamespace(host=f'{name}.example.test', transport='winrm')
    args = {'state': 'present', 'protocol': 'https:', 'ignore_prerequisites': ignore_prerequisites, 'backup': backup_dir is not None,
            'backup_dir': backup_dir, 'restart_information_store': False, 'restart_timeout': 300, 'restore_from': None}
    ssl_required = SERVERS[name].get('owa', {}).get('ssl_required')
    owa = OwaAnswer.declared(ssl_required) if ssl_required is not None else OwaAnswer.unknown('no answer')
    host = fake_server(name)
    if lose_writes:
        host.set_value = lambda key, value_name, value: None
    return dict(action.work(host, args, owa, None, name), transport='winrm')


def fleet_results(check_mode: bool, backup_dir: str | None = None) -> dict:
    results = {name: registered(module_result(name, check_mode, backup_dir)) for name in FLEET}
    results['wrong_password'] = registered(AUTH_ERROR)
    return results


@pytest.fixture(name='audit')
def audit_report():
    return build_report(fleet_results(check_mode=True), 'audit', generated=GENERATED)


@pytest.fixture(name='apply')
def apply_report(tmp_path):
    return build_report(fleet_results(check_mode=False, backup_dir=str(tmp_path)), 'apply', generated=GENERATED)


def by_host(report: dict) -> dict:
    return {server['host']: server for server in report['servers']}


def test_the_document_carries_its_schema_mode_and_time(apply):
    assert apply['schema'] == 'legacy_exchange.exchange55/q294406-report'
    assert apply['schema_version'] == SCHEMA_VERSION == 2
    assert (apply['mode'], apply['generated'], apply['kb']) == ('apply', '2026-11-28T10:15:00Z', 'Q294406')
    assert [server['host'] for server in apply['servers']] == sorted(FLEET) + ['wrong_password']


@pytest.mark.parametrize('mode', ['audit', 'apply'])
def test_each_server_gets_the_status_the_module_returned(mode, request):
    report = request.getfixturevalue(mode)
    statuses = {host: server['status'] for host, server in by_host(report).items()}
    expected = {name: pair[mode == 'apply'] for name, pair in FLEET.items()}
    assert statuses == dict(expected, wrong_password='error')


def test_counts_cover_every_status_and_add_up(apply):
    assert list(apply['counts']) == list(REPORT_STATUSES)
    assert apply['counts'] == {'compliant': 1, 'needs_change': 0, 'changed': 2, 'not_applicable': 2, 'blocked': 1, 'error': 1}
    assert apply['totals'] == {'servers': 7, 'changed': 2, 'failed': 1}


def test_a_blocked_host_keeps_its_reasons_and_does_not_fail_by_default(apply):
    sp3 = by_host(apply)['sp3']
    assert (sp3['failed'], sp3['error'], sp3['changed']) == (False, None, False)
    assert any('Service Pack 3' in reason for reason in sp3['reasons'])
    assert 'sp3' not in failed_hosts(apply)


def test_fail_on_blocked_fails_the_blocked_hosts_with_their_reasons():
    report = build_report(fleet_results(check_mode=True), 'audit', fail_on_blocked=True, generated=GENERATED)
    assert by_host(report)['sp3']['failed'] is True
    failed = failed_hosts(report)
    assert sorted(failed) == ['sp3', 'wrong_password']
    assert failed['sp3'].startswith('KB Q294406 is blocked on this host (fail_on_blocked is set): Service Pack 3 found')


def test_a_failed_host_is_reported_with_its_one_line_error(apply):
    host = by_host(apply)['wrong_password']
    assert (host['status'], host['failed'], host['error_kind']) == ('error', True, 'auth')
    assert host['error'] == AUTH_ERROR['msg']
    assert failed_hosts(apply) == {'wrong_password': AUTH_ERROR['msg']}


def test_a_read_back_mismatch_fails_the_host_but_keeps_its_evaluation():
    result = registered(module_result('value_absent', check_mode=False, lose_writes=True))
    server = build_report({'value_absent': result}, 'apply')['servers'][0]
    assert (server['status'], server['failed'], server['changed']) == ('needs_change', True, False)
    assert server['error'].startswith('read-back mismatch: wrote OWA Url Protocol = REG_SZ "https:" but the server holds absent')


def test_a_failed_write_to_a_blocked_host_is_an_error_not_a_refusal():
    result = registered(module_result('sp3', check_mode=False, lose_writes=True, ignore_prerequisites=True))
    server = build_report({'sp3': result}, 'apply')['servers'][0]
    assert (server['status'], server['failed']) == ('blocked', True)
    assert server['error'].startswith('read-back mismatch')


def test_the_refusal_is_recognised_by_the_error_kind_the_module_gives():
    result = module_result('sp3', check_mode=False)
    assert result['failed'] is True and result['error_kind'] == 'blocked' and result['msg'].startswith(REFUSAL)


@pytest.mark.parametrize('result', [None, {}, {'changed': False, 'skipped': True, 'skip_reason': 'Conditional result was False'}])
def test_a_host_without_a_result_is_an_error(result):
    server = build_report({'exsrv01': result}, 'audit')['servers'][0]
    assert (server['status'], server['failed'], server['error']) == ('error', True, NO_RESULT)


def test_apply_entries_hold_versions_values_and_backups(apply):
    changed = by_host(apply)['expand_sz_https']
    assert changed['versions'] == {'exchange': '5.5', 'newest_build': 1960, 'service_pack': 4, 'service_pack_build': 2653,
                                   'store_exe': '5.5.2654.81'}
    assert changed['before'] == {'type': 'REG_EXPAND_SZ', 'data': 'https:'}
    assert changed['after'] == {'type': 'REG_SZ', 'data': 'https:'}
    assert changed['backup_file'].endswith('.reg') and os.path.exists(changed['backup_file'])
    assert changed['backup_record'].endswith('.json') and os.path.exists(changed['backup_record'])
    assert by_host(apply)['compliant']['backup_file'] is None


def test_audit_entries_show_the_planned_value_and_no_backup(audit):
    absent = by_host(audit)['value_absent']
    assert (absent['changed'], absent['before'], absent['after']) == (True, None, {'type': 'REG_SZ', 'data': 'https:'})
    assert absent['backup_file'] is None
    assert audit['totals']['changed'] == 2


def test_json_round_trips_and_holds_only_documented_fields(apply):
    document = json.loads(render_json(apply))
    assert document == apply
    assert set(document['servers'][0]) == {'host', 'status', 'reasons', 'changed', 'failed', 'error', 'error_kind', 'transport',
                                           'versions', 'owa_ssl_only', 'before', 'after', 'backup_file', 'backup_record', 'write_sent', 'retried',
                                           'restarted', 'decided_by', 'restart_required'}


def test_the_deciding_item_and_a_pending_restart_are_shown():
    def result(host_changed, restart_required, family_evidence, conflict=None):
        return {'changed': host_changed, 'restart_required': restart_required, 'transport': 'smb',
                'q294406': {'status': 'changed' if host_changed else 'blocked', 'reasons': ['why']},
                'server': {'exchange': {'family': '5.5' if not conflict else None, 'family_evidence': family_evidence,
                                        'conflict': conflict}, 'store': {'version': '5.5.2654.81'}, 'owa': {}}}
    report = build_report({'ex1': result(True, True, 'Store.exe 5.5.2654.81'),
                           'ex2': result(False, False, None, 'conflicting evidence: Store.exe 6.0.6249.0 says Exchange 2000, but X')},
                          'apply')
    entries = by_host(report)
    assert (entries['ex1']['decided_by'], entries['ex1']['restart_required']) == ('Store.exe 5.5.2654.81', True)
    assert entries['ex2']['decided_by'].startswith('conflicting evidence: Store.exe 6.0.6249.0') and not entries['ex2']['restart_required']
    html = render_html(report)
    assert html.count('Information Store restart pending') == 1
    assert 'decided by: Store.exe 5.5.2654.81' in html and 'decided by: conflicting evidence' in html
    assert 'Information Store restart pending: 1 (ex1)' in summary_lines(report)
    assert b'Information Store restart pending' in render_junit(report)


def test_no_report_format_carries_what_a_result_holds_beyond_the_documented_fields():
    result = registered(module_result('value_absent', check_mode=True))
    result['invocation'] = {'module_args': {'remote_password': SECRET}}
    result['ansible_password'] = SECRET
    report = build_report({'value_absent': result}, 'audit')
    outputs = [render_json(report), render_html(report), render_junit(report).decode('utf-8'), '\n'.join(summary_lines(report))]
    assert all(SECRET not in output for output in outputs)


def test_junit_has_one_testcase_per_server_and_fails_what_needs_attention(audit):
    suite = ET.fromstring(render_junit(audit)).find('testsuite')
    cases = {case.get('name'): case for case in suite.findall('testcase')}
    assert sorted(cases) == sorted(FLEET) + ['wrong_password']
    failures = {name: case.find('failure').get('type') for name, case in cases.items() if case.find('failure') is not None}
    assert failures == {'sp3': 'blocked', 'value_absent': 'needs_change', 'expand_sz_https': 'needs_change', 'wrong_password': 'auth'}
    skipped = sorted(name for name, case in cases.items() if case.find('skipped') is not None)
    assert skipped == ['no_exchange', 'owa_not_ssl_only']
    assert (suite.get('tests'), suite.get('failures'), suite.get('skipped')) == ('7', '4', '2')


def test_junit_in_apply_mode_passes_changed_servers(apply):
    suite = ET.fromstring(render_junit(apply)).find('testsuite')
    failing = sorted(case.get('name') for case in suite.findall('testcase') if case.find('failure') is not None)
    assert failing == ['sp3', 'wrong_password']
    assert 'backup: ' in next(case for case in suite.findall('testcase') if case.get('name') == 'value_absent').find('system-out').text


def test_html_is_self_contained_and_lists_every_server(apply):
    page = render_html(apply)
    assert page.startswith('<!DOCTYPE html>') and '<style>' in page
    for forbidden in ('<script', '<link', '<img', 'src=', 'href=', 'url(', '@import'):
        assert forbidden not in page
    for host in by_host(apply):
        assert f'<span class="host">{host}</span>' in page
    assert 'REG_EXPAND_SZ &#34;https:&#34;' in page and 'REG_SZ &#34;https:&#34;' in page
    assert re.search(r'<div class="card changed"><div class="n">2</div>\s*<div class="l">Changed</div>', page)
    assert 'table-layout: fixed' in page and 'overflow-wrap: anywhere' in page


def test_html_escapes_what_comes_from_servers():
    result = registered(module_result('value_absent', check_mode=True))
    result['q294406']['reasons'] = ['<script>alert(1)</script> & more']
    page = render_html(build_report({'<b>evil</b>': result}, 'audit'))
    assert '<script>' not in page and '<b>evil</b>' not in page
    assert '&lt;script&gt;alert(1)&lt;/script&gt; &amp; more' in page and '&lt;b&gt;evil&lt;/b&gt;' in page


def test_summary_is_a_short_table_by_status(apply):
    lines = summary_lines(apply, {'html': '/tmp/r.html'})
    assert lines[0] == 'KB Q294406 - OWA Url Protocol: apply of 7 servers at 2026-11-28T10:15:00Z'
    assert lines[1].split() == ['status', 'count', 'servers']
    assert 'changed             2  expand_sz_https, value_absent' in lines
    assert 'needs_change        0' in lines
    # the two changed servers were not restarted, so the Information Store has not read the value yet
    assert lines[-3:] == ['failed hosts: 1 (wrong_password)', 'Information Store restart pending: 2 (expand_sz_https, value_absent)',
                          'html report: /tmp/r.html']


def test_summary_truncates_long_host_lists():
    result = registered(module_result('compliant', check_mode=True))
    report = build_report({f'exsrv{n:03d}': result for n in range(200)}, 'audit')
    line = next(line for line in summary_lines(report) if line.startswith('compliant'))
    assert line.endswith('exsrv005 and 194 more') and ' 200 ' in line


def test_bad_input_gets_a_clear_error():
    with pytest.raises(ValueError, match='mode must be "audit" or "apply"'):
        build_report({}, 'check')
    with pytest.raises(ValueError, match='results must be a mapping of inventory hostname'):
        build_report([], 'audit')


def test_texts_for_values_and_versions():
    assert value_text(None) == 'absent'
    assert value_text({'type': 'REG_DWORD', 'data': 10}) == 'REG_DWORD 0x0000000a (10)'
    assert versions_text({'exchange': '5.5', 'service_pack': 3, 'service_pack_build': 2650}) == 'Exchange 5.5 SP3 (build 2650)'
    assert versions_text({'exchange': '5.5', 'service_pack': 0, 'newest_build': 1960}) == 'Exchange 5.5 (no service pack) (build 1960)'
    assert versions_text({'exchange': None}) == 'Exchange: not found'


def test_write_report_writes_owner_only_files_and_never_overwrites(tmp_path, audit):
    first = write_report(audit, str(tmp_path / 'reports'), None, ['json', 'html', 'junit'], GENERATED)
    second = write_report(audit, str(tmp_path / 'reports'), None, ['json'], GENERATED)
    assert first['html'] == str(tmp_path / 'reports' / 'q294406-audit-20261128T101500Z.html')
    assert first['junit'].endswith('q294406-audit-20261128T101500Z.junit.xml')
    assert second == {'json': str(tmp_path / 'reports' / 'q294406-audit-20261128T101500Z-2.json')}
    for path in list(first.values()) + list(second.values()):
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    with open(first['json'], encoding='utf-8') as handle:
        assert json.load(handle) == audit


def test_write_report_with_a_fixed_name_replaces_it_and_refuses_paths(tmp_path, audit):
    path = write_report(audit, str(tmp_path), 'ci', ['junit'], GENERATED)['junit']
    assert write_report(audit, str(tmp_path), 'ci', ['junit'], GENERATED)['junit'] == path == str(tmp_path / 'ci.junit.xml')
    with pytest.raises(ValueError, match='must be a plain file name'):
        write_report(audit, str(tmp_path), '../ci', ['json'], GENERATED)


# ---------------------------------------------------------------- hostile data: control characters, huge values

def _hostile_result(data):
    return {'changed': True, 'failed': True, 'error_kind': 'read_back_mismatch', 'write_sent': True,
            'msg': 'read-back mismatch: the server holds ' + data, 'backup_file': '/b/x.reg',
            'q294406': {'status': 'needs_change', 'reasons': ['value is ' + data]},
            'before': {'type': 'REG_SZ', 'data': data}, 'after': {'type': 'REG_MULTI_SZ', 'data': [data, 'b']}}


@pytest.mark.parametrize('data', ['a\x01b\x1bc\x00d', 'lone \ud800 surrogate', '\ufffe\uffff', 'tab\tcr\rlf\n'])
def test_every_format_holds_values_with_control_characters(data):
    report = _report_module.build_report({'exsrv01': _hostile_result(data), 'bad\x07host': None}, 'apply')
    junit = _report_module.render_junit(report)
    ET.fromstring(junit)                                             # valid XML 1.0
    html = _report_module.render_html(report)
    assert not re.search('[\x00-\x08\x0b\x0c\x0e-\x1f]', html)
    text = _report_module.render_json(report)
    json.loads(text)
    text.encode('utf-8')                                             # no lone surrogate survives
    html.encode('utf-8')
    if '\x01' in data:
        assert '[U+0001]' in text and '[U+0001]' in junit.decode()


def test_reports_cap_huge_values_and_say_so():
    huge = 'x' * 200000
    report = _report_module.build_report({'exsrv01': _hostile_result(huge)}, 'apply')
    server = report['servers'][0]
    assert server['before']['truncated'] is True and server['before']['length'] == 200000
    assert len(server['before']['data']) < _report_module.MAX_SHOWN + 100
    assert 'more characters not shown; 200000 in all' in server['before']['data']
    assert sum(len(item) for item in server['after']['data']) < _report_module.MAX_SHOWN + 100
    assert len(server['error']) < _report_module.MAX_SHOWN + 100
    for rendered in (_report_module.render_json(report), _report_module.render_html(report), _report_module.render_junit(report)):
        assert len(rendered) < 60000


def test_a_failed_host_that_was_sent_a_write_shows_it_and_its_backup():
    report = _report_module.build_report({'exsrv01': _hostile_result('y')}, 'apply')
    server = report['servers'][0]
    assert server['write_sent'] is True and server['failed'] is True and server['backup_file'] == '/b/x.reg'
    assert 'a write was sent before this failure' in _report_module.render_html(report)
    assert 'write sent: yes' in _report_module.render_junit(report).decode()
    assert any('failed after a write was sent: 1 (exsrv01)' in line for line in _report_module.summary_lines(report))


def test_report_settings_are_checked_without_writing(tmp_path):
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import check_report_settings
    assert check_report_settings(str(tmp_path / 'new' / 'reports'), 'nightly') == str(tmp_path / 'new' / 'reports')
    assert not (tmp_path / 'new').exists()
    (tmp_path / 'afile').write_text('x')
    for dest, name, text in ((str(tmp_path / 'afile'), None, 'is a file'), (str(tmp_path / 'afile' / 'sub'), None, 'is a file'),
                             (str(tmp_path), '../x', 'plain file name'), (str(tmp_path), 'a/b', 'plain file name')):
        with pytest.raises(ValueError, match=text):
            check_report_settings(dest, name)


# ------------------------------------------------------------------ the kb module's hosts x KBs table
def _kb_result(**statuses):
    return {'changed': False, 'transport': 'winrm',
            'kb': {kb: {'status': status, 'reasons': [f'{kb} is {status}']} for kb, status in statuses.items()}}


def test_kb_results_give_a_hosts_by_kbs_table_and_each_host_its_most_urgent_status():
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import build_report, render_html, summary_lines
    results = {'exch-b': _kb_result(Q294406='compliant', Q243581='needs_change'),
               'exch-a': _kb_result(Q294406='blocked', Q243581='not_applicable'),
               'exch-c': None}
    report = build_report(results, 'audit', title='KB remediation')
    assert report['kbs']['ids'] == ['Q294406', 'Q243581'] and report['kb'] == 'Q294406, Q243581'
    assert [(row['host'], row['statuses']) for row in report['kbs']['rows']] == [
        ('exch-a', {'Q294406': 'blocked', 'Q243581': 'not_applicable'}),
        ('exch-b', {'Q294406': 'compliant', 'Q243581': 'needs_change'}),
        ('exch-c', {'Q294406': 'error', 'Q243581': 'error'})]
    assert report['kbs']['counts']['Q294406']['blocked'] == 1
    by_host = {server['host']: server for server in report['servers']}
    assert by_host['exch-a']['status'] == 'blocked' and by_host['exch-a']['reasons'] == ['Q294406: Q294406 is blocked']
    assert by_host['exch-b']['status'] == 'needs_change' and by_host['exch-c']['status'] == 'error'
    lines = summary_lines(report)
    table = lines[lines.index('server  Q294406  Q243581'):]
    assert table[:5] == ['server  Q294406  Q243581', 'exch-a  BLOCK    n/a', 'exch-b  ok       NEEDS', 'exch-c  ERROR    ERROR',
                         'ERROR = error  BLOCK = blocked  NEEDS = needs_change  fixed = changed  ok = compliant  n/a = not_applicable']
    html = render_html(report)
    assert '<table class="kbs"' in html and html.count('<span class="badge blocked">Blocked</span>') >= 2
    # a kb report is not about one value: no OWA Url Protocol column or Q294406 subtitle
    assert 'OWA Url Protocol' not in html and 'ParametersPrivate' not in html and '2 KB articles: Q294406, Q243581' in html


def test_q294406_html_keeps_its_value_column():
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import build_report, render_html
    html = render_html(build_report({'exch-a': {'q294406': {'status': 'compliant', 'reasons': ['ok']}}}, 'audit'))
    assert 'OWA Url Protocol<br>before' in html and html.count('<col class="value">') == 1


def test_q294406_results_have_no_kb_table():
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import build_report
    report = build_report({'exch-a': {'q294406': {'status': 'compliant', 'reasons': ['ok']}}}, 'audit')
    assert 'kbs' not in report and report['kb'] == 'Q294406'


def test_fail_on_blocked_names_the_blocked_kb_of_a_kb_report():
    results = {'exsrv01': {'changed': False, 'failed': True, 'error_kind': 'blocked', 'msg': 'KB prerequisites not met, ...',
                           'kb': {'Q243581': {'status': 'compliant', 'reasons': ['Background Cleanup is REG_DWORD 60000']},
                                  'Q294406': {'status': 'blocked', 'reasons': ['Service Pack 3 found (ServicePackBuild 2650)']}}}}
    report = build_report(results, 'audit', fail_on_blocked=True, generated=GENERATED)
    assert failed_hosts(report) == {
        'exsrv01': 'a KB is blocked on this host (fail_on_blocked is set): Q294406: Service Pack 3 found (ServicePackBuild 2650)'}
    assert failed_hosts(build_report(results, 'audit', generated=GENERATED)) == {}
