# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The reads of the KB engine: every key listed once and every value and file read once, for all KBs of a task.

:class:`ReadOnce` wraps a RemoteHost for the audit: a second ``enum_values``, ``get_value`` or ``file_version`` of the same
key, value or file is answered from what the first one returned, so the identification (:func:`_exchange55.gather_facts`)
and the KBs share their reads (ParametersPrivate, Store.exe); a refusal, or a path the transport cannot read, is answered
with the same error.  Writes and read-backs go to the host itself.
"""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import (
    UNREADABLE_STORE_KINDS, _without_host, gather_facts)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import stored_name
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError


class ReadOnce:
    """A read-only view of a RemoteHost that sends each distinct read once; ``sent`` counts the reads sent."""

    def __init__(self, host):
        self.remote = host
        # the host's name and transport, as the RemoteHost says them (gather_facts words its reasons with them)
        self.host = getattr(host, 'host', None)
        self.transport = getattr(host, 'transport', None)
        self._answers = {}
        self.sent = 0

    def _once(self, what, method, *args):
        if what not in self._answers:
            self.sent += 1
            try:
                self._answers[what] = (True, method(*args))
            except RemoteError as exc:
                # a refusal, or a path this transport cannot read: asking again gives the same answer
                if exc.kind != 'access_denied' and exc.kind not in UNREADABLE_STORE_KINDS:
                    raise
                self._answers[what] = (False, exc)
        ok, answer = self._answers[what]
        if not ok:
            raise answer
        return answer

    def enum_values(self, key):
        return self._once(('enum', _kb.key_id(key)), self.remote.enum_values, key)

    def get_value(self, key, name, expected_type=None):
        return self._once(('value', _kb.key_id(key), name.lower()), self.remote.get_value, key, name, expected_type)

    def file_version(self, path):
        return self._once(('file', path.lower()), self.remote.file_version, path)

    def service_state(self, name):
        return self._once(('service', name.lower()), self.remote.service_state, name)


def read_facts(host, entries, owa=None) -> dict:
    """The facts :func:`_kb.evaluate` takes for ``entries`` on ``host``: the identification, then the KBs' keys and files.

    ``owa`` is the OWA SSL-only answer (or a callable probing it), used only when an entry's condition is the input
    ``owa_ssl_only`` (Q294406).  Returns ``{'server': gather_facts' dict, 'exchange', 'keys', 'files', 'inputs', 'denied',
    'reads'}`` (``reads``: how many reads were sent).
    """
    view = ReadOnce(host)
    wants_owa = any((entry['condition'] or {}).get('input') == 'owa_ssl_only' for entry in entries)
    server = gather_facts(view, owa=owa if wants_owa else None)
    denied = list(server['denied'])
    exchange = server['exchange']
    keys = {}
    relevant = exchange['installed'] is not False and exchange['family'] in (None, '5.5')
    if relevant:
        for key, names in _kb.keys_to_read(entries).items():
            keys[_kb.key_id(key)] = _read_key(view, key, names, denied)
    files = {}
    if relevant:
        for path in _kb.files_to_read(entries, exchange, keys):
            try:
                files[path.lower()] = view.file_version(path)
            except RemoteError as exc:
                if exc.kind in UNREADABLE_STORE_KINDS:
                    # not a refusal: a path the transport cannot read (gather_facts' store.not_read), said as such
                    files[path.lower()] = _kb.NotRead(_without_host(str(exc), getattr(host, 'host', None)))
                    continue
                files[path.lower()] = _kb.DENIED
                denied.append({'what': path, 'reason': str(exc)})
    inputs = {}
    if wants_owa:
        inputs['owa_ssl_only'] = server['owa']['ssl_required']
    return {'server': server, 'exchange': exchange, 'keys': keys, 'files': files, 'inputs': inputs,
            'denied': _unique(denied), 'reads': view.sent}


def _read_key(view, key, names, denied):
    try:
        listing = view.enum_values(key)
    except RemoteError as exc:
        denied.append({'what': f'the values of {key}', 'reason': str(exc)})
        return _kb.DENIED
    if listing is None:
        return None
    values = {}
    for name in names:
        stored = stored_name(listing, name)
        if stored is None:
            continue
        try:
            value = view.get_value(key, stored, listing[stored])
        except RemoteError as exc:
            denied.append({'what': f'{key} value "{stored}"', 'reason': str(exc)})
            return _kb.DENIED
        if value is not None:
            values[stored] = value
    return {'key': key, 'names': dict(listing), 'values': values}


def _unique(denied):
    seen, out = set(), []
    for item in denied:
        if item['what'] not in seen:
            seen.add(item['what'])
            out.append(item)
    return out


def keys_as_records(keys: dict) -> dict:
    """The keys read, JSON-safe for a result: {key: None | 'denied' | {value name: record}}."""
    out = {}
    for state in keys.values():
        if isinstance(state, dict):
            out[state['key']] = {name: value.to_record() for name, value in state['values'].items()}
    return out
