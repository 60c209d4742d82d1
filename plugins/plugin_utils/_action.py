# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What both action plugins share: argument validation, connection settings, OWA answer, facts, errors."""

from __future__ import annotations

import re
import traceback

from ansible.plugins.action import ActionBase

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _connection
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import BackupTarget
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import access_denied_advice, gather_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer, probe_owa, validate_owa_url
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import validate_protocol
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError

# Host variables read on the controller; everything else of the inventory is left alone.
_HOST_VARIABLE_NAMES = sorted({name for names in _connection._HOST_VARIABLES.values() for name in names} | {'exchange55_owa_url'})

# What to do about each kind of remote failure, appended to its message.
_ADVICE = {
    'auth': 'check ansible_user and ansible_password for this host',
    'unreachable': 'check ansible_host, the port and that the service listens (WinRM for winrm, SMB 445 for smb)',
    'timeout': 'the server did not answer in time; check it is up, or raise connect_timeout',
    'transient': 'the server or the network kept failing; run again later, or raise retries and retry_delay',
    'access_denied': 'the account lacks permission; see the least-privilege notes in the module documentation',
}


class InvalidOption(Exception):
    """A module option or host variable is wrong; raised before any connection is made."""


class ControllerAction(ActionBase):
    """Base of the collection's action plugins: they run on the controller and never use the connection plugin."""

    ARGUMENT_SPEC: dict = {}
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def start(self, tmp, task_vars) -> tuple[dict, dict]:
        """Ansible's own run() bookkeeping, then the task's arguments validated against ARGUMENT_SPEC."""
        result = super().run(tmp, task_vars)
        _validation, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return result, args


class Exchange55Action(ControllerAction):
    """Base of the two modules that talk to an Exchange server."""

    settings = None

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        task_vars = task_vars or {}
        host_vars = {name: self._templar.template(task_vars[name]) for name in _HOST_VARIABLE_NAMES if name in task_vars}
        inventory_hostname = task_vars.get('inventory_hostname') or self._task.get_name()
        try:
            settings = _connection.resolve_settings(args, host_vars, inventory_hostname)
            prepared = self.prepare(args, task_vars, inventory_hostname)
            owa = self.owa_answer(args, host_vars, settings)
        except (ValueError, InvalidOption) as exc:
            result.update(failed=True, error_kind='invalid_option', msg=str(exc))
            return result
        result['transport'] = settings.transport
        self.settings = settings
        host = None
        try:
            with _connection.open_remote_host(settings) as host:
                result.update(self.work(host, args, owa, prepared, inventory_hostname))
        except RemoteError as exc:
            if host is not None:
                result['retried'] = host.retried
            # What the task had done before it failed (a backup written, a write sent) stays in the result.
            result.update(getattr(exc, 'partial', None) or {})
            advice = _ADVICE.get(exc.kind) if exc.advice is None else exc.advice
            if exc.kind == 'access_denied':     # over smb: the winreg ACL admits Administrators only (Q153183)
                advice = access_denied_advice(settings.transport, str(exc)) or advice
            message = host_named_once(str(exc), settings)
            result.update(failed=True, msg=f'{settings.describe()}: {message}' + (f'; {advice}' if advice and advice not in message else ''),
                          error_kind=exc.kind)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            # A bug, not a server's answer: one line for the play, and the traceback under `exception`, as Ansible
            # modules return it (shown with -vvv).  Neither may carry the password.
            hide = _hider(settings.password)
            result.update(failed=True, error_kind='internal',
                          msg=hide(f'{settings.describe()}: unexpected {type(exc).__name__} in {self._task.action}: '
                                   f'{" ".join(str(exc).split())} (a bug: please report it with the -vvv output)'),
                          exception=hide(traceback.format_exc()))
        else:
            result['retried'] = host.retried
        return result

    # pylint: disable=unused-argument
    def prepare(self, args: dict, task_vars: dict, inventory_hostname: str):
        """Check options that need more than the argument spec, before connecting; raise ValueError."""
        if not args.get('restore_from'):      # a restore writes the recorded value, whatever protocol says
            validate_protocol(args['protocol'])

    def work(self, host, args: dict, owa, prepared, inventory_hostname: str) -> dict:
        raise NotImplementedError

    def backup_target(self, args: dict, inventory_hostname: str):
        """Where a value's backup goes (O(backup), O(backup_dir), O(backup_encoding)), or None without O(backup)."""
        if not args['backup']:
            return None
        return BackupTarget(args['backup_dir'], inventory_hostname, self.settings.host, self.settings.transport,
                            args.get('backup_encoding') or 'cp1252')

    @staticmethod
    def owa_answer(args: dict, host_vars: dict, settings):
        """The declared OWA SSL-only setting, or a probe of the OWA page to run only if the answer matters.

        The URL is checked now, so a malformed one fails the task before any connection is made.
        """
        declared = args['owa_ssl_required']
        if declared in ('true', 'false'):
            return OwaAnswer.declared(declared == 'true')
        if args.get('owa_url'):
            url = validate_owa_url(args['owa_url'], 'owa_url')
        elif host_vars.get('exchange55_owa_url'):
            url = validate_owa_url(host_vars['exchange55_owa_url'], 'exchange55_owa_url')
        else:
            url = validate_owa_url(f'http://{settings.host}/exchange/', 'the default OWA URL (from ansible_host)')
        return lambda: probe_owa(url, timeout=min(settings.timeout, 10))

    @staticmethod
    def facts(host, owa, service_state: bool = False) -> dict:
        return gather_facts(host, owa=owa, service_state=service_state)


def host_named_once(message: str, settings) -> str:
    """``message`` without the host it names again: the caller prefixes ``settings.describe()``, which names it.

    Drops a leading ``<host>:`` or ``<host>:<port>:`` and writes a WinRM endpoint URL on that host as its path
    (``cannot connect to the endpoint /wsman: ...``).
    """
    host = re.escape(str(settings.host).strip('[]'))
    message = re.sub(rf'^\[?{host}\]?(?::\d+)?:\s*', '', message)
    return re.sub(rf'\bhttps?://\[?{host}\]?(?![\w.-])(?::\d+)?(/\S*)?', lambda m: f'the endpoint {m.group(1) or "/"}', message)


def _hider(password):
    if not password:
        return lambda text: text
    return lambda text: text.replace(password, '********')


class RegistryAction(Exchange55Action):
    """Base of the registry modules: the connection handling of the others, without the OWA and protocol options."""

    def prepare(self, args: dict, task_vars: dict, inventory_hostname: str):
        return None

    @staticmethod
    def owa_answer(args: dict, host_vars: dict, settings):
        return None
