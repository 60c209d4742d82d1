# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read what Q294406 depends on from an Exchange server, through a RemoteHost, in as few calls as possible.

:func:`gather_facts` returns this JSON-safe dict (every key always present;
None means "not read" or "could not be determined"):

``exchange``
    ``installed`` (bool|None), ``family`` ('4.0', '5.0', '5.5', '2000 or later' or None),
    ``family_evidence`` (e.g. 'NewestBuild 1960'), ``install_path`` (the ``Services`` folder),
    ``newest_build``, ``services_version``, ``service_pack_build`` (ints),
    ``service_pack`` (0 for none, 1-4), ``service_pack_evidence`` (one line saying how),
    ``values_found`` ({name: registry type} of the Setup values read) and ``notes``
    (anything unexpected that was accepted, e.g. a build number stored as REG_SZ).
``store``
    ``path`` of Store.exe, ``present`` (bool|None), ``version`` (file version string).
``information_store``
    ``service`` ('MSExchangeIS') and its ``state`` ('Running', 'Stopped', ...).
``owa``
    ``ssl_required`` (bool|None), ``source`` ('declared', 'probe' or 'unknown'), ``url``, ``detail``.
``owa_url_protocol``
    ``key``, ``name`` (as stored), ``key_present``, ``present`` (bool|None), ``type``, ``data``.
``denied``
    [{``what``, ``reason``}] for every read the account was not allowed to do.

Sources (see reference/exchange55-facts.md): the Setup key and ``Services`` are
well documented; NewestBuild, ServicePackBuild and Services Version are weakly
sourced, so a build held as REG_SZ digits is accepted and noted.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import KEY, SETUP_KEY, VALUE_NAME
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost

SERVICE = 'MSExchangeIS'
# (first build, service pack) for Exchange 5.5, highest first (Q158530, Q191014).
SERVICE_PACK_BUILDS = ((2653, 4), (2650, 3), (2448, 2), (2232, 1), (1960, 0))
SP4_BUILD = 2653
_DIGITS = re.compile(r'[0-9]{1,10}', re.ASCII)
_DENIED = object()  # a read the account may not do; recorded in facts['denied']


def family_from_build(build: int) -> str | None:
    """Exchange release family for a build number; None for builds between 5.5 and 2000 (3000-4416)."""
    if build < 1457:
        return '4.0'
    if build < 1960:
        return '5.0'
    if build < 3000:
        return '5.5'
    if build >= 4417:
        return '2000 or later'
    return None


def service_pack_from_build(build: int) -> int | None:
    """Highest Exchange 5.5 service pack whose build is at or below ``build`` (0 = none); None below 1960."""
    return next((sp for first, sp in SERVICE_PACK_BUILDS if build >= first), None)


def gather_facts(host: RemoteHost, owa: OwaAnswer | Callable[[], OwaAnswer] | None = None) -> dict:
    """Read the facts documented above; about six remote calls for an Exchange 5.5 server, two without Exchange.

    ``owa`` is the OWA SSL-only answer, or a callable producing it (e.g. a probe),
    called only when it can matter (Exchange 5.5 or an undetermined version).
    Reads after the Setup key are skipped on servers without Exchange 5.5.
    A RemoteError of kind access_denied becomes an entry in ``denied``; any other
    RemoteError propagates.
    """
    facts = {
        'exchange': {'installed': None, 'family': None, 'family_evidence': None, 'install_path': None,
                     'newest_build': None, 'services_version': None, 'service_pack_build': None,
                     'service_pack': None, 'service_pack_evidence': None, 'values_found': {}, 'notes': []},
        'store': {'path': None, 'present': None, 'version': None},
        'information_store': {'service': SERVICE, 'state': None},
        'owa': None,
        'owa_url_protocol': {'key': KEY, 'name': VALUE_NAME, 'key_present': None, 'present': None, 'type': None, 'data': None},
        'denied': [],
    }
    read = _Reader(facts['denied'])
    exchange = facts['exchange']
    setup_value = _read_setup(host, read, exchange)
    relevant = exchange['installed'] is not False and exchange['family'] in (None, '5.5')
    if callable(owa) and not relevant:
        owa = OwaAnswer.unknown('not checked: no Exchange Server 5.5 here')
    elif callable(owa):
        owa = owa()
    facts['owa'] = (owa or OwaAnswer.unknown('no OWA URL to probe and no declared setting')).to_facts()
    if exchange['family'] != '5.5':
        return facts

    _service_pack(exchange, setup_value('ServicePackBuild'))
    if exchange['install_path']:
        store = facts['store']
        store['path'] = exchange['install_path'].rstrip('\\') + '\\bin\\store.exe'
        version = read(store['path'], host.file_version, store['path'])
        if version is not _DENIED:
            store['present'], store['version'] = version is not None, version
    state = read(f'the state of service {SERVICE}', host.service_state, SERVICE)
    facts['information_store']['state'] = None if state is _DENIED else state
    _read_owa_url_protocol(host, read, facts['owa_url_protocol'])
    return facts


class _Reader:
    """Run one remote read; an access_denied RemoteError is recorded and returns _DENIED."""

    def __init__(self, denied: list):
        self.denied = denied

    def __call__(self, what: str, method, *args):
        try:
            return method(*args)
        except RemoteError as err:
            if err.kind != 'access_denied':
                raise
            self.denied.append({'what': what, 'reason': str(err)})
            return _DENIED


def _find(names, wanted: str) -> str | None:
    """The stored spelling of a value name (Windows compares names case-insensitively)."""
    return next((name for name in names if name.lower() == wanted.lower()), None)


def _read_setup(host: RemoteHost, read: _Reader, exchange: dict):
    """Fill install and version facts from the Setup key; return a getter for further Setup values.

    ``Services`` is read first (one call).  Only when it is missing is the key
    listed, to tell "no Exchange" (no key) from a key without an install folder.
    """
    names = None  # {name: type} once the key has been listed

    def setup_value(name: str, expected: str = 'REG_DWORD'):
        if names is not None:
            stored = _find(names, name)
            if stored is None:
                return None
            name, expected = stored, names[stored]
        value = read(f'{SETUP_KEY} value "{name}"', host.get_value, SETUP_KEY, name, expected)
        if isinstance(value, RegValue):
            exchange['values_found'][name] = value.type
        return value

    services = setup_value('Services', 'REG_SZ')
    if services is _DENIED:
        return setup_value
    if services is None:
        names = read(f'the values of {SETUP_KEY}', host.enum_values, SETUP_KEY)
        if names is _DENIED:
            names = None
            return setup_value
        if names is None:
            exchange['installed'] = False
            return setup_value
    exchange['installed'] = True
    if services is not None:
        _install_path(exchange, services)

    newest_value = setup_value('NewestBuild')
    if newest_value is _DENIED:
        return setup_value
    newest = _number(exchange, 'NewestBuild', newest_value)
    if newest is not None:
        exchange['newest_build'] = newest
        exchange['family'] = family_from_build(newest)
        exchange['family_evidence'] = f'NewestBuild {newest}'
        if exchange['family'] is None:
            exchange['notes'].append(f'NewestBuild {newest} matches no known Exchange release')
        return setup_value
    services_version = _number(exchange, 'Services Version', setup_value('Services Version'))
    if services_version is not None:
        exchange['services_version'] = services_version
        if services_version == 55:
            exchange['family'], exchange['family_evidence'] = '5.5', 'Services Version 55'
        else:
            exchange['notes'].append(f'Services Version {services_version} is not a known value (55 means Exchange 5.5)')
    return setup_value


def _install_path(exchange: dict, value: RegValue) -> None:
    if value.type in ('REG_SZ', 'REG_EXPAND_SZ') and value.data.strip():
        exchange['install_path'] = value.data.strip()
        if value.type != 'REG_SZ':
            exchange['notes'].append(f'Services is {value.to_text()} (expected REG_SZ); used as written')
    else:
        exchange['notes'].append(f'Services is {value.to_text()}: not an install folder')


def _number(exchange: dict, name: str, value) -> int | None:
    """A build or version number from REG_DWORD, or REG_SZ digits (noted); None if absent, refused or not a number."""
    if not isinstance(value, RegValue):
        return None
    if value.type in ('REG_DWORD', 'REG_QWORD'):
        number = value.data
    elif value.type in ('REG_SZ', 'REG_EXPAND_SZ') and _DIGITS.fullmatch(value.data.strip()):
        number = int(value.data.strip())
    else:
        exchange['notes'].append(f'{name} is {value.to_text()}: not a number, ignored')
        return None
    if value.type != 'REG_DWORD':
        exchange['notes'].append(f'{name} is {value.to_text()} (expected REG_DWORD); read as {number}')
    return number


def _service_pack(exchange: dict, value) -> None:
    """Set service_pack_build, service_pack and service_pack_evidence from ServicePackBuild (or NewestBuild >= 2653)."""
    build = _number(exchange, 'ServicePackBuild', value)
    newest = exchange['newest_build']
    if build is not None:
        exchange['service_pack_build'] = build
        exchange['service_pack'] = service_pack_from_build(build)
        known = '' if exchange['service_pack'] is not None else ', below the Exchange 5.5 release build 1960'
        exchange['service_pack_evidence'] = f'ServicePackBuild {build}{known}'
    elif value is _DENIED:
        exchange['service_pack_evidence'] = 'ServicePackBuild could not be read'
    elif value is not None:
        exchange['service_pack_evidence'] = f'ServicePackBuild is {value.to_text()}, not a build number'
    elif newest is not None and newest >= SP4_BUILD:
        exchange['service_pack'] = 4
        exchange['service_pack_evidence'] = f'no ServicePackBuild; NewestBuild {newest} is Service Pack 4 or later'
        exchange['notes'].append(f'Service Pack 4 taken from NewestBuild {newest}: there is no ServicePackBuild value')
    else:
        shown = f'; NewestBuild {newest} does not show one' if newest is not None else ''
        exchange['service_pack_evidence'] = f'no ServicePackBuild value{shown}'


def _read_owa_url_protocol(host: RemoteHost, read: _Reader, entry: dict) -> None:
    """List ParametersPrivate (one call) and read OWA Url Protocol with its listed type only if it is there."""
    names = read(f'the values of {KEY}', host.enum_values, KEY)
    if names is _DENIED:
        return
    entry['key_present'] = names is not None
    stored = _find(names or {}, VALUE_NAME)
    if stored is None:
        entry['present'] = False
        return
    entry['name'] = stored
    value = read(f'{KEY} value "{stored}"', host.get_value, KEY, stored, names[stored])
    if value is _DENIED:
        return
    entry['present'] = value is not None
    if value is not None:
        entry.update(value.to_record())
