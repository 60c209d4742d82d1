# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.fleet_report: write the fleet report on the controller."""

from __future__ import annotations

import datetime
import os
import re

from ansible_collections.legacy_exchange.exchange55.plugins.modules.fleet_report import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import ControllerAction
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import atomic_write
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import (
    EXTENSIONS,
    build_report,
    failed_hosts,
    render_html,
    render_json,
    render_junit,
    summary_lines,
)

_RENDER = {'json': lambda report: render_json(report).encode('utf-8'),
           'html': lambda report: render_html(report).encode('utf-8'),
           'junit': render_junit}
_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$')


class ActionModule(ControllerAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        mode = args['mode'] or ('audit' if self._task.check_mode else 'apply')
        now = datetime.datetime.now(datetime.timezone.utc)
        try:
            report = build_report(args['results'], mode, fail_on_blocked=args['fail_on_blocked'], title=args['title'], generated=now)
            paths = write_report(report, args['dest'], args['name'], args['formats'], now)
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        except OSError as exc:
            result.update(failed=True, msg=f'cannot write the report to {args["dest"]}: {exc.strerror or exc}; '
                                           'choose a writable directory (dest)')
            return result
        result.update(changed=False, mode=mode, paths=paths, counts=report['counts'], totals=report['totals'],
                      failed_hosts=failed_hosts(report), summary=summary_lines(report, paths))
        return result


def write_report(report: dict, dest: str, name: str | None, formats: list, now: datetime.datetime) -> dict:
    """Write each format as ``<dest>/<name><ext>`` (owner-only, atomically); return {format: path}.

    Without ``name`` the stem is ``q294406-<mode>-<UTC time>``, with ``-2``, ``-3``... added
    if a report of that second exists already, so no earlier report is overwritten.
    """
    if name is not None and not _NAME.match(name):
        raise ValueError(f'name {name!r} must be a plain file name (letters, digits, ".", "_", "-"), without a directory or extension')
    directory = os.path.abspath(os.path.expanduser(dest))
    os.makedirs(directory, mode=0o750, exist_ok=True)
    formats = list(dict.fromkeys(formats))
    stem = name
    if stem is None:
        base = f'q294406-{report["mode"]}-{now.strftime("%Y%m%dT%H%M%SZ")}'
        stem, number = base, 1
        while any(os.path.exists(os.path.join(directory, stem + EXTENSIONS[fmt])) for fmt in formats):
            number += 1
            stem = f'{base}-{number}'
    paths = {}
    for fmt in formats:
        paths[fmt] = os.path.join(directory, stem + EXTENSIONS[fmt])
        atomic_write(paths[fmt], _RENDER[fmt](report))
    return paths
