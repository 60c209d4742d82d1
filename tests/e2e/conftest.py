# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the end-to-end suite: the collection on a collections path, and running fleets."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from fleetctl import REPO_ROOT, ansible_env  # noqa: E402  pylint: disable=wrong-import-position


@pytest.fixture(scope='session')
def collections_root(tmp_path_factory):
    """A collections path holding this checkout as legacy_exchange.exchange55 (a symlink: ansible-playbook accepts it)."""
    root = tmp_path_factory.mktemp('collections')
    (root / 'ansible_collections' / 'legacy_exchange').mkdir(parents=True)
    os.symlink(REPO_ROOT, root / 'ansible_collections' / 'legacy_exchange' / 'exchange55')
    return str(root)


@pytest.fixture(scope='session')
def env_factory(collections_root):
    def make(workdir):
        return ansible_env(collections_root, str(workdir))
    return make
