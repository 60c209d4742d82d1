#!/usr/bin/python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: fleet_report
short_description: Write the KB Q294406 fleet report (JSON, HTML, JUnit) from every host's result
version_added: 0.1.0
description:
  - Builds one report for a whole fleet from the results that M(legacy_exchange.exchange55.owa_url_protocol) or
    M(legacy_exchange.exchange55.server_info) returned for each host. It writes the report on the controller.
  - V(json) is machine readable. Its schema is stable and versioned (C(schema_version)). It is described in the
    collection's C(docs/report.md).
  - V(html) is a self-contained page with inline CSS, a summary by status and one row per server. The row shows the
    versions, the value before and after, the backup file and the reasons or the error.
  - V(junit) is JUnit XML with one test case per server, for CI systems. A server fails its test case when it is
    C(blocked), when its task failed, or, in audit mode, when it needs a change. A C(not_applicable) server is skipped.
  - It also returns a short summary table as lines, and the hosts that must fail.
  - Each report compares itself with the previous report of the same mode in O(dest), updated by the reports of the
    other mode written after it, and names the servers that regressed, were newly fixed, appeared or disappeared, and
    every status change (RV(comparison); at the top of the HTML, in the summary, and in the JSON). In JUnit a regressed
    server fails, in either mode.
  - Run it once per play (C(run_once=true)). The role C(legacy_exchange.exchange55.q294406) shows how.
  - A result registered with C(failed_when=false) still counts as failed, because the modules return C(msg) only when
    they fail. A host without a result (skipped, or removed from the play before) gets the status C(error).
author:
  - legacy_exchange.exchange55 contributors (@legacy-exchange)
requirements:
  - Jinja2 on the controller (ansible-core's own dependency; nothing to install)
extends_documentation_fragment:
  - legacy_exchange.exchange55.attributes
attributes:
  check_mode:
    support: full
    description: The report is written in check mode too. It is the output of an audit, not a change to a server.
  diff_mode:
    support: none
    description: The module changes no managed system, so it has no diff.
  platform:
    support: full
    platforms: posix
    description: Writes files on the controller.
options:
  results:
    description:
      - The registered result of the audit or apply task, per inventory hostname.
      - A host whose value is V(null) or a skipped result is reported with the status C(error).
    type: dict
    required: true
  dest:
    description:
      - Directory on the controller for the report files. It is created if needed.
    type: path
    required: true
  mode:
    description:
      - V(audit) when the results come from check mode or from M(legacy_exchange.exchange55.server_info), V(apply)
        otherwise.
      - Defaults to V(audit) when the task runs in check mode, and to V(apply) otherwise.
    type: str
    choices: [audit, apply]
  name:
    description:
      - File name without extension. The files are C(<name>.json), C(<name>.html) and C(<name>.junit.xml).
      - Defaults to C(q294406-<mode>-<UTC time>), so every run keeps its own report.
      - A fixed name is useful for CI, which picks up the JUnit file from a known path. Files of that name are replaced.
    type: str
  formats:
    description: The report files to write.
    type: list
    elements: str
    choices: [json, html, junit]
    default: [json, html, junit]
  fail_on_blocked:
    description:
      - Count a C(blocked) server as a failed host. It is then listed in RV(failed_hosts) and marked failed in the report.
      - In JUnit a blocked server always fails its test case.
    type: bool
    default: false
  title:
    description: Title of the report.
    type: str
    default: KB Q294406 - OWA Url Protocol
  check_only:
    description:
      - Only check that the report could be written (a valid O(name), and O(dest) a writable directory or one that can
        be created), write nothing, and fail with one line if not. The role runs this before any host is touched, so
        that bad report settings never leave servers changed without a report.
    type: bool
    default: false
notes:
  - No password is in the module results, and the report copies only documented fields of them, so the report holds no
    secrets. The files are readable by their owner only.
seealso:
  - module: legacy_exchange.exchange55.owa_url_protocol
  - module: legacy_exchange.exchange55.server_info
'''

EXAMPLES = r'''
- name: Audit or apply on every host; every host reaches the report
  legacy_exchange.exchange55.owa_url_protocol:
    backup: true
  register: q294406_result
  failed_when: false

- name: Write one report for the fleet
  legacy_exchange.exchange55.fleet_report:
    results: "{{ dict(ansible_play_hosts_all | zip(ansible_play_hosts_all | map('extract', hostvars) | map(attribute='q294406_result', default=None))) }}"
    dest: /var/lib/exchange55/reports
  register: q294406_report
  run_once: true
  delegate_to: localhost

- name: Show the summary
  ansible.builtin.debug:
    msg: "{{ q294406_report.summary }}"
  run_once: true

- name: Fail the hosts that failed, now that the report is written
  ansible.builtin.fail:
    msg: "{{ q294406_report.failed_hosts[inventory_hostname] }}"
  when: inventory_hostname in q294406_report.failed_hosts
'''

RETURN = r'''
paths:
  description: Path of each report file written, by format.
  returned: success
  type: dict
  sample: {json: /var/lib/exchange55/reports/q294406-apply-20261128T101500Z.json,
           html: /var/lib/exchange55/reports/q294406-apply-20261128T101500Z.html,
           junit: /var/lib/exchange55/reports/q294406-apply-20261128T101500Z.junit.xml}
summary:
  description: A short summary table, one line per status with its count and first servers, then the report paths.
  returned: success
  type: list
  elements: str
  sample:
    - 'KB Q294406 - OWA Url Protocol: apply of 3 servers at 2026-11-28T10:15:00Z'
    - 'status          count  servers'
    - 'changed             1  exsrv02'
counts:
  description: Number of servers per status, every status included (also C(error), for hosts without an evaluation).
  returned: success
  type: dict
  sample: {compliant: 1, needs_change: 0, changed: 1, not_applicable: 0, blocked: 1, error: 0}
totals:
  description: Number of servers, of changed servers, and of failed hosts.
  returned: success
  type: dict
  sample: {servers: 3, changed: 1, failed: 0}
failed_hosts:
  description: The hosts that failed, with a one-line reason; in the role, exactly the hosts that failed at their module task.
  returned: success
  type: dict
  sample: {exsrv09: 'exsrv09 (winrm http://10.0.0.9:5985): authentication failed; check ansible_user and ansible_password for this host'}
mode:
  description: The mode of the report, V(audit) or V(apply).
  returned: success
  type: str
  sample: apply
comparison:
  description:
    - What changed since the previous report of the same mode in O(dest), updated by the reports of the other mode
      written after it, as in the JSON report (C(docs/report.md) describes every field).
    - RV(comparison.baseline) is null for the first report of a mode in O(dest).
  returned: success
  type: dict
  contains:
    baseline:
      description: The previous report (C(report), C(mode), C(generated)) and the reports that updated it (C(updated_by)).
      type: dict
    regressed:
      description: Servers that were compliant and now need the change or are blocked (C(host), C(before), C(now), ...).
      type: list
      elements: dict
    newly_fixed:
      description: Servers that are compliant now and were not.
      type: list
      elements: dict
    appeared:
      description: Hosts in this report and not in the baseline.
      type: list
      elements: str
    disappeared:
      description: Hosts in the baseline and not in this report.
      type: list
      elements: str
    status_changes:
      description: Every server whose status differs from the state the baseline left it in (C(host), C(before), C(now)).
      type: list
      elements: dict
    unreadable:
      description: Report files of O(dest) that are not valid JSON, skipped.
      type: list
      elements: str
  sample:
    baseline: {report: /var/lib/exchange55/reports/q294406-audit-20261121T101500Z.json, mode: audit,
               generated: '2026-11-21T10:15:00Z', updated_by: []}
    regressed: [{host: exsrv02, before: compliant, now: needs_change, since: '2026-11-21T10:15:00Z',
                 report: /var/lib/exchange55/reports/q294406-audit-20261121T101500Z.json,
                 reasons: [OWA Url Protocol is absent]}]
    newly_fixed: []
    appeared: []
    disappeared: []
    status_changes: [{host: exsrv02, before: compliant, now: needs_change, since: '2026-11-21T10:15:00Z',
                      report: /var/lib/exchange55/reports/q294406-audit-20261121T101500Z.json}]
    unreadable: []
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.legacy_exchange.exchange55.plugins.module_utils._spec import controller_only

ARGUMENT_SPEC = dict(
    results=dict(type='dict', required=True),
    dest=dict(type='path', required=True),
    mode=dict(type='str', choices=['audit', 'apply']),
    name=dict(type='str'),
    formats=dict(type='list', elements='str', choices=['json', 'html', 'junit'], default=['json', 'html', 'junit']),
    fail_on_blocked=dict(type='bool', default=False),
    title=dict(type='str', default='KB Q294406 - OWA Url Protocol'),
    check_only=dict(type='bool', default=False),
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=controller_only('fleet_report'))


if __name__ == '__main__':
    main()
