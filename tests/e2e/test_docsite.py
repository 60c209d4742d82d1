# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""tools/docsite.py: the docs-site pages are valid reStructuredText that keeps every heading, table row and code
block of their Markdown, and --check notices a page that lags behind its Markdown."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import docutils.core
import docutils.utils
from markdown_it import MarkdownIt

from fleetctl import REPO_ROOT

sys.path.insert(0, os.path.join(REPO_ROOT, 'tools'))
import docsite  # noqa: E402  pylint: disable=wrong-import-position


def doctree(text):
    # Sphinx's code-block is docutils' code directive under another name.
    from docutils.parsers.rst import directives  # pylint: disable=import-outside-toplevel
    from docutils.parsers.rst.directives.body import CodeBlock  # pylint: disable=import-outside-toplevel
    directives.register_directive('code-block', CodeBlock)
    settings = {'report_level': docutils.utils.Reporter.INFO_LEVEL + 1, 'halt_level': 5, 'warning_stream': False}
    return docutils.core.publish_doctree(text, settings_overrides=settings)


def test_report_page_keeps_every_heading_row_and_code_block_and_parses_cleanly():
    page = docsite.render(REPO_ROOT, 'report')
    tree = doctree(page)
    problems = [node.astext() for node in tree.findall(docutils.nodes.system_message)]
    assert problems == []
    with open(os.path.join(REPO_ROOT, 'docs', 'report.md'), encoding='utf-8') as handle:
        tokens = MarkdownIt('commonmark').enable('table').parse(handle.read())
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == 'heading_open' and t.tag != 'h1']
    titles = [node.astext() for node in tree.findall(docutils.nodes.title)]
    assert titles[0] == 'The KB Q294406 fleet report'
    assert titles[1:] == [h.replace('`', '') for h in headings]
    rows = sum(1 for t in tokens if t.type == 'tr_open')
    assert rows == len(list(tree.findall(docutils.nodes.row)))
    fences = [t.content.rstrip('\n') for t in tokens if t.type == 'fence']
    blocks = [node.astext() for node in tree.findall(docutils.nodes.literal_block)]
    assert blocks == fences
    # Inline code keeps its text exactly, even next to words and punctuation.
    codes = [c.content for t in tokens if t.type == 'inline' for c in (t.children or []) if c.type == 'code_inline']
    literals = [node.astext() for node in tree.findall(docutils.nodes.literal)]
    assert literals == codes


def test_check_notices_a_page_behind_its_markdown(tmp_path):
    root = tmp_path / 'repo'
    for name in ('docs/report.md', 'docs/catalog.md', 'README.md', 'tools/docsite.py'):
        (root / os.path.dirname(name)).mkdir(parents=True, exist_ok=True)
        shutil.copy(os.path.join(REPO_ROOT, name), root / name)
    run = [sys.executable, str(root / 'tools' / 'docsite.py')]
    assert subprocess.run(run + [str(root)], check=False).returncode == 0
    assert subprocess.run(run + ['--check', str(root)], check=False).returncode == 0
    with open(root / 'docs' / 'report.md', 'a', encoding='utf-8') as handle:
        handle.write('\n## A new section\n\nWith `code` and a [link](https://example.invalid/x).\n')
    stale = subprocess.run(run + ['--check', str(root)], capture_output=True, text=True, check=False)
    assert stale.returncode == 1 and 'report.rst' in stale.stderr
    assert subprocess.run(run + [str(root)], check=False).returncode == 0
    page = (root / 'docs' / 'docsite' / 'rst' / 'report.rst').read_text(encoding='utf-8')
    assert 'A new section\n-------------' in page and '`link <https://example.invalid/x>`__' in page


def test_catalog_page_is_on_the_site_and_keeps_every_heading_row_and_code_block():
    """docs/catalog.md (the KB catalog format and the shipped entries) is a page of the docs site, listed in its toctree."""
    with open(os.path.join(REPO_ROOT, 'docs', 'docsite', 'extra-docs.yml'), encoding='utf-8') as handle:
        assert '      - catalog\n' in handle.read()
    page = docsite.render(REPO_ROOT, 'catalog')
    with open(os.path.join(REPO_ROOT, 'docs', 'docsite', 'rst', 'catalog.rst'), encoding='utf-8') as handle:
        assert handle.read() == page        # the committed page is what the Markdown gives
    tree = doctree(page)
    assert [node.astext() for node in tree.findall(docutils.nodes.system_message)] == []
    with open(os.path.join(REPO_ROOT, 'docs', 'catalog.md'), encoding='utf-8') as handle:
        tokens = MarkdownIt('commonmark').enable('table').parse(handle.read())
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == 'heading_open' and t.tag != 'h1']
    titles = [node.astext() for node in tree.findall(docutils.nodes.title)]
    assert titles[0] == 'The KB catalog' and titles[1:] == [h.replace('`', '') for h in headings]
    assert sum(1 for t in tokens if t.type == 'tr_open') == len(list(tree.findall(docutils.nodes.row)))
    assert [t.content.rstrip('\n') for t in tokens if t.type == 'fence'] == \
        [node.astext() for node in tree.findall(docutils.nodes.literal_block)]
