# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The KB catalog's schema (docs/catalog.md): every shipped entry follows it, and each rule rejects what it forbids."""

from __future__ import annotations

import copy
import re

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb import CATALOG, CatalogError, check_entry, minimum
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_catalog import ENTRIES, SOURCE


def test_q294406_is_entry_one_and_every_entry_follows_the_schema():
    assert ENTRIES[0]['id'] == 'Q294406'
    assert list(CATALOG) == [entry['id'] for entry in ENTRIES]
    for entry in ENTRIES:
        check_entry(entry)
    assert SOURCE['repository'] == 'jeffpar/kbarchive' and len(SOURCE['commit']) == 40


def test_q294406_entry_says_what_owa_url_protocol_does():
    entry = CATALOG['Q294406']
    assert entry['changes'] == [{'key': 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeIS\\ParametersPrivate',
                                 'name': 'OWA Url Protocol', 'type': 'REG_SZ', 'data': 'https:'}]
    assert entry['applies_to']['min_service_pack'] == 4
    assert entry['applies_to']['files'] == [{'name': 'Store.exe', 'folder': 'bin', 'min_version': '5.5.2654.81'}]
    assert entry['condition']['input'] == 'owa_ssl_only'


def test_every_choice_and_range_names_a_parameter_and_has_no_default():
    for entry in ENTRIES:
        for change in entry['changes']:
            if 'data' not in change:
                spec = change.get('choice') or change.get('range')
                assert spec['param'] and 'default' not in spec


def _broken(mutate):
    entry = copy.deepcopy(CATALOG['Q285023'])
    mutate(entry)
    return entry


@pytest.mark.parametrize('mutate, field', [
    (lambda e: e.update(id='294406'), 'id'),
    (lambda e: e.update(source='kb/294/Q294406/README.md'), 'source'),
    (lambda e: e.pop('quotes'), 'fields'),
    (lambda e: e['quotes'].pop('prerequisite'), 'quotes.prerequisite'),
    (lambda e: e['quotes'].pop('registry'), 'quotes.registry'),
    (lambda e: e['applies_to'].update(family='5.0'), 'applies_to.family'),
    (lambda e: e['applies_to'].update(min_service_pack=5), 'applies_to.min_service_pack'),
    (lambda e: e['applies_to']['files'][0].update(min_version='5.5'), 'applies_to.files[0]'),
    (lambda e: e['applies_to']['files'][0].update(folder='bin'), 'applies_to.files[0]'),
    (lambda e: e['applies_to']['files'][0].update(beside='MSExchangeIMC'), 'applies_to.files[0]'),
    (lambda e: e['applies_to']['files'][0].update(root='system'), 'applies_to.files[0]'),
    (lambda e: e['applies_to']['files'].append({'name': 'Imcmsg.dll', 'beside': 'MSExchangeIS', 'min_version': '5.5.1.0'}),
     'applies_to.files[1]'),
    (lambda e: e['applies_to']['files'].append({'name': 'Gapi32.dll', 'folder': 'system32', 'root': 'windows',
                                                'min_version': '5.5.1.0'}), 'applies_to.files[1]'),
    (lambda e: e['changes'][0].update(data=1), 'changes[0]'),
    (lambda e: e['changes'][0]['choice'].update(default=1), 'changes[0].choice'),
    (lambda e: e['changes'][0].update(type='REG_SZ'), 'changes[0].choice'),
    (lambda e: e['changes'][0].update(key='SYSTEM\\CurrentControlSet\\Services\\MSExchangeIMC\\Parameters'), 'changes[0].key'),
    (lambda e: e['changes'][0].update(type='REG_BINARY'), 'changes[0].type'),
    (lambda e: e.update(changes=[]), 'changes'),
    (lambda e: e.update(restart={'services': ['MSExchangeIMC'], 'as_written': None}), 'restart'),
    (lambda e: e.update(restart={'services': ['MSExchangeIMC'], 'as_written': 'Restart it.'}), 'restart.as_written'),
    (lambda e: e.update(condition={'input': 'x'}), 'condition'),
    (lambda e: e.update(condition={'registry': [{'key': 'HKLM\\X', 'test': 'is_big'}], 'description': 'd'}),
     'condition.registry[0]'),
])
def test_schema_rejects(mutate, field):
    with pytest.raises(CatalogError, match=rf'catalog entry (Q285023|294406): {re.escape(field)} '):
        check_entry(_broken(mutate))


def test_three_part_minimum_versions_are_padded():
    assert str(minimum({'min_version': '5.5.2542'})) == '5.5.2542.0'
    assert str(minimum({'min_version': '5.5.2654.52'})) == '5.5.2654.52'
