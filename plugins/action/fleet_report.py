# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Action plugin for legacy_exchange.exchange55.fleet_report: write the fleet report on the controller."""

from __future__ import annotations

import datetime

from ansible_collections.legacy_exchange.exchange55.plugins.modules.fleet_report import ARGUMENT_SPEC
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._action import ControllerAction
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import resolve_path
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report_history import load_baseline, remember
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._report import (
    SCHEMA,
    check_report_settings,
    build_report,
    failed_hosts,
    summary_lines,
    write_report,
)


class ActionModule(ControllerAction):

    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        mode = args['mode'] or ('audit' if self._task.check_mode else 'apply')
        now = datetime.datetime.now(datetime.timezone.utc)
        if args['check_only']:
            try:
                result.update(changed=False, dest=check_report_settings(args['dest'], args['name']))
            except ValueError as exc:
                result.update(failed=True, msg=f'the report could not be written, so no host was touched: {exc}')
            return result
        try:
            report = build_report(args['results'], mode, fail_on_blocked=args['fail_on_blocked'], title=args['title'], generated=now)
            # Compared with the earlier reports of the directory, read before this report's files replace any of them.
            remember(report, load_baseline(resolve_path(args['dest']), mode, SCHEMA))
            paths = write_report(report, args['dest'], args['name'], args['formats'], now)
        except ValueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        except OSError as exc:
            result.update(failed=True, msg=f'cannot write the report to {args["dest"]}: {exc.strerror or exc}; '
                                           'choose a writable directory (dest)')
            return result
        result.update(changed=False, mode=mode, paths=paths, counts=report['counts'], totals=report['totals'],
                      failed_hosts=failed_hosts(report), summary=summary_lines(report, paths), comparison=report['comparison'])
        return result
