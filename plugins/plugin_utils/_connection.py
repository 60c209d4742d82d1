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
import re

from ansible.module_utils.parsing.convert_bool import boolean

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost
# Imported here, not when a host is opened: ansible-playbook loads the action plugins (and so this module)
# before it forks a worker per host and task, so every worker inherits the transports compiled and ready
# (pywinrm itself is already loaded by Ansible's winrm connection plugin).
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote import _pe_version, _smb_session
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb import SMBHost
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._winrm import WinRMHost

# impacket and pefile too, for the same reason: imported in each forked worker they cost an smb host about
# 0.2 s of CPU (impacket, the cffi bindings of pycryptodomex it loads, pefile), most of its controller CPU.
# Loaded here once per ansible-playbook run instead (also when every host is winrm: measured in
# docs/performance.md).  Without them the one-line error still comes when an smb host is opened.
try:
    _smb_session._load_impacket()
    _pe_version._load_pefile()
except RemoteError:
    pass

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


# Limits of the per-request timeout, the retries and the per-host deadline (seconds).
TIMEOUT_RANGE = (1, 3600)
RETRIES_RANGE = (0, 10)
RETRY_DELAY_RANGE = (0, 60)
TASK_TIMEOUT_RANGE = (0, 86400)          # 0: no deadline (the default)
_HOST = re.compile(r'^(?:\[[0-9A-Fa-f:.]+\]|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]+|[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,251}[A-Za-z0-9_.])?)$')
_USER_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f"/\[\]:;|=,+*?<>]')


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
    retries: int = 5
    retry_delay: float = 0.5
    task_timeout: int = 0

    def describe(self) -> str:
        """Where this connects, for messages: ``127.0.1.5:5986 (winrm https)``."""
        detail = f'winrm {self.scheme}' if self.transport == 'winrm' else 'smb'
        return f'{self.host}:{self.port} ({detail})'

    @property
    def read_timeout(self) -> int:
        """pywinrm's HTTP read timeout: the per-request timeout, and always above the WS-Man OperationTimeout."""
        return max(self.timeout, self.operation_timeout + 1)

    @property
    def operation_timeout(self) -> int:
        """The WS-Man OperationTimeout the server is asked to keep (pywinrm wants it below the read timeout)."""
        return max(1, self.timeout * 2 // 3)


def resolve_settings(options: dict, host_vars: dict, inventory_hostname: str) -> ConnectionSettings:
    """Merge module options over host variables; raise ValueError (one line) on bad values.

    Every setting is checked here, once, and a message names what the user set: the module
    option (``port``) or the host variable it came from (``ansible_port``, ``ansible_winrm_port``).
    ``host_vars`` must already be templated (the action plugin does that).
    """
    def pick(option):
        """(value, the name the user set it under), or (None, the first host variable's name)."""
        value = options.get(option)
        if value is not None and value != '':
            return value, option
        names = _HOST_VARIABLES.get(option, ())
        for name in names:
            value = host_vars.get(name)
            if value is not None and value != '':
                return value, name
        return None, names[0] if names else option

    transport, name = pick('transport')
    transport = str(transport or 'winrm').strip().lower()
    if transport not in ('winrm', 'smb'):
        raise ValueError(f'{name} must be winrm or smb, not {transport!r}')
    host, name = pick('remote_host')
    host = _host(host, name) if host is not None else _host(inventory_hostname, 'the inventory hostname', hint='set ansible_host')
    user, name = pick('remote_user')
    user = _user(user, name) if user is not None else None
    password, _name = pick('remote_password')
    common = dict(
        timeout=_as_int(options.get('connect_timeout', 30), 'connect_timeout', TIMEOUT_RANGE, 'seconds'),
        retries=_as_int(options.get('retries', 5), 'retries', RETRIES_RANGE, 'retries'),
        retry_delay=_as_int(options.get('retry_delay', 0.5), 'retry_delay', RETRY_DELAY_RANGE, 'seconds', float),
        task_timeout=_as_int(options.get('task_timeout', 0), 'task_timeout', TASK_TIMEOUT_RANGE, 'seconds (0: no deadline)'),
    )

    if transport == 'smb':
        port, name = pick('smb_port')
        port = _as_int(port, name, PORT_RANGE, 'port number') if port is not None else 445
        signing, name = pick('smb_require_signing')
        signing = _as_bool(signing, name) if signing is not None else False
        return ConnectionSettings('smb', host, user, _text(password), port, require_signing=signing, **common)

    port, port_name = pick('port')
    scheme, name = pick('scheme')
    if scheme is not None:
        scheme = str(scheme).strip().lower()
        if scheme not in ('http', 'https'):
            raise ValueError(f'{name} must be http or https, not {scheme!r}')
    port = _as_int(port, port_name, PORT_RANGE, 'port number') if port is not None else (5985 if scheme == 'http' else 5986)
    if scheme is None:
        scheme = 'http' if port == 5985 else 'https'

    winrm_transport, name = pick('winrm_transport')
    if isinstance(winrm_transport, (list, tuple)):
        winrm_transport = winrm_transport[0] if winrm_transport else None
    winrm_transport = str(winrm_transport or 'ntlm').split(',', maxsplit=1)[0].strip().lower() or 'ntlm'
    if winrm_transport not in WINRM_TRANSPORTS:
        raise ValueError(f'{name} must be one of {", ".join(WINRM_TRANSPORTS)}, not {winrm_transport!r}')
    if winrm_transport in CLEAR_TEXT_AUTH and scheme == 'http':
        raise ValueError(f'refusing {winrm_transport} authentication over plain http: the password would cross the network in clear text; '
                         'use https (ansible_winrm_scheme: https) or ntlm/kerberos, which encrypt every message')
    if winrm_transport in CLEAR_TEXT_AUTH and password is not None:
        _latin1_password(str(password))

    validation, name = pick('server_cert_validation')
    validation = str(validation or 'validate').strip().lower()
    if validation not in ('validate', 'ignore'):
        raise ValueError(f'{name} must be validate or ignore, not {validation!r}')
    ca_trust_path, _name = pick('ca_trust_path')
    return ConnectionSettings('winrm', host, user, _text(password), port, scheme=scheme,
                              winrm_transport=winrm_transport, server_cert_validation=validation,
                              ca_trust_path=_text(ca_trust_path), **common)


def open_remote_host(settings: ConnectionSettings) -> RemoteHost:
    """Open the RemoteHost for these settings (a missing impacket or pefile is a RemoteError naming it)."""
    if not settings.user:
        raise RemoteError('no user to log in with: set ansible_user (or the remote_user option)', kind='auth', host=settings.host)
    if settings.password is None:
        raise RemoteError('no password to log in with: set ansible_password (or the remote_password option)', kind='auth', host=settings.host)
    if settings.transport == 'smb':
        return SMBHost(settings.host, settings.user, settings.password, port=settings.port, timeout=settings.timeout,
                       require_signing=settings.require_signing, retries=settings.retries, retry_delay=settings.retry_delay,
                       task_timeout=settings.task_timeout)
    return WinRMHost(settings.host, settings.port, settings.scheme, settings.user, settings.password,
                     transport=settings.winrm_transport, server_cert_validation=settings.server_cert_validation,
                     ca_trust_path=settings.ca_trust_path, read_timeout=settings.read_timeout,
                     operation_timeout=settings.operation_timeout, retries=settings.retries, retry_delay=settings.retry_delay,
                     task_timeout=settings.task_timeout)


PORT_RANGE = (1, 65535)
WINRM_TRANSPORTS = ('ntlm', 'basic', 'kerberos', 'credssp', 'certificate', 'plaintext', 'ssl')
CLEAR_TEXT_AUTH = ('basic', 'plaintext', 'ssl')


def _as_int(value, name: str, limits: tuple, unit: str, convert=int):
    """A number within ``limits`` (whole, unless ``convert`` is float); the message names the setting and the range."""
    low, high = limits
    if unit == 'port number':
        wanted = f'{name} must be a port number from {low} to {high}'
    else:
        wanted = f'{name} must be a {"whole " if convert is int else ""}number of {unit} from {low} to {high}'
    if isinstance(value, bool):
        raise ValueError(f'{wanted}, not {value!r}')
    try:
        number = convert(str(value).strip())
    except ValueError:
        raise ValueError(f'{wanted}, not {value!r}') from None
    if not low <= number <= high:
        raise ValueError(f'{wanted}, not {value!r}')
    return number


def _as_bool(value, name: str) -> bool:
    try:
        return boolean(value, strict=True)
    except TypeError:
        raise ValueError(f'{name} must be true or false, not {value!r}') from None


def _host(value, name: str, hint: str = '') -> str:
    """A host name, IPv4 or IPv6 address: no blanks, no URL, no user part."""
    text = str(value).strip()
    if not text:
        raise ValueError(f'{name} is blank: set it to the server\'s name or address')
    if not _HOST.match(text):
        raise ValueError(f'{name} {str(value)!r} is not a host name or IP address'
                         + (f': {hint}' if hint else ': give only the name or address (no scheme, port, user or spaces)'))
    return text


def _user(value, name: str) -> str:
    """``user``, ``DOMAIN\\user`` or ``user@domain``, each part non-empty (what Windows logon accepts)."""
    text = str(value)
    example = 'use user, DOMAIN\\user or user@domain'
    if not text.strip():
        raise ValueError(f'{name} is blank: {example}')
    if text != text.strip() or _USER_FORBIDDEN.search(text):
        raise ValueError(f'{name} {text!r} holds spaces at its ends, control characters or characters Windows does not allow in '
                         f'an account name: {example}')
    if '\\' in text:
        domain, _sep, account = text.partition('\\')
        if not domain or not account or '\\' in account or '@' in account:
            raise ValueError(f'{name} {text!r} needs a domain and an account around one backslash: {example}')
    elif '@' in text:
        account, _sep, domain = text.rpartition('@')
        if not account or not domain or '@' in account:
            raise ValueError(f'{name} {text!r} needs an account and a domain around one @: {example}')
    return text


def _latin1_password(password: str) -> None:
    """HTTP Basic sends ``user:password`` as Latin-1 bytes (requests' HTTPBasicAuth); other characters cannot be sent."""
    try:
        password.encode('latin-1')
    except UnicodeEncodeError:
        raise ValueError('the password holds characters outside Latin-1, which HTTP Basic authentication cannot send: '
                         'use ansible_winrm_transport: ntlm (or kerberos) for this host') from None


def _text(value) -> str | None:
    return None if value is None else str(value)
