# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Argument specs shared by the modules (documented in the connection and q294406 doc fragments).

Each module's own ARGUMENT_SPEC is built from these; the module file is the single place
a module's options are defined: its action plugin validates against the same dictionary.
"""

from __future__ import annotations

CONNECTION_ARGUMENT_SPEC = dict(
    transport=dict(type='str', choices=['winrm', 'smb']),
    remote_host=dict(type='str'),
    remote_user=dict(type='str'),
    remote_password=dict(type='str', no_log=True),
    port=dict(type='int'),
    scheme=dict(type='str', choices=['http', 'https']),
    winrm_transport=dict(type='str', choices=['ntlm', 'basic', 'kerberos', 'credssp', 'certificate']),
    server_cert_validation=dict(type='str', choices=['validate', 'ignore']),
    ca_trust_path=dict(type='path'),
    smb_port=dict(type='int'),
    smb_require_signing=dict(type='bool'),
    connect_timeout=dict(type='int', default=30),
    retries=dict(type='int', default=5),
    retry_delay=dict(type='float', default=0.5),
    task_timeout=dict(type='int', default=0),
)

# registry and registry_info: the key and the value (doc fragment registry_key)
REGISTRY_KEY_ARGUMENT_SPEC = dict(
    path=dict(type='str', required=True, aliases=['key']),
    name=dict(type='str', aliases=['entry', 'value']),
)

# the backup before a write, for every module that writes (doc fragment registry_key.BACKUP)
BACKUP_ARGUMENT_SPEC = dict(
    backup=dict(type='bool', default=False),
    backup_dir=dict(type='path'),
    backup_encoding=dict(type='str', default='cp1252'),
)

OWA_ARGUMENT_SPEC = dict(
    owa_ssl_required=dict(type='str', choices=['auto', 'true', 'false'], default='auto'),
    owa_url=dict(type='str'),
)


def controller_only(module_name: str) -> str:
    """The message a module stub gives if it is ever executed on a target."""
    return (f'legacy_exchange.exchange55.{module_name} runs as an action plugin on the controller; '
            'it was executed on a target instead: check that the collection is installed where ansible-playbook runs')
