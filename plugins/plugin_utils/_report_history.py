# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The report that remembers: compare a fleet report with the earlier reports in its directory.

The baseline of a report is the previous report of the same mode in the same directory, updated by every report
of the other mode written after it: an apply after the last audit changed servers, so its outcome is the newer
state (the sequence audit -> apply -> a server regresses -> audit names that server).  Per server the baseline is
the state its newest such report *left* it in: ``changed`` (this run fixed it) left it ``compliant``.  The state a
run *found* a server in is its status, except that a server an apply ``changed`` was found ``needs_change``.

- regressed: left ``compliant`` by the baseline, found ``needs_change`` or ``blocked`` now (running Exchange's
  Performance Optimizer resets customised Exchange registry values: KB Q245235,
  https://github.com/jeffpar/kbarchive/blob/master/kb/245/Q245235/README.md);
- newly fixed: left in another state by the baseline, left ``compliant`` now;
- appeared / disappeared: in this report only / in the baseline only;
- status changes: every server whose status differs from the state the baseline left it in.

``load_baseline`` is the only function here that reads files; the rest is pure.
"""

from __future__ import annotations

import json
import os

COMPLIANT = 'compliant'
REGRESSION_STATES = ('needs_change', 'blocked')
OTHER_MODE = {'audit': 'apply', 'apply': 'audit'}


def left_state(status: str) -> str:
    """The state a run left a server in."""
    return COMPLIANT if status == 'changed' else status


def found_state(status: str) -> str:
    """The state a run found a server in."""
    return 'needs_change' if status == 'changed' else status


def load_baseline(directory: str, mode: str, schema: str) -> dict:
    """The reports of ``directory`` that make the baseline of a new ``mode`` report, newest first.

    Returns ``{'previous': (path, report) or None, 'updates': [(path, report), ...], 'unreadable': [path, ...]}``:
    the newest report of ``mode``, and the reports of the other mode written after it.  Files are taken newest
    first (modification time, then name) and read only until the previous report of the same mode is found, so
    a directory with a long history costs only the reports since then.  JSON files that are not fleet reports of
    ``schema`` are ignored; reports that cannot be read are listed under ``unreadable`` and skipped.
    """
    found = {'previous': None, 'updates': [], 'unreadable': []}
    try:
        names = [name for name in os.listdir(directory) if name.endswith('.json')]
    except FileNotFoundError:
        return found
    entries = []
    for name in names:
        path = os.path.join(directory, name)
        try:
            entries.append((os.stat(path).st_mtime_ns, name, path))
        except OSError:
            continue
    for _mtime, _name, path in sorted(entries, reverse=True):
        try:
            with open(path, encoding='utf-8') as handle:
                report = json.load(handle)
        except (OSError, ValueError):
            found['unreadable'].append(path)
            continue
        if not _is_report(report, schema):
            continue
        if report['mode'] == mode:
            found['previous'] = (path, report)
            break
        found['updates'].append((path, report))
    found['updates'].sort(key=lambda item: item[1].get('generated') or '', reverse=True)
    return found


def remember(report: dict, baseline: dict) -> dict:
    """Add what changed since ``baseline`` to ``report``: its ``comparison`` block, and per server
    ``previous_status`` (the state the baseline left it in, or None) and ``regressed``.  Returns ``report``."""
    known = _known_states(baseline)
    report['comparison'] = compare(report, baseline)
    regressed = set(regressed_hosts(report))
    for server in report['servers']:
        server['previous_status'] = (known.get(server['host']) or {}).get('state')
        server['regressed'] = server['host'] in regressed
    return report


def _updates_since(baseline: dict) -> list:
    """The other-mode reports written after the previous same-mode report, oldest first."""
    since = baseline['previous'][1].get('generated') or ''
    return sorted((u for u in baseline.get('updates') or [] if (u[1].get('generated') or '') >= since),
                  key=lambda item: item[1].get('generated') or '')


def _known_states(baseline: dict) -> dict:
    """{host: {state, report, generated, mode}}: the newest knowledge of each server in the baseline."""
    known = {}
    if baseline.get('previous') is None:
        return known
    # Start from the previous same-mode report, then apply the newer other-mode reports oldest first.
    for path, source in [baseline['previous']] + _updates_since(baseline):
        for server in source.get('servers') or []:
            if isinstance(server, dict) and isinstance(server.get('host'), str) and isinstance(server.get('status'), str):
                known[server['host']] = {'state': left_state(server['status']), 'report': path,
                                         'generated': source.get('generated'), 'mode': source.get('mode')}
    return known


def compare(report: dict, baseline: dict) -> dict:
    """The ``comparison`` block of ``report`` against ``baseline`` (what ``load_baseline`` returned)."""
    previous = baseline.get('previous')
    if previous is None:
        return {'baseline': None, 'regressed': [], 'newly_fixed': [], 'appeared': [], 'disappeared': [],
                'status_changes': [], 'unreadable': list(baseline.get('unreadable') or [])}
    previous_path, previous_report = previous
    since = previous_report.get('generated') or ''
    known = _known_states(baseline)
    current = {server['host']: server for server in report['servers']}
    regressed, fixed, changes = [], [], []
    for host, server in current.items():
        before = known.get(host)
        if before is None:
            continue
        status = server['status']
        change = {'host': host, 'before': before['state'], 'now': status, 'since': before['generated'],
                  'report': before['report']}
        if before['state'] == COMPLIANT and found_state(status) in REGRESSION_STATES:
            regressed.append(dict(change, reasons=list(server.get('reasons') or [])))
        elif before['state'] != COMPLIANT and left_state(status) == COMPLIANT:
            fixed.append(change)
        if status != before['state']:
            changes.append(change)
    updates = [{'report': path, 'mode': source.get('mode'), 'generated': source.get('generated')}
               for path, source in _updates_since(baseline)]
    return {
        'baseline': {'report': previous_path, 'mode': previous_report.get('mode'), 'generated': since,
                     'updated_by': updates},
        'regressed': regressed,
        'newly_fixed': fixed,
        'appeared': sorted(host for host in current if host not in known),
        'disappeared': sorted(host for host in known if host not in current),
        'status_changes': changes,
        'unreadable': list(baseline.get('unreadable') or []),
    }


def regressed_hosts(report: dict) -> list:
    """The hosts of ``report`` that regressed since its baseline."""
    return [entry['host'] for entry in (report.get('comparison') or {}).get('regressed') or []]


def comparison_lines(report: dict, limit: int = 6) -> list:
    """What changed since the baseline, as summary lines (the first ``limit`` hosts of each list)."""
    if 'comparison' not in report:
        return []  # built without looking at earlier reports
    comparison = report.get('comparison') or {}
    baseline = comparison.get('baseline')
    if not baseline:
        return [f'no earlier {report["mode"]} report in this directory: nothing to compare with']
    updated = ''.join(f' and the {u["mode"]} of {u["generated"]}' for u in baseline['updated_by'])
    lines = [f'since the {baseline["mode"]} of {baseline["generated"]}{updated}:']
    for key, label in (('regressed', 'regressed'), ('newly_fixed', 'newly fixed'), ('appeared', 'appeared'),
                       ('disappeared', 'disappeared'), ('status_changes', 'status changes')):
        items = comparison.get(key) or []
        names = [item if isinstance(item, str) else (item['host'] if key != 'status_changes'
                                                     else f'{item["host"]} {item["before"]} -> {item["now"]}')
                 for item in items]
        shown = ', '.join(names[:limit]) + (f' and {len(names) - limit} more' if len(names) > limit else '')
        lines.append(f'  {label:<15}{len(items):>4}  {shown}'.rstrip())
    return lines


def _is_report(report, schema: str) -> bool:
    return (isinstance(report, dict) and report.get('schema') == schema and report.get('mode') in OTHER_MODE
            and isinstance(report.get('servers'), list))
