# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The -vvv trail: one line per remote operation, for the day a real server misbehaves.

    <192.0.2.10> exchange55 winrm: StdRegProv.EnumValues HKLM\\SYSTEM\\...\\ParametersPrivate -> 0 (12 ms)
    <192.0.2.11> exchange55 smb: RRP BaseRegQueryValue HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup "Services" -> 0 (3 ms)

Each line names the host (Ansible's ``<host>`` prefix), the transport, the operation and what it works on, the
result (the operation's return code, ``ok``, or the error kind and code) and the time it took.  Lines go through
Ansible's ``Display`` at verbosity 3, so they appear with ``-vvv`` and cost a comparison otherwise.  They carry
names of keys, values, files and services, never credentials or the data of a value.
"""

from __future__ import annotations

import contextlib
import time

from ansible.utils.display import Display

display = Display()

HIVE_NAMES = {0x80000000: 'HKCR', 0x80000001: 'HKCU', 0x80000002: 'HKLM', 0x80000003: 'HKU', 0x80000005: 'HKCC'}


def enabled() -> bool:
    return display.verbosity >= 3


def line(transport: str, operation: str, result, elapsed_s: float) -> str:
    return f'exchange55 {transport}: {operation} -> {result} ({elapsed_s * 1000:.0f} ms)'


def record(host: str | None, transport: str, operation: str, result, elapsed_s: float) -> None:
    """Show one trail line (at -vvv)."""
    if enabled():
        display.vvv(line(transport, ' '.join(str(operation).split()), result, elapsed_s), host=host)


class Step:
    """What ``operation`` gives its ``with`` block: set ``result`` to the operation's return code."""

    def __init__(self):
        self.result = 'ok'


@contextlib.contextmanager
def operation(host: str | None, transport: str, text: str, describe_failure=None):
    """Time the block and record it; an exception is recorded as its result and raised again.

    ``describe_failure(exc)`` turns an exception into the result text (default: :func:`failure`).
    """
    step = Step()
    started = time.monotonic()
    try:
        yield step
    except BaseException as exc:
        record(host, transport, text, (describe_failure or failure)(exc), time.monotonic() - started)
        raise
    record(host, transport, text, step.result, time.monotonic() - started)


def failure(exc: BaseException) -> str:
    """An exception as a trail result: ``error <kind> <code>``."""
    kind = getattr(exc, 'kind', None)
    code = getattr(exc, 'code', None)
    text = f'error {kind}' if kind else f'error {type(exc).__name__}'
    return text + (f' {code:#010x}' if isinstance(code, int) and code > 0xFFFF else f' {code}' if code is not None else '')


def registry_target(params: dict) -> str:
    """``HKLM\\<subkey> "<value name>"`` from StdRegProv-style parameters (hDefKey, sSubKeyName, sValueName)."""
    hive = params.get('hDefKey')
    text = HIVE_NAMES.get(hive, str(hive) if hive is not None else '')
    subkey = params.get('sSubKeyName')
    if subkey:
        text = f'{text}\\{subkey}' if text else str(subkey)
    if params.get('sValueName') is not None:
        text += f' "{params["sValueName"]}"'
    return text
