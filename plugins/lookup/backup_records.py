# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lookup plugin legacy_exchange.exchange55.backup_records: the backup records owa_url_protocol wrote for hosts."""

from __future__ import annotations

DOCUMENTATION = r'''
name: backup_records
author: legacy_exchange.exchange55 contributors (@legacy-exchange)
short_description: Find the backup records that owa_url_protocol wrote for inventory hosts
version_added: 0.1.0
description:
  - Finds the C(.json) backup records that M(legacy_exchange.exchange55.owa_url_protocol) wrote with O(ignore:backup=true)
    under O(backup_dir), for each inventory hostname given, on the controller.
  - It maps a host name to its directory exactly as the module does (characters outside C([A-Za-z0-9_.-]) as C(%XX)),
    so hosts with any name are found, and keeps only records that name the host itself.
  - Relative paths and C(~) are resolved as the module resolves them, from the directory ansible-playbook was started in.
  - A host without a record gives an empty string (V(want=newest)) or an empty list (V(want=all)); nothing is warned.
options:
  _terms:
    description: Inventory hostnames.
    required: true
    type: list
    elements: str
  backup_dir:
    description: The backup directory the apply used.
    type: path
    default: ~/.ansible/exchange55-backups
  want:
    description:
      - V(newest) gives the path of each host's newest record, or an empty string.
      - V(all) gives one list of every host's records, oldest first.
      - V(directory) gives the absolute backup directory searched, whatever the terms.
    type: str
    choices: [newest, all, directory]
    default: newest
'''

EXAMPLES = r'''
- name: Restore a host from its newest backup record
  legacy_exchange.exchange55.owa_url_protocol:
    restore_from: "{{ lookup('legacy_exchange.exchange55.backup_records', inventory_hostname, backup_dir='backups') }}"

- name: Hosts of the play that have a record
  ansible.builtin.debug:
    msg: "{{ query('legacy_exchange.exchange55.backup_records', *ansible_play_hosts_all) | select | list | length }}"
'''

RETURN = r'''
_raw:
  description: Paths of backup records (or the directory, for O(want=directory)).
  type: list
  elements: str
'''

from ansible.errors import AnsibleError
from ansible.plugins.lookup import LookupBase

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._backup import DEFAULT_BACKUP_DIR, find_records, resolve_path


class LookupModule(LookupBase):

    def run(self, terms, variables=None, **kwargs):
        unknown = set(kwargs) - {'backup_dir', 'want'}
        if unknown:
            raise AnsibleError(f'backup_records: unknown option {", ".join(sorted(unknown))} (backup_dir and want exist)')
        backup_dir = kwargs.get('backup_dir') or DEFAULT_BACKUP_DIR
        want = kwargs.get('want') or 'newest'
        if want not in ('newest', 'all', 'directory'):
            raise AnsibleError(f'backup_records: want must be newest, all or directory, not {want!r}')
        if want == 'directory':
            return [resolve_path(backup_dir)]
        hosts = []
        for term in terms:
            hosts.extend(term if isinstance(term, (list, tuple)) else [term])
        if want == 'all':
            return [path for host in hosts for path in find_records(backup_dir, str(host))]
        return [(find_records(backup_dir, str(host)) or [''])[-1] for host in hosts]
