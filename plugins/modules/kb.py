#!/usr/bin/python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: kb
short_description: Audit and apply Exchange Server 5.5 KB registry fixes from the collection's KB catalog
version_added: 0.2.0
description:
  - Audits one or more Microsoft Knowledge Base fixes on an Exchange Server 5.5 server, and applies the ones that are
    needed. It does this for all of them in one task and one remote session.
  - Each fix is an entry of the collection's KB catalog (C(docs/catalog.md)). An entry states what the fix applies to
    (Exchange 5.5, a minimum service pack, binaries with minimum file versions, an installed component), its
    condition, the registry values it sets, and the restart it asks for. Each of these is quoted from the article.
  - Each KB gets the statuses of M(legacy_exchange.exchange55.owa_url_protocol). They are V(compliant),
    V(needs_change), V(changed), V(not_applicable) and V(blocked), with reasons.
  - A KB whose condition cannot be read from the server is V(blocked) until the condition is declared in O(params),
    for example whether cc:Mail 8.01 clients are in use for Q195203. Such a KB is never skipped or applied silently.
  - A V(not_applicable) KB is reported and left alone. A V(blocked) KB is not written either. When it has values to
    change, the task fails with C(error_kind=blocked) and one line that names each such KB with its reasons, as
    M(legacy_exchange.exchange55.owa_url_protocol) fails on a blocked server. The other KBs of the task are still
    audited and applied first. O(fail_on_blocked=false) only reports them, and O(ignore_prerequisites=true) writes them.
  - The identification of the server and every key and file that the KBs name are read once, however many KBs the
    task lists.
  - Writes go through the same pipeline as M(legacy_exchange.exchange55.owa_url_protocol). That covers check mode,
    the diff, the backup of the key before the write (O(backup)), and the read-back after it. A mismatch fails the
    task and stops any further writes.
  - The module is an action plugin. It runs on the controller and talks to the server over WS-Management/WMI
    (O(transport=winrm)) or SMB (O(transport=smb)). Nothing is copied to or run on the server, and no PowerShell is
    needed.
author:
  - legacy_exchange.exchange55 contributors (@legacy-exchange)
extends_documentation_fragment:
  - legacy_exchange.exchange55.connection
  - legacy_exchange.exchange55.owa
  - legacy_exchange.exchange55.registry_key.BACKUP
  - legacy_exchange.exchange55.attributes
attributes:
  check_mode:
    support: full
    description: In check mode the module audits. It reports exactly what a real run would change, and writes nothing.
  diff_mode:
    support: full
    description: The diff has one entry per value to change. Each entry names the key, the value, and its type and data before and after.
  platform:
    support: full
    platforms: windows
    description: Targets Windows NT 4.0, Windows 2000 (O(transport=smb)) or WinRM-enabled hosts (O(transport=winrm)).
options:
  ids:
    description:
      - The KB articles to audit and apply, in order, for example V(Q294406). The catalog has V(Q294406), V(Q243581),
        V(Q195203), V(Q285023), V(Q192593), V(Q223161), V(Q194131), V(Q258745), V(Q157420), V(Q185693) and V(Q247654).
        C(docs/catalog.md) describes each of them.
      - An id that is not in the catalog fails the task before it connects.
    type: list
    elements: str
    required: true
  params:
    description:
      - "Parameters per KB, as C({KB id: {name: value}})."
      - "A fix whose data is the administrator's choice has no default. An example is Q285023's C(EnableTTL), which is
        V(0) or V(1). It needs its parameter (C(Q285023: {enable_ttl: 1})), or the task fails before it connects and
        says which values there are. A range works the same way, for example C(Q247654: {ver_pages: 2000})."
      - "A condition that cannot be read from the server is declared here as V(true) or V(false). Examples are
        C(Q195203: {ccmail_801_clients: true}) and C(Q294406: {owa_ssl_only: true}). Q294406's condition also comes
        from O(owa_ssl_required)."
    type: dict
    default: {}
  ignore_prerequisites:
    description:
      - Write a V(blocked) KB's values even though a prerequisite is missing or could not be determined. That covers the
        Exchange release or service pack (too low, conflicting or unknown), a binary's version (older, missing or
        unreadable), and refused reads of these.
      - It never writes a V(not_applicable) KB.
      - It does not override the KB's condition. A condition that cannot be checked remotely stays V(blocked) until it is
        declared in O(params), and so does a condition that could not be read. Only the administrator knows whether the
        fix applies at all. Q294406's condition (OWA SSL only) is declared with O(owa_ssl_required). Unlike
        M(legacy_exchange.exchange55.owa_url_protocol), an OWA page that could not be probed is not overridden.
      - A KB whose key could not be read is never written either, because the prior state of its values is unknown.
    type: bool
    default: false
    version_added: 0.2.0
  fail_on_blocked:
    description:
      - Fail the task (C(error_kind=blocked)) when a V(blocked) KB has values to change and is not written, in check mode
        too. The message names each such KB with its reasons.
      - V(false) only reports such KBs, with their status and reasons. The role C(legacy_exchange.exchange55.kb_remediation)
        treats a refused KB as a finding in its report, unless C(kb_remediation_fail_on_blocked) is set.
    type: bool
    default: true
    version_added: 0.2.0
  restart_services:
    description:
      - After all the changes of the host (not in check mode), restart the services that the changed KBs' articles ask
        for (RV(kb.restart_services)). Each service is restarted once, however many KBs ask for it. They are stopped in
        the reverse of Exchange's start order (System Attendant, Directory, Information Store, MTA, then the others in
        the order the KBs list them) and then started in that order. The module waits for each one.
      - A service that is not running (stopped on purpose, paused) is left as it is. The KB keeps
        RV(kb.restart_required=true), and RV(kb.restart_note) says why.
      - A restart disconnects the clients of the service, so it is off by default.
    type: bool
    default: false
    version_added: 0.2.0
  restart_timeout:
    description:
      - Seconds to wait for each service to stop, and then to start, when O(restart_services=true).
    type: int
    default: 300
    version_added: 0.2.0
  restore_from:
    description:
      - Paths of C(.json) records written by O(backup=true) (RV(kb.backups)). Each value is put back exactly as it was
        before that change, with the same type and data, or removed if it was absent. The same pipeline is used, with
        check mode, the diff, a backup with O(backup=true), and the read-back.
      - Each record must belong to this host and to a value that a KB in O(ids) changes (see O(restore_skip_unrelated)).
        The KBs are audited after the restore; the prerequisite checks do not apply to the restore itself.
      - Of several records of one value, only the newest (the record's C(created) time) is restored, so the value gets
        back the state it had before its last recorded change. The lookup
        P(legacy_exchange.exchange55.backup_records#lookup) with C(want=all) lists every record of a host.
      - The value's name is written back as the record spells it (C(value_name), the server's spelling at backup time).
        Windows matches value names in any case but keeps the stored spelling, so a value now held under another case is
        deleted and written again under the recorded name. The apply itself writes under the name the server holds.
      - A REG_EXPAND_SZ prior value backed up over WinRM was returned by the server with its environment variables
        already expanded (StdRegProv cannot return the stored text), so it cannot be restored exactly. The restore
        refuses it (C(error_kind=not_restorable)) unless O(restore_expanded=true). The result's RV(restore_exact) says
        whether a restore was exact.
      - With O(restart_services=true), the services of the KBs whose values the restore changed are restarted afterwards.
    type: list
    elements: path
  restore_skip_unrelated:
    description:
      - With O(restore_from), leave out the records of values that none of the KBs in O(ids) changes, instead of failing
        the task. Records written by M(legacy_exchange.exchange55.registry) for other keys are an example.
      - The rollback of the role C(legacy_exchange.exchange55.kb_remediation) sets it, because it passes every record of a
        host.
    type: bool
    default: false
    version_added: 0.2.0
  restore_expanded:
    description:
      - With O(restore_from), write a REG_EXPAND_SZ prior value that the server returned expanded, as that expanded text
        (still as REG_EXPAND_SZ). The result then says RV(restore_exact=false).
    type: bool
    default: false
    version_added: 0.2.0
notes:
  - Without O(restart_services), the module restarts nothing. A change to a KB that asks for a restart returns
    RV(kb.restart_required=true) with the services to restart.
  - "Least privilege: the account needs to read C(HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup), the service keys and the
    files of the KBs. It also needs to set values under the keys that the KBs change."
seealso:
  - module: legacy_exchange.exchange55.owa_url_protocol
  - module: legacy_exchange.exchange55.server_info
'''

EXAMPLES = r'''
- name: Audit four KBs (run the play with --check)
  legacy_exchange.exchange55.kb:
    ids: [Q294406, Q243581, Q195203, Q285023]
    params:
      Q195203: {ccmail_801_clients: true}
      Q285023: {enable_ttl: 1}
  register: kbs

- name: Apply Q243581 over SMB with a backup of each key before it changes
  legacy_exchange.exchange55.kb:
    ids: [Q243581]
    transport: smb
    backup: true
  register: q243581

- name: Apply Q243581 on a server whose service pack could not be read, then restart the Information Store
  legacy_exchange.exchange55.kb:
    ids: [Q243581]
    ignore_prerequisites: true
    restart_services: true

- name: Put the values back as they were before that change
  legacy_exchange.exchange55.kb:
    ids: [Q243581]
    transport: smb
    restore_from: "{{ q243581.kb.Q243581.backups | map(attribute='backup_record') }}"

- name: Undo the last change of each value of two KBs, from every backup record of the host
  legacy_exchange.exchange55.kb:
    ids: [Q243581, Q285023]
    params:
      Q285023: {enable_ttl: 1}
    restore_from: "{{ query('legacy_exchange.exchange55.backup_records', inventory_hostname, want='all') }}"
    restore_skip_unrelated: true
'''

RETURN = r'''
kb:
  description:
    - One entry per KB id in O(ids), after the task.
  returned: success
  type: dict
  contains:
    status:
      description: V(compliant), V(needs_change) (in check mode), V(changed), V(not_applicable) or V(blocked).
      type: str
      sample: needs_change
    reasons:
      description: Short human-readable reasons.
      type: list
      elements: str
      sample: ['EnableTTL is not set; must be REG_DWORD 1']
    condition:
      description:
        - V(true), V(false), V(null) when it could not be read, or V(not_checkable) when it cannot be read from the
          server and was not declared in O(params).
      type: raw
      sample: true
    prerequisites:
      description: Maps C(exchange_55), C(service_pack), each file name and C(readable) to V(true), V(false) or V(null).
      type: dict
    changes:
      description: The values that the KB changes (or, in check mode, would change), each with its C(key), C(name), C(before) and C(after).
      type: list
      elements: dict
    backups:
      description: The C(backup_file) and C(backup_record) of each change, with O(backup=true).
      type: list
      elements: dict
    restart_required:
      description:
        - V(true) when this run changed the KB's values and the article asks for a restart of RV(kb.restart_services),
          and they were not all restarted afterwards (see O(restart_services)).
      type: bool
    restarted:
      description: V(true) when every service of RV(kb.restart_services) was restarted after this run changed the KB's values.
      type: bool
    restart_note:
      description: Why a service of the KB was not restarted with O(restart_services=true), when it was not running.
      type: str
      returned: when a service was left as it was
    restart_services:
      description: The services the article asks to restart after the change.
      type: list
      elements: str
restored:
  description: With O(restore_from), each value restored, with its C(kb), C(key), C(name), C(before) and C(after).
  returned: with O(restore_from)
  type: list
  elements: dict
restart_required:
  description:
    - V(true) when any KB of the task has RV(kb.restart_required=true), or a restore changed a value of a KB that asks for
      a restart, and the services were not restarted afterwards.
  returned: success
  type: bool
restarted:
  description: V(true) when O(restart_services=true) restarted at least one service.
  returned: success
  type: bool
  sample: false
restart_note:
  description: Why some services were not restarted with O(restart_services=true), when they were not running.
  returned: when a service was left as it was
  type: str
restore_exact:
  description:
    - With O(restore_from), whether every value restored now holds exactly the recorded prior state (type and data).
      V(false) when O(restore_expanded=true) wrote an expanded REG_EXPAND_SZ.
  returned: with O(restore_from), when something was restored
  type: bool
  sample: true
reads:
  description: How many remote reads the audit sent, for all the KBs together.
  returned: success
  type: int
  sample: 14
server:
  description: The identification of the server (C(exchange)), as M(legacy_exchange.exchange55.server_info) returns it.
  returned: success
  type: dict
write_sent:
  description: V(true) once any write was sent to the server in this task, even if the task failed afterwards.
  returned: when a write was sent
  type: bool
error_kind:
  description:
    - On failure, the kind of failure. It is one of V(invalid_option) (checked before connecting), the connection
      kinds of M(legacy_exchange.exchange55.owa_url_protocol), V(blocked) (see O(fail_on_blocked)),
      V(read_back_mismatch), V(backup_failed) or V(not_restorable).
    - After a restart with O(restart_services=true) failed, the kind of that failure (for example V(timeout)); the
      values were written and verified.
  returned: failure
  type: str
transport:
  description: The transport used.
  returned: success
  type: str
  sample: winrm
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.legacy_exchange.exchange55.plugins.module_utils._spec import (
    BACKUP_ARGUMENT_SPEC,
    CONNECTION_ARGUMENT_SPEC,
    OWA_ARGUMENT_SPEC,
    controller_only,
)

ARGUMENT_SPEC = dict(
    ids=dict(type='list', elements='str', required=True),
    params=dict(type='dict', default={}),
    ignore_prerequisites=dict(type='bool', default=False),
    fail_on_blocked=dict(type='bool', default=True),
    restart_services=dict(type='bool', default=False),
    restart_timeout=dict(type='int', default=300),
    restore_from=dict(type='list', elements='path'),
    restore_skip_unrelated=dict(type='bool', default=False),
    restore_expanded=dict(type='bool', default=False),
    **BACKUP_ARGUMENT_SPEC,
    **OWA_ARGUMENT_SPEC,
    **CONNECTION_ARGUMENT_SPEC,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=controller_only('kb'))


if __name__ == '__main__':
    main()
