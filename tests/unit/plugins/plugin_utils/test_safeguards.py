# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The pipeline's safeguards: nothing overwritten that a rollback could not put back, nothing forgotten once a
write was sent, no restore called exact when it was not."""

from __future__ import annotations

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import after_write_failure, restore_plan, unrestorable

NAME = 'OWA Url Protocol'


@pytest.mark.parametrize('before, writable, refused', [
    (None, frozenset({'REG_SZ'}), False),
    (RegValue('REG_SZ', 'http:'), frozenset({'REG_SZ'}), False),
    (RegValue('REG_BINARY', b'\x01'), frozenset({'REG_SZ', 'REG_EXPAND_SZ', 'REG_DWORD'}), True),
    (RegValue('REG_MULTI_SZ', ('a',)), frozenset({'REG_SZ'}), True),
    (RegValue('REG_QWORD', 5), frozenset({'REG_SZ'}), True),
    (RegValue('REG_BINARY', b'\x01'), None, False),
])
def test_a_value_a_rollback_could_not_write_back_is_not_overwritten(before, writable, refused):
    refusal = unrestorable(before, writable, 'winrm', NAME)
    assert (refusal is not None) is refused
    if refused:
        assert refusal['error_kind'] == 'not_restorable' and before.type in refusal['msg'] and '\n' not in refusal['msg']


@pytest.mark.parametrize('kind, changed', [('timeout', True), ('transient', True), ('protocol', True), ('access_denied', False)])
def test_a_failure_after_the_write_keeps_the_backup_and_says_a_write_was_sent(kind, changed):
    fields = {'changed': True, 'before': None, 'after': {'type': 'REG_SZ', 'data': 'https:'}, 'backup_file': '/b/x.reg',
              'backup_record': '/b/x.json'}
    kept = after_write_failure(fields, RemoteError('boom', kind), NAME)
    assert kept['write_sent'] is True and kept['backup_file'] == '/b/x.reg' and kept['backup_record'] == '/b/x.json'
    assert kept['changed'] is changed
    if not changed:
        assert kept['after'] is None


def test_an_expanded_reg_expand_sz_is_not_restored_as_if_exact():
    record = {'transport': 'winrm', 'prior': {'type': 'REG_EXPAND_SZ', 'data': 'C:\\WINNT\\x'}, 'prior_expanded_by_server': True}
    refusal, exact = restore_plan(record, False, NAME)
    assert refusal['error_kind'] == 'not_restorable' and 'restore_expanded' in refusal['msg'] and exact is False
    assert restore_plan(record, True, NAME) == (None, False)
    assert restore_plan({'prior': {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\x'}}, False, NAME) == (None, True)
    assert restore_plan({'prior': None}, False, NAME) == (None, True)


def test_a_tree_record_with_expanded_values_restores_only_on_request():
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._safeguards import tree_restore_plan
    assert tree_restore_plan({'expanded_by_server': []}, False, 'K') == (None, True)
    assert tree_restore_plan({}, False, 'K') == (None, True)
    record = {'transport': 'winrm', 'expanded_by_server': [['K', 'Path'], ['K\\Sub', '']]}
    refusal, exact = tree_restore_plan(record, False, 'K')
    assert refusal['error_kind'] == 'not_restorable' and 'K\\Path' in refusal['msg'] and 'K\\Sub\\(default)' in refusal['msg']
    assert exact is False and '\n' not in refusal['msg']
    assert tree_restore_plan(record, True, 'K') == (None, False)
