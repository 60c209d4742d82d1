# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Q294406 rides on the KB engine: one decision procedure for owa_url_protocol, server_info and the kb module.

_q294406 takes its constants from the catalog entry, asks _kb for every decision and only adapts facts, words and the
shape of the result; on every simulated server the kb module's reading and owa_url_protocol's reading of Q294406 agree.
"""

from __future__ import annotations

import ast
import copy
import glob
import inspect
import os
import sys

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _kb, _q294406
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._exchange55 import SETUP_KEY, gather_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._kb_reads import read_facts
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb import split_windows_path
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import (
    SERVERS, FakeHost, exchange55_server)

ENTRY = _kb.CATALOG['Q294406']
SERVICE_KEY = _kb.component_key(ENTRY)
ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
FLEET_FILES = sorted(glob.glob(os.path.join(ROOT, 'tests', 'e2e', 'fleets', '*.yml'))
                     + glob.glob(os.path.join(ROOT, 'tests', 'simulator', 'fleets', '*.yml'))
                     + [os.path.join(ROOT, 'examples', 'demo-fleet.yml')])


def owa_answer(ssl):
    return OwaAnswer.declared(ssl) if ssl is not None else OwaAnswer.unknown('no owa_url given')


def test_the_constants_are_the_catalog_entry():
    change = ENTRY['changes'][0]
    assert (_q294406.KEY, _q294406.VALUE_NAME) == (change['key'], change['name'])
    assert _q294406.wanted_value() == RegValue(change['type'], change['data'])
    assert _q294406.REQUIRED_SERVICE_PACK == ENTRY['applies_to']['min_service_pack'] == 4
    assert str(_q294406.REQUIRED_STORE_VERSION) == ENTRY['applies_to']['files'][0]['min_version'] == '5.5.2654.81'
    assert _q294406.entry('https:') is ENTRY
    http = _q294406.entry('http:')
    assert http['changes'][0]['data'] == 'http:' and ENTRY['changes'][0]['data'] == 'https:'   # a copy, the catalog intact
    _kb.check_entry(http)


@pytest.mark.parametrize('name', sorted(SERVERS))
@pytest.mark.parametrize('ssl', [True, False, None])
@pytest.mark.parametrize('protocol', ['https:', 'http:'])
def test_the_kb_module_and_owa_url_protocol_give_the_same_status_and_reasons(name, ssl, protocol):
    """The kb module's reads (_kb_reads, the service key listed) and owa_url_protocol's (gather_facts), one engine."""
    facts = gather_facts(FakeHost.from_spec(copy.deepcopy(SERVERS[name])), owa=owa_answer(ssl))
    expected = _q294406.evaluate(facts, protocol)
    found = read_facts(FakeHost.from_spec(copy.deepcopy(SERVERS[name])), [ENTRY], owa_answer(ssl))
    engine = _kb.evaluate(_q294406.entry(protocol), found, wording=_q294406.wording(found['server']))
    if expected['prerequisites']['information_store_key'] is False and found['keys'].get(_kb.key_id(SERVICE_KEY)) is None:
        # Each names the first key it found missing: the kb module lists the service key, owa_url_protocol ParametersPrivate.
        expected['reasons'] = [reason.replace(_q294406.KEY, SERVICE_KEY) for reason in expected['reasons']]
    assert (engine['status'], engine['reasons']) == (expected['status'], expected['reasons'])
    assert engine['prerequisites']['exchange_55'] == expected['prerequisites']['exchange_55']
    assert engine['prerequisites']['service_pack'] == expected['prerequisites']['service_pack_4']


def fleet_hosts():
    """(file, host spec) of every host of the simulated fleets, as the simulator reads them (defaults merged)."""
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'simulator'))
    try:
        from winsim.fleetfile import load_fleet
    finally:
        sys.path.pop(0)
    return [(os.path.relpath(path, ROOT), spec) for path in FLEET_FILES for spec in load_fleet(path)]


def fake_of(spec) -> FakeHost:
    registry = {key: {name: RegValue.from_record(record) for name, record in values.items()} for key, values in spec.registry.items()}
    files = {item.path: item.version or '' for item in spec.files.values() if item is not None}
    return FakeHost(registry, files, {name: info.state for name, info in spec.services.items()}, name=spec.name)


@pytest.mark.parametrize('source, spec', fleet_hosts(), ids=lambda value: getattr(value, 'name', None) or str(value))
def test_every_simulated_server_gets_the_same_q294406_answer_from_both_modules(source, spec):
    """The demo fleet, the simulator's example and the e2e fleets: kb's and owa_url_protocol's Q294406 agree."""
    owa = owa_answer(spec.owa_ssl_required)
    expected = _q294406.evaluate(gather_facts(fake_of(spec), owa=owa))
    found = read_facts(fake_of(spec), [ENTRY], owa)
    engine = _kb.evaluate(ENTRY, found, wording=_q294406.wording(found['server']))
    if expected['prerequisites']['information_store_key'] is False and found['keys'].get(_kb.key_id(SERVICE_KEY)) is None:
        expected['reasons'] = [reason.replace(_q294406.KEY, SERVICE_KEY) for reason in expected['reasons']]
    assert (engine['status'], engine['reasons']) == (expected['status'], expected['reasons']), source


def test_q294406_words_only_replace_engine_words():
    assert set(_q294406.WORDING) < set(_kb.REASONS)
    with pytest.raises(ValueError, match='^Wording: no_such_code is not a reason code'):
        _kb.Wording({'no_such_code': 'x'})
    assert _kb.DEFAULT_WORDING('not_installed', kb='Q294406') == 'Exchange Server is not installed'


def test_q294406_has_no_decision_of_its_own():
    """No status is named, no version compared and no reason written in _q294406 except through the engine."""
    tree = ast.parse(inspect.getsource(_q294406))
    strings = {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not strings & set(_kb.STATUSES)
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    assert imported == {'annotations', 'dataclasses', '_kb', 'RegValue'}
    compares = [node for node in ast.walk(tree) if isinstance(node, ast.Compare)
                and any(isinstance(op, (ast.Lt, ast.LtE, ast.Gt, ast.GtE)) for op in node.ops)]
    assert compares == []


def test_evaluate_and_status_after_change_are_the_engines(monkeypatch):
    facts = gather_facts(FakeHost.from_spec(exchange55_server()), owa=OwaAnswer.declared(True))
    calls = []

    def fake(name):
        def run(*args, **kwargs):
            calls.append((name, args[0]['changes'][0]['data']))
            return {'status': 'blocked', 'reasons': [name], 'condition': 'not_checkable',
                    'prerequisites': {'exchange_55': None, 'service_pack': None, 'Store.exe': None, 'readable': True}}
        return run

    monkeypatch.setattr(_kb, 'evaluate', fake('evaluate'))
    monkeypatch.setattr(_kb, 'status_after_change', fake('status_after_change'))
    assert _q294406.evaluate(facts, 'http:')['reasons'] == ['evaluate']
    after = _q294406.status_after_change(facts, _q294406.plan(None), 'https:')
    assert (after['status'], after['reasons'], after['prerequisites']['owa_ssl_only']) == ('blocked', ['status_after_change'], None)
    assert calls == [('evaluate', 'http:'), ('status_after_change', 'https:')]


def test_write_allowed_and_refusal_are_the_engines():
    blocked = {'status': 'blocked', 'reasons': ['Service Pack 3 found']}
    for status in _kb.STATUSES:
        for ignore in (False, True):
            verdict = {'status': status, 'reasons': ['x']}
            assert _q294406.write_allowed(verdict, 'present', ignore) is _kb.write_allowed(verdict, ignore)
    assert _q294406.refusal(blocked) == _kb.refusal('Q294406', blocked)
    assert _q294406.refusal(blocked).startswith(_q294406.REFUSAL + ': ')


def test_the_plan_diff_is_the_engines_change():
    plan = _q294406.plan(RegValue('REG_EXPAND_SZ', 'https:'))
    assert plan.action == 'set'
    assert plan.diff() == _kb.Change('Q294406', _q294406.KEY, 'OWA Url Protocol', plan.before, plan.after).diff()


def test_an_unidentified_server_with_a_blank_install_folder_is_blocked_not_written():
    """A Setup key whose Services is blank and that has no build: the release is unknown, so nothing is written.

    (Before Q294406 rode on the engine this server was needs_change: the version reason required installed=True.)
    """
    spec = exchange55_server(newest_build=None, service_pack_build=None, store=None)
    spec['registry'][SETUP_KEY]['Services'] = {'type': 'REG_SZ', 'data': ' '}
    facts = gather_facts(FakeHost.from_spec(spec), owa=OwaAnswer.declared(True))
    assert (facts['exchange']['installed'], facts['exchange']['family']) == (None, None)
    verdict = _q294406.evaluate(facts)
    assert verdict['status'] == 'blocked'
    assert verdict['reasons'] == ['Exchange version could not be determined: no Store.exe version, Services Version or '
                                  f'NewestBuild under {SETUP_KEY} names a release']
    assert not _q294406.write_allowed(verdict, 'present')


def test_a_store_exe_that_cannot_be_read_is_worded_by_each_caller():
    facts = gather_facts(FakeHost.from_spec(exchange55_server()), owa=OwaAnswer.declared(True))
    facts['store'].update(present=None, version=None, not_read='the smb transport reads drive paths only')
    verdict = _q294406.evaluate(facts)
    assert verdict['status'] == 'blocked' and verdict['prerequisites']['store_exe'] is None
    assert verdict['reasons'] == [
        "Store.exe's version could not be read: the smb transport reads drive paths only; check the Services value under "
        f'{SETUP_KEY} (Exchange Setup writes the install folder there as a drive path, e.g. C:\\EXCHSRVR, Q149205)']
    engine = _kb.evaluate(ENTRY, _q294406.engine_facts(facts))
    assert engine['reasons'] == ["Store.exe's version could not be read at C:\\exchsrvr\\bin\\Store.exe: the smb transport "
                                 'reads drive paths only']


def test_engine_status_after_a_delete():
    facts = gather_facts(FakeHost.from_spec(exchange55_server(owa_url_protocol=('REG_SZ', 'https:'))), owa=OwaAnswer.declared(True))
    engine = _q294406.engine_facts(facts)
    delete = _kb.Change('Q294406', _q294406.KEY, 'OWA Url Protocol', RegValue('REG_SZ', 'https:'), None)
    after = _kb.status_after_change(ENTRY, engine, {}, [delete])
    assert (after['status'], after['reasons']) == ('needs_change', ['OWA Url Protocol is not set; must be REG_SZ "https:"'])
    assert _kb.evaluate(ENTRY, engine)['status'] == 'compliant'           # the facts are left alone


def test_prerequisites_are_assessed_whatever_the_status():
    facts = gather_facts(FakeHost.from_spec(exchange55_server(service_pack_build=2650, store='5.5.2650.21', ssl_required=False)),
                         owa=OwaAnswer.declared(False))
    verdict = _q294406.evaluate(facts)
    assert verdict['status'] == 'not_applicable'
    assert verdict['prerequisites'] == {'exchange_55': True, 'service_pack_4': False, 'store_exe': False, 'owa_ssl_only': False,
                                        'information_store_key': True, 'readable': True}


class SmbFakeHost(FakeHost):
    """Reads files as the smb transport does: a path that is not a drive path cannot be read (kind 'unsupported')."""

    transport = 'smb'
    host = 'exsrv01'

    def file_version(self, path):
        try:
            split_windows_path(path)
        except ValueError as error:
            self.calls.append(('file_version', path))
            raise RemoteError(f'{self.host}: {error}', kind='unsupported', host=self.host) from None
        return super().file_version(path)


@pytest.mark.parametrize('family', ['5.5', None])
def test_a_store_exe_path_smb_cannot_read_is_the_same_reason_for_the_kb_module(family):
    """Not an access denial: the kb module says, as owa_url_protocol does, that Store.exe's version could not be read,
    without the host's name, and sends that read once."""
    spec = exchange55_server(install_path='"C:\\exchsrvr"', **({} if family else {'newest_build': None, 'service_pack_build': None}))
    facts = gather_facts(SmbFakeHost.from_spec(copy.deepcopy(spec)), owa=OwaAnswer.declared(True))
    expected = _q294406.evaluate(facts)
    host = SmbFakeHost.from_spec(copy.deepcopy(spec))
    found = read_facts(host, [ENTRY], OwaAnswer.declared(True))
    assert found['denied'] == [] and found['exchange']['family'] == family
    engine = _kb.evaluate(ENTRY, found, wording=_q294406.wording(found['server']))
    assert expected['status'] == engine['status'] == 'blocked'
    assert engine['reasons'] == expected['reasons']
    assert any("Store.exe's version could not be read: " in reason and 'exsrv01' not in reason for reason in engine['reasons'])
    assert [call[0] for call in host.calls].count('file_version') == 1
