# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The WQL subset that real queries use: SELECT props|* FROM class [WHERE prop op value [AND ...]].

Windows rules kept: keywords, class and property names are case-insensitive; string comparison is
case-insensitive; inside a string literal a backslash escapes the next character and any escape other
than \\\\, \\' and \\" is an invalid query (so 'C:\\exchsrvr' must be written 'C:\\\\exchsrvr').
"""

from __future__ import annotations

import dataclasses
import re

_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<number>-?\d+)
  | (?P<op><>|!=|<=|>=|=|<|>)
  | (?P<punct>[,*])
  | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
)""", re.VERBOSE | re.DOTALL)
_ESCAPES = {'\\': '\\', "'": "'", '"': '"'}


class WqlError(Exception):
    """The query is not valid WQL (or uses more than this subset); str() says why."""


@dataclasses.dataclass(frozen=True)
class Query:
    properties: tuple[str, ...] | None       # None for SELECT *
    class_name: str
    conditions: tuple[tuple[str, str, object], ...]   # (property, operator, value), all must hold


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise WqlError(f'unexpected text at {text[pos:pos + 20]!r}')
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def _literal(token: str) -> str:
    out, body, i = [], token[1:-1], 0
    while i < len(body):
        char = body[i]
        if char == '\\':
            escaped = body[i + 1] if i + 1 < len(body) else ''
            if escaped not in _ESCAPES:
                raise WqlError(f'invalid escape \\{escaped} in string {token} (write a backslash as \\\\)')
            out.append(_ESCAPES[escaped])
            i += 2
        else:
            out.append(char)
            i += 1
    return ''.join(out)


def parse(text: str) -> Query:
    """Parse a WQL query; WqlError if it is invalid or outside the supported subset."""
    tokens = _tokens(text)
    pos = 0

    def take(kind: str | None = None, word: str | None = None) -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise WqlError('the query ends too early')
        got_kind, value = tokens[pos]
        if (kind and got_kind != kind) or (word and value.upper() != word):
            raise WqlError(f'expected {word or kind} but found {value!r}')
        pos += 1
        return value

    def peek_word(word: str) -> bool:
        return pos < len(tokens) and tokens[pos][0] == 'word' and tokens[pos][1].upper() == word

    take('word', 'SELECT')
    properties: list[str] | None = []
    if pos < len(tokens) and tokens[pos] == ('punct', '*'):
        take()
        properties = None
    else:
        properties.append(take('word'))
        while pos < len(tokens) and tokens[pos] == ('punct', ','):
            take()
            properties.append(take('word'))
    take('word', 'FROM')
    class_name = take('word')
    conditions = []
    if peek_word('WHERE'):
        take()
        while True:
            prop = take('word')
            operator = take('op')
            kind, raw = tokens[pos] if pos < len(tokens) else (None, None)
            if kind == 'string':
                value: object = _literal(raw)
            elif kind == 'number':
                value = int(raw)
            elif kind == 'word' and raw.upper() in ('TRUE', 'FALSE', 'NULL'):
                value = {'TRUE': True, 'FALSE': False, 'NULL': None}[raw.upper()]
            else:
                raise WqlError(f'expected a value after {prop} {operator}')
            pos += 1
            conditions.append((prop, '<>' if operator == '!=' else operator, value))
            if not peek_word('AND'):
                break
            take()
    if pos != len(tokens):
        raise WqlError(f'unexpected {tokens[pos][1]!r} (this simulator supports only AND-joined conditions)')
    return Query(tuple(properties) if properties is not None else None, class_name, tuple(conditions))


def _compare(actual: object, operator: str, wanted: object) -> bool:
    if wanted is None:
        return (actual is None) == (operator == '=')
    if actual is None:
        return False
    if isinstance(wanted, str):
        left, right = str(actual).lower(), wanted.lower()
    elif isinstance(wanted, bool):
        left, right = bool(actual), wanted
    else:
        try:
            left, right = int(actual), int(wanted)
        except (TypeError, ValueError):
            return False
    return {
        '=': left == right, '<>': left != right, '<': left < right,
        '>': left > right, '<=': left <= right, '>=': left >= right,
    }[operator]


def matches(instance: dict, conditions: tuple) -> bool:
    """True when the instance (property name -> value, names as in the class) meets every condition.

    Property names in conditions must already be resolved to the class's spelling.
    """
    return all(_compare(instance.get(prop), operator, value) for prop, operator, value in conditions)
