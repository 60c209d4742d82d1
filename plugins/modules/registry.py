#!/usr/bin/python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: registry
short_description: Add, change or remove registry keys and values on Windows without PowerShell (win_regedit over WMI or SMB)
version_added: 0.2.0
description:
  - Does what M(ansible.windows.win_regedit) does, with the same options, data forms and return values, but from the
    controller. It talks to the server over WS-Management/WMI C(StdRegProv) (O(transport=winrm)) or over the remote
    registry protocol MS-RRP (O(transport=smb)). That reaches Windows NT 4.0 and Windows 2000, which have no PowerShell.
    A task written for C(ansible.windows.win_regedit) works with only the module name changed.
  - A key that does not exist is created, as win_regedit does; with O(create_key=false) the task fails instead.
  - After every write the key or value is read back. If the server does not hold what was written, the task fails.
  - With O(backup=true) the key (for O(delete_key) the whole subtree) is saved on the controller before any write, as a
    C(REGEDIT4) file and a JSON record of its prior state. O(restore_from) puts exactly that state back, subkeys included.
  - Windows NT 4.0 has no REG_QWORD (it came with Windows 2000). On a server whose C(CurrentVersion) is 4.0 a
    REG_QWORD write is refused.
  - A value that the transport could not write back (for example a REG_NONE over O(transport=winrm)) is never
    overwritten or deleted, because no rollback could restore it (C(error_kind=not_restorable)); for O(delete_key) and
    O(restore_from) this holds for every value of the subtree.
  - Over O(transport=winrm), C(StdRegProv) has no setter for REG_NONE, and it returns REG_EXPAND_SZ data expanded. A
    V(none) write is refused with one line (use O(transport=smb)). A V(expandstring) with C(%NAME%) references is
    written as given; its read-back and the next run's comparison match the text around each reference (the same
    name must expand to the same text), because the stored text cannot be read over WMI. Over O(transport=smb) both
    are compared exactly.
  - The module is an action plugin. Nothing is copied to or run on the server.
author:
  - legacy_exchange.exchange55 contributors (@legacy-exchange)
extends_documentation_fragment:
  - legacy_exchange.exchange55.registry_key
  - legacy_exchange.exchange55.registry_key.BACKUP
  - legacy_exchange.exchange55.connection
  - legacy_exchange.exchange55.attributes
attributes:
  check_mode:
    support: full
    description: In check mode the module reports exactly what a real run would change and writes nothing, backups included.
  diff_mode:
    support: full
    description: The diff shows the key and the value (type and data) before and after.
  platform:
    support: full
    platforms: windows
    description: Targets Windows NT 4.0, Windows 2000 (O(transport=smb)) or WinRM-enabled hosts (O(transport=winrm)).
options:
  data:
    description:
      - The value's data. Without it, only the key is ensured (O(state=present)).
      - V(dword) and V(qword) take a number, a decimal string or a C(0x) hex string; too large a number fails with
        win_regedit's message. V(binary) and V(none) take C(hex:be,ef) (what regedit exports), C(be,ef), C(beef) or a
        list of numbers. V(multistring) takes a list.
    type: raw
  type:
    description:
      - The value's type, by win_regedit's name or by its registry name (V(REG_SZ), V(REG_DWORD), ...).
      - Without O(name) the type is V(string), as in win_regedit.
    type: str
    default: string
    choices: [binary, dword, expandstring, multistring, none, qword, string, REG_BINARY, REG_DWORD, REG_EXPAND_SZ,
              REG_MULTI_SZ, REG_NONE, REG_QWORD, REG_SZ]
    aliases: [datatype]
  state:
    description:
      - V(present) ensures the key and, with O(data), the value.
      - V(absent) removes the value, or with O(delete_key=true) and no O(name) the key with all its subkeys.
    type: str
    choices: [present, absent]
    default: present
  delete_key:
    description:
      - With O(state=absent) and no O(name), V(true) deletes the whole key and its subkeys; V(false) only clears the key's
        default value.
    type: bool
    default: true
  create_key:
    description:
      - Whether a missing key is created. V(false) makes the task fail instead, which is safer on servers whose layout is
        not known.
    type: bool
    default: true
  hive:
    description:
      - win_regedit loads a hive file with it. That cannot be done remotely, so any value is refused.
    type: path
  restore_from:
    description:
      - The JSON record of an earlier backup of this host. The key is put back exactly as the record holds it, values and
        subkeys included, and a key the record says was absent is deleted. O(path), O(name), O(data) and O(state) are then
        not used.
      - Value names come back as the record spells them. Windows matches names in any case but keeps the stored spelling
        on a write, so a value now spelled otherwise is deleted and written again under the recorded name.
      - A record written over O(transport=winrm) lists the REG_EXPAND_SZ values the server returned already expanded
        (WMI has no other way to read them). Their original text is unknown, so restoring such a record is refused unless
        O(restore_expanded=true). The result's RV(restore_exact) says whether a restore was exact.
    type: path
  restore_expanded:
    description:
      - With O(restore_from), write the REG_EXPAND_SZ values that the server returned expanded as that expanded text
        (still as REG_EXPAND_SZ). The result then says RV(restore_exact=false).
    type: bool
    default: false
seealso:
  - module: legacy_exchange.exchange55.registry_info
  - module: ansible.windows.win_regedit
'''

EXAMPLES = r'''
- name: Create a key (and its missing parents)
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany

- name: Set a REG_DWORD under the Information Store's ParametersPrivate, with a backup
  legacy_exchange.exchange55.registry:
    path: HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeIS\ParametersPrivate
    name: Background Cleanup
    data: 0x1d4c0
    type: dword
    backup: true

- name: Binary data in regedit's export form
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany
    name: hello
    data: hex:be,ef,be,ef
    type: binary

- name: A multi-string value
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany
    name: Protocols
    data: [SMTP, X.400]
    type: multistring

- name: Only where the key exists already
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany
    name: Mode
    data: strict
    create_key: false

- name: Remove a value
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany
    name: hello
    state: absent

- name: Remove the key with all its subkeys, keeping a backup of the subtree
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany
    state: absent
    delete_key: true
    backup: true
  register: removed

- name: Put it back from the backup record
  legacy_exchange.exchange55.registry:
    path: HKLM:\SOFTWARE\MyCompany
    restore_from: "{{ removed.backup_record }}"
'''

RETURN = r'''
changed:
  description: Whether the key or value was (or in check mode would be) changed.
  returned: always
  type: bool
data_changed:
  description: Whether the value's data changed (false for a value that did not exist, as in win_regedit).
  returned: success
  type: bool
  sample: false
data_type_changed:
  description: Whether the value's type changed (false for a value that did not exist, as in win_regedit).
  returned: success
  type: bool
  sample: true
path:
  description: The key, in registry form with the short hive name.
  returned: success
  type: str
  sample: HKLM\SOFTWARE\MyCompany
before:
  description:
    - The value before the task (C({type, data})), or for a key operation the key (C({values, subkeys})); V(null) when
      absent.
  returned: success
  type: dict
  sample: {type: REG_SZ, data: new hello world}
after:
  description: The same after the task, as read back after a write; V(null) when absent.
  returned: success
  type: dict
  sample: {type: REG_BINARY, data: '0001'}
backup_file:
  description: Path of the C(REGEDIT4) backup of the key (or subtree).
  returned: when O(backup=true) and something changed
  type: str
backup_record:
  description: Path of the JSON record of the prior state, for O(restore_from).
  returned: when O(backup=true) and something changed
  type: str
restore_exact:
  description:
    - With O(restore_from), whether the restore put back exactly the recorded state; V(false) when
      O(restore_expanded=true) wrote REG_EXPAND_SZ text that the server had expanded.
  returned: with O(restore_from), when something was restored
  type: bool
  sample: true
write_sent:
  description: V(true) once a write was sent to the server, even if the task failed afterwards.
  returned: when a write was sent
  type: bool
  sample: true
error_kind:
  description:
    - On failure, the kind of failure. V(invalid_option) (checked before connecting), V(auth), V(unreachable),
      V(timeout), V(access_denied), V(not_found) (for example a missing key with O(create_key=false)), V(unsupported)
      (for example a REG_QWORD on Windows NT 4.0, or REG_NONE over winrm), V(protocol), V(read_back_mismatch),
      V(backup_failed) or V(not_restorable) (a value no rollback could write back, or a restore that cannot be exact).
  returned: failure
  type: str
transport:
  description: The transport used.
  returned: success
  type: str
  sample: smb
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.legacy_exchange.exchange55.plugins.module_utils._spec import (
    BACKUP_ARGUMENT_SPEC,
    CONNECTION_ARGUMENT_SPEC,
    REGISTRY_KEY_ARGUMENT_SPEC,
    controller_only,
)

ARGUMENT_SPEC = dict(
    **REGISTRY_KEY_ARGUMENT_SPEC,
    data=dict(type='raw'),
    type=dict(type='str', default='string', aliases=['datatype'],
              choices=['binary', 'dword', 'expandstring', 'multistring', 'none', 'qword', 'string', 'REG_BINARY', 'REG_DWORD',
                       'REG_EXPAND_SZ', 'REG_MULTI_SZ', 'REG_NONE', 'REG_QWORD', 'REG_SZ']),
    state=dict(type='str', choices=['present', 'absent'], default='present'),
    delete_key=dict(type='bool', default=True),
    create_key=dict(type='bool', default=True),
    hive=dict(type='path'),
    restore_from=dict(type='path'),
    restore_expanded=dict(type='bool', default=False),
    **BACKUP_ARGUMENT_SPEC,
    **CONNECTION_ARGUMENT_SPEC,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=controller_only('registry'))


if __name__ == '__main__':
    main()
