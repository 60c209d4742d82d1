#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Check every quote and title of the KB catalog against the articles in a git clone of jeffpar/kbarchive.

    python tools/kb_quotes.py KBARCHIVE_GIT_DIR

Each article is read at the catalog's commit (plugins/plugin_utils/_kb_catalog.py SOURCE) with ``git show``.
Quotes are compared whitespace-normalized; `` / `` separates lines that follow each other in the article and
``[...]`` marks an elision, so each piece is looked for on its own.  The archive's Markdown escapes some characters as
HTML entities (Q222508's title "HTML &amp; Plain Text"), so the article is compared with its entities decoded.  Prints every miss; exits 1 if there is one.
Needs no network: clone the archive once (``git clone --bare https://github.com/jeffpar/kbarchive``).
"""

from __future__ import annotations

import html
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _catalog():
    path = os.path.join(ROOT, 'plugins', 'plugin_utils', '_kb_catalog.py')
    scope = {}
    with open(path, encoding='utf-8') as handle:
        exec(compile(handle.read(), path, 'exec'), scope)  # pylint: disable=exec-used  # the catalog is plain data
    return scope['SOURCE'], scope['ENTRIES']


def _norm(text: str) -> str:
    return ' '.join(text.split())


def main(argv) -> int:
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    source, entries = _catalog()
    misses = 0
    for entry in entries:
        article = subprocess.run(['git', '-C', argv[0], 'show', f'{source["commit"]}:{entry["source"]}'],
                                 capture_output=True, text=True, check=True).stdout
        text = _norm(html.unescape(article))
        if _norm(entry['title']) not in text:
            misses += 1
            print(f'{entry["id"]}: title not in the article: {entry["title"]!r}')
        for kind, quotes in entry['quotes'].items():
            for quote in quotes:
                for piece in (part for line in quote.split(' / ') for part in line.split('[...]')):
                    if _norm(piece) and _norm(piece) not in text:
                        misses += 1
                        print(f'{entry["id"]}: quotes.{kind}: not in the article: {piece.strip()!r}')
    checked = sum(len(quotes) for entry in entries for quotes in entry['quotes'].values())
    print(f'{len(entries)} entries, {checked} quotes checked against {source["repository"]}@{source["commit"][:12]}: {misses} missing')
    return 1 if misses else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
