# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""KB Q294406 as pure policy: facts in, status, reasons and a planned change out.  No I/O.

The facts are the dict :func:`_exchange55.gather_facts` returns (its docstring says how the family
and service pack are identified).  Statuses are decided in a fixed order:

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

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion

KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate'
VALUE_NAME = 'OWA Url Protocol'
SETUP_KEY = 'HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
PROTOCOLS = ('https:', 'http:')
STATES = ('present', 'absent')
STATUSES = ('compliant', 'needs_change', 'changed', 'not_applicable', 'blocked')
REQUIRED_SERVICE_PACK = 4
REQUIRED_STORE_VERSION = FileVersion.parse('5.5.2654.81')
# How the message starts when a blocked host is refused the write (error_kind 'blocked').
REFUSAL = 'Q294406 prerequisites not met, nothing was written'


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to do to the value: ``action`` 'none', 'set' or 'delete', with the value before and after."""

    action: str
    before: RegValue | None
    after: RegValue | None

    @property
    def changes(self) -> bool:
        return self.action != 'none'

    def diff(self) -> dict:
        """An Ansible diff: one line ``OWA Url Protocol = REG_SZ "https:"`` (or nothing when absent) per side."""
        def side(value):
            return f'{VALUE_NAME} = {value.to_text()}\n' if value is not None else ''
        return {'before': side(self.before), 'after': side(self.after), 'before_header': KEY, 'after_header': KEY}


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


def wanted_value(protocol: str = 'https:') -> RegValue:
    """The value Q294406 asks for: REG_SZ holding the protocol."""
    return RegValue('REG_SZ', validate_protocol(protocol))


def current_value(facts: dict) -> RegValue | None:
    """The OWA Url Protocol value the facts saw, or None when it is absent or was not read."""
    value = facts['owa_url_protocol']
    if not value.get('present'):
        return None
    return RegValue.from_record(value)


def evaluate(facts: dict, protocol: str = 'https:') -> dict:
    """Return ``{'status', 'reasons', 'prerequisites'}`` for the facts of one host.

    ``status`` is compliant, needs_change, not_applicable or blocked; ``reasons``
    is never empty; ``prerequisites`` maps exchange_55, service_pack_4, store_exe,
    owa_ssl_only, information_store_key and readable to True, False or None (not known).
    """
    want = wanted_value(protocol)
    exchange, owa = facts['exchange'], facts['owa']
    sp_met, sp_reasons = _service_pack(exchange)
    store_met, store_reasons = _store(facts['store'], exchange)
    key_present = facts['owa_url_protocol']['key_present']
    prerequisites = {
        'exchange_55': _exchange_55(exchange, key_present),
        'service_pack_4': sp_met,
        'store_exe': store_met,
        'owa_ssl_only': owa['ssl_required'],
        'information_store_key': key_present,
        'readable': not facts['denied'],
    }
    family, deciding = exchange['family'], exchange['family_evidence']

    # Not applicable: no Exchange, another release (named), or a Setup key left over by an uninstall.
    if exchange['installed'] is False and not exchange['conflict']:
        return _result('not_applicable', [f'Exchange Server is not installed (no {SETUP_KEY} key or no Services value in it)'],
                       prerequisites)
    if family not in (None, '5.5'):
        return _result('not_applicable', [f'Exchange Server {family} found ({deciding}); '
                                          'Q294406 applies to Exchange Server 5.5 only'], prerequisites)
    if key_present is False:
        return _result('not_applicable', [f'no Exchange 5.5 Information Store on this server: {KEY} does not exist '
                                          '(the Setup key survives an uninstall, Q178975)'], prerequisites)
    if exchange['conflict']:
        return _result('blocked', [exchange['conflict'] + '; resolve it on the server, nothing is guessed'], prerequisites)
    if owa['ssl_required'] is False:
        return _result('not_applicable', [f'OWA is not SSL-only ({owa["detail"]}); Q294406 applies only when OWA requires SSL'],
                       prerequisites)

    blocked = []
    if exchange['installed'] and family is None and not facts['denied']:  # a refused read says why itself
        blocked.append('Exchange version could not be determined: no Store.exe version, Services Version or NewestBuild '
                       f'under {SETUP_KEY} names a release')
        if facts['store'].get('not_read'):
            blocked += store_reasons          # why there was no Store.exe version
    if family == '5.5':
        blocked += sp_reasons + store_reasons
    if owa['ssl_required'] is None:
        blocked.append(f'OWA SSL-only could not be determined ({owa["detail"]}); declare it with owa_ssl_required: true or false')
    blocked += [f'Access denied reading {denied["what"]}: {denied["reason"]}' for denied in facts['denied']]
    if blocked:
        return _result('blocked', blocked, prerequisites)

    current = current_value(facts)
    if current == want:
        return _result('compliant', [f'{VALUE_NAME} is {want.to_text()}'], prerequisites)
    seen = 'not set' if current is None else current.to_text()
    return _result('needs_change', [f'{VALUE_NAME} is {seen}; must be {want.to_text()}'], prerequisites)


def plan(current: RegValue | None, state: str = 'present', protocol: str = 'https:') -> Plan:
    """Plan the change that brings ``current`` to ``state``: set the wanted REG_SZ, delete, or nothing."""
    if validate_state(state) == 'absent':
        return Plan('none' if current is None else 'delete', current, None)
    want = wanted_value(protocol)
    return Plan('none' if current == want else 'set', current, want)


def write_allowed(evaluation: dict, state: str, ignore_prerequisites: bool = False) -> bool:
    """May a planned change be written?  The one rule, as the module documentation states it.

    Removing the value (``state: absent``) is always allowed: it restores the default.  Setting it
    is allowed when the host needs the change; on a ``blocked`` host only with
    ``ignore_prerequisites``; on a ``not_applicable`` host (no Exchange 5.5, or OWA not SSL only)
    never, whatever ``ignore_prerequisites`` says.
    """
    if validate_state(state) == 'absent':
        return True
    status = evaluation['status']
    if status == 'blocked':
        return bool(ignore_prerequisites)
    return status in ('compliant', 'needs_change')


def refusal(evaluation: dict) -> str | None:
    """Why a change that :func:`write_allowed` forbids fails the task, or None when it is simply not made.

    A ``blocked`` host fails with the reasons (error_kind ``blocked``); a ``not_applicable`` host is
    left alone without an error (the change does not apply to it).
    """
    if evaluation['status'] != 'blocked':
        return None
    return f'{REFUSAL}: ' + '; '.join(evaluation['reasons']) + ' (set ignore_prerequisites: true to write anyway)'


def status_after_change(facts: dict, change: Plan, protocol: str = 'https:') -> dict:
    """Evaluate the host as it is once ``change`` has been written: 'changed' when the write made it compliant."""
    after = change.after
    value = dict(facts['owa_url_protocol'], present=after is not None, type=None, data=None)
    if after is not None:
        value.update(after.to_record())
    result = evaluate(dict(facts, owa_url_protocol=value), protocol)
    if change.changes and result['status'] == 'compliant':
        result['status'] = 'changed'
    return result


def _result(status: str, reasons: list, prerequisites: dict) -> dict:
    return {'status': status, 'reasons': reasons, 'prerequisites': prerequisites}


def _exchange_55(exchange: dict, key_present) -> bool | None:
    if exchange['installed'] is False or exchange['family'] not in (None, '5.5') or key_present is False:
        return False
    return True if exchange['family'] == '5.5' and not exchange['conflict'] else None


def _service_pack(exchange: dict) -> tuple[bool | None, list]:
    sp, evidence = exchange['service_pack'], exchange['service_pack_evidence']
    need = f'Q294406 needs Service Pack {REQUIRED_SERVICE_PACK}'
    if sp is None:
        return None, [f'Service pack could not be determined ({evidence}); {need}']
    if sp >= REQUIRED_SERVICE_PACK:
        return True, []
    found = 'Exchange 5.5 without a service pack' if sp == 0 else f'Service Pack {sp}'
    return False, [f'{found} found ({evidence}); {need}']


def _store(store: dict, exchange: dict) -> tuple[bool | None, list]:
    """Store.exe >= 5.5.2654.81, compared only inside the 5.5 line (a 6.0.x Store.exe never passes)."""
    path, version = store['path'], store['version']
    if path is None:
        if exchange.get('install_path') is None and exchange.get('installed') is not False:
            return None, [f'Store.exe could not be located: no install folder (Services) under {SETUP_KEY}']
        return None, []
    if store.get('not_read'):
        return None, [f'Store.exe\'s version could not be read: {store["not_read"]}; check the Services value under {SETUP_KEY} '
                      '(Exchange Setup writes the install folder there as a drive path, e.g. C:\\EXCHSRVR, Q149205)']
    if store['present'] is None:
        return None, []  # the read was refused; the access-denied reason says so
    if not store['present']:
        return False, [f'Store.exe not found at {path}']
    if not version:
        return None, [f'Store.exe at {path} has no file version']
    try:
        found = FileVersion.parse_lenient(version)
    except ValueError:
        return None, [f'Store.exe at {path} reports version {version!r}, which is not a file version']
    if (found.major, found.minor) != (REQUIRED_STORE_VERSION.major, REQUIRED_STORE_VERSION.minor):
        return False, [f'Store.exe {version} is not an Exchange 5.5 Store.exe; it is compared with {REQUIRED_STORE_VERSION} '
                       'only inside the 5.5 line']
    if found < REQUIRED_STORE_VERSION:
        return False, [f'Store.exe {found} is older than {REQUIRED_STORE_VERSION}']
    return True, []
