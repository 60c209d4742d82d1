# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The transport-neutral interface every remote host implements.

Only the modules under ``_remote`` know a wire protocol.  Everything above
them (fact gathering, the Q294406 policy, the action plugins) talks to a
:class:`RemoteHost` and catches :class:`RemoteError`.
"""

from __future__ import annotations

import abc

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue

# The kinds of failure a caller may need to tell apart.  Every RemoteError
# carries one of these as ``kind`` and a one-line, human ``str()``.
ERROR_KINDS = frozenset((
    'auth',            # the login was refused (wrong user or password, 401)
    'unreachable',     # connection refused, no route, DNS failure, TLS failure
    'timeout',         # the host did not answer in time
    'access_denied',   # the account may not read or write that object
    'not_found',       # an object that must exist does not (e.g. key for a write)
    'type_mismatch',   # a typed read met a value of another type
    'unsupported',     # the operation cannot be done over this transport
    'protocol',        # a fault or answer the client does not understand
    'transient',       # a failure that may pass (HTTP 500, a busy server, a lost connection), still there after the retries
))


class RemoteError(Exception):
    """A one-line, human-readable failure talking to a remote host.

    ``kind`` is one of :data:`ERROR_KINDS`; ``host`` names the host when
    known.  ``str(error)`` never contains a password.
    """

    def __init__(self, message: str, kind: str = 'protocol', host: str | None = None, code: int | None = None,
                 advice: str | None = None):
        if kind not in ERROR_KINDS:
            raise ValueError(f'unknown RemoteError kind {kind!r}')
        self.kind = kind
        self.host = host
        self.code = code
        # What to do about it; None: the caller's advice for the kind; '': the message already says it.
        self.advice = advice
        self.transient = False
        super().__init__(' '.join(str(message).split()))


MAX_RETRY_DELAY = 10.0     # seconds: the doubling delay between repeats stops growing there


def run_retrying(call, *, retries: int, retry_delay: float, deadline, clock, sleep, again, still_failing, safe: bool = True):
    """Run ``call()``; after a RemoteError marked ``transient`` (and only while ``safe``: a read, or a write of the same
    data) wait and run it again, at most ``retries`` times: ``retry_delay`` first, then twice as long each time (at most
    ``MAX_RETRY_DELAY``), never starting a repeat that would end past ``deadline`` (a ``clock()`` time, or None).

    ``again(error)`` runs before each repeat (count it, open a new connection); ``still_failing(error, repeats)`` makes
    the error raised once the repeats are used up.  Both transports retry through this one loop.
    """
    attempt = 0
    while True:
        try:
            return call()
        except RemoteError as exc:
            transient = getattr(exc, 'transient', False)
            if not (safe and transient) or attempt >= retries:
                if transient and attempt:
                    raise still_failing(exc, attempt) from None
                raise
            delay = min(MAX_RETRY_DELAY, retry_delay * (2 ** attempt)) if retry_delay else 0
            if deadline is not None and clock() + delay >= deadline:
                raise
            attempt += 1
            sleep(delay)
            again(exc)


class RemoteHost(abc.ABC):
    """A Windows host reached from the controller.

    Registry keys are full paths with a hive prefix, e.g.
    ``HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate``
    (``HKEY_LOCAL_MACHINE\\...`` is accepted too).  Value names are
    case-insensitive on Windows; implementations return them as stored.
    Every method raises :class:`RemoteError` for a failure it cannot express
    in its return value.
    """

    transport = 'abstract'
    retried = 0          # operations sent again after a transient failure (transports that retry count them)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    @abc.abstractmethod
    def get_value(self, key: str, name: str, expected_type: str | None = None) -> RegValue | None:
        """Return one value with its type, or None when the value or the key is missing.

        ``expected_type`` ('REG_SZ', 'REG_DWORD', ...) is a hint: a transport that
        needs one typed call per type tries that type first, so the common case costs
        one request.  The returned type is always the real one.
        """

    def same_as_written(self, written: RegValue | None, stored: RegValue | None) -> bool:
        """Does ``stored`` (read back after a write) hold what ``written`` asked for?  Equality, unless the
        transport cannot read a type back exactly (WinRM: REG_EXPAND_SZ comes back expanded)."""
        return written == stored

    @abc.abstractmethod
    def enum_values(self, key: str) -> dict[str, str] | None:
        """Return ``{value name: type name}`` for a key, or None when the key is missing."""

    @abc.abstractmethod
    def get_values(self, key: str) -> dict[str, RegValue] | None:
        """Return every value of a key with its type and data, or None when the key is missing."""

    @abc.abstractmethod
    def set_value(self, key: str, name: str, value: RegValue) -> None:
        """Write a value of any type RegValue holds (REG_SZ, REG_EXPAND_SZ, REG_DWORD, REG_QWORD, REG_MULTI_SZ, REG_BINARY).

        The key must exist: a missing key raises RemoteError(kind='not_found').
        A type the transport cannot write raises RemoteError(kind='unsupported').
        """

    @abc.abstractmethod
    def delete_value(self, key: str, name: str) -> bool:
        """Delete a value; return False when it was already absent."""

    def enum_keys(self, key: str) -> list[str] | None:
        """Return the names of a key's subkeys (in the server's order), or None when the key is missing."""
        raise RemoteError(f'listing subkeys is not supported over {self.transport}', 'unsupported')

    def create_key(self, key: str) -> None:
        """Create a key and any missing parent; an existing key is left as it is."""
        raise RemoteError(f'creating keys is not supported over {self.transport}', 'unsupported')

    def delete_key(self, key: str) -> bool:
        """Delete a key with all its values and subkeys, deepest first; return False when it was already absent."""
        raise RemoteError(f'deleting keys is not supported over {self.transport}', 'unsupported')

    @abc.abstractmethod
    def file_version(self, path: str) -> str | None:
        """Return the file version string of a file (e.g. '5.5.2654.81'), None if the file is missing.

        A file that exists but carries no version resource returns ''.
        """

    @abc.abstractmethod
    def service_state(self, name: str) -> str | None:
        """Return a service's state as WMI names it ('Running', 'Stopped', ...), None if no such service."""

    @abc.abstractmethod
    def control_service(self, name: str, action: str) -> None:
        """Start or stop a service: ``action`` is 'start' or 'stop'.  Returns once the request is accepted."""

    # Types this transport can write (None: every type); the apply pipeline refuses to overwrite a value of
    # another type, because no rollback could put it back over this transport.
    writable_types = None

    def expanded_by_server(self, key: str, name: str) -> bool:
        """Whether the REG_EXPAND_SZ value ``name`` was read with its environment variables already expanded by
        the server (so its original text is unknown).  False unless a transport says otherwise."""
        return False

    @abc.abstractmethod
    def close(self) -> None:
        """Release the connection; safe to call twice."""
