# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KB engine, pure: catalog entries (docs/catalog.md) and a host's facts in; status, reasons and planned changes out.

No I/O here: :mod:`_kb_reads` does the reads, once per key and file, for every KB of a task.  The facts are
``exchange`` (the identification :func:`_exchange55.gather_facts` returns), ``keys`` and ``files``
(:func:`_kb_reads.read_facts`; a file is its version, '' without one, None when missing, DENIED, or a :class:`NotRead`),
``inputs`` (declared answers, e.g. ``owa_ssl_only``) and ``denied``.

Statuses are those of Q294406 (DESIGN.md), decided in this order for each KB:

1. ``not_applicable``: no Exchange; another release; the component's service key or a key the fix writes is missing.
2. ``blocked``: the evidence on the release conflicts.
3. ``not_applicable``: the condition is false (a declared input says no, or a registry test fails).
4. ``blocked``: the release could not be determined (unless a refused read explains it), the service pack is too low or
   unknown, a file is missing, older or unreadable, the condition cannot be checked remotely and was not declared (the
   reason says so: it is never skipped, never applied), a read was refused.
5. ``compliant`` / ``needs_change``.  ``changed`` comes only from :func:`status_after_change`.

This is the one decision procedure: owa_url_protocol and server_info reach it through :mod:`_q294406`, which words the
same reasons in its own way (a :class:`Wording` over the reason codes of :data:`REASONS`).
"""

from __future__ import annotations

import dataclasses
import re

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_catalog import ENTRIES, SOURCE
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._regedit import CURRENT_VERSION_KEY
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, parse_key_path, stored_name
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion

SERVICES_KEY = 'HKLM\\SYSTEM\\CurrentControlSet\\Services'
STATUSES = ('compliant', 'needs_change', 'changed', 'not_applicable', 'blocked')
DENIED = 'denied'                    # a key or file the account may not read (facts['keys'] / facts['files'])
_ID = re.compile(r'Q[0-9]{6}', re.ASCII)
_PARAM = re.compile(r'[a-z][a-z0-9_]{0,40}', re.ASCII)
_VERSION = re.compile(r'[0-9]{1,5}(\.[0-9]{1,5}){2,3}', re.ASCII)
_TYPES = ('REG_SZ', 'REG_DWORD')
_QUOTE_KINDS = ('registry', 'prerequisite', 'condition', 'restart')
_ENTRY_FIELDS = {'id', 'title', 'source', 'applies_to', 'condition', 'changes', 'restart', 'quotes', 'notes'}
_CHANGE_FIELDS = {'key', 'name', 'type', 'data', 'choice', 'range', 'only_when'}
_TESTS = ('key_exists', 'value_absent', 'value_equals')
# Where a file of applies_to.files is: a folder under a root, a service's own program (image_of), or a file in the
# folder of a service's program (beside).
_PLACES = ('folder', 'image_of', 'beside')
_FILE_FIELDS = {'name', 'min_version', 'root'} | set(_PLACES)
# The roots a folder is relative to: the Exchange install path (Setup\Services, the default), or the Windows system
# root.  Windows records the system root as CurrentVersion\SystemRoot (REG_SZ); remote tools read it there over MS-RRP
# (nmap scripts/smb-system-info.nse: reg_get_value(... "Software\\Microsoft\\Windows NT\\CurrentVersion", "SystemRoot")).
_ROOTS = ('install', 'system')
# How a 3-part version of an article ("5.5.2542") is padded: a missing revision is 0.
PAD = '.0'


class CatalogError(ValueError):
    """An entry breaks the catalog format (docs/catalog.md); the message names the entry and the field."""


# ------------------------------------------------------------------ the format
def check_entry(entry: dict) -> None:
    """Raise CatalogError (one line, naming the entry and field) unless ``entry`` follows docs/catalog.md."""
    kb = entry.get('id') if isinstance(entry, dict) else None

    def fail(field, why):
        raise CatalogError(f'catalog entry {kb or "?"}: {field} {why}')

    if not isinstance(entry, dict):
        fail('entry', 'must be a mapping')
    if set(entry) != _ENTRY_FIELDS:
        fail('fields', f'must be exactly {sorted(_ENTRY_FIELDS)}, got {sorted(entry)}')
    if not isinstance(kb, str) or not _ID.fullmatch(kb):
        fail('id', 'must be Q and six digits')
    if entry['source'] != f'kb/{kb[1:4]}/{kb}/README.md':
        fail('source', f'must be kb/{kb[1:4]}/{kb}/README.md in {SOURCE["repository"]}')
    if not isinstance(entry['title'], str) or not entry['title']:
        fail('title', 'must be the article\'s title')
    _check_applies_to(entry['applies_to'], fail)
    _check_condition(entry['condition'], fail)
    if not isinstance(entry['changes'], list) or not entry['changes']:
        fail('changes', 'must list at least one registry change')
    params = set()
    for index, change in enumerate(entry['changes']):
        _check_change(change, f'changes[{index}]', fail, params)
    restart = entry['restart']
    if not isinstance(restart, dict) or set(restart) != {'services', 'as_written'} or not isinstance(restart['services'], list):
        fail('restart', 'must be {services: [service names], as_written: quote or None}')
    if bool(restart['services']) != (restart['as_written'] is not None):
        fail('restart', 'names services exactly when the article asks for a restart (as_written)')
    quotes = entry['quotes']
    if not isinstance(quotes, dict) or not quotes or not set(quotes) <= set(_QUOTE_KINDS):
        fail('quotes', f'must map some of {list(_QUOTE_KINDS)} to lists of verbatim quotes')
    for kind, texts in quotes.items():
        if not isinstance(texts, list) or not texts or not all(isinstance(text, str) and text.strip() for text in texts):
            fail(f'quotes.{kind}', 'must be a non-empty list of quotes')
    if 'registry' not in quotes:
        fail('quotes.registry', 'is required: the article\'s words for the change')
    if (entry['applies_to']['files'] or entry['applies_to']['min_service_pack']) and 'prerequisite' not in quotes:
        fail('quotes.prerequisite', 'is required when files or a service pack are listed')
    if entry['condition'] is not None and 'condition' not in quotes:
        fail('quotes.condition', 'is required when there is a condition')
    if restart['services'] and restart['as_written'] not in quotes.get('restart', []):
        fail('restart.as_written', 'must be one of quotes.restart')
    if not isinstance(entry['notes'], list) or not all(isinstance(note, str) for note in entry['notes']):
        fail('notes', 'must be a list of strings')


def _check_applies_to(applies, fail):
    if not isinstance(applies, dict) or set(applies) != {'family', 'min_service_pack', 'component', 'files'}:
        fail('applies_to', 'must be {family, min_service_pack, component, files}')
    if applies['family'] != '5.5':
        fail('applies_to.family', 'must be 5.5')
    if applies['min_service_pack'] not in (None, 1, 2, 3, 4):
        fail('applies_to.min_service_pack', 'must be 1-4 or None')
    if not isinstance(applies['component'], str) or not re.fullmatch(r'MSExchange[A-Za-z]+', applies['component']):
        fail('applies_to.component', 'must be an Exchange service name (MSExchangeIS, MSExchangeIMC, ...)')
    if not isinstance(applies['files'], list):
        fail('applies_to.files', 'must be a list')
    for index, item in enumerate(applies['files']):
        where = f'applies_to.files[{index}]'
        places = [place for place in _PLACES if isinstance(item, dict) and place in item]
        if not isinstance(item, dict) or not ({'name', 'min_version'} < set(item) <= _FILE_FIELDS) or len(places) != 1 \
                or ('root' in item and places != ['folder']):
            fail(where, 'must be {name, min_version} and one of folder (relative to the install path, or to the system '
                        'root with root: system), image_of (a service\'s program) or beside (in the folder of a service\'s '
                        'program)')
        if not isinstance(item['min_version'], str) or not _VERSION.fullmatch(item['min_version']):
            fail(where, 'min_version must be three or four dotted numbers')
        if 'folder' in item and (not isinstance(item['folder'], str) or item['folder'].startswith('\\') or ':' in item['folder']):
            fail(where, 'folder must be relative to the install path (or to the system root)')
        if 'root' in item and item['root'] not in _ROOTS:
            fail(where, f'root must be one of {list(_ROOTS)}')
        if places != ['folder'] and item[places[0]] != applies['component']:
            fail(where, f'{places[0]} must be the entry\'s component (its service key is the one read)')


def _check_condition(condition, fail):
    if condition is None:
        return
    if not isinstance(condition, dict):
        fail('condition', 'must be None, {input, description, why_not_remote} or {registry: [tests]}')
    if 'input' in condition:
        if set(condition) != {'input', 'description', 'why_not_remote'} or not _PARAM.fullmatch(str(condition['input'])):
            fail('condition', 'as an input must be {input: snake_case name, description, why_not_remote}')
        return
    if set(condition) != {'registry', 'description'} or not isinstance(condition['registry'], list) or not condition['registry']:
        fail('condition', 'as registry tests must be {registry: [tests], description}')
    for index, test in enumerate(condition['registry']):
        if not isinstance(test, dict) or test.get('test') not in _TESTS or not isinstance(test.get('key'), str):
            fail(f'condition.registry[{index}]', f'must be {{key, test: one of {list(_TESTS)}, ...}}')
        if test['test'] != 'key_exists' and not isinstance(test.get('name'), str):
            fail(f'condition.registry[{index}]', 'needs the value name')
        if test['test'] == 'value_equals':
            _value(test.get('value'), f'condition.registry[{index}].value', fail)


def _check_change(change, where, fail, params):
    if not isinstance(change, dict) or not {'key', 'name', 'type'} <= set(change) <= _CHANGE_FIELDS:
        fail(where, f'must be {{key, name, type}} with one of data, choice, range (and optionally only_when), got {sorted(change)}')
    try:
        hive, _subkey = parse_key_path(change['key'])
    except (TypeError, ValueError, AttributeError):
        fail(f'{where}.key', 'must be a full registry path')
    if hive != 'HKLM' or not change['key'].startswith('HKLM\\'):
        fail(f'{where}.key', 'must start with HKLM\\')
    if change['type'] not in _TYPES:
        fail(f'{where}.type', f'must be one of {list(_TYPES)}')
    kinds = [kind for kind in ('data', 'choice', 'range') if kind in change]
    if len(kinds) != 1:
        fail(where, 'needs exactly one of data (fixed), choice or range (a parameter from the user, no default)')
    if 'data' in change:
        _value({'type': change['type'], 'data': change['data']}, f'{where}.data', fail)
    else:
        spec = change[kinds[0]]
        if not isinstance(spec, dict) or not _PARAM.fullmatch(str(spec.get('param'))):
            fail(f'{where}.{kinds[0]}', 'needs param: a snake_case parameter name')
        if spec['param'] in params:
            fail(f'{where}.{kinds[0]}', f'param {spec["param"]} is used twice')
        params.add(spec['param'])
        if change['type'] != 'REG_DWORD':
            fail(f'{where}.{kinds[0]}', 'choice and range are REG_DWORD only')
        if 'choice' in change and (set(spec) != {'param', 'choices'} or not spec['choices']
                                   or not all(isinstance(k, int) and isinstance(v, str) for k, v in spec['choices'].items())):
            fail(f'{where}.choice', 'must be {param, choices: {number: meaning}}')
        if 'range' in change and (set(spec) != {'param', 'min', 'max', 'unit'} or not 0 <= spec['min'] <= spec['max'] <= 0xFFFFFFFF):
            fail(f'{where}.range', 'must be {param, min, max, unit} with 0 <= min <= max <= 4294967295')
    if 'only_when' in change:
        _value(change['only_when'], f'{where}.only_when', fail)


def _value(value, where, fail):
    if not isinstance(value, dict) or set(value) != {'type', 'data'}:
        fail(where, 'must be {type, data}')
    try:
        RegValue(value['type'], value['data'])
    except (TypeError, ValueError) as exc:
        fail(where, f'is not a registry value: {exc}')


def _load(entries) -> dict:
    catalog = {}
    for entry in entries:
        check_entry(entry)
        if entry['id'] in catalog:
            raise CatalogError(f'catalog entry {entry["id"]}: id is listed twice')
        catalog[entry['id']] = entry
    return catalog


CATALOG = _load(ENTRIES)


# ------------------------------------------------------------------ arguments
def select(ids, params=None) -> list:
    """The entries for ``ids`` (in order, duplicates dropped), after checking ``params``: {id: {name: value}}.

    Raises ValueError (one line saying what to do) for an unknown id, a parameter the entries do not take, and a missing
    or invalid choice/range parameter: a choice is never defaulted.
    """
    params = params or {}
    if not isinstance(ids, (list, tuple)) or not ids:
        raise ValueError(f'ids must list KB ids, e.g. [Q294406]; the catalog has {", ".join(CATALOG)}')
    wanted = []
    for kb in ids:
        key = str(kb).strip().upper()
        if not key.startswith('Q'):
            key = 'Q' + key
        if key not in CATALOG:
            raise ValueError(f'{kb} is not in the KB catalog; the catalog has {", ".join(CATALOG)} (docs/catalog.md)')
        if key not in wanted:
            wanted.append(key)
    if not isinstance(params, dict):
        raise ValueError('params must map KB ids to their parameters, e.g. {Q285023: {enable_ttl: 1}}')
    for kb, given in params.items():
        if str(kb).upper() not in wanted:
            raise ValueError(f'params names {kb}, which is not in ids')
        if not isinstance(given, dict):
            raise ValueError(f'params.{kb} must be a mapping of parameter names to values')
    for kb in wanted:
        given = {str(name): value for name, value in (params.get(kb) or params.get(kb.lower()) or {}).items()}
        known = parameters(CATALOG[kb])
        for name in given:
            if name not in known:
                raise ValueError(f'params.{kb}.{name} is not a parameter of {kb}; it takes {", ".join(known) or "none"}')
        for name, spec in known.items():
            if spec['kind'] == 'input':
                value = given.get(name)
                if value is not None and not isinstance(value, bool):
                    raise ValueError(f'params.{kb}.{name} must be true or false ({spec["description"]})')
                continue
            if name not in given:
                raise ValueError(f'{kb} needs params.{kb}.{name}: {describe_param(spec)}; there is no default')
            _param_value(kb, name, spec, given[name])
    return [CATALOG[kb] for kb in wanted]


def parameters(entry: dict) -> dict:
    """{name: spec} of the parameters an entry takes: the condition's input, each change's choice or range."""
    found = {}
    if entry['condition'] is not None and 'input' in entry['condition']:
        found[entry['condition']['input']] = {'kind': 'input', 'description': entry['condition']['description']}
    for change in entry['changes']:
        for kind in ('choice', 'range'):
            if kind in change:
                found[change[kind]['param']] = dict(change[kind], kind=kind, name=change['name'])
    return found


def describe_param(spec: dict) -> str:
    if spec['kind'] == 'choice':
        return f'{spec["name"]} is one of ' + '; '.join(f'{number} ({meaning})' for number, meaning in spec['choices'].items())
    if spec['kind'] == 'range':
        return f'{spec["name"]} is a number from {spec["min"]} to {spec["max"]} {spec["unit"]}'
    return f'true or false: {spec["description"]}'


def _param_value(kb, name, spec, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise ValueError(f'params.{kb}.{name} must be a number: {describe_param(spec)}')
    if spec['kind'] == 'choice' and value not in spec['choices']:
        raise ValueError(f'params.{kb}.{name} is {value}, but {describe_param(spec)}')
    if spec['kind'] == 'range' and not spec['min'] <= value <= spec['max']:
        raise ValueError(f'params.{kb}.{name} is {value}, but {describe_param(spec)}')
    return value


# ------------------------------------------------------------------ what to read
def component_key(entry: dict) -> str:
    return f'{SERVICES_KEY}\\{entry["applies_to"]["component"]}'


def keys_to_read(entries) -> dict:
    """{key: [value names]} every KB of ``entries`` needs, each key once (case-insensitive), in first-use order.

    A component's service key is listed (it is installed when the key exists); its ImagePath is read when a file is
    located by it.
    """
    wanted = {}

    def need(key, name=None):
        slot = wanted.setdefault(key_id(key), (key, []))
        if name is not None and name.lower() not in (known.lower() for known in slot[1]):
            slot[1].append(name)

    for entry in entries:
        files = entry['applies_to']['files']
        need(component_key(entry), 'ImagePath' if any('image_of' in item or 'beside' in item for item in files) else None)
        if any(item.get('root') == 'system' for item in files):
            need(CURRENT_VERSION_KEY, 'SystemRoot')
        for test in (entry['condition'] or {}).get('registry', []):
            need(test['key'], test.get('name'))
        for change in entry['changes']:
            need(change['key'], change['name'])
    return dict(wanted.values())


def files_to_read(entries, exchange: dict, keys: dict) -> dict:
    """{path: None} of the files the entries' prerequisites need, with the facts known so far; unlocatable files are left out
    (:func:`evaluate` says why)."""
    paths = {}
    for entry in entries:
        for item in entry['applies_to']['files']:
            path, _why = file_path(item, exchange, keys)
            if path is not None:
                paths.setdefault(path.lower(), path)
    return {path: None for path in paths.values()}


def file_path(item: dict, exchange: dict, keys: dict) -> tuple[str | None, str | None]:
    """(path, None), or (None, why it cannot be located); (None, None) when the key that locates it could not be read
    (the access-denied reason says so)."""
    if 'folder' in item:
        if item.get('root') == 'system':
            base, why = _system_root(keys)
            if why is not None or base is None:
                return None, why and f'{item["name"]} could not be located: {why}'
        else:
            base = exchange.get('install_path')
            if not base:
                return None, f'{item["name"]} could not be located: no install folder (Services) under HKLM\\SOFTWARE\\Microsoft\\Exchange\\Setup'
        return f'{base.rstrip(chr(92))}\\{item["folder"]}\\{item["name"]}', None
    service = item.get('image_of') or item['beside']
    key = f'{SERVICES_KEY}\\{service}'
    state = key_state(keys, key)
    if state == DENIED:
        return None, None
    value = None if state is None else find_value(state['values'], 'ImagePath')
    if value is None or value.type not in ('REG_SZ', 'REG_EXPAND_SZ'):
        return None, f'{item["name"]} could not be located: {key} has no ImagePath'
    path = image_path(value.data)
    if path is None:
        return None, f'{item["name"]} could not be located: the ImagePath of {service} ({value.data!r}) is not a full path'
    if 'beside' in item:
        return f'{path.rsplit(chr(92), 1)[0]}\\{item["name"]}', None
    if path.rsplit('\\', 1)[-1].lower() != item['name'].lower():
        return None, f'{item["name"]} could not be located: {service} starts {path}, not {item["name"]}'
    return path, None


def _system_root(keys: dict) -> tuple[str | None, str | None]:
    """(CurrentVersion's SystemRoot, None), (None, why not) or (None, None) when the key could not be read."""
    state = key_state(keys, CURRENT_VERSION_KEY)
    if state == DENIED:
        return None, None
    value = None if state is None else find_value(state['values'], 'SystemRoot')
    if value is None or value.type != 'REG_SZ' or not re.match(r'[A-Za-z]:\\', value.data or ''):
        shown = 'not set' if value is None else value.to_text()
        return None, f'the system root is not known ({CURRENT_VERSION_KEY} SystemRoot is {shown})'
    return value.data, None


def image_path(text: str) -> str | None:
    """The program of a service's ImagePath (quotes and arguments dropped), or None when it is not a full path."""
    text = text.strip()
    if text.startswith('"'):
        path = text[1:].split('"', 1)[0]
    else:
        match = re.match(r'(.+?\.exe)(\s|$)', text, re.IGNORECASE)
        path = match.group(1) if match else text.split(' ', 1)[0]
    path = path.strip()
    if '%' in path or not re.match(r'[A-Za-z]:\\', path):
        return None
    return path


def key_id(key: str) -> str:
    hive, subkey = parse_key_path(key)
    return f'{hive}\\{subkey}'.lower()


def key_state(keys: dict, key: str):
    """What was read of ``key``: {'values': {name: RegValue}, 'names': {name: type}}, None (absent) or DENIED."""
    return keys.get(key_id(key), DENIED)


def find_value(values: dict, name: str):
    stored = stored_name(values, name)
    return None if stored is None else values[stored]


# ------------------------------------------------------------------ evaluation
@dataclasses.dataclass(frozen=True)
class Change:
    """One value to write: ``before`` (RegValue or None) -> ``after``; the shape :func:`_apply.apply_change` carries out."""

    kb: str
    key: str
    name: str
    before: RegValue | None
    after: RegValue | None

    @property
    def changes(self) -> bool:
        return self.before != self.after

    def diff(self) -> dict:
        def side(value):
            return f'{self.name} = {value.to_text()}\n' if value is not None else ''
        return {'before': side(self.before), 'after': side(self.after), 'before_header': self.key, 'after_header': self.key}


def wanted(change: dict, params: dict) -> RegValue:
    """The value a catalog change writes: its fixed data, or the user's choice/range parameter."""
    if 'data' in change:
        return RegValue(change['type'], change['data'])
    spec = change.get('choice') or change.get('range')
    return RegValue(change['type'], int(params[spec['param']]))


def plan(entry: dict, facts: dict, params: dict | None = None) -> list:
    """The Change of every value the entry asks for that does not hold its wanted data yet (``only_when`` respected)."""
    params = params or {}
    planned = []
    for change in entry['changes']:
        state = key_state(facts['keys'], change['key'])
        current = None if state in (None, DENIED) else find_value(state['values'], change['name'])
        if 'only_when' in change and current != RegValue(**change['only_when']):
            continue
        want = wanted(change, params)
        if current != want:
            planned.append(Change(entry['id'], change['key'], change['name'], current, want))
    return planned


# ------------------------------------------------------------------ reasons
# Every reason the engine gives, by code: a template filled with the reason's parameters (str.format).  ``kb`` is always
# one of them.  A caller that words its reasons in its own way (owa_url_protocol: _q294406.WORDING) passes a Wording with
# other templates; the decisions are the same whatever the words.
REASONS = {
    'not_installed': 'Exchange Server is not installed',
    'other_release': 'Exchange Server {family} found ({evidence}); {kb} applies to Exchange Server 5.5 only',
    'key_missing': '{key} does not exist, so {kb} does not apply here ({component} or the key it changes is not installed; '
                   'keys are never created)',
    'conflict': '{conflict}; resolve it on the server, nothing is guessed',
    'version_unknown': 'the Exchange version could not be determined (no Store.exe version, Services Version or NewestBuild '
                       'names a release)',
    'service_pack_unknown': 'the service pack could not be determined ({evidence}); {kb} needs Service Pack {need}',
    'service_pack_low': '{found} found ({evidence}); {kb} needs Service Pack {need}',
    'file_unlocatable': '{why}',
    'file_not_read': "{name}'s version could not be read at {path}: {why}",
    'file_missing': '{name} not found at {path}; {kb} needs {need} or later',
    'file_no_version': '{name} at {path} has no file version',
    'file_not_a_version': '{name} at {path} reports version {version!r}, which is not a file version',
    'file_other_line': '{name} {version} is not an Exchange {line} file; it is compared with {need} only inside that line',
    'file_older': '{name} {version} is older than {need} ({kb})',
    'input_undeclared': 'the condition "{description}" cannot be checked remotely ({why_not_remote}); declare it with '
                        'params.{kb}.{input}: true or false',
    'input_false': 'the condition "{description}" is declared false; {kb} applies only when it holds',
    'condition_false': 'the condition "{description}" does not hold: {failed}',
    'condition_unread': 'the condition "{description}" could not be read ({key})',
    'test_key_missing': '{key} does not exist',
    'test_value_set': '{name} is set under {key}',
    'test_value_differs': '{name} under {key} is not {value}',
    'denied': 'Access denied reading {what}: {reason}',
    'holds': '{name} is {value}',
    'left_alone': '{name} under {leaf} is {current} (not {only_when})',
    'differs': '{name} is {current}; must be {want}',
}


class Wording:
    """The words of the reasons: :data:`REASONS`, with some templates replaced (``texts``) and extra parameters
    (``context``) that those templates may use.  ``wording(code, **params)`` is one reason."""

    def __init__(self, texts: dict | None = None, **context):
        unknown = sorted(set(texts or {}) - set(REASONS))
        if unknown:
            raise ValueError(f'Wording: {", ".join(unknown)} is not a reason code; the codes are {", ".join(REASONS)}')
        self.texts = dict(REASONS, **(texts or {}))
        self.context = context

    def __call__(self, code: str, **params) -> str:
        return self.texts[code].format(**{**self.context, **params})


DEFAULT_WORDING = Wording()


@dataclasses.dataclass(frozen=True)
class NotRead:
    """A file whose version could not be read for a reason other than a refusal (a path the transport cannot read)."""

    reason: str


def evaluate(entry: dict, facts: dict, params: dict | None = None, wording: Wording | None = None) -> dict:
    """``{'status', 'reasons', 'prerequisites', 'condition', 'restart_services'}`` of one KB on one host.

    ``prerequisites`` maps exchange_55, service_pack, each file name and readable to True, False or None (not known);
    ``condition`` is True, False, None (not known) or 'not_checkable' (an input nobody declared).  Both are assessed in
    full whatever the status; the status then follows the order of the module docstring.  ``wording`` words the
    reasons (:data:`REASONS` by default).
    """
    params = params or {}
    kb, applies = entry['id'], entry['applies_to']
    wording = wording or DEFAULT_WORDING

    def say(code, **values):
        return wording(code, kb=kb, **values)

    exchange = facts['exchange']
    family, installed, conflict = exchange.get('family'), exchange.get('installed'), exchange.get('conflict')
    denied = list(facts.get('denied', []))
    missing = [key for key in [component_key(entry)] + [change['key'] for change in entry['changes']]
               if key_state(facts['keys'], key) is None]
    if installed is False or family not in (None, '5.5') or missing:
        exchange_55 = False
    else:
        exchange_55 = True if family == '5.5' and not conflict else None
    prerequisites = {'exchange_55': exchange_55}
    service_pack_reasons = _service_pack(entry, exchange, prerequisites, say)
    file_reasons, unread = _files(entry, facts, prerequisites, say)
    prerequisites['readable'] = not denied
    condition, condition_reasons = _condition(entry, facts, params, say)
    result = {'prerequisites': prerequisites, 'condition': condition, 'restart_services': list(entry['restart']['services'])}

    def done(status, reasons):
        return dict(result, status=status, reasons=reasons)

    if installed is False and not conflict:
        return done('not_applicable', [say('not_installed')])
    if family not in (None, '5.5'):
        return done('not_applicable', [say('other_release', family=family, evidence=exchange.get('family_evidence'))])
    if missing:
        return done('not_applicable', [say('key_missing', key=missing[0], component=applies['component'])])
    if conflict:
        return done('blocked', [say('conflict', conflict=conflict)])
    if condition is False:
        return done('not_applicable', condition_reasons)

    blocked = []
    if family is None:
        if not denied:                      # a refused read says why itself
            blocked.append(say('version_unknown'))
            blocked += unread               # why a file (e.g. Store.exe) gave no version
    else:
        blocked += service_pack_reasons + file_reasons
    blocked += condition_reasons if condition is not True else []
    blocked += [say('denied', what=item['what'], reason=item['reason']) for item in denied]
    if blocked:
        return done('blocked', blocked)

    planned = plan(entry, facts, params)
    if not planned:
        return done('compliant', [_holds(entry, facts, params, say)])
    return done('needs_change', [say('differs', name=change.name, current=_shown(change.before), want=change.after.to_text())
                                 for change in planned])


def status_after_change(entry: dict, facts: dict, params: dict, written: list, wording: Wording | None = None) -> dict:
    """The KB evaluated once the ``written`` Changes are on the server: 'changed' when they made it compliant.

    A Change whose ``after`` is None deleted its value.  A missing key stays missing (keys are never created); in a key
    whose listing was refused, the value written is known.
    """
    keys = dict(facts['keys'])
    for change in written:
        state = keys.get(key_id(change.key))
        if state is None:
            continue
        if state == DENIED:
            state = {'key': change.key, 'names': {}, 'values': {}}
        values = {name: value for name, value in state['values'].items() if name.lower() != change.name.lower()}
        if change.after is not None:
            values[change.name] = change.after
        keys[key_id(change.key)] = dict(state, values=values)
    result = evaluate(entry, dict(facts, keys=keys), params, wording)
    if written and result['status'] == 'compliant':
        result['status'] = 'changed'
    return result


def write_allowed(evaluation: dict, ignore_prerequisites: bool = False) -> bool:
    """May a planned change be written?  When the host needs it; on a ``blocked`` host only with
    ``ignore_prerequisites``; on a ``not_applicable`` host never."""
    status = evaluation['status']
    if status == 'blocked':
        return bool(ignore_prerequisites)
    return status in ('compliant', 'needs_change')


def refusal(kb: str, evaluation: dict) -> str | None:
    """Why a change that :func:`write_allowed` forbids fails the task (a ``blocked`` host, with its reasons), or None
    when it is simply not made (a ``not_applicable`` host)."""
    if evaluation['status'] != 'blocked':
        return None
    return (f'{kb} prerequisites not met, nothing was written: ' + '; '.join(evaluation['reasons'])
            + ' (set ignore_prerequisites: true to write anyway)')


def _shown(value) -> str:
    return 'not set' if value is None else value.to_text()


def _holds(entry, facts, params, say) -> str:
    parts = []
    for change in entry['changes']:
        state = key_state(facts['keys'], change['key'])
        current = find_value(state['values'], change['name'])
        if 'only_when' in change and current != RegValue(**change['only_when']):
            parts.append(say('left_alone', name=change['name'], leaf=change['key'].rsplit('\\', 1)[-1], current=_shown(current),
                             only_when=RegValue(**change['only_when']).to_text()))
        else:
            parts.append(say('holds', name=change['name'], value=wanted(change, params).to_text()))
    return '; '.join(parts)


def _condition(entry, facts, params, say) -> tuple:
    condition = entry['condition']
    if condition is None:
        return True, []
    if 'input' in condition:
        name = condition['input']
        answer = params.get(name)
        if answer is None:
            answer = facts.get('inputs', {}).get(name)
        if answer is None:
            return 'not_checkable', [say('input_undeclared', description=condition['description'], input=name,
                                         why_not_remote=condition['why_not_remote'])]
        if not answer:
            return False, [say('input_false', description=condition['description'], input=name)]
        return True, []
    unknown, failed = [], []
    for test in condition['registry']:
        outcome = _registry_test(test, facts['keys'])
        if outcome is None:
            unknown.append(say('condition_unread', description=condition['description'], key=test['key']))
        elif not outcome:
            failed.append(_describe_test(test, say))
    if failed:
        return False, [say('condition_false', description=condition['description'], failed='; '.join(failed))]
    if unknown:
        return None, unknown
    return True, []


def _registry_test(test, keys):
    state = key_state(keys, test['key'])
    if state == DENIED:
        return None
    if test['test'] == 'key_exists':
        return state is not None
    current = None if state is None else find_value(state['values'], test['name'])
    if test['test'] == 'value_absent':
        return current is None
    return current == RegValue(**test['value'])


def _describe_test(test, say) -> str:
    if test['test'] == 'key_exists':
        return say('test_key_missing', key=test['key'])
    if test['test'] == 'value_absent':
        return say('test_value_set', name=test['name'], key=test['key'])
    return say('test_value_differs', name=test['name'], key=test['key'], value=RegValue(**test['value']).to_text())


def _service_pack(entry, exchange, prerequisites, say) -> list:
    need = entry['applies_to']['min_service_pack']
    if need is None:
        return []
    found = exchange.get('service_pack')
    prerequisites['service_pack'] = None if found is None else found >= need
    evidence = exchange.get('service_pack_evidence')
    if found is None:
        return [say('service_pack_unknown', evidence=evidence, need=need)]
    if found >= need:
        return []
    shown = 'Exchange 5.5 without a service pack' if found == 0 else f'Service Pack {found}'
    return [say('service_pack_low', found=shown, evidence=evidence, need=need)]


def minimum(item: dict) -> FileVersion:
    """An article's minimum version, a 3-part one padded with a 0 revision ("5.5.2542" is 5.5.2542.0)."""
    text = item['min_version']
    return FileVersion.parse(text + PAD if text.count('.') == 2 else text)


def _files(entry, facts, prerequisites, say) -> tuple:
    """(the reasons of the files that block, those of the files whose version could not be read)."""
    reasons, unread = [], []
    for item in entry['applies_to']['files']:
        name, need = item['name'], minimum(item)
        path, why = file_path(item, facts['exchange'], facts['keys'])
        prerequisites[name] = None
        if path is None:
            if why:
                reasons.append(say('file_unlocatable', name=name, why=why))
            continue
        found = facts['files'].get(path.lower(), DENIED)
        if found == DENIED:
            continue                        # the access-denied reason says so
        if isinstance(found, NotRead):
            reasons.append(say('file_not_read', name=name, path=path, why=found.reason))
            unread.append(reasons[-1])
            continue
        if found is None:
            prerequisites[name] = False
            reasons.append(say('file_missing', name=name, path=path, need=need))
            continue
        if not found:
            reasons.append(say('file_no_version', name=name, path=path))
            continue
        try:
            version = FileVersion.parse_lenient(found)
        except ValueError:
            reasons.append(say('file_not_a_version', name=name, path=path, version=found))
            continue
        if (version.major, version.minor) != (need.major, need.minor):
            prerequisites[name] = False
            reasons.append(say('file_other_line', name=name, version=found, need=need, line=f'{need.major}.{need.minor}'))
        elif version < need:
            prerequisites[name] = False
            reasons.append(say('file_older', name=name, version=version, need=need))
        else:
            prerequisites[name] = True
    return reasons, unread
