# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The apply pipeline: its pure decisions, and the order of its calls against an in-memory host."""

from __future__ import annotations

import json
from unittest import mock

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._apply import (
    BackupTarget,
    apply_change,
    preview,
    read_back_failure,
    run_pipeline,
)
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._q294406 import Plan
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import PARAMETERS_PRIVATE, FakeHost

NAME = 'OWA Url Protocol'
HTTPS = RegValue('REG_SZ', 'https:')
EXPAND = RegValue('REG_EXPAND_SZ', 'https:')


def host_with(value=None):
    values = {'DB Path': RegValue('REG_SZ', 'C:\\exchsrvr\\mdbdata\\priv.edb')}
    if value is not None:
        values[NAME] = value
    return FakeHost({PARAMETERS_PRIVATE: values})


def run(host, change, **kwargs):
    options = {'key': PARAMETERS_PRIVATE, 'name': NAME, 'check_mode': False, 'diff': False, 'absent_type': 'REG_SZ'}
    return apply_change(host, change, **{**options, **kwargs})


def test_preview_of_no_change_and_of_a_change():
    assert preview(Plan('none', HTTPS, HTTPS), diff=True) == {'changed': False, 'before': HTTPS.to_record(), 'after': HTTPS.to_record()}
    fields = preview(Plan('set', EXPAND, HTTPS), diff=True)
    assert fields['changed'] is True and fields['after'] == HTTPS.to_record() and fields['before'] == EXPAND.to_record()
    assert 'REG_EXPAND_SZ' in fields['diff']['before'] and 'REG_SZ "https:"' in fields['diff']['after']
    assert 'diff' not in preview(Plan('set', EXPAND, HTTPS), diff=False)


def test_read_back_failure_only_when_the_server_holds_something_else():
    change = Plan('set', None, HTTPS)
    assert read_back_failure(change, NAME, HTTPS) is None
    lost = read_back_failure(change, NAME, None)
    assert lost['changed'] is False and lost['error_kind'] == 'read_back_mismatch'
    assert lost['msg'].startswith('read-back mismatch: wrote OWA Url Protocol = REG_SZ "https:" but the server holds absent')
    other = read_back_failure(change, NAME, EXPAND)
    assert other['changed'] is True     # the server holds something new, just not what was asked


def test_read_back_uses_the_hosts_comparison():
    """WinRM reads REG_EXPAND_SZ back expanded: the host's same_as_written decides, not plain equality."""
    written = RegValue('REG_EXPAND_SZ', '%SystemRoot%\\owa')
    change = Plan('set', None, written)
    expanded = RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\owa')
    assert read_back_failure(change, NAME, expanded)['error_kind'] == 'read_back_mismatch'
    assert read_back_failure(change, NAME, expanded, lambda w, s: s.data == 'C:\\WINNT\\owa') is None


def test_check_mode_sends_no_write():
    host = host_with(EXPAND)
    outcome = run(host, Plan('set', EXPAND, HTTPS), check_mode=True)
    assert outcome.result['changed'] is True and outcome.written is False
    assert [call[0] for call in host.calls] == []
    assert host.value(PARAMETERS_PRIVATE, NAME) == EXPAND


def test_backup_then_write_then_read_back(tmp_path):
    host = host_with(EXPAND)
    target = BackupTarget(str(tmp_path), 'exsrv01', '192.0.2.10', 'winrm')
    outcome = run(host, Plan('set', EXPAND, HTTPS), backup=target)
    assert outcome.written is True and outcome.result['after'] == HTTPS.to_record()
    assert [call[0] for call in host.calls] == ['get_values', 'set_value', 'get_value']
    with open(outcome.result['backup_record'], encoding='utf-8') as handle:
        saved = json.load(handle)
    assert saved['prior'] == EXPAND.to_record() and saved['planned'] == HTTPS.to_record()


def test_delete_reads_back_absent():
    host = host_with(HTTPS)
    outcome = run(host, Plan('delete', HTTPS, None))
    assert outcome.written is True and outcome.result['after'] is None
    assert host.value(PARAMETERS_PRIVATE, NAME) is None


def test_a_backup_that_cannot_be_written_stops_before_the_write(tmp_path):
    blocker = tmp_path / 'file'
    blocker.write_text('')
    host = host_with(EXPAND)
    outcome = run(host, Plan('set', EXPAND, HTTPS), backup=BackupTarget(str(blocker), 'exsrv01', '192.0.2.10', 'winrm'))
    assert outcome.written is False and outcome.result['error_kind'] == 'backup_failed' and outcome.result['changed'] is False
    assert 'set_value' not in [call[0] for call in host.calls]


def test_a_lost_write_is_not_written():
    host = host_with(None)
    with mock.patch.object(FakeHost, 'set_value', return_value=None):
        outcome = run(host, Plan('set', None, HTTPS))
    assert outcome.written is False and outcome.result['failed'] is True and outcome.result['after'] is None


# ------------------------------------------------------------------ run_pipeline: the one pipeline, with any steps
class Steps:
    """The server-touching steps of a plan, recorded in the order the pipeline calls them."""

    def __init__(self, backup_error=None, write_error=None, read_back=None):
        self.calls = []
        self.backup_error, self.write_error = backup_error, write_error
        self.read_back_fields = read_back or {'after': 'new'}

    def precheck(self):
        self.calls.append('precheck')
        if self.backup_error:
            raise self.backup_error

    def backup(self):
        self.calls.append('backup')
        if self.backup_error:
            raise self.backup_error
        return {'backup_file': 'f.reg', 'backup_record': 'f.json'}

    def write(self):
        self.calls.append('write')
        if self.write_error:
            raise self.write_error

    def read_back(self):
        self.calls.append('read_back')
        return self.read_back_fields


def pipeline(steps, *, changes=True, check_mode=False, overwrites=(), host=None, backup=True):
    fields = {'changed': changes, 'before': 'old', 'after': 'new', 'diff': {'before': 'a', 'after': 'b'}}
    return run_pipeline(host or FakeHost(), changes, fields, check_mode=check_mode, write=steps.write, read_back=steps.read_back,
                        name='K\\v', overwrites=overwrites, backup=steps.backup if backup else None,
                        precheck=steps.precheck if backup else None)


def test_pipeline_order_backup_write_read_back():
    steps = Steps()
    outcome = pipeline(steps)
    assert steps.calls == ['backup', 'write', 'read_back'] and outcome.written is True
    assert outcome.result['write_sent'] is True and outcome.result['backup_record'] == 'f.json'


def test_pipeline_without_changes_or_in_check_mode_touches_nothing_but_the_precheck():
    steps = Steps()
    assert pipeline(steps, changes=False).result['changed'] is False and steps.calls == []
    outcome = pipeline(steps, check_mode=True)
    assert steps.calls == ['precheck'] and outcome.result['changed'] is True and 'write_sent' not in outcome.result


def test_pipeline_check_mode_reports_what_would_stop_the_backup():
    outcome = pipeline(Steps(backup_error=ValueError('no room')), check_mode=True)
    assert outcome.result['error_kind'] == 'backup_failed' and outcome.result['msg'].startswith('the apply would stop here')


def test_pipeline_a_failed_backup_stops_before_the_write():
    steps = Steps(backup_error=OSError('disk full'))
    outcome = pipeline(steps)
    assert steps.calls == ['backup'] and outcome.result['changed'] is False and outcome.result['after'] == 'old'
    assert outcome.result['error_kind'] == 'backup_failed' and 'write_sent' not in outcome.result


def test_pipeline_refuses_to_overwrite_what_no_rollback_could_write_back():
    """The same rule for every module: over a transport that cannot write REG_NONE, a REG_NONE is not replaced."""
    steps = Steps()
    host = FakeHost()
    host.writable_types = frozenset({'REG_SZ'})
    outcome = pipeline(steps, host=host, overwrites=[('K\\a', RegValue('REG_SZ', 'x')), ('K\\b', RegValue('REG_NONE', b''))])
    assert steps.calls == [] and outcome.result['error_kind'] == 'not_restorable' and 'K\\b' in outcome.result['msg']
    assert outcome.result['after'] == 'old' and 'diff' not in outcome.result


def test_pipeline_a_failure_after_the_write_keeps_what_is_known():
    steps = Steps(write_error=RemoteError('connection lost', 'transient'))
    with pytest.raises(RemoteError) as caught:
        pipeline(steps)
    partial = caught.value.partial
    assert partial['write_sent'] is True and partial['changed'] is True and partial['backup_record'] == 'f.json'
    refused = Steps(write_error=RemoteError('denied', 'access_denied'))
    with pytest.raises(RemoteError) as caught:
        pipeline(refused)
    assert caught.value.partial['changed'] is False and caught.value.partial['after'] == 'old'


def test_pipeline_a_read_back_failure_is_not_written():
    outcome = pipeline(Steps(read_back={'after': 'other', 'failed': True, 'error_kind': 'read_back_mismatch'}))
    assert outcome.written is False and outcome.result['after'] == 'other'


def test_apply_change_refuses_to_overwrite_an_unwritable_prior_value():
    host = host_with(RegValue('REG_BINARY', b'\x01'))
    host.writable_types = frozenset({'REG_SZ'})
    outcome = run(host, Plan('set', RegValue('REG_BINARY', b'\x01'), HTTPS))
    assert outcome.result['error_kind'] == 'not_restorable' and host.calls == []
