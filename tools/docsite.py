#!/usr/bin/env python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Write the collection's extra docs (docs/docsite/rst/*.rst, what an antsibull-docs site shows) from the Markdown
pages people read in the repository, so that each text has one source.

    python tools/docsite.py [--check] [ROOT]

PAGES says which page comes from which Markdown file (a whole file, or one section of it). --check writes nothing
and exits 1 when a page is not what the Markdown gives. tests/run/build-check.sh and tools/release.sh run it.
The Markdown is parsed with markdown-it-py (CommonMark plus tables) and the tree is written as reStructuredText.
"""

from __future__ import annotations

import argparse
import os
import re
import sys

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

LABEL_PREFIX = 'ansible_collections.legacy_exchange.exchange55.docsite.'
# page (docs/docsite/rst/<name>.rst) -> (label, title, Markdown file, section heading or None for the whole file)
PAGES = {
    'report': ('report', 'The KB Q294406 fleet report', 'docs/report.md', None),
    'catalog': ('catalog', 'The KB catalog', 'docs/catalog.md', None),
    'coming_from_win_regedit': ('coming_from_win_regedit', 'Coming from win_regedit', 'README.md',
                                'Coming from win_regedit'),
}
UNDERLINE = {1: '=', 2: '-', 3: '~', 4: '^', 5: '"', 6: "'"}
# Pygments names; rstcheck parses json/yaml/xml blocks, so only well-formed examples may carry those names.
LANGUAGES = {'sh': 'console', 'shell': 'console', 'console': 'console', 'json': 'json', 'yaml': 'yaml', 'yml': 'yaml',
             'xml': 'text', 'ini': 'ini', 'python': 'python', '': 'text'}
_SPECIAL = re.compile(r'([\\`*_|<>\[\]])')
GLUE = '\x00'
# docutils' inline markup recognition rules: what may stand before a start-string and after an end-string.
_BEFORE_START = set(' \t\'"([{<-/:')
_AFTER_END = set(' \t\'")]}>-/:.,;!?')


def glue(text: str) -> str:
    """Replace the markers around inline markup by an escaped space (which renders as nothing) where a word
    touches the markup, and by nothing elsewhere."""
    out = []
    opening = True
    for index, char in enumerate(text):
        if char != GLUE:
            out.append(char)
            continue
        if opening:
            before = out[-1] if out else ' '
            out.append('' if before in _BEFORE_START or before == GLUE else '\\ ')
        else:
            after = text[index + 1] if index + 1 < len(text) else ' '
            out.append('' if after in _AFTER_END else '\\ ')
        opening = not opening
    return ''.join(out)


def escape(text: str) -> str:
    return _SPECIAL.sub(r'\\\1', text)


class Writer:
    def __init__(self, source: str, heading_offset: int):
        self.source = source
        self.heading_offset = heading_offset

    # inline -------------------------------------------------------------------------------------------------------
    def inline(self, node: SyntaxTreeNode) -> str:
        parts = []
        for child in node.children:
            parts.append(self.inline_node(child))
        return ''.join(parts)

    @staticmethod
    def markup(text: str) -> str:
        # Marked so that glue() can add the escaped spaces that inline markup needs next to a word.
        return GLUE + text + GLUE

    def inline_node(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == 'text':
            return escape(node.content)
        if kind in ('softbreak', 'hardbreak'):
            return ' '
        if kind == 'code_inline':
            content = node.content
            if '``' in content or content.startswith(' ') or content.endswith(' '):
                return self.markup(':literal:`' + content.replace('\\', '\\\\').replace('`', '\\`') + '`')
            return self.markup('``' + content + '``')
        if kind == 'strong':
            return self.markup('**' + self.inline(node) + '**')
        if kind == 'em':
            return self.markup('*' + self.inline(node) + '*')
        if kind == 'link':
            text = self.inline(node) or escape(node.attrs['href'])
            href = str(node.attrs['href'])
            if re.match(r'^[a-z]+://', href):
                return self.markup('`' + text.replace('`', '') + ' <' + href + '>`__')
            return text  # a path in the repository: not part of the docs site
        if kind == 'image':
            return self.markup('*' + escape(str(node.attrs.get('alt') or node.content or 'image')) + '*')
        if kind == 'html_inline':
            return escape(node.content)
        raise ValueError(f'{self.source}: cannot write inline {kind} as reStructuredText')

    # blocks -------------------------------------------------------------------------------------------------------
    def blocks(self, nodes, indent: str = '') -> list[str]:
        out: list[str] = []
        for node in nodes:
            lines = self.block(node)
            if out and lines:
                out.append('')
            out.extend((indent + line) if line else '' for line in lines)
        return out

    def block(self, node: SyntaxTreeNode) -> list[str]:
        kind = node.type
        if kind == 'heading':
            level = int(node.tag[1]) - self.heading_offset
            title = self.inline(node.children[0])
            title = glue(title)
            return [title, UNDERLINE[max(level, 1)] * max(len(title), 3)]
        if kind == 'paragraph':
            return [glue(self.inline(node.children[0]))]
        if kind in ('bullet_list', 'ordered_list'):
            out = []
            for number, item in enumerate(node.children, start=1):
                bullet = f'{number}. ' if kind == 'ordered_list' else '- '
                body = self.blocks(item.children, ' ' * len(bullet))
                if body:
                    body[0] = bullet + body[0][len(bullet):]
                out.extend(body)
            return out
        if kind in ('fence', 'code_block'):
            language = LANGUAGES.get((node.info or '').strip().split(' ')[0], 'text')
            code = node.content.rstrip('\n').split('\n')
            return [f'.. code-block:: {language}', ''] + [('   ' + line) if line else '' for line in code]
        if kind == 'table':
            return self.table(node)
        if kind == 'blockquote':
            return self.blocks(node.children, '   ')
        if kind == 'hr':
            return ['----']
        raise ValueError(f'{self.source}: cannot write block {kind} as reStructuredText')

    def table(self, node: SyntaxTreeNode) -> list[str]:
        rows = []
        header_rows = 0
        for section in node.children:
            for row in section.children:
                rows.append([glue(self.inline(cell.children[0])) if cell.children else '' for cell in row.children])
                if section.type == 'thead':
                    header_rows += 1
        out = ['.. list-table::', f'   :header-rows: {header_rows}', '']
        for row in rows:
            for index, cell in enumerate(row):
                out.append(('   * - ' if index == 0 else '     - ') + (cell or '\\ '))
        return out


def section_tokens(tokens, heading: str | None, source: str):
    """The tokens of the whole file, or of the section under `heading` (up to the next heading of its level)."""
    if heading is None:
        return tokens, 0
    for index, token in enumerate(tokens):
        if token.type == 'heading_open' and tokens[index + 1].content.strip() == heading:
            level = int(token.tag[1])
            end = next((j for j in range(index + 3, len(tokens)) if tokens[j].type == 'heading_open'
                        and int(tokens[j].tag[1]) <= level), len(tokens))
            return tokens[index:end], level - 1
    return None, 0


def render(root: str, name: str) -> str | None:
    label, title, source, heading = PAGES[name]
    with open(os.path.join(root, source), encoding='utf-8') as handle:
        text = handle.read()
    tokens, offset = section_tokens(MarkdownIt('commonmark').enable('table').parse(text), heading, source)
    if tokens is None:
        return None
    tree = SyntaxTreeNode(tokens)
    nodes = list(tree.children)
    if nodes and nodes[0].type == 'heading':
        nodes = nodes[1:]  # the page title comes from PAGES
    # The first heading is the page's title (level 1); the ones below it keep their distance to it.
    writer = Writer(source, offset)
    lines = [f'.. _{LABEL_PREFIX}{label}:', '', '.. This page is generated by tools/docsite.py from '
             + source + (f' (section "{heading}")' if heading else '') + '; edit that file instead.', '',
             title, '=' * len(title), '']
    lines += writer.blocks(nodes)
    return '\n'.join(lines).rstrip('\n') + '\n'


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n', maxsplit=1)[0])
    parser.add_argument('--check', action='store_true', help='write nothing; exit 1 when a page is out of date')
    parser.add_argument('root', nargs='?', default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    args = parser.parse_args(argv)
    stale = []
    for name, (_label, _title, source, heading) in PAGES.items():
        page = render(args.root, name)
        if page is None:
            print(f'docsite: {source} has no section "{heading}"; docs/docsite/rst/{name}.rst is left as it is',
                  file=sys.stderr)
            continue
        path = os.path.join(args.root, 'docs', 'docsite', 'rst', f'{name}.rst')
        current = open(path, encoding='utf-8').read() if os.path.exists(path) else None
        if current == page:
            continue
        if args.check:
            stale.append(path)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w', encoding='utf-8') as handle:
            handle.write(page)
        print(f'docsite: wrote {os.path.relpath(path, args.root)} from {source}')
    if stale:
        print('docsite: out of date (run python tools/docsite.py): ' + ', '.join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
