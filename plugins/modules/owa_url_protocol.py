#!/usr/bin/python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: owa_url_protocol
short_description: Apply KB Q294406 (OWA Url Protocol) to an Exchange Server 5.5 server, idempotently
version_added: 0.1.0
description:
  - Ensures the REG_SZ value C(OWA Url Protocol) under
    C(HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeIS\ParametersPrivate) holds O(protocol) (C(https:)).
    KB Q294406 asks for it on Exchange 5.5 servers whose Outlook Web Access is SSL only, so that meeting request URLs
    sent to POP3 and IMAP clients start with C(https:).
  - Before it writes, it checks the KB's prerequisites. They are Exchange 5.5 with Service Pack 4, C(store.exe)
    5.5.2654.81 or later, and OWA set to SSL only. A server that misses one is not changed unless
    O(ignore_prerequisites=true).
  - A value of another type (for example REG_EXPAND_SZ C(https:)) is drift. It is rewritten as REG_SZ.
  - After a write the value is read back. If the server does not hold what was written, the task fails.
  - With O(backup=true), the whole C(ParametersPrivate) key is saved on the controller before any write. It is saved as
    a C(REGEDIT4) file that Windows NT 4.0's regedit imports, together with a JSON record of the value's prior state.
    O(restore_from) puts exactly that prior state back, including "absent".
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
    description: In check mode the module reports exactly what a real run would change, and writes nothing, backups included.
  diff_mode:
    support: full
    description: The diff names the key, the value, its type and data before and after.
  platform:
    support: full
    platforms: windows
    description: Targets Windows NT 4.0, Windows 2000 (O(transport=smb)) or WinRM-enabled hosts (O(transport=winrm)).
options:
  state:
    description:
      - V(present) ensures the value is REG_SZ O(protocol).
      - V(absent) removes the value. Prerequisites are not checked for a removal, and the KB status is reported as
        it is after the removal.
    type: str
    choices: [present, absent]
    default: present
  protocol:
    description:
      - The data to write. KB Q294406 asks for V(https:). V(http:) restores Exchange's default behaviour explicitly.
      - The data must end with a colon, as the KB says. V(https) without the colon is rejected.
    type: str
    default: 'https:'
  ignore_prerequisites:
    description:
      - Write the value even when a prerequisite is missing or could not be determined (a C(blocked) server).
      - A server without Exchange 5.5 or with OWA not SSL only (C(not_applicable)) is still never changed.
    type: bool
    default: false
  restart_information_store:
    description:
      - After a change (not in check mode), restart the Information Store service (C(MSExchangeIS)) and wait until it
        runs again, so that C(store.exe) reads the new value.
      - The KB does not ask for a restart. Other Exchange 5.5 articles about Information Store registry values do.
        A restart disconnects every mail client, so it is off by default.
    type: bool
    default: false
  restart_timeout:
    description:
      - Seconds to wait for the Information Store to stop, and then to start, when O(restart_information_store=true).
    type: int
    default: 300
  restore_from:
    description:
      - Path of a C(.json) record written by O(backup=true). The value is put back exactly as it was before that
        change, with the same type and data, or removed if it was absent.
      - The value's name is written back as the record spells it (C(value_name), the server's spelling at backup time);
        Windows matches value names in any case but keeps the stored spelling, so a value now held under another case
        is deleted and written again under the recorded name. The apply itself writes under the name the server holds.
      - The record must belong to this host. When set, O(state), O(protocol) and the prerequisite checks do not apply.
      - A REG_EXPAND_SZ prior value backed up over WinRM was returned by the server with its environment variables
        already expanded (StdRegProv cannot return the stored text), so it cannot be restored exactly; the restore
        refuses it unless O(restore_expanded=true). The result's RV(restore_exact) says whether a restore was exact.
    type: path
  restore_expanded:
    description:
      - With O(restore_from), write a REG_EXPAND_SZ prior value that the server returned expanded, as that expanded
        text (still as REG_EXPAND_SZ). The result then says RV(restore_exact=false).
    type: bool
    default: false
notes:
  - "How the server is judged: exactly as M(legacy_exchange.exchange55.server_info) does, from every reading (Store.exe's
    file version, C(Services Version), C(NewestBuild), C(ServicePackNumber), C(ServicePackBuild) and whether
    C(ParametersPrivate) exists); conflicting readings make the server V(blocked), and nothing is written to it.
    C(docs/identification.md) gives the rules and their sources."
  - The KB does not ask for a service restart; O(restart_information_store) does one on request. Without it, a change
    leaves RV(restart_required=true).
  - "Least privilege: besides what M(legacy_exchange.exchange55.server_info) needs, the account needs to set values
    under the C(ParametersPrivate) key."
seealso:
  - module: legacy_exchange.exchange55.server_info
  - name: 'KB Q294406: XIMS: IMAP Cannot Open Appointment Items by Using SSL'
    description: The Microsoft Knowledge Base article this module applies.
    link: https://github.com/jeffpar/kbarchive/blob/master/kb/294/Q294406/README.md
'''

EXAMPLES = r'''
- name: Apply KB Q294406 where it applies, keeping a backup
  legacy_exchange.exchange55.owa_url_protocol:
    backup: true
  register: q294406

- name: Preview the change (run the play with --check --diff)
  legacy_exchange.exchange55.owa_url_protocol:
  check_mode: true
  diff: true

- name: Apply on an NT 4.0 server over SMB whose OWA page is served by another IIS server
  legacy_exchange.exchange55.owa_url_protocol:
    transport: smb
    owa_ssl_required: true
    backup: true
    backup_dir: /var/backups/exchange55

- name: Put the value back as it was before the change recorded in a backup
  legacy_exchange.exchange55.owa_url_protocol:
    restore_from: "{{ q294406.backup_record }}"
  when: q294406.backup_record is defined

- name: Remove the value
  legacy_exchange.exchange55.owa_url_protocol:
    state: absent
'''

RETURN = r'''
q294406:
  description:
    - The KB Q294406 evaluation after the task. O(state=absent) and O(restore_from) report the state they leave.
    - The status is one of V(compliant), V(needs_change) (check mode, or nothing could be written), V(changed)
      (this run fixed it), V(not_applicable) or V(blocked).
  returned: success
  type: dict
  contains:
    status:
      description: The status.
      type: str
      sample: changed
    reasons:
      description: Short human-readable reasons.
      type: list
      elements: str
      sample: ['OWA Url Protocol set to REG_SZ "https:" (was absent)']
before:
  description: The value before the task, or V(null) when it was absent.
  returned: success
  type: dict
  sample: {type: REG_EXPAND_SZ, data: 'https:'}
after:
  description: The value after the task (as read back after a write), or V(null) when absent.
  returned: success
  type: dict
  sample: {type: REG_SZ, data: 'https:'}
backup_file:
  description: Path of the C(REGEDIT4) backup of the whole C(ParametersPrivate) key.
  returned: when O(backup=true) and the value changed
  type: str
  sample: /home/admin/.ansible/exchange55-backups/exsrv01/ParametersPrivate.20261128T101500Z.reg
backup_record:
  description: Path of the JSON record of the value's prior state, for O(restore_from).
  returned: when O(backup=true) and the value changed
  type: str
  sample: /home/admin/.ansible/exchange55-backups/exsrv01/ParametersPrivate.20261128T101500Z.json
write_sent:
  description:
    - V(true) once any write (set or delete) was sent to the server in this task, even if the task failed afterwards
      (for example when the read-back failed); the value may then have changed, and RV(backup_file) holds its prior state.
  returned: when a write was sent
  type: bool
  sample: true
retried:
  description: Operations sent again after a transient failure (see O(retries)).
  returned: when a connection was made
  type: int
  sample: 0
restore_exact:
  description:
    - With O(restore_from), whether the value now holds exactly the recorded prior state (type and data). V(false)
      when O(restore_expanded=true) wrote an expanded REG_EXPAND_SZ.
  returned: with O(restore_from), when something was restored
  type: bool
  sample: true
restarted:
  description: Whether the Information Store was restarted, with O(restart_information_store=true).
  returned: success
  type: bool
  sample: false
restart_required:
  description:
    - V(true) when this run changed the value and the Information Store was not restarted afterwards, so it has not
      picked the change up yet. Restart C(MSExchangeIS) (on a cluster, through Cluster Administrator); the fleet report
      says "Information Store restart pending" for the server.
    - The Information Store reads C(ParametersPrivate) when it starts; the sibling KBs Q178699, Q216076, Q243581 and
      Q148961 all restart it after a change there, although Q294406 does not say so.
    - V(false) in check mode, when nothing changed, and after a restart done with O(restart_information_store=true);
      it stays V(true) when that option left a stopped or paused Information Store alone, or the restart failed.
  returned: always
  type: bool
  sample: true
server:
  description: The facts read from the server, as M(legacy_exchange.exchange55.server_info) returns them.
  returned: success
  type: dict
error_kind:
  description:
    - On failure, the kind of failure, so that playbooks and reports need not parse C(msg).
    - One of V(invalid_option) (checked before connecting), V(auth), V(unreachable), V(timeout), V(access_denied),
      V(not_found), V(type_mismatch), V(unsupported), V(protocol).
    - V(blocked) means a prerequisite is missing and nothing was written.
    - V(read_back_mismatch) means the server does not hold what was written.
    - V(backup_failed) means the backup could not be written on the controller, so nothing was changed. In check mode
      it says that the apply would stop there.
    - V(transient) means the server or the network kept failing (HTTP 500, a busy server, lost connections) after
      O(retries).
    - V(not_restorable) means the value would have overwritten a prior value that this transport could not write back
      in a rollback, so nothing was written; or, with O(restore_from), that the recorded value cannot be restored
      exactly (see O(restore_expanded)).
  returned: failure
  type: str
  sample: auth
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
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    protocol=dict(type='str', default='https:'),
    ignore_prerequisites=dict(type='bool', default=False),
    restart_information_store=dict(type='bool', default=False),
    restart_timeout=dict(type='int', default=300),
    restore_from=dict(type='path'),
    restore_expanded=dict(type='bool', default=False),
    **BACKUP_ARGUMENT_SPEC,
    **OWA_ARGUMENT_SPEC,
    **CONNECTION_ARGUMENT_SPEC,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=controller_only('owa_url_protocol'))


if __name__ == '__main__':
    main()
