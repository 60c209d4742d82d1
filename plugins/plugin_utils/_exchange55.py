# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Read what Q294406 depends on from an Exchange server, and identify the server from every piece of evidence.

Two halves: :func:`gather_facts` does the reads (through a RemoteHost, in as few calls as
possible); :func:`identify` is pure and turns the readings into the Exchange family, the service
pack and a list of evidence, each item saying what it shows and where that rule comes from.

How a server is identified (sources: docs/identification.md, which quotes them):

- Family.  Every reading that exists votes for the families it allows, and the family is what all
  votes allow together:
  Store.exe's file version, major.minor 5.0 / 5.5 / 6.0 / 6.5 = Exchange 5.0 / 5.5 / 2000 / 2003
  (KB hotfix tables, Nessus smb_nt_ms10-024; read at ``<Services>\\bin\\store.exe`` as Nessus does);
  ``Services Version`` 50 / 55 / 60 / 65 (Nessus smb_hotfixes, smb_nt_ms06-003);
  ``NewestBuild`` and ``ServicePackBuild`` below 4047 = not Exchange 2000 or later (Microsoft
  isexchng.h: "if (dwBuildNumber < 4047) // PT beta 1 build"), and NewestBuild in the ranges of the
  Q158530 build list (4.0 below 1457, 5.0 1457-1959, 5.5 1960-4046).
  Votes that allow no common family are a conflict: the server is blocked and the reason names both
  sides.  Nothing is guessed: a missing value does not vote.
- Service pack, only once the family is 5.5: ``ServicePackNumber`` (Nessus SMB/Exchange/SP),
  ``ServicePackBuild`` (2653-2999 = SP4; Q158530 builds 1960/2232/2448/2650/2653), or Store.exe's build
  (>= 2653 is the SP4 line, KB hotfix tables).  SP4 when any of them says so; the one used is named.
- Store.exe is compared with 5.5.2654.81 only when its major.minor is 5.5 (Q294406; cumulative fixes,
  Q282533); a 6.0.x Store.exe never passes.  Versions are parsed leniently ("5.05.1960.8", Q193485).
- ``MSExchangeIS\\ParametersPrivate`` exists on every 5.5 store server (Q257252); the Setup key
  survives an uninstall (Q178975), so without ParametersPrivate the Setup values are stale.

:func:`gather_facts` returns this JSON-safe dict (every key always present; None means "not read"
or "could not be determined"):

``exchange``
    ``installed`` (bool|None), ``family`` ('4.0', '5.0', '5.5', '2000', '2003', '2000 or later' or None),
    ``family_evidence`` (the deciding item, one line), ``conflict`` (one line naming the conflicting
    items, or None), ``install_path`` (the ``Services`` folder), ``services_version``, ``newest_build``,
    ``service_pack_number``, ``service_pack_build`` (ints), ``service_pack`` (0 for none, 1-4),
    ``service_pack_evidence`` (one line saying which item decided), ``values_found`` ({name: registry
    type} of the Setup values) and ``notes`` (anything unexpected that was accepted or ignored).
``store``
    ``path`` of Store.exe, ``present`` (bool|None), ``version`` (file version string as read) and, when the
    file could not be read for a reason other than a refusal (a path the transport cannot read, a directory, a
    missing share), ``not_read``: that reason.
``information_store``
    ``service`` ('MSExchangeIS'), its ``state`` ('Running', ...; read only when asked for) and
    ``key_present`` (MSExchangeIS\\ParametersPrivate exists).
``evidence``
    [{``item``, ``value``, ``says``}] for every reading, in the order read.
``owa``
    ``ssl_required`` (bool|None), ``source`` ('declared', 'probe' or 'unknown'), ``url``, ``detail``.
``owa_url_protocol``
    ``key``, ``name`` (as stored), ``key_present``, ``present`` (bool|None), ``type``, ``data``.
``denied``
    [{``what``, ``reason``}] for every read the account was not allowed to do.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import (
    KEY, REQUIRED_STORE_VERSION, SETUP_KEY, VALUE_NAME)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, stored_name
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError, RemoteHost
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion

SERVICE = 'MSExchangeIS'
FAMILIES = ('4.0', '5.0', '5.5', '2000', '2003')
LATER = frozenset(('2000', '2003'))
BEFORE_2000 = frozenset(('4.0', '5.0', '5.5'))
# (first build, service pack) for Exchange 5.5, highest first (Q158530: 1960, SP1 2232, SP2 2448, SP3 2650, SP4 2653).
SERVICE_PACK_BUILDS = ((2653, 4), (2650, 3), (2448, 2), (2232, 1), (1960, 0))
SP4_BUILD = 2653
EXCHANGE_2000_BETA1 = 4047           # Microsoft isexchng.h: "if (dwBuildNumber < 4047) // PT beta 1 build"
# Store.exe / Services Version -> family (KB hotfix tables; Nessus smb_hotfixes, smb_nt_ms06-003, smb_nt_ms10-024).
STORE_FAMILIES = {(5, 0): '5.0', (5, 5): '5.5', (6, 0): '2000', (6, 5): '2003'}
SERVICES_VERSIONS = {50: '5.0', 55: '5.5', 60: '2000', 65: '2003'}
# The Setup values read, in order; Services is the install folder, the others are numbers.
SETUP_VALUES = ('Services', 'Services Version', 'NewestBuild', 'ServicePackNumber', 'ServicePackBuild')
_DIGITS = re.compile(r'[0-9]{1,10}', re.ASCII)
_DENIED = object()  # a read the account may not do; recorded in facts['denied']


def family_name(families) -> str:
    """'5.5', '2000', ... for one family; '2000 or later' for {2000, 2003}; '4.0, 5.0 or 5.5' otherwise."""
    families = [family for family in FAMILIES if family in families]
    if set(families) == LATER:
        return '2000 or later'
    return families[0] if len(families) == 1 else ', '.join(families[:-1]) + ' or ' + families[-1]


def families_from_build(build: int) -> frozenset:
    """Families a NewestBuild allows: Q158530's build ranges below 4047 (isexchng.h), 2000 or later from it."""
    if build >= EXCHANGE_2000_BETA1:
        return LATER
    if build < 1457:
        return frozenset(('4.0',))
    if build < 1960:
        return frozenset(('5.0',))
    return frozenset(('5.5',))


def service_pack_from_build(build: int) -> int | None:
    """Highest Exchange 5.5 service pack whose build is at or below ``build`` (0 = none); None outside 1960-2999."""
    if not 1960 <= build <= 2999:
        return None
    return next(sp for first, sp in SERVICE_PACK_BUILDS if build >= first)


def _version_of(text) -> FileVersion | None:
    try:
        return FileVersion.parse_lenient(text)
    except ValueError:
        return None


def identify(readings: dict) -> dict:
    """Identify the server from its readings (pure).

    ``readings``: ``setup_key`` (True, False, or None when refused), ``values`` ({name: RegValue} of the
    Setup values found), ``store_path``, ``store_read`` (False when Store.exe was not read or the read was
    refused), ``store`` (version string, '' without a version resource, None when the file is missing),
    ``parameters_private`` (True, False, or None when refused).
    Returns the ``exchange`` facts and the ``evidence`` list.
    """
    exchange = {'installed': None, 'family': None, 'family_evidence': None, 'conflict': None, 'install_path': None,
                'services_version': None, 'newest_build': None, 'service_pack_number': None, 'service_pack_build': None,
                'service_pack': None, 'service_pack_evidence': None,
                'values_found': {name: value.type for name, value in readings['values'].items()}, 'notes': []}
    evidence = []
    votes = []                                  # (item text, frozenset of families it allows, evidence item)

    def add(item, value, says):
        evidence.append({'item': item, 'value': value, 'says': says})

    if readings['setup_key'] is False:
        exchange['installed'] = False
        add(f'{SETUP_KEY} key', None, 'missing: Exchange Server is not installed')
    values = readings['values']
    services = values.get('Services')
    if services is not None:
        if services.type in ('REG_SZ', 'REG_EXPAND_SZ') and services.data.strip():
            exchange['installed'] = True
            exchange['install_path'] = services.data.strip()
            add('Setup\\Services', exchange['install_path'],
                'Exchange Server is installed in this folder (Q149205; Microsoft isexchng.h: the installed marker)')
        else:
            add('Setup\\Services', services.to_text(), 'not an install folder: ignored')
            exchange['notes'].append(f'Services is {services.to_text()}: not an install folder')
    elif readings['setup_key']:
        exchange['installed'] = False
        add('Setup\\Services', None,
            'missing: Exchange Server is not installed (Microsoft isexchng.h); the Setup key is left over (Q178975)')

    number = {name: _number(exchange, name, values.get(name)) for name in SETUP_VALUES[1:]}
    exchange['services_version'] = version = number['Services Version']
    if version is not None:
        family = SERVICES_VERSIONS.get(version)
        if family is None:
            add('Setup\\Services Version', version, 'not a known value (50, 55, 60, 65): ignored')
            exchange['notes'].append(f'Services Version {version} is not a known value (55 means Exchange 5.5)')
        else:
            add('Setup\\Services Version', version, f'Exchange {family} (Nessus smb_hotfixes: {version} = {family})')
            votes.append((f'Services Version {version}', frozenset((family,)), 'Setup\\Services Version'))
    exchange['newest_build'] = newest = number['NewestBuild']
    if newest is not None:
        allowed = families_from_build(newest)
        add('Setup\\NewestBuild', newest, _build_says(newest, allowed))
        votes.append((f'NewestBuild {newest}', allowed, 'Setup\\NewestBuild'))
    exchange['service_pack_number'] = number['ServicePackNumber']
    exchange['service_pack_build'] = sp_build = number['ServicePackBuild']
    if sp_build is not None:
        allowed = LATER if sp_build >= EXCHANGE_2000_BETA1 else BEFORE_2000
        votes.append((f'ServicePackBuild {sp_build}', allowed, 'Setup\\ServicePackBuild'))

    store_version = None
    if readings['store_path'] is not None and readings['store_read']:
        raw = readings['store']
        if raw is None:
            add('Store.exe', None, f'not found at {readings["store_path"]}')
        elif not raw:
            add('Store.exe', '', f'{readings["store_path"]} has no file version')
        else:
            store_version = _version_of(raw)
            family = None if store_version is None else STORE_FAMILIES.get((store_version.major, store_version.minor))
            if store_version is None:
                add('Store.exe', raw, 'not a file version: ignored')
                exchange['notes'].append(f'Store.exe reports version {raw!r}, which is not a file version')
            elif family is None:
                add('Store.exe', raw, f'major.minor {store_version.major}.{store_version.minor} is no known Exchange release: ignored')
            else:
                votes.append((f'Store.exe {raw}', frozenset((family,)), 'Store.exe'))
                add('Store.exe', raw, _store_says(store_version, family))

    pp = readings['parameters_private']
    if pp is not None:
        add(f'{KEY} key', 'present' if pp else 'missing',
            'an Information Store is installed (Q257252 lists its default values)' if pp else
            'no Exchange 5.5 Information Store on this server; Setup values survive an uninstall (Q178975)')

    deciding = _decide_family(exchange, votes)
    if exchange['family'] == '5.5':
        deciding['service pack'] = _decide_service_pack(exchange, add, store_version)
    else:
        for name in ('ServicePackNumber', 'ServicePackBuild'):
            if number[name] is not None:
                add(f'Setup\\{name}', number[name], 'not used: service packs are compared only on Exchange 5.5')
    if exchange['installed'] is False and pp and not exchange['conflict']:
        exchange['conflict'] = (f'conflicting evidence: {KEY} exists but Exchange is not installed '
                                '(no Setup key or no Services value in it)')
        deciding['conflict'] = f'{KEY} key'
    for entry in evidence:
        entry['decides'] = [what for what, item in deciding.items() if item == entry['item']]
    return {'exchange': exchange, 'evidence': evidence}


def _build_says(build: int, allowed: frozenset) -> str:
    if allowed == LATER:
        return 'Exchange 2000 or later (4047 or above; Microsoft isexchng.h)'
    return f'Exchange {family_name(allowed)} (below 4047 is not Exchange 2000, Microsoft isexchng.h; Q158530 build list)'


def _store_says(version: FileVersion, family: str) -> str:
    if family != '5.5':
        return f'Exchange {family} (Store.exe {version.major}.{version.minor}.x); not compared with {REQUIRED_STORE_VERSION}'
    sp = service_pack_from_build(version.build)
    line = 'the Service Pack 4 line or later' if version.build >= SP4_BUILD else (
        f'the Service Pack {sp} line' if sp else 'before Service Pack 1')
    fix = ('the Q294406 fix is present' if version >= REQUIRED_STORE_VERSION
           else f'older than {REQUIRED_STORE_VERSION}: the Q294406 fix is missing')
    return f'Exchange 5.5, build {version.build} is {line}; {fix} (Q294406, Q282533)'


def _decide_family(exchange: dict, votes: list) -> dict:
    """Set family/family_evidence, or conflict; return {'family': evidence item} for the deciding item."""
    if not votes:
        return {}
    allowed = frozenset(FAMILIES)
    for _item, families, _entry in votes:
        allowed &= families
    if not allowed:
        # Name every item that disagrees with another one, the most specific (Store.exe) first.
        ordered = sorted(votes, key=lambda vote: (not vote[0].startswith('Store.exe'), len(vote[1])))
        disagreeing = [vote for vote in ordered if any(not vote[1] & other[1] for other in votes)]
        said = [f'{item} says Exchange {family_name(families)}' for item, families, _entry in disagreeing]
        exchange['conflict'] = f'conflicting evidence: {said[0]}, but ' + '; '.join(said[1:])
        return {'conflict': disagreeing[0][2]}
    # The deciding item: the most specific vote (Store.exe first, it is decisive per Q278518 and the scanners).
    deciding = min(votes, key=lambda vote: (len(vote[1]), not vote[0].startswith('Store.exe')))
    if len(allowed) == 1 or allowed == LATER:
        exchange['family'] = family_name(allowed)
        exchange['family_evidence'] = deciding[0]
        return {'family': deciding[2]}
    exchange['notes'].append(f'the family is one of Exchange {family_name(allowed)}: {deciding[0]} does not tell them apart')
    return {}


def _decide_service_pack(exchange: dict, add, store: FileVersion | None) -> str | None:
    """SP4 when ServicePackNumber >= 4, ServicePackBuild is 2653-2999, or Store.exe's build >= 2653; the first that says so decides."""
    said = []                                     # (service pack, item)
    number, build = exchange['service_pack_number'], exchange['service_pack_build']
    if number is not None:
        said.append((number, f'ServicePackNumber {number}', 'Setup\\ServicePackNumber'))
        add('Setup\\ServicePackNumber', number, f'Service Pack {number} (Nessus smb_hotfixes: SMB/Exchange/SP)' if number
            else 'no service pack')
    if build is not None:
        sp = service_pack_from_build(build)
        if sp is None:
            add('Setup\\ServicePackBuild', build, 'not an Exchange 5.5 build (1960-2999): ignored')
            exchange['notes'].append(f'ServicePackBuild {build} is not an Exchange 5.5 build: ignored')
        else:
            said.append((sp, f'ServicePackBuild {build}', 'Setup\\ServicePackBuild'))
            add('Setup\\ServicePackBuild', build, f'Service Pack {sp} (Q158530 build list)' if sp else 'the release build, no service pack')
    if store is not None:
        sp = service_pack_from_build(store.build)
        if sp is not None:
            said.append((sp, f'Store.exe build {store.build}', 'Store.exe'))
    if not said:
        exchange['service_pack_evidence'] = 'no ServicePackNumber, no ServicePackBuild and no Store.exe build to show one'
        return None
    chosen = next((entry for entry in said if entry[0] >= 4), None) or max(said, key=lambda entry: entry[0])
    exchange['service_pack'] = chosen[0]
    exchange['service_pack_evidence'] = chosen[1]
    others = [item for sp, item, _entry in said if (sp >= 4) != (chosen[0] >= 4)]
    if others:
        exchange['notes'].append(f'{", ".join(others)} disagree{"s" if len(others) == 1 else ""} with {chosen[1]}; '
                                 f'Service Pack {exchange["service_pack"]} taken from {chosen[1]}')
    return chosen[2]


def gather_facts(host: RemoteHost, owa: OwaAnswer | Callable[[], OwaAnswer] | None = None, service_state: bool = False) -> dict:
    """Read the facts documented above.

    WinRM cost on an Exchange 5.5 server: one ``EnumValues`` of the Setup key, one read per Setup value
    that exists, Store.exe's version, one ``EnumValues`` of ParametersPrivate and, when OWA Url Protocol
    exists, its value; ``service_state=True`` adds the Information Store's state.  Two reads without Exchange.

    ``owa`` is the OWA SSL-only answer, or a callable producing it (e.g. a probe), called only when it
    can matter.  A RemoteError of kind access_denied becomes an entry in ``denied``; any other
    RemoteError propagates.
    """
    facts = {
        'exchange': None,
        'store': {'path': None, 'present': None, 'version': None, 'not_read': None},
        'information_store': {'service': SERVICE, 'state': None, 'key_present': None},
        'evidence': [],
        'owa': None,
        'owa_url_protocol': {'key': KEY, 'name': VALUE_NAME, 'key_present': None, 'present': None, 'type': None, 'data': None},
        'denied': [],
    }
    read = _Reader(facts['denied'], host)
    readings = {'setup_key': None, 'values': {}, 'store_path': None, 'store': None, 'store_read': False,
                'parameters_private': None}
    names = read(f'the values of {SETUP_KEY}', host.enum_values, SETUP_KEY)
    if names is not _DENIED:
        readings['setup_key'] = names is not None
        for wanted in SETUP_VALUES:
            stored = stored_name(names or {}, wanted)
            if stored is None:
                continue
            value = read(f'{SETUP_KEY} value "{stored}"', host.get_value, SETUP_KEY, stored, names[stored])
            if isinstance(value, RegValue):
                readings['values'][wanted] = value
    services = readings['values'].get('Services')
    if services is not None and services.type in ('REG_SZ', 'REG_EXPAND_SZ') and services.data.strip():
        store = facts['store']
        store['path'] = readings['store_path'] = services.data.strip().rstrip('\\') + '\\bin\\store.exe'
        try:
            version = read(store['path'], host.file_version, store['path'])
        except RemoteError as err:
            # A path the transport cannot read (quoted, UNC, %variables% over smb), a directory, a missing share: the
            # version cannot be determined, so the server is blocked with this reason instead of failing the host.
            if err.kind not in UNREADABLE_STORE_KINDS:
                raise
            version = _DENIED
            store['not_read'] = _without_host(str(err), getattr(host, 'host', None))
        if version is not _DENIED:
            readings['store_read'] = True
            readings['store'] = version
            store['present'], store['version'] = version is not None, version
    _read_owa_url_protocol(host, read, facts['owa_url_protocol'])
    readings['parameters_private'] = facts['information_store']['key_present'] = facts['owa_url_protocol']['key_present']

    identified = identify(readings)
    facts['exchange'], facts['evidence'] = identified['exchange'], identified['evidence']
    exchange = facts['exchange']
    relevant = (exchange['installed'] is not False and exchange['family'] in (None, '5.5')
                and readings['parameters_private'] is not False)
    if callable(owa) and not relevant:
        owa = OwaAnswer.unknown('not checked: no Exchange Server 5.5 Information Store here')
    elif callable(owa):
        owa = owa()
    facts['owa'] = (owa or OwaAnswer.unknown('no OWA URL to probe and no declared setting')).to_facts()
    if service_state and relevant:
        state = read(f'the state of service {SERVICE}', host.service_state, SERVICE)
        facts['information_store']['state'] = None if state is _DENIED else state
    return facts


# RemoteError kinds of a Store.exe read that mean "its version cannot be determined here", not "the host failed".
UNREADABLE_STORE_KINDS = frozenset(('unsupported', 'not_found'))


def _without_host(message: str, host: str | None) -> str:
    """``message`` without a leading ``<host>:`` (the reasons belong to the host already)."""
    return message[len(host) + 1:].strip() if host and message.startswith(f'{host}:') else message


class _Reader:
    """Run one remote read; an access_denied RemoteError is recorded and returns _DENIED."""

    def __init__(self, denied: list, host: RemoteHost):
        self.denied = denied
        self.host = host

    def __call__(self, what: str, method, *args):
        try:
            return method(*args)
        except RemoteError as err:
            if err.kind != 'access_denied':
                raise
            reason = str(err)
            advice = access_denied_advice(getattr(self.host, 'transport', None), what)
            if advice and advice not in reason:
                reason = f'{reason}; {advice}'
            self.denied.append({'what': what, 'reason': reason})
            return _DENIED


def access_denied_advice(transport: str | None, what: str = 'HKLM\\') -> str | None:
    """Why a read or write may be refused, for the transport: over smb the winreg ACL (Q153183)."""
    if transport == 'smb' and ('HKLM\\' in what or 'HKEY_' in what or what.startswith('HK')):
        return ('NT 4.0 and Windows 2000 allow remote registry access only to Administrators (the ACL of '
                'HKLM\\SYSTEM\\CurrentControlSet\\Control\\SecurePipeServers\\winreg, Q153183): '
                'use an account in the server\'s Administrators group; this does not mean Exchange is missing')
    return None


def _number(exchange: dict, name: str, value) -> int | None:
    """A build or version number from REG_DWORD, or REG_SZ digits (noted); None if absent or not a number."""
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


def _read_owa_url_protocol(host: RemoteHost, read: _Reader, entry: dict) -> None:
    """List ParametersPrivate (one call) and read OWA Url Protocol with its listed type only if it is there."""
    names = read(f'the values of {KEY}', host.enum_values, KEY)
    if names is _DENIED:
        return
    entry['key_present'] = names is not None
    stored = stored_name(names or {}, VALUE_NAME)
    if stored is None:
        entry['present'] = False if names is not None else None
        return
    entry['name'] = stored
    value = read(f'{KEY} value "{stored}"', host.get_value, KEY, stored, names[stored])
    if value is _DENIED:
        return
    entry['present'] = value is not None
    if value is not None:
        entry.update(value.to_record())
