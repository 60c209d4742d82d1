#!/usr/bin/python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: registry_info
short_description: Read a registry key or value on Windows without PowerShell (win_reg_stat over WMI or SMB)
version_added: 0.2.0
description:
  - Returns what M(ansible.windows.win_reg_stat) returns (C(exists), C(type), C(value), C(raw_value), C(properties),
    C(sub_keys)), read from the controller over WS-Management/WMI (O(transport=winrm)) or MS-RRP (O(transport=smb)).
  - It only reads. It never changes anything and is safe in check mode.
author:
  - legacy_exchange.exchange55 contributors (@legacy-exchange)
extends_documentation_fragment:
  - legacy_exchange.exchange55.registry_key
  - legacy_exchange.exchange55.connection
  - legacy_exchange.exchange55.attributes
attributes:
  check_mode:
    support: full
    description: The module only reads, in check mode as otherwise.
  diff_mode:
    support: none
    description: Nothing changes, so there is nothing to diff.
  platform:
    support: full
    platforms: windows
    description: Targets Windows NT 4.0, Windows 2000 (O(transport=smb)) or WinRM-enabled hosts (O(transport=winrm)).
notes:
  - For a REG_EXPAND_SZ value, C(value) is the text expanded and C(raw_value) the stored text, as win_reg_stat returns
    them. Over O(transport=smb) the stored text is read and expanded with the server's system environment, read from its
    registry (C(HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\SystemRoot) and
    C(HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\Environment), only when a value holds a C(%)); a name not
    found there stays as written. Over O(transport=winrm) C(StdRegProv) returns only the text the server already
    expanded (REGMETHODS.CPP), so C(value) and C(raw_value) both hold it.
seealso:
  - module: legacy_exchange.exchange55.registry
  - module: ansible.windows.win_reg_stat
'''

EXAMPLES = r'''
- name: Read the Information Store's ParametersPrivate key
  legacy_exchange.exchange55.registry_info:
    path: HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeIS\ParametersPrivate
  register: params

- name: Read one value
  legacy_exchange.exchange55.registry_info:
    path: HKLM:\SYSTEM\CurrentControlSet\Services\MSExchangeIS\ParametersPrivate
    name: OWA Url Protocol
  register: owa

- name: Show it
  ansible.builtin.debug:
    msg: "{{ owa.type }} {{ owa.value }}"
  when: owa.exists
'''

RETURN = r'''
changed:
  description: Always V(false).
  returned: always
  type: bool
exists:
  description: Whether the key (without O(name)) or the value exists.
  returned: success
  type: bool
  sample: true
type:
  description: The value's type.
  returned: success, with O(name), when the value exists
  type: str
  sample: REG_SZ
value:
  description: The value's data; numbers as numbers, REG_BINARY as a list of numbers, REG_MULTI_SZ as a list, REG_EXPAND_SZ
    expanded.
  returned: success, with O(name), when the value exists
  type: raw
  sample: 'https:'
raw_value:
  description:
    - The stored data; REG_BINARY and REG_NONE as a list of C(0x..) strings, REG_EXPAND_SZ unexpanded (over
      O(transport=winrm), the server's expanded text, as the notes say).
  returned: success, with O(name), when the value exists
  type: raw
  sample: 'https:'
properties:
  description: Every value of the key, name -> C({type, value, raw_value}); the default value under the name C("").
  returned: success, without O(name), when the key exists
  type: dict
  sample: {'DB Path': {type: REG_SZ, value: 'C:\exchsrvr\mdbdata\priv.edb', raw_value: 'C:\exchsrvr\mdbdata\priv.edb'}}
sub_keys:
  description: The names of the key's subkeys.
  returned: success, without O(name), when the key exists
  type: list
  elements: str
  sample: [nest1, nest2]
error_kind:
  description: On failure, the kind of failure (as for M(legacy_exchange.exchange55.registry)).
  returned: failure
  type: str
transport:
  description: The transport used.
  returned: success
  type: str
  sample: winrm
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.legacy_exchange.exchange55.plugins.module_utils._spec import CONNECTION_ARGUMENT_SPEC, REGISTRY_KEY_ARGUMENT_SPEC, controller_only

ARGUMENT_SPEC = dict(
    **REGISTRY_KEY_ARGUMENT_SPEC,
    **CONNECTION_ARGUMENT_SPEC,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=controller_only('registry_info'))


if __name__ == '__main__':
    main()
