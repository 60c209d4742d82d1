# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection settings from a host's ordinary inventory, and the RemoteHost they open.

A user's existing Windows inventory works unchanged: ``ansible_host``, ``ansible_user``,
``ansible_password``, ``ansible_port`` and the ``ansible_winrm_*`` variables mean what
they mean to Ansible's winrm connection plugin.  ``exchange55_transport`` picks the
transport and ``exchange55_smb_port`` the SMB port.  Module options override them all.
Nothing here runs through Ansible's connection plugin: for ``smb`` hosts it is irrelevant.
"""

from __future__ import annotations

import dataclasses

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost
# Imported here, not when a host is opened: ansible-playbook loads the action plugins (and so this module)
# before it forks a worker per host and task, so every worker inherits the WinRM transport compiled and
# ready (pywinrm itself is already loaded by Ansible's winrm connection plugin). The smb transport pulls in
# impacket (0.2 s), so it stays lazy: winrm-only fleets never import it.
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._winrm import WinRMHost

# option name -> host variables consulted in order when the option is not set
_HOST_VARIABLES = {
    'transport': ('exchange55_transport',),
    'remote_host': ('ansible_host',),
    'remote_user': ('ansible_user', 'ansible_winrm_user'),
    'remote_password': ('ansible_password', 'ansible_winrm_password', 'ansible_winrm_pass'),
    'port': ('ansible_port', 'ansible_winrm_port'),
    'scheme': ('ansible_winrm_scheme',),
    'winrm_transport': ('ansible_winrm_transport',),
    'server_cert_validation': ('ansible_winrm_server_cert_validation',),
    'ca_trust_path': ('ansible_winrm_ca_trust_path',),
    'smb_port': ('exchange55_smb_port',),
    'smb_require_signing': ('exchange55_smb_require_signing',),
}


@dataclasses.dataclass(frozen=True)
class ConnectionSettings:
    """Everything needed to open a RemoteHost; ``repr`` hides the password."""

    transport: str
    host: str
    user: str | None
    password: str | None = dataclasses.field(repr=False)
    port: int
    scheme: str | None = None
    winrm_transport: str | None = None
    server_cert_validation: str = 'validate'
    ca_trust_path: str | None = None
    timeout: int = 30
    require_signing: bool = False

    def describe(self) -> str:
        """Where this connects, for messages: ``127.0.1.5:5986 (winrm https)``."""
        detail = f'winrm {self.scheme}' if self.transport == 'winrm' else 'smb'
        return f'{self.host}:{self.port} ({detail})'


def resolve_settings(options: dict, host_vars: dict, inventory_hostname: str) -> ConnectionSettings:
    """Merge module options over host variables; raise ValueError (one line) on bad values.

    ``host_vars`` must already be templated (the action plugin does that).
    """
    def pick(option):
        value = options.get(option)
        if value is not None and value != '':
            return value
        for name in _HOST_VARIABLES.get(option, ()):
            value = host_vars.get(name)
            if value is not None and value != '':
                return value
        return None

    transport = str(pick('transport') or 'winrm').lower()
    if transport not in ('winrm', 'smb'):
        raise ValueError(f'exchange55_transport must be winrm or smb, not {transport!r}')
    host = str(pick('remote_host') or inventory_hostname)
    user = pick('remote_user')
    password = pick('remote_password')
    timeout = _as_int(options.get('connect_timeout') or 30, 'connect_timeout')

    if transport == 'smb':
        port = _as_int(pick('smb_port') or 445, 'exchange55_smb_port')
        signing = _as_bool(pick('smb_require_signing') or False, 'exchange55_smb_require_signing')
        return ConnectionSettings('smb', host, _text(user), _text(password), port, timeout=timeout, require_signing=signing)

    port = pick('port')
    scheme = pick('scheme')
    if scheme is not None:
        scheme = str(scheme).lower()
        if scheme not in ('http', 'https'):
            raise ValueError(f'ansible_winrm_scheme must be http or https, not {scheme!r}')
    port = _as_int(port, 'ansible_port') if port is not None else (5985 if scheme == 'http' else 5986)
    if scheme is None:
        scheme = 'http' if port == 5985 else 'https'

    winrm_transport = pick('winrm_transport') or 'ntlm'
    if isinstance(winrm_transport, (list, tuple)):
        winrm_transport = winrm_transport[0] if winrm_transport else 'ntlm'
    winrm_transport = str(winrm_transport).split(',', maxsplit=1)[0].strip().lower() or 'ntlm'
    if winrm_transport == 'basic' and scheme == 'http':
        raise ValueError('refusing Basic authentication over plain http: the password would cross the network in clear text; '
                         'use https (ansible_winrm_scheme: https) or ntlm/kerberos, which encrypt every message')

    validation = str(pick('server_cert_validation') or 'validate').lower()
    if validation not in ('validate', 'ignore'):
        raise ValueError(f'ansible_winrm_server_cert_validation must be validate or ignore, not {validation!r}')
    ca_trust_path = pick('ca_trust_path')
    return ConnectionSettings('winrm', host, _text(user), _text(password), port, scheme=scheme,
                              winrm_transport=winrm_transport, server_cert_validation=validation,
                              ca_trust_path=_text(ca_trust_path), timeout=timeout)


def open_remote_host(settings: ConnectionSettings) -> RemoteHost:
    """Open the RemoteHost for these settings; impacket is imported only for the smb transport."""
    if not settings.user:
        raise RemoteError('no user to log in with: set ansible_user (or the remote_user option)', kind='auth', host=settings.host)
    if settings.password is None:
        raise RemoteError('no password to log in with: set ansible_password (or the remote_password option)', kind='auth', host=settings.host)
    if settings.transport == 'smb':
        # pylint: disable-next=import-outside-toplevel
        from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb import SMBHost
        return SMBHost(settings.host, settings.user, settings.password, port=settings.port, timeout=settings.timeout,
                       require_signing=settings.require_signing)
    return WinRMHost(settings.host, settings.port, settings.scheme, settings.user, settings.password,
                     transport=settings.winrm_transport, server_cert_validation=settings.server_cert_validation,
                     ca_trust_path=settings.ca_trust_path, read_timeout=settings.timeout,
                     operation_timeout=max(1, settings.timeout * 2 // 3))


def _as_int(value, name: str) -> int:
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValueError(f'{name} must be a port number, not {value!r}') from None
    if not 0 < number < 65536:
        raise ValueError(f'{name} must be a port number from 1 to 65535, not {number}')
    return number


def _as_bool(value, name: str) -> bool:
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValueError(f'{name} must be true or false, not {value!r}') from None


def _text(value) -> str | None:
    return None if value is None else str(value)
