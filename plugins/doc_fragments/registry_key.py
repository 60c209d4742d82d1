# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """The key and value options of registry and registry_info (module_utils/_spec.py REGISTRY_KEY_ARGUMENT_SPEC), and the
    backup options of every module that writes (BACKUP)."""

    DOCUMENTATION = r'''
options:
  path:
    description:
      - The registry key, in PowerShell drive form (C(HKLM:\SOFTWARE\MyCompany)), in registry form
        (C(HKLM\SOFTWARE\MyCompany)) or with the long hive name (C(HKEY_LOCAL_MACHINE\SOFTWARE\MyCompany)).
      - The hive is one of HKLM, HKU, HKCR and HKCC. HKCU is refused, because a remote session has no current user; use
        C(HKU:\<SID>) instead.
    type: str
    required: true
    aliases: [key]
  name:
    description:
      - The value's name. An empty string is the key's default value; C((Default)) is a real value of that name, as in
        win_regedit.
      - Omitted, M(legacy_exchange.exchange55.registry) works on the key's default value (as win_regedit does) and
        M(legacy_exchange.exchange55.registry_info) reads the whole key (its values and subkey names, as win_reg_stat does).
    type: str
    aliases: [entry, value]
'''

    # backup, backup_dir and backup_encoding of every module that writes (module_utils/_spec.py BACKUP_ARGUMENT_SPEC)
    BACKUP = r'''
options:
  backup:
    description:
      - Before a write, save the whole key that the write changes on the controller, in O(backup_dir). It is saved as a
        C(.reg) file that regedit imports (see O(backup_encoding)), together with a C(.json) record of the prior state,
        which O(restore_from) takes.
      - M(legacy_exchange.exchange55.registry) saves the whole subtree when it deletes a key with its subkeys.
      - No backup is written when nothing changes, or in check mode.
    type: bool
    default: false
  backup_dir:
    description:
      - Directory on the controller for backups. Each host gets a subdirectory named after its inventory hostname, with
        every character outside C([A-Za-z0-9_.-]) written as C(%XX), so no two hosts share one.
      - A relative path is taken from the directory ansible-playbook was started in; C(~) is expanded. The lookup
        P(legacy_exchange.exchange55.backup_records#lookup) resolves it the same way.
      - Defaults to C(~/.ansible/exchange55-backups).
    type: path
  backup_encoding:
    description:
      - How the C(.reg) backup file is written. The C(.json) record always holds the exact data.
      - The server's ANSI code page (V(cp1252), the default, V(cp1251), V(cp932), ...) gives a C(REGEDIT4) file, which
        NT 4.0's regedit imports.
      - V(utf-16) gives a C(Windows Registry Editor Version 5.00) file (UTF-16LE with a byte order mark), which Windows
        2000's regedit imports and NT 4.0's does not. Use it when the key holds characters outside the code page.
      - A key holding a character the chosen code page lacks stops the change before anything is written; check mode
        reports it.
    type: str
    default: cp1252
'''
