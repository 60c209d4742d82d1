# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""KB Q294406 for owa_url_protocol and server_info: entry one of the KB engine, in Q294406's own shape.  No I/O.

The decisions are :mod:`_kb`'s (the one decision procedure) on the catalog entry ``CATALOG['Q294406']``, the constants
below come from that entry, and this module only adapts:

- the facts :func:`_exchange55.gather_facts` returns become the engine's facts (:func:`engine_facts`): ParametersPrivate
  as the key the fix writes, Store.exe as the entry's file, OWA SSL-only as the declared input ``owa_ssl_only``;
- ``protocol`` becomes the wanted data (an entry derived for ``http:``);
- the engine's reasons are worded as owa_url_protocol has always worded them (:data:`WORDING`, by reason code);
- the result becomes ``{'status', 'reasons', 'prerequisites'}`` with Q294406's prerequisite names.

So the statuses come in the engine's order:

1. ``not_applicable``: Exchange is not installed (no Setup key, or no ``Services`` value in it);
   another release was identified (4.0, 5.0, 2000, 2003: the reason names it and the deciding item);
   ``MSExchangeIS\\ParametersPrivate`` is missing (a Setup key left by an uninstall, Q178975; Q257252).
2. ``blocked``: the evidence conflicts (the reason names both sides; nothing is guessed).
3. ``not_applicable``: OWA is not SSL-only.
4. ``blocked``: a prerequisite is missing or undeterminable (family, SP4, Store.exe, OWA, refused reads).
5. ``compliant`` / ``needs_change``.  ``changed`` comes only from :func:`status_after_change`.
"""

from __future__ import annotations

import dataclasses

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue

ID = 'Q294406'
ENTRY = _kb.CATALOG[ID]
_CHANGE = ENTRY['changes'][0]
_STORE = next(item for item in ENTRY['applies_to']['files'] if item['name'] == 'Store.exe')
KEY = _CHANGE['key']
VALUE_NAME = _CHANGE['name']
SETUP_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
PROTOCOLS = ('https:', 'http:')
STATES = ('present', 'absent')
STATUSES = _kb.STATUSES
REQUIRED_SERVICE_PACK = ENTRY['applies_to']['min_service_pack']
REQUIRED_STORE_VERSION = _kb.minimum(_STORE)
# How the message starts when a blocked host is refused the write (error_kind 'blocked').
REFUSAL = f'{ID} prerequisites not met, nothing was written'
# The entry for each protocol: the catalog's (https:, what the article asks for) and one derived for http:.
ENTRIES = {protocol: ENTRY if protocol == _CHANGE['data'] else dict(ENTRY, changes=[dict(_CHANGE, data=protocol)])
           for protocol in PROTOCOLS}
# owa_url_protocol's words for the engine's reasons (the others are the engine's own); {owa_detail} and {store_path}
# come from the facts (:func:`wording`).
WORDING = {
    'not_installed': f'Exchange Server is not installed (no {SETUP_KEY} key or no Services value in it)',
    'key_missing': 'no Exchange 5.5 Information Store on this server: {key} does not exist '
                   '(the Setup key survives an uninstall, Q178975)',
    'input_false': 'OWA is not SSL-only ({owa_detail}); {kb} applies only when OWA requires SSL',
    'input_undeclared': 'OWA SSL-only could not be determined ({owa_detail}); declare it with owa_ssl_required: true or false',
    'version_unknown': 'Exchange version could not be determined: no Store.exe version, Services Version or NewestBuild '
                       f'under {SETUP_KEY} names a release',
    'service_pack_unknown': 'Service pack could not be determined ({evidence}); {kb} needs Service Pack {need}',
    'file_not_read': "{name}'s version could not be read: {why}; check the Services value under " + SETUP_KEY
                     + ' (Exchange Setup writes the install folder there as a drive path, e.g. C:\\EXCHSRVR, Q149205)',
    'file_missing': '{name} not found at {store_path}',
    'file_no_version': '{name} at {store_path} has no file version',
    'file_not_a_version': '{name} at {store_path} reports version {version!r}, which is not a file version',
    'file_other_line': '{name} {version} is not an Exchange {line} {name}; it is compared with {need} only inside the {line} line',
    'file_older': '{name} {version} is older than {need}',
}


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to do to the value: ``action`` 'none', 'set' or 'delete', with the value before and after.

    The shape :func:`_apply.apply_change` carries out, as a :class:`_kb.Change` is; ``action`` keeps a restore that
    writes nothing ('none') apart from one whose values merely differ in how the transport shows them.
    """

    action: str
    before: RegValue | None
    after: RegValue | None

    @property
    def changes(self) -> bool:
        return self.action != 'none'

    def change(self) -> _kb.Change:
        return _kb.Change(ID, KEY, VALUE_NAME, self.before, self.after)

    def diff(self) -> dict:
        """An Ansible diff: one line ``OWA Url Protocol = REG_SZ "https:"`` (or nothing when absent) per side."""
        return self.change().diff()


def validate_protocol(protocol) -> str:
    """Return ``protocol`` if it is 'https:' or 'http:'; otherwise raise a one-line ValueError."""
    if protocol in PROTOCOLS:
        return protocol
    if isinstance(protocol, str) and protocol.strip().lower() in ('https', 'http'):
        raise ValueError(f'protocol {protocol!r} lacks its colon: use "{protocol.strip().lower()}:" '
                         '(Q294406: "Data must end with a colon (:)")')
    raise ValueError(f'protocol must be "https:" or "http:", got {protocol!r}')


def validate_state(state) -> str:
    """Return ``state`` if it is 'present' or 'absent'; otherwise raise a one-line ValueError."""
    if state not in STATES:
        raise ValueError(f'state must be "present" or "absent", got {state!r}')
    return state


def entry(protocol: str = 'https:') -> dict:
    """The catalog entry of Q294406 with ``protocol`` as the data to write."""
    return ENTRIES[validate_protocol(protocol)]


def wanted_value(protocol: str = 'https:') -> RegValue:
    """The value Q294406 asks for: REG_SZ holding the protocol."""
    return _kb.wanted(entry(protocol)['changes'][0], {})


def current_value(facts: dict) -> RegValue | None:
    """The OWA Url Protocol value the facts saw, or None when it is absent or was not read."""
    value = facts['owa_url_protocol']
    if not value.get('present'):
        return None
    return RegValue.from_record(value)


def engine_facts(facts: dict) -> dict:
    """The facts of :func:`_kb.evaluate` for the Q294406 entry, from those of :func:`_exchange55.gather_facts`.

    gather_facts lists ParametersPrivate, not the MSExchangeIS service key above it: the service key is taken as
    present, so a missing ParametersPrivate is the key the engine names.  Store.exe is put at the path the engine
    locates it (install folder + bin), whatever the case of its spelling.
    """
    value = facts['owa_url_protocol']
    if value['key_present'] is None:
        private = _kb.DENIED
    elif not value['key_present']:
        private = None
    else:
        current = current_value(facts)
        values = {} if current is None else {value.get('name') or VALUE_NAME: current}
        private = {'key': KEY, 'names': {name: found.type for name, found in values.items()}, 'values': values}
    service_key = _kb.component_key(ENTRY)
    keys = {_kb.key_id(service_key): {'key': service_key, 'names': {}, 'values': {}}, _kb.key_id(KEY): private}
    files = {}
    store = facts['store']
    path, _why = _kb.file_path(_STORE, facts['exchange'], keys)
    if path is not None and store['path'] is not None:
        if store.get('not_read'):
            found = _kb.NotRead(store['not_read'])
        elif store['present'] is None:
            found = _kb.DENIED
        else:
            found = (store['version'] or '') if store['present'] else None
        files[path.lower()] = found
    return {'exchange': facts['exchange'], 'keys': keys, 'files': files,
            'inputs': {'owa_ssl_only': facts['owa']['ssl_required']}, 'denied': facts['denied']}


def wording(facts: dict) -> _kb.Wording:
    """Q294406's words (:data:`WORDING`) with what they quote from the facts: the OWA detail and Store.exe's path."""
    return _kb.Wording(WORDING, owa_detail=facts['owa']['detail'], store_path=facts['store']['path'])


def evaluate(facts: dict, protocol: str = 'https:') -> dict:
    """Return ``{'status', 'reasons', 'prerequisites'}`` for the facts of one host.

    ``status`` is compliant, needs_change, not_applicable or blocked; ``reasons``
    is never empty; ``prerequisites`` maps exchange_55, service_pack_4, store_exe,
    owa_ssl_only, information_store_key and readable to True, False or None (not known).
    """
    return _adapt(_kb.evaluate(entry(protocol), engine_facts(facts), wording=wording(facts)), facts)


def plan(current: RegValue | None, state: str = 'present', protocol: str = 'https:') -> Plan:
    """Plan the change that brings ``current`` to ``state``: set the wanted REG_SZ (:func:`_kb.plan`), delete, or nothing."""
    if validate_state(state) == 'absent':
        return Plan('none' if current is None else 'delete', current, None)
    wanted = entry(protocol)
    values = {} if current is None else {VALUE_NAME: current}
    planned = _kb.plan(wanted, {'keys': {_kb.key_id(KEY): {'key': KEY, 'names': {}, 'values': values}}})
    return Plan('set' if planned else 'none', current, wanted_value(protocol))


def write_allowed(evaluation: dict, state: str, ignore_prerequisites: bool = False) -> bool:
    """May a planned change be written?  The one rule, as the module documentation states it.

    Removing the value (``state: absent``) is always allowed: it restores the default.  Setting it
    is :func:`_kb.write_allowed`: allowed when the host needs the change; on a ``blocked`` host only with
    ``ignore_prerequisites``; on a ``not_applicable`` host (no Exchange 5.5, or OWA not SSL only)
    never, whatever ``ignore_prerequisites`` says.
    """
    if validate_state(state) == 'absent':
        return True
    return _kb.write_allowed(evaluation, ignore_prerequisites)


def refusal(evaluation: dict) -> str | None:
    """Why a change that :func:`write_allowed` forbids fails the task, or None when it is simply not made.

    A ``blocked`` host fails with the reasons (error_kind ``blocked``); a ``not_applicable`` host is
    left alone without an error (the change does not apply to it).
    """
    return _kb.refusal(ID, evaluation)


def status_after_change(facts: dict, change: Plan, protocol: str = 'https:') -> dict:
    """Evaluate the host as it is once ``change`` has been written: 'changed' when the write made it compliant."""
    written = [change.change()] if change.changes else []
    found = _kb.status_after_change(entry(protocol), engine_facts(facts), {}, written, wording(facts))
    return _adapt(found, facts)


# The engine's condition (owa_ssl_only) as Q294406's owa_ssl_only prerequisite.
_OWA = {True: True, False: False, None: None, 'not_checkable': None}


def _adapt(found: dict, facts: dict) -> dict:
    """The engine's result in Q294406's shape: its status and reasons, the prerequisites under Q294406's names."""
    met = found['prerequisites']
    prerequisites = {
        'exchange_55': met['exchange_55'],
        'service_pack_4': met['service_pack'],
        'store_exe': met[_STORE['name']],
        'owa_ssl_only': _OWA[found['condition']],
        'information_store_key': facts['owa_url_protocol']['key_present'],
        'readable': met['readable'],
    }
    return {'status': found['status'], 'reasons': found['reasons'], 'prerequisites': prerequisites}
