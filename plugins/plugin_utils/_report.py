# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KB Q294406 fleet report: a pure builder (per-host task results in; JSON, HTML, JUnit and a summary out)
and :func:`write_report`, the one function here that touches the disk.

Input is what ``owa_url_protocol`` (or ``server_info``) returned for each host, as registered
by the role, whose ``failed_when`` rewrites ``failed`` (a refused write is not a failure unless
asked), so a result counts as failed when ``failed`` is true *or* it carries ``error_kind``: the collection's modules set it (with ``msg``) on every failure.
A ``blocked`` host that was merely refused a write (``error_kind: blocked``) is not a failure
unless ``fail_on_blocked`` is set.  Only listed fields are copied from a result, so nothing a
result might carry beyond them (and never a password) reaches a report.

The JSON document (``schema_version`` 2, described in docs/report.md)::

    {schema, schema_version, kb, title, mode, generated, fail_on_blocked,
     totals: {servers, changed, failed}, counts: {<status>: n for every status},
     servers: [{host, status, reasons, changed, failed, error, error_kind, transport,
                versions: {exchange, newest_build, service_pack, service_pack_build, store_exe},
                owa_ssl_only, before, after, backup_file, backup_record, write_sent, retried, restarted,
                decided_by, restart_required, previous_status, regressed}, ...],
     comparison: {baseline, regressed, newly_fixed, appeared, disappeared, status_changes, unreadable}}

``decided_by`` is the reading that decided the Exchange family (``server.exchange.family_evidence``, e.g.
"Store.exe 5.5.2654.81"), or the conflict that blocked it; ``restart_required`` is true after a change the
Information Store has not picked up yet (the HTML says "Information Store restart pending").

``comparison`` and the two per-server fields ``previous_status`` and ``regressed`` come from
``_report_history.remember`` (the report's writer adds them from the earlier reports in its directory); a report
built without them renders as having no baseline.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import xml.etree.ElementTree as ET

from jinja2 import Environment

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import atomic_write, nearest_existing, resolve_path
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import STATUSES
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report_history import comparison_lines
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue

SCHEMA = 'legacy_exchange.exchange55/q294406-report'
SCHEMA_VERSION = 2
MODES = ('audit', 'apply')
FORMATS = ('json', 'html', 'junit')
EXTENSIONS = {'json': '.json', 'html': '.html', 'junit': '.junit.xml'}
ERROR = 'error'
# Every status a report entry can have: the module's five, and 'error' for a host that has no evaluation.
REPORT_STATUSES = STATUSES + (ERROR,)
# Most urgent first: the order of the HTML table and of the summary.
SEVERITY = (ERROR, 'blocked', 'needs_change', 'changed', 'compliant', 'not_applicable')
LABELS = {'compliant': 'Compliant', 'needs_change': 'Needs change', 'changed': 'Changed', 'not_applicable': 'Not applicable',
          'blocked': 'Blocked', ERROR: 'Error'}
DEFAULT_TITLE = 'KB Q294406 - OWA Url Protocol'
NO_RESULT = 'no result from the module for this host: it did not run the task (skipped, or removed from the play earlier)'
SUMMARY_HOSTS = 6
# What a report shows of one text (a message, a reason, a value's data) at most; the full value is in the backup.
MAX_SHOWN = 2000
# What XML 1.0 cannot hold (section 2.2: Char), and lone surrogates, which no UTF encoding can: shown as [U+XXXX].
_NOT_XML = re.compile('[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
# A change the Information Store reads only at start-up: sibling ParametersPrivate KBs all restart it
# (Q178699, Q216076, Q243581, Q148961), although Q294406 itself does not say so.
RESTART_PENDING = 'Information Store restart pending'
# The hosts x KBs table's cells (summary text; the HTML shows the labels).
ABBREVIATIONS = {'compliant': 'ok', 'needs_change': 'NEEDS', 'changed': 'fixed', 'not_applicable': 'n/a', 'blocked': 'BLOCK',
                 ERROR: 'ERROR'}


def build_report(results: dict, mode: str, *, fail_on_blocked: bool = False, title: str | None = None,
                 generated: datetime.datetime | None = None) -> dict:
    """The report document for ``results`` ({inventory hostname: registered result or None}); entries sorted by host."""
    if mode not in MODES:
        raise ValueError(f'mode must be "audit" or "apply", got {mode!r}')
    if not isinstance(results, dict):
        raise ValueError(f'results must be a mapping of inventory hostname to the registered module result, got {type(results).__name__}')
    generated = generated or datetime.datetime.now(datetime.timezone.utc)
    servers = [server_entry(str(host), result, fail_on_blocked) for host, result in sorted(results.items(), key=lambda item: str(item[0]))]
    counts = {status: 0 for status in REPORT_STATUSES}
    for server in servers:
        counts[server['status']] += 1
    matrix = kb_matrix(results)
    return {
        'schema': SCHEMA,
        'schema_version': SCHEMA_VERSION,
        'kb': ', '.join(matrix['ids']) if matrix else 'Q294406',
        'title': shown(title or DEFAULT_TITLE),
        'mode': mode,
        'generated': generated.astimezone(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ'),
        'fail_on_blocked': bool(fail_on_blocked),
        'totals': {'servers': len(servers), 'changed': sum(s['changed'] for s in servers), 'failed': sum(s['failed'] for s in servers)},
        'counts': counts,
        'servers': servers,
        **({'kbs': matrix} if matrix else {}),
    }


def kb_evaluation(kbs) -> dict:
    """A kb module result's host status: its most urgent KB's (SEVERITY), with the reasons of every KB not compliant."""
    if not isinstance(kbs, dict) or not kbs:
        return {}
    statuses = {kb: entry.get('status') if isinstance(entry, dict) and entry.get('status') in STATUSES else ERROR
                for kb, entry in kbs.items()}
    worst = min(statuses.values(), key=SEVERITY.index)
    reasons = [f'{kb}: {reason}' for kb, entry in kbs.items() if statuses[kb] not in ('compliant', 'not_applicable')
               for reason in (entry.get('reasons') or [])]
    return {'status': worst, 'reasons': reasons}


def kb_matrix(results: dict) -> dict | None:
    """The hosts x KBs table of kb module results: {ids, rows: [{host, statuses: {id: status}}], counts: {id: {status: n}}},
    or None when no result carries ``kb``.  A host without a result has status 'error' for every KB."""
    ids = []
    for result in results.values():
        for kb in (result or {}).get('kb') or {} if isinstance(result, dict) else ():
            if kb not in ids:
                ids.append(str(kb))
    if not ids:
        return None
    rows, counts = [], {kb: {status: 0 for status in REPORT_STATUSES} for kb in ids}
    for host, result in sorted(results.items(), key=lambda item: str(item[0])):
        kbs = (result or {}).get('kb') if isinstance(result, dict) else None
        statuses = {}
        for kb in ids:
            entry = (kbs or {}).get(kb)
            statuses[kb] = entry.get('status') if isinstance(entry, dict) and entry.get('status') in STATUSES else ERROR
            counts[kb][statuses[kb]] += 1
        rows.append({'host': shown(str(host)), 'statuses': statuses})
    return {'ids': ids, 'rows': rows, 'counts': counts}


def matrix_lines(matrix: dict) -> list:
    """The hosts x KBs table as fixed-width text: one column per KB, a status abbreviation per cell, a legend."""
    width = max([len(row['host']) for row in matrix['rows']] + [6])
    lines = [(f'{"server":<{width}}  ' + '  '.join(f'{kb:<7}' for kb in matrix['ids'])).rstrip()]
    for row in matrix['rows']:
        lines.append((f'{row["host"]:<{width}}  ' + '  '.join(f'{ABBREVIATIONS[row["statuses"][kb]]:<7}' for kb in matrix['ids'])).rstrip())
    lines.append('  '.join(f'{ABBREVIATIONS[status]} = {status}' for status in SEVERITY))
    return lines


def server_entry(host: str, result, fail_on_blocked: bool = False) -> dict:
    """One report entry for a host's registered result (None, {} or a skipped result: status 'error')."""
    result = result if isinstance(result, dict) else {}
    evaluation = result.get('q294406') if isinstance(result.get('q294406'), dict) else kb_evaluation(result.get('kb'))
    facts = result.get('server') if isinstance(result.get('server'), dict) else {}
    exchange, store, owa = (facts.get(name) or {} for name in ('exchange', 'store', 'owa'))
    status = evaluation.get('status') if evaluation.get('status') in STATUSES else ERROR
    changed = bool(result.get('changed'))
    msg = shown(_one_line(result.get('msg'))) if result.get('msg') else None
    has_failed = bool(result.get('failed')) or bool(result.get('error_kind'))
    if not result or result.get('skipped'):
        msg, has_failed = NO_RESULT, True
    # A blocked host the module refused to write is the policy working, not an error.
    refused = status == 'blocked' and result.get('error_kind') == 'blocked'
    error = msg if has_failed and not refused else None
    if error is None and has_failed and status == ERROR:
        error = 'the module failed without a message'
    return {
        'host': shown(host),
        'status': status,
        'reasons': [shown(_one_line(reason)) for reason in evaluation.get('reasons') or []],
        'changed': changed,
        'failed': error is not None or (status == 'blocked' and bool(fail_on_blocked)),
        'error': error,
        'error_kind': result.get('error_kind'),
        'transport': result.get('transport'),
        'versions': {
            'exchange': exchange.get('family'),
            'newest_build': exchange.get('newest_build'),
            'service_pack': exchange.get('service_pack'),
            'service_pack_build': exchange.get('service_pack_build'),
            'store_exe': store.get('version'),
        },
        'owa_ssl_only': owa.get('ssl_required'),
        'before': _value_record(result.get('before')),
        'after': _value_record(result.get('after')),
        'backup_file': result.get('backup_file'),
        'backup_record': result.get('backup_record'),
        # true once any write reached the server, even if the task failed afterwards (the value may have changed)
        'write_sent': bool(result.get('write_sent')),
        'retried': int(result.get('retried') or 0),
        'restarted': bool(result.get('restarted')),
        'decided_by': exchange.get('family_evidence') or exchange.get('conflict'),
        'restart_required': bool(result.get('restart_required')),
    }


def failed_hosts(report: dict) -> dict:
    """{host: one-line reason} for every entry that must fail its host once the report is written."""
    failed = {}
    what = 'a KB' if report.get('kbs') else 'KB Q294406'      # a kb report's reasons name their KBs
    for server in report['servers']:
        if server['failed']:
            failed[server['host']] = server['error'] or f'{what} is blocked on this host (fail_on_blocked is set): {"; ".join(server["reasons"])}'
    return failed


def value_text(record) -> str:
    """A value record as people read it (``REG_SZ "https:"``), or 'absent'."""
    if record is None:
        return 'absent'
    try:
        return RegValue.from_record(record).to_text()
    except (ValueError, TypeError, AttributeError):
        return f'{record.get("type")} {record.get("data")!r}'


def versions_text(versions: dict) -> str:
    """'Exchange 5.5 SP4 (build 2653)', or what is known of it."""
    family = versions.get('exchange')
    if not family:
        return 'Exchange: not found'
    text = f'Exchange {family}'
    if versions.get('service_pack') is not None and family == '5.5':
        text += f' SP{versions["service_pack"]}' if versions['service_pack'] else ' (no service pack)'
    build = versions.get('service_pack_build') or versions.get('newest_build')
    return text + (f' (build {build})' if build else '')


def render_json(report: dict) -> str:
    return json.dumps(report, indent=2, sort_keys=False) + '\n'


def render_junit(report: dict) -> bytes:
    """JUnit XML: one testcase per server.  Failures: blocked, failed hosts, and needs_change in audit mode;
    not_applicable servers are skipped."""
    counts = {'failures': 0, 'skipped': 0}
    suite = ET.Element('testsuite', name=f'{report["kb"]} {report["mode"]}', tests=str(len(report['servers'])),
                       errors='0', timestamp=report['generated'])
    properties = ET.SubElement(suite, 'properties')
    for name in ('schema', 'schema_version', 'mode', 'fail_on_blocked'):
        value = report[name]
        ET.SubElement(properties, 'property', name=name, value=str(value).lower() if isinstance(value, bool) else str(value))
    for server in report['servers']:
        case = ET.SubElement(suite, 'testcase', classname=f'q294406.{report["mode"]}', name=server['host'], time='0')
        failure = _junit_failure(server, report['mode'])
        if failure:
            counts['failures'] += 1
            element = ET.SubElement(case, 'failure', type=failure[0], message=failure[1])
            element.text = '\n'.join(server['reasons'])
        elif server['status'] == 'not_applicable':
            counts['skipped'] += 1
            ET.SubElement(case, 'skipped', message='; '.join(server['reasons']) or 'not applicable')
        ET.SubElement(case, 'system-out').text = _junit_details(server)
    suite.set('failures', str(counts['failures']))
    suite.set('skipped', str(counts['skipped']))
    suites = ET.Element('testsuites', name=report['title'], tests=suite.get('tests'), failures=suite.get('failures'), errors='0')
    suites.append(suite)
    ET.indent(suites)
    return ET.tostring(suites, encoding='utf-8', xml_declaration=True) + b'\n'


def summary_lines(report: dict, paths: dict | None = None) -> list:
    """A short table: one line per status with its count and the first hosts, then failures and report paths."""
    servers = report['servers']
    lines = [f'{report["title"]}: {report["mode"]} of {len(servers)} servers at {report["generated"]}']
    lines += comparison_lines(report, SUMMARY_HOSTS)
    lines.append(f'{"status":<16}{"count":>5}  servers')
    for status in SEVERITY:
        hosts = [s['host'] for s in servers if s['status'] == status]
        shown = ', '.join(hosts[:SUMMARY_HOSTS]) + (f' and {len(hosts) - SUMMARY_HOSTS} more' if len(hosts) > SUMMARY_HOSTS else '')
        lines.append(f'{status:<16}{len(hosts):>5}  {shown}'.rstrip())
    if report.get('kbs'):
        lines += matrix_lines(report['kbs'])
    failed = [s['host'] for s in servers if s['failed']]
    if failed:
        lines.append(f'failed hosts: {len(failed)} ({", ".join(failed[:SUMMARY_HOSTS])}{" ..." if len(failed) > SUMMARY_HOSTS else ""})')
    sent = [s['host'] for s in servers if s['failed'] and s.get('write_sent')]
    if sent:
        lines.append(f'failed after a write was sent: {len(sent)} ({", ".join(sent[:SUMMARY_HOSTS])}{" ..." if len(sent) > SUMMARY_HOSTS else ""}); '
                     'their backups are listed in the report')
    pending = [s['host'] for s in servers if s.get('restart_required')]
    if pending:
        lines.append(f'{RESTART_PENDING}: {len(pending)} ({", ".join(pending[:SUMMARY_HOSTS])}{" ..." if len(pending) > SUMMARY_HOSTS else ""})')
    for name, path in (paths or {}).items():
        lines.append(f'{name} report: {path}')
    return lines


def render_html(report: dict) -> str:
    """A self-contained page (inline CSS, no scripts or external assets); every value is HTML-escaped."""
    rows = sorted(report['servers'], key=lambda s: (SEVERITY.index(s['status']), s['host']))
    return _TEMPLATE.render(report=report, rows=rows, severity=SEVERITY, labels=LABELS, value_text=value_text, versions_text=versions_text,
                            RESTART_PENDING=RESTART_PENDING)


def _junit_failure(server: dict, mode: str):
    if server['error']:
        return server['error_kind'] or 'error', server['error']
    if server.get('regressed'):
        # A regression fails the test case whatever the mode, even when the server merely needs the change again.
        return 'regression', (f'regressed: was {server["previous_status"]} in the previous report, now {server["status"]}: '
                              + '; '.join(server['reasons']))
    if server['status'] == 'blocked':
        return 'blocked', 'prerequisites of KB Q294406 are not met: ' + '; '.join(server['reasons'])
    if server['status'] == 'needs_change' and mode == 'audit':
        return 'needs_change', '; '.join(server['reasons'])
    return None


def _junit_details(server: dict) -> str:
    store = server['versions']['store_exe'] or 'unknown'
    lines = [f'status: {server["status"]}', f'versions: {versions_text(server["versions"])}, Store.exe {store}',
             f'before: {value_text(server["before"])}', f'after: {value_text(server["after"])}']
    if server['backup_file']:
        lines.append(f'backup: {server["backup_file"]}')
    if server.get('write_sent') and server['failed']:
        lines.append('write sent: yes, before the failure (check the value on the server; the backup holds its prior state)')
    if server.get('decided_by'):
        lines.append(f'decided by: {server["decided_by"]}')
    if server.get('restart_required'):
        lines.append(RESTART_PENDING)
    return '\n'.join(lines)


def _value_record(value):
    """A value as the report shows it: data capped at MAX_SHOWN characters (``truncated`` and the full ``length``
    say so) and characters XML cannot hold shown as [U+XXXX]; the backup keeps the whole value."""
    if not (isinstance(value, dict) and 'type' in value and 'data' in value):
        return None
    data = value['data']
    record = {'type': shown(str(value['type'])), 'data': data}
    if isinstance(data, str):
        record['data'] = shown(data)
        length = len(data)
    elif isinstance(data, list):
        items, used = [], 0
        for item in data:
            text = str(item)
            if used + len(text) > MAX_SHOWN:
                items.append(shown(text[:max(0, MAX_SHOWN - used)]))
                break
            items.append(shown(text, limit=None))
            used += len(text)
        record['data'] = items
        length = sum(len(str(item)) for item in data)
    else:
        return record
    if length > MAX_SHOWN:
        record.update(truncated=True, length=length)
    return record


def shown(text, limit: int | None = MAX_SHOWN) -> str:
    """``text`` as every report format can hold it: characters XML 1.0 cannot carry become ``[U+XXXX]`` and
    anything past ``limit`` characters is cut, saying how long it was."""
    text = str(text)
    cut = ''
    if limit is not None and len(text) > limit:
        cut = f' [... {len(text) - limit} more characters not shown; {len(text)} in all]'
        text = text[:limit]
    return _NOT_XML.sub(lambda match: f'[U+{ord(match.group()):04X}]', text) + cut


def _one_line(text) -> str:
    return ' '.join(str(text).split())


_ENVIRONMENT = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
_ENVIRONMENT.filters.update(basename=os.path.basename, dirname=os.path.dirname)
_TEMPLATE = _ENVIRONMENT.from_string('''<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ report.title }} - {{ report.mode }} - {{ report.generated }}</title>
<style>
:root { --ink: #1f2933; --muted: #616e7c; --line: #d9e2ec; --panel: #f5f7fa;
  --compliant: #1e7a46; --changed: #1f5fbf; --needs_change: #b25e00; --not_applicable: #616e7c; --blocked: #b3261e; --error: #7a1e6b; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 28px 40px; font: 14px/1.45 "Segoe UI", "DejaVu Sans", Arial, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; justify-content: space-between; align-items: flex-end; gap: 24px; border-bottom: 3px solid var(--ink); padding-bottom: 12px; }
h1 { margin: 0; font-size: 22px; }
.sub { margin: 4px 0 0; color: var(--muted); }
.mode { display: inline-block; padding: 3px 10px; border-radius: 4px; font-weight: 600; font-size: 12px; letter-spacing: .05em;
  text-transform: uppercase; background: var(--ink); color: #fff; }
.meta { text-align: right; color: var(--muted); font-size: 13px; white-space: nowrap; line-height: 1.6; }
.cards { display: grid; grid-template-columns: repeat(7, minmax(0, 1fr)); gap: 10px; margin: 18px 0 22px; }
.card { border: 1px solid var(--line); border-top: 4px solid var(--muted); border-radius: 6px; padding: 8px 12px; background: var(--panel); }
.card .n { font-size: 26px; font-weight: 700; line-height: 1.1; }
.card .l { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.card.total { border-top-color: var(--ink); background: #fff; }
{% for status in severity %}
.card.{{ status }} { border-top-color: var(--{{ status }}); } .card.{{ status }} .n { color: var(--{{ status }}); }
.badge.{{ status }} { background: var(--{{ status }}); }
{% endfor %}
.card.zero .n { color: #9aa5b1; }
table { width: 100%; border-collapse: collapse; table-layout: fixed; }
th, td { padding: 7px 9px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top;
  overflow-wrap: anywhere; word-break: break-word; }
th { background: var(--panel); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  border-bottom: 2px solid var(--line); }
tbody tr:nth-child(even) { background: #fbfcfd; }
col.host { width: 13%; } col.status { width: 10%; } col.versions { width: 15%; }
col.value { width: 19%; } col.backup { width: 17%; } col.detail { width: 26%; }
.badge { display: inline-block; padding: 2px 8px; border-radius: 10px; color: #fff; font-size: 12px; font-weight: 600; white-space: nowrap; }
.host { font-weight: 600; }
.small { color: var(--muted); font-size: 12px; }
code { font: 12px/1.4 Consolas, "DejaVu Sans Mono", monospace; background: var(--panel); padding: 1px 4px; border-radius: 3px; }
.arrow { color: var(--muted); }
ul { margin: 0; padding-left: 16px; }
.err { color: var(--error); }
.kind { display: inline-block; padding: 0 6px; border: 1px solid var(--error); border-radius: 3px; font-size: 11px; font-weight: 600;
  text-transform: uppercase; }
.pending { margin-bottom: 4px; color: var(--needs_change); font-weight: 600; }
.failed { display: inline-block; margin-top: 4px; color: var(--blocked); font-size: 12px; font-weight: 600; }
.legend { display: grid; grid-template-columns: max-content 1fr max-content 1fr max-content 1fr; gap: 4px 10px; margin: 20px 0 0;
  padding: 10px 12px; background: var(--panel); border-radius: 6px; font-size: 12px; color: var(--muted); }
.legend dt { font-weight: 600; color: var(--ink); }
.legend dd { margin: 0; }
footer { margin-top: 12px; color: var(--muted); font-size: 12px; }
.since { margin: 14px 0 0; padding: 8px 12px; border: 1px solid var(--line); border-left: 4px solid var(--changed); border-radius: 6px; }
.since.regressed { border-left-color: var(--blocked); }
.since h2 { margin: 0 0 6px; font-size: 14px; }
.since dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 0; font-size: 13px; }
.since dt { font-weight: 600; } .since dt.bad { color: var(--blocked); } .since dd { margin: 0; }
.since .chg { display: inline-block; margin-right: 12px; }
.regressed-flag { display: inline-block; margin-top: 4px; color: var(--blocked); font-size: 12px; font-weight: 600; }
</style>
</head>
<body>
<header>
  <div>
    <h1>{{ report.title }}</h1>
{% if report.kbs %}
    <p class="sub">Microsoft Exchange Server 5.5 &middot; {{ report.kbs.ids | length }} KB articles: {{ report.kb }}</p>
{% else %}
    <p class="sub">Microsoft Exchange Server 5.5 &middot; <code>OWA Url Protocol</code> = REG_SZ <code>https:</code>
      under <code>HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate</code></p>
{% endif %}
  </div>
  <div class="meta"><span class="mode">{{ report.mode }}</span><br>{{ report.generated | replace('T', ' ') | replace('Z', ' UTC') }}<br>
    {{ report.totals.servers }} servers, {{ report.totals.changed }} {{ 'would change' if report.mode == 'audit' else 'changed' }},
    {{ report.totals.failed }} failed</div>
</header>
{% set comparison = report.comparison or {} %}
<section class="since{{ ' regressed' if comparison.regressed }}" aria-label="Since the previous report">
{% if comparison.baseline %}
  <h2>Since the {{ comparison.baseline.mode }} of {{ comparison.baseline.generated | replace('T', ' ') | replace('Z', ' UTC') }}
{% for update in comparison.baseline.updated_by %}
    and the {{ update.mode }} of {{ update.generated | replace('T', ' ') | replace('Z', ' UTC') }}
{% endfor %}</h2>
  <dl>
    <dt class="bad">Regressed ({{ comparison.regressed | length }})</dt>
    <dd>{% for c in comparison.regressed %}<span class="chg"><b>{{ c.host }}</b> {{ c.before }} &rarr; {{ c.now }}</span>{% else %}none{% endfor %}</dd>
    <dt>Newly fixed ({{ comparison.newly_fixed | length }})</dt>
    <dd>{% for c in comparison.newly_fixed %}<span class="chg"><b>{{ c.host }}</b> {{ c.before }} &rarr; {{ c.now }}</span>{% else %}none{% endfor %}</dd>
    <dt>Appeared ({{ comparison.appeared | length }})</dt><dd>{{ comparison.appeared | join(', ') or 'none' }}</dd>
    <dt>Disappeared ({{ comparison.disappeared | length }})</dt><dd>{{ comparison.disappeared | join(', ') or 'none' }}</dd>
    <dt>Status changes ({{ comparison.status_changes | length }})</dt>
    <dd>{% for c in comparison.status_changes %}<span class="chg"><b>{{ c.host }}</b> {{ c.before }} &rarr; {{ c.now }}</span>{% else %}none{% endfor %}</dd>
  </dl>
{% else %}
  <h2>No earlier {{ report.mode }} report in this directory: nothing to compare with</h2>
{% endif %}
{% if comparison.unreadable %}
  <p class="small">Not read (not valid JSON): {{ comparison.unreadable | map('basename') | join(', ') }}</p>
{% endif %}
</section>
<section class="cards" aria-label="Summary by status">
  <div class="card total"><div class="n">{{ report.totals.servers }}</div><div class="l">Servers</div></div>
{% for status in severity %}
  <div class="card {{ status }}{{ ' zero' if not report.counts[status] }}"><div class="n">{{ report.counts[status] }}</div>
    <div class="l">{{ labels[status] }}</div></div>
{% endfor %}
</section>
{% if report.kbs %}
<table class="kbs" aria-label="Servers by KB">
  <thead><tr><th>Server</th>{% for kb in report.kbs.ids %}<th>{{ kb }}</th>{% endfor %}</tr></thead>
  <tbody>
{% for row in report.kbs.rows %}
    <tr><td><span class="host">{{ row.host }}</span></td>
{%- for kb in report.kbs.ids %}<td><span class="badge {{ row.statuses[kb] }}">{{ labels[row.statuses[kb]] }}</span></td>{% endfor %}</tr>
{% endfor %}
  </tbody>
</table>
{% endif %}
<table>
  <colgroup><col class="host"><col class="status"><col class="versions">
    {%- if not report.kbs %}<col class="value">{% endif %}<col class="backup"><col class="detail"></colgroup>
  <thead><tr><th>Server</th><th>Status</th><th>Versions</th>
{% if not report.kbs %}
    <th>OWA Url Protocol<br>before &rarr; {{ 'planned' if report.mode == 'audit' else 'after' }}</th>
{% endif %}
    <th>Backup</th><th>Reasons / error</th></tr></thead>
  <tbody>
{% for s in rows %}
    <tr>
      <td><span class="host">{{ s.host }}</span>
        {% if s.transport %}<br><span class="small">{{ s.transport }}</span>{% endif %}</td>
      <td><span class="badge {{ s.status }}">{{ labels[s.status] }}</span>
        {% if s.failed %}<br><span class="failed">host failed</span>{% endif %}
        {% if s.regressed %}<br><span class="regressed-flag">regressed (was {{ s.previous_status }})</span>{% endif %}</td>
      <td>
{% if s.status == 'error' and not s.versions.exchange %}
        <span class="small">not read</span>
{% else %}
        {{ versions_text(s.versions) }}<br><span class="small">Store.exe {{ s.versions.store_exe or 'not read' }}</span>
{% if s.decided_by %}
        <br><span class="small">decided by: {{ s.decided_by }}</span>
{% endif %}
{% endif %}
      </td>
{% if not report.kbs %}
      <td>
{% if s.status == 'error' and not s.before and not s.after %}
        <span class="small">not read</span>
{% elif s.before != s.after %}
        <code>{{ value_text(s.before) }}</code><br><span class="arrow">&rarr;</span> <code>{{ value_text(s.after) }}</code>
{% else %}
        <code>{{ value_text(s.before) }}</code><br><span class="small">unchanged</span>
{% endif %}
      </td>
{% endif %}
      <td>
{% if s.backup_file %}
        <code>{{ s.backup_file | basename }}</code><br><span class="small">in {{ s.backup_file | dirname }}</span>
{% else %}
        <span class="small">none</span>
{% endif %}
      </td>
      <td>
{% if s.error %}
        <div class="err">{% if s.error_kind %}<span class="kind">{{ s.error_kind }}</span> {% endif %}{{ s.error }}</div>
{% if s.write_sent %}
        <div class="failed">a write was sent before this failure</div>
{% endif %}
{% endif %}
{% if s.restart_required %}
        <div class="pending">{{ RESTART_PENDING }}</div>
{% endif %}
{% if s.reasons %}
        <ul>{% for reason in s.reasons %}<li>{{ reason }}</li>{% endfor %}</ul>
{% endif %}
      </td>
    </tr>
{% endfor %}
  </tbody>
</table>
<dl class="legend">
  <dt>Compliant</dt><dd>the value is REG_SZ <code>https:</code></dd>
  <dt>Needs change</dt><dd>the KB applies and the value differs</dd>
  <dt>Changed</dt><dd>this run set the value</dd>
  <dt>Blocked</dt><dd>a prerequisite is missing or unknown; nothing is written</dd>
  <dt>Not applicable</dt><dd>no Exchange 5.5, or OWA is not SSL only</dd>
  <dt>Error</dt><dd>the server could not be evaluated</dd>
</dl>
<footer>{{ report.schema }} v{{ report.schema_version }} &middot; legacy_exchange.exchange55 &middot;
{% if report.mode == 'audit' %}
  Audit (check mode): nothing was changed; "planned" is what a real run would write.
{% else %}
  Apply: values marked changed were written and read back from the server.
{% endif %}
</footer>
</body>
</html>
''')


# ------------------------------------------------------------------ writing the files
_RENDER = {'json': lambda report: render_json(report).encode('utf-8'),
           'html': lambda report: render_html(report).encode('utf-8'),
           'junit': render_junit}
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$')


def check_report_settings(dest: str, name: str | None) -> str:
    """Raise a one-line ValueError unless a report could be written to ``dest`` under ``name``; return the
    directory.  Nothing is created."""
    if name is not None and not _NAME.match(name):
        raise ValueError(f'name {name!r} must be a plain file name (letters, digits, ".", "_", "-"), without a directory or extension')
    directory = resolve_path(dest)
    probe = nearest_existing(directory)
    if not os.path.isdir(probe):
        raise ValueError(f'the report directory {directory} cannot be used: {probe} is a file, not a directory; choose another dest')
    if not os.access(probe, os.W_OK | os.X_OK):
        raise ValueError(f'the report directory {directory} is not writable ({probe} refuses new files); choose another dest')
    return directory


def write_report(report: dict, dest: str, name: str | None, formats: list, now: datetime.datetime) -> dict:
    """Write each format as ``<dest>/<name><ext>`` (owner-only, atomically); return {format: path}.

    Without ``name`` the stem is ``q294406-<mode>-<UTC time>`` (``kb-...`` for a report of kb results), with ``-2``, ``-3``... added
    if a report of that second exists already, so no earlier report is overwritten.
    """
    directory = check_report_settings(dest, name)
    os.makedirs(directory, mode=0o750, exist_ok=True)
    formats = list(dict.fromkeys(formats))
    stem = name
    if stem is None:
        base = f'{"kb" if report.get("kbs") else "q294406"}-{report["mode"]}-{now.strftime("%Y%m%dT%H%M%SZ")}'
        stem, number = base, 1
        while any(os.path.exists(os.path.join(directory, stem + EXTENSIONS[fmt])) for fmt in formats):
            number += 1
            stem = f'{base}-{number}'
    paths = {}
    for fmt in formats:
        paths[fmt] = os.path.join(directory, stem + EXTENSIONS[fmt])
        atomic_write(paths[fmt], _RENDER[fmt](report))
    return paths
