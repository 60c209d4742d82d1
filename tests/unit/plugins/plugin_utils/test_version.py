# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Tests of FileVersion: parsing, integer ordering, VS_FIXEDFILEINFO halves."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._version import FileVersion


@pytest.mark.parametrize('text, parts', [
    ('5.5.2654.81', (5, 5, 2654, 81)),
    ('  5.5.2654.81\n', (5, 5, 2654, 81)),
    ('5, 5, 2654, 81', (5, 5, 2654, 81)),
    ('5,5,2654,81', (5, 5, 2654, 81)),
    (' 5 ,5 , 2654,81 ', (5, 5, 2654, 81)),
    ('0.0.0.0', (0, 0, 0, 0)),
    ('65535.65535.65535.65535', (65535, 65535, 65535, 65535)),
    ('5.5.2654.081', (5, 5, 2654, 81)),
])
def test_parse(text, parts):
    version = FileVersion.parse(text)
    assert (version.major, version.minor, version.build, version.revision) == parts


@pytest.mark.parametrize('text, shown', [
    ('5.5.2654.81', '5.5.2654.81'),
    ('5, 5, 2654, 81', '5.5.2654.81'),
    (' 5.5.2654.081 ', '5.5.2654.81'),
])
def test_str_is_the_dotted_form(text, shown):
    assert str(FileVersion.parse(text)) == shown
    assert FileVersion.parse(str(FileVersion.parse(text))) == FileVersion.parse(text)


def test_parse_returns_a_file_version_unchanged():
    version = FileVersion(5, 5, 2654, 81)
    assert FileVersion.parse(version) is version


# Store.exe builds from reference/exchange55-facts.md (post-SP4 hotfixes; Q294406 is 5.5.2654.81),
# plus 5.5.2654.9 and 5.5.2654.80, which sort wrongly as text, and SP builds with revision 0.
KB_BUILDS_ASCENDING = [
    '5.5.2448.0', '5.5.2650.0', '5.5.2653.0', '5.5.2654.9', '5.5.2654.31', '5.5.2654.61', '5.5.2654.80',
    '5.5.2654.81', '5.5.2654.89', '5.5.2655.37', '5.5.2656.84', '6.0.0.0',
]


@pytest.mark.parametrize('lower, higher', list(zip(KB_BUILDS_ASCENDING, KB_BUILDS_ASCENDING[1:])))
def test_ordering_is_by_integers(lower, higher):
    low, high = FileVersion.parse(lower), FileVersion.parse(higher)
    assert low < high
    assert low <= high
    assert high > low
    assert high >= low
    assert low != high


def test_sorting_is_numeric_not_textual():
    shuffled = list(reversed(KB_BUILDS_ASCENDING))
    assert [str(version) for version in sorted(FileVersion.parse(text) for text in shuffled)] == KB_BUILDS_ASCENDING
    # as strings these two sort the other way round
    assert sorted(['5.5.2654.9', '5.5.2654.81']) == ['5.5.2654.81', '5.5.2654.9']
    assert FileVersion.parse('5.5.2654.9') < FileVersion.parse('5.5.2654.81')


@pytest.mark.parametrize('installed, meets', [
    ('5.5.2654.80', False),
    ('5.5.2654.81', True),
    ('5, 5, 2654, 81', True),
    ('5.5.2654.89', True),
    ('5.5.2656.84', True),
    ('5.5.2653.0', False),
    ('5.5.2654.61', False),
    ('5.5.2655.37', True),
])
def test_minimum_build_check(installed, meets):
    assert (FileVersion.parse(installed) >= FileVersion.parse('5.5.2654.81')) is meets


def test_equal_versions_are_equal_and_hash_alike():
    assert FileVersion.parse('5.5.2654.81') == FileVersion.parse('5, 5, 2654, 81')
    assert len({FileVersion.parse('5.5.2654.81'), FileVersion(5, 5, 2654, 81)}) == 1


@pytest.mark.parametrize('ms, ls, text', [
    (0x00050005, 0x0A5E0051, '5.5.2654.81'),
    (0x00050005, 0x0A600054, '5.5.2656.84'),
    (0, 0, '0.0.0.0'),
    (0xFFFFFFFF, 0xFFFFFFFF, '65535.65535.65535.65535'),
])
def test_from_ms_ls(ms, ls, text):
    version = FileVersion.from_ms_ls(ms, ls)
    assert str(version) == text
    assert version.ms_ls == (ms, ls)


@pytest.mark.parametrize('ms, ls, message', [
    (-1, 0, 'dwFileVersionMS must be an integer from 0 to 4294967295'),
    (2 ** 32, 0, 'dwFileVersionMS'),
    (0, 2 ** 32, 'dwFileVersionLS'),
    ('5', 0, 'dwFileVersionMS'),
    (0, None, 'dwFileVersionLS'),
    (True, 0, 'dwFileVersionMS'),
])
def test_from_ms_ls_rejects_out_of_range(ms, ls, message):
    with pytest.raises(ValueError, match=message):
        FileVersion.from_ms_ls(ms, ls)


GARBAGE = [
    '',
    '   ',
    '5.5.2654',
    '5.5.2654.81.1',
    '5.5.2654.',
    '.5.5.2654',
    '5..2654.81',
    '5.5.2654.65536',
    '5.5.2654.-1',
    '5.5.2654.+81',
    '5.5.2654.8a',
    '5.5.2654.0x51',
    '5.5.2654.81 (SP4)',
    '5 . 5 . 2654 . 81',
    '5.5,2654,81',
    '5, 5, 2654',
    '\u0665.5.2654.81',   # an Arabic-Indic digit five: int() would take it, a version must not
    '5.5.2654.8_1',
    'v5.5.2654.81',
    '1' * 5000,
    None,
    5.5,
    552654,
    (5, 5, 2654, 81),
    b'5.5.2654.81',
]


@pytest.mark.parametrize('text', GARBAGE, ids=repr)
def test_garbage_raises_one_line_error_quoting_input_with_example(text):
    with pytest.raises(ValueError) as caught:
        FileVersion.parse(text)
    message = str(caught.value)
    assert '\n' not in message
    assert 'such as 5.5.2654.81' in message
    assert message.startswith(repr(text)[:20])
    assert len(message) < 200


@pytest.mark.parametrize('parts', [(5, 5, 2654, 65536), (-1, 0, 0, 0), (5, 5, 2654, '81'), (5, 5, 2654, True), (5, 5, 2654, 81.0)])
def test_constructor_validates_parts(parts):
    with pytest.raises(ValueError, match='must be an integer from 0 to 65535'):
        FileVersion(*parts)


def test_is_immutable():
    version = FileVersion(5, 5, 2654, 81)
    with pytest.raises(AttributeError):
        version.revision = 89
