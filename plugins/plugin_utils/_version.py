# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Four-part Windows file versions (``5.5.2654.81``), compared as four integers."""

from __future__ import annotations

import dataclasses
import re

_PART = re.compile(r'[0-9]{1,5}', re.ASCII)
# Four numbers separated by dots or commas, then nothing or text that does not continue the number.
_LENIENT = re.compile(r'\s*([0-9]{1,6})\s*[.,]\s*([0-9]{1,6})\s*[.,]\s*([0-9]{1,6})\s*[.,]\s*([0-9]{1,6})(?![0-9]|\s*[.,]\s*[0-9])', re.ASCII)
_PART_MAX = 0xFFFF
_HALF_MAX = 0xFFFFFFFF


def _quote(value) -> str:
    """repr() of a bad input, cut short so the error stays one readable line."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + '...'


@dataclasses.dataclass(frozen=True, order=True)
class FileVersion:
    """A file version ``major.minor.build.revision``, each part 0..65535.

    Ordering compares the four integers in turn, so 5.5.2654.9 < 5.5.2654.81;
    ``str()`` gives the dotted form.
    """

    major: int
    minor: int
    build: int
    revision: int

    def __post_init__(self):
        for field in dataclasses.fields(self):
            part = getattr(self, field.name)
            if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part <= _PART_MAX:
                raise ValueError(f'file version {field.name} must be an integer from 0 to {_PART_MAX}, got {_quote(part)}')

    def __str__(self) -> str:
        return f'{self.major}.{self.minor}.{self.build}.{self.revision}'

    @classmethod
    def parse(cls, text) -> FileVersion:
        """Parse ``5.5.2654.81`` or the version-resource comma form ``5, 5, 2654, 81``.

        Surrounding whitespace is ignored; a FileVersion is returned unchanged.
        Anything else raises a one-line ValueError quoting the input.
        """
        if isinstance(text, cls):
            return text
        if isinstance(text, str):
            stripped = text.strip()
            if ',' in stripped:
                parts = [part.strip() for part in stripped.split(',')]
            else:
                parts = stripped.split('.')
            if len(parts) == 4 and all(_PART.fullmatch(part) for part in parts):
                numbers = [int(part) for part in parts]
                if all(number <= _PART_MAX for number in numbers):
                    return cls(*numbers)
        raise ValueError(f'{_quote(text)} is not a Windows file version: expected four numbers from 0 to {_PART_MAX} '
                         'separated by dots, such as 5.5.2654.81')

    @classmethod
    def parse_lenient(cls, text) -> FileVersion:
        """Parse a version string as Windows and the KBs print them; ValueError (one line) if no version is there.

        Accepts what :meth:`parse` does, plus leading zeros in a part ("5.05.1960.8" is 5.5.1960.8: Q193485
        prints the 5.5 release hotfix that way), blanks around the separators and trailing text after the
        four numbers (a version resource's FileVersion string is free text, e.g. "5.5.2654.81 (Intel)").
        """
        if isinstance(text, cls):
            return text
        match = _LENIENT.match(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(f'{_quote(text)} is not a Windows file version: expected four numbers such as 5.5.2654.81')
        numbers = [int(part) for part in match.groups()]
        if any(number > _PART_MAX for number in numbers):
            raise ValueError(f'{_quote(text)} is not a Windows file version: each part must be at most {_PART_MAX}')
        return cls(*numbers)

    @classmethod
    def from_ms_ls(cls, ms: int, ls: int) -> FileVersion:
        """Build the version from VS_FIXEDFILEINFO's dwFileVersionMS and dwFileVersionLS (two 32-bit halves)."""
        for label, half in (('dwFileVersionMS', ms), ('dwFileVersionLS', ls)):
            if isinstance(half, bool) or not isinstance(half, int) or not 0 <= half <= _HALF_MAX:
                raise ValueError(f'{label} must be an integer from 0 to {_HALF_MAX}, got {_quote(half)}')
        return cls(ms >> 16, ms & _PART_MAX, ls >> 16, ls & _PART_MAX)

    @property
    def ms_ls(self) -> tuple[int, int]:
        """The (dwFileVersionMS, dwFileVersionLS) pair :meth:`from_ms_ls` takes."""
        return (self.major << 16) | self.minor, (self.build << 16) | self.revision
