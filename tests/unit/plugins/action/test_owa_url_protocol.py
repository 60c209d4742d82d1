# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The action plugins' logic against in-memory servers (tests/e2e runs them for real against simulated servers)."""

from __future__ import annotations

import json
import os
from unittest import mock

import pytest

from ansible.playbook.task import Task
from ansible.template import Templar

from ansible_collections.legacy_exchange.exchange55.plugins.action import owa_url_protocol, server_info
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _connection
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils.fakes import PARAMETERS_PRIVATE, fake_server

NAME = 'OWA Url Protocol'
HOST_VARS = {'inventory_hostname': 'exsrv01', 'ansible_host': '192.0.2.10', 'ansible_user': 'Administrator',
             'ansible_password': 'S3cret!pw', 'ansible_winrm_scheme': 'https'}


def run_action(plugin, server, args=None, check_mode=False, diff=False):
    task = Task.load({'action': {'module': 'legacy_exchange.exchange55.x', **(args or {})}})
    task.check_mode = check_mode
    task.diff = diff
    action = plugin.ActionModule(task, mock.MagicMock(), mock.MagicMock(), loader=None, templar=Templar(loader=None),
                                 shared_loader_obj=None)
    with mock.patch.object(_connection, 'open_remote_host', return_value=server) as opened:
        result = action.run(task_vars=dict(HOST_VARS))
    return result, opened


def owa(args=None):
    return dict({'owa_ssl_required': 'true'}, **(args or {}))


@pytest.mark.parametrize('name,status', [('compliant', 'compliant'), ('value_absent', 'needs_change'), ('sp3', 'blocked'),
                                         ('no_exchange', 'not_applicable')])
def test_server_info_reports_status_and_changes_nothing(name, status):
    server = fake_server(name)
    result, _opened = run_action(server_info, server, owa())
    assert result['q294406']['status'] == status
    assert result['changed'] is False
    assert not any(call[0] in ('set_value', 'delete_value') for call in server.calls)


def test_settings_come_from_host_variables_and_password_is_hidden():
    result, opened = run_action(server_info, fake_server('compliant'), owa())
    settings = opened.call_args.args[0]
    assert (settings.host, settings.port, settings.scheme, settings.user) == ('192.0.2.10', 5986, 'https', 'Administrator')
    assert settings.password == 'S3cret!pw' and 'S3cret' not in repr(settings)
    assert 'S3cret' not in json.dumps(result)


def test_check_mode_reports_the_change_and_writes_nothing():
    server = fake_server('expand_sz_https')
    result, _opened = run_action(owa_url_protocol, server, owa(), check_mode=True, diff=True)
    assert result['changed'] is True and result['q294406']['status'] == 'needs_change'
    assert server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_EXPAND_SZ', 'https:')
    assert result['diff']['before'] == f'{NAME} = REG_EXPAND_SZ "https:"\n'
    assert result['diff']['after'] == f'{NAME} = REG_SZ "https:"\n'


def test_apply_backs_up_writes_and_reads_back(tmp_path):
    server = fake_server('value_absent')
    result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    assert result['changed'] is True and result['q294406']['status'] == 'changed', result
    assert server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_SZ', 'https:')
    with open(result['backup_record'], encoding='utf-8') as handle:
        record = json.load(handle)
    assert record['prior'] is None and record['inventory_hostname'] == 'exsrv01'
    assert os.path.dirname(result['backup_file']) == str(tmp_path / 'exsrv01')
    with open(result['backup_file'], 'rb') as handle:
        assert b'"DB Path"="C:\\\\exchsrvr\\\\mdbdata\\\\priv.edb"' in handle.read()


def test_restore_from_puts_back_absent_and_typed_values(tmp_path):
    for name, prior in (('value_absent', None), ('expand_sz_https', RegValue('REG_EXPAND_SZ', 'https:'))):
        server = fake_server(name)
        applied, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
        restored, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record']}))
        assert restored['changed'] is True
        assert server.value(PARAMETERS_PRIVATE, NAME) == prior
        again, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record']}))
        assert again['changed'] is False


def test_restore_refuses_another_hosts_record(tmp_path):
    record = tmp_path / 'other.json'
    record.write_text(json.dumps({'format': 'legacy_exchange.exchange55/q294406-backup/1', 'inventory_hostname': 'exsrv99',
                                  'key': PARAMETERS_PRIVATE, 'value_name': NAME, 'prior': None}))
    server = fake_server('compliant')
    result, opened = run_action(owa_url_protocol, server, owa({'restore_from': str(record)}))
    assert result['failed'] and "records host 'exsrv99', not 'exsrv01'" in result['msg']
    opened.assert_not_called()


def test_blocked_server_fails_without_writing_unless_told():
    server = fake_server('sp3')
    result, _opened = run_action(owa_url_protocol, server, owa())
    assert result['failed'] and result['q294406']['status'] == 'blocked' and 'ignore_prerequisites' in result['msg']
    assert server.value(PARAMETERS_PRIVATE, NAME) is None
    result, _opened = run_action(owa_url_protocol, server, owa({'ignore_prerequisites': True}))
    assert result['changed'] is True and server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_SZ', 'https:')


def test_not_applicable_server_is_never_written():
    server = fake_server('owa_not_ssl_only')
    result, _opened = run_action(owa_url_protocol, server, {'owa_ssl_required': 'false', 'ignore_prerequisites': True})
    assert result['changed'] is False and result['q294406']['status'] == 'not_applicable'
    assert server.value(PARAMETERS_PRIVATE, NAME) is None


def test_lost_write_fails_with_read_back_mismatch():
    server = fake_server('value_absent')
    with mock.patch.object(type(server), 'set_value', return_value=None):
        result, _opened = run_action(owa_url_protocol, server, owa())
    assert result['failed'] and result['msg'].startswith('read-back mismatch: wrote OWA Url Protocol = REG_SZ "https:"')
    assert result["changed"] is False and result["after"] is None


@pytest.mark.parametrize('args,message', [
    ({'protocol': 'https'}, 'lacks its colon'),
    ({'owa_ssl_required': 'auto', 'owa_url': 'ftp://x/exchange/'}, 'http://'),
    ({'remote_host': 'x', 'port': 70000}, 'port number'),
    ({'winrm_transport': 'basic', 'scheme': 'http'}, 'clear text'),
])
def test_bad_options_fail_before_connecting(args, message):
    result, opened = run_action(owa_url_protocol, fake_server('compliant'), owa(args))
    assert result['failed'] and message in result['msg'] and '\n' not in result['msg']
    opened.assert_not_called()


def test_remote_errors_become_one_line_with_advice():
    server = fake_server('compliant')
    server.faults['get_value'] = RemoteError('login refused for user Administrator', kind='auth')
    result, _opened = run_action(server_info, server, owa())
    assert result['failed'] and result['error_kind'] == 'auth'
    assert result['msg'] == ('192.0.2.10:5986 (winrm https): login refused for user Administrator; '
                             'check ansible_user and ansible_password for this host')


def test_restart_waits_for_stopped_then_running():
    server = fake_server('value_absent')
    result, _opened = run_action(owa_url_protocol, server, owa({'restart_information_store': True}))
    assert result['restarted'] is True
    actions = [call for call in server.calls if call[0] == 'control_service']
    assert [call[2] for call in actions] == ['stop', 'start']
    assert server.service_state('MSExchangeIS') == 'Running'


def test_a_backup_that_cannot_be_written_stops_the_change(tmp_path):
    blocker = tmp_path / 'not-a-directory'
    blocker.write_text('')
    server = fake_server('value_absent')
    result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(blocker)}))
    assert result['failed'] and result['error_kind'] == 'backup_failed' and result['changed'] is False
    assert result['msg'].startswith('the backup could not be written, so nothing was changed:')
    assert server.value(PARAMETERS_PRIVATE, NAME) is None


def test_an_exchange55_owa_url_error_names_the_host_variable():
    global HOST_VARS  # pylint: disable=global-statement
    saved = HOST_VARS
    HOST_VARS = dict(saved, exchange55_owa_url='ftp://exsrv01/exchange/')
    try:
        result, _opened = run_action(server_info, fake_server('compliant'), {'owa_ssl_required': 'auto'})
    finally:
        HOST_VARS = saved
    assert result['error_kind'] == 'invalid_option' and result['msg'].startswith('exchange55_owa_url ')
    result, _opened = run_action(server_info, fake_server('compliant'), {'owa_ssl_required': 'auto', 'owa_url': 'ftp://x/'})
    assert result['msg'].startswith('owa_url ')


def test_restore_from_does_not_validate_protocol(tmp_path):
    server = fake_server('value_absent')
    record = tmp_path / 'record.json'
    record.write_text(json.dumps({'format': 'legacy_exchange.exchange55/q294406-backup/1', 'inventory_hostname': 'exsrv01',
                                  'key': PARAMETERS_PRIVATE, 'value_name': NAME, 'prior': {'type': 'REG_SZ', 'data': 'http:'}}))
    result, _opened = run_action(owa_url_protocol, server, owa({'restore_from': str(record), 'protocol': 'https'}))
    assert 'error_kind' not in result, result.get('msg')
    assert server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_SZ', 'http:')


class _ExpandingHost(type(fake_server('compliant'))):
    """A FakeHost that, like WinRM's StdRegProv, returns REG_EXPAND_SZ expanded and cannot write REG_BINARY."""

    writable_types = frozenset({'REG_SZ', 'REG_EXPAND_SZ', 'REG_DWORD'})

    def expanded_by_server(self, key, name):
        value = self.value(key, name)
        return value is not None and value.type == 'REG_EXPAND_SZ'


def _server(name, cls=None, **changes):
    server = fake_server(name)
    if cls is not None:
        server.__class__ = cls
    for attr, value in changes.items():
        setattr(server, attr, value)
    return server


def test_a_failure_after_the_write_keeps_backup_write_sent_and_changed(tmp_path):
    server = fake_server('value_absent')
    original = server.get_value

    def read(key, name, expected_type=None):
        if any(call[0] == 'set_value' for call in server.calls):
            raise RemoteError('the connection was lost during the read-back', kind='transient')
        return original(key, name, expected_type)
    server.get_value = read
    result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    assert result['failed'] and result['error_kind'] == 'transient'
    assert result['write_sent'] is True and result['changed'] is True
    assert os.path.exists(result['backup_file']) and os.path.exists(result['backup_record'])


def test_a_refused_write_keeps_the_backup_and_says_nothing_changed(tmp_path):
    server = fake_server('value_absent')
    server.deny_write = set(server.registry)
    result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    assert result['failed'] and result['error_kind'] == 'access_denied'
    assert result['write_sent'] is True and result['changed'] is False and os.path.exists(result['backup_file'])


def test_a_prior_value_the_transport_cannot_write_back_is_not_overwritten(tmp_path):
    server = _server('value_absent', _ExpandingHost)
    server.set_value(PARAMETERS_PRIVATE, NAME, RegValue('REG_BINARY', b'\x01\x02'))
    server.calls.clear()
    for check_mode in (True, False):
        result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}), check_mode=check_mode)
        assert result['failed'] and result['error_kind'] == 'not_restorable' and 'REG_BINARY' in result['msg']
        assert not any(call[0] == 'set_value' for call in server.calls) and 'write_sent' not in result
    assert server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_BINARY', b'\x01\x02')


def test_check_mode_runs_the_backup_precheck(tmp_path):
    server = fake_server('value_absent')
    server.set_value(PARAMETERS_PRIVATE, 'Сервер', RegValue('REG_SZ', 'Москва'))
    result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}), check_mode=True)
    assert result['failed'] and result['error_kind'] == 'backup_failed' and 'would stop' in result['msg']
    assert 'backup_encoding' in result['msg'] and not os.listdir(tmp_path)
    result, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path), 'backup_encoding': 'utf-16'}),
                                 check_mode=True)
    assert not result.get('failed') and result['changed'] is True


def test_an_expanded_reg_expand_sz_is_recorded_and_not_restored_as_exact(tmp_path):
    server = _server('value_absent', _ExpandingHost)
    server.set_value(PARAMETERS_PRIVATE, NAME, RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\owa'))
    applied, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    with open(applied['backup_record'], encoding='utf-8') as handle:
        record = json.load(handle)
    assert record['prior_expanded_by_server'] is True and record['expanded_by_server'] == [NAME]
    refused, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record']}))
    assert refused['failed'] and refused['error_kind'] == 'not_restorable' and 'restore_expanded' in refused['msg']
    assert server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_SZ', 'https:')
    told, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record'], 'restore_expanded': True}))
    assert told['changed'] is True and told['restore_exact'] is False
    assert server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\owa')


def test_an_exact_restore_says_so(tmp_path):
    server = fake_server('expand_sz_https')
    applied, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    restored, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record']}))
    assert restored['restore_exact'] is True and server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_EXPAND_SZ', 'https:')


@pytest.mark.parametrize('state', ['Stopped', 'Paused', 'Start Pending'])
def test_restart_leaves_an_information_store_that_is_not_running_as_it_is(state):
    server = fake_server('value_absent')
    server.services['msexchangeis'] = state
    result, _opened = run_action(owa_url_protocol, server, owa({'restart_information_store': True}))
    assert result['changed'] is True and result['restarted'] is False and result['restart_required'] is True
    assert not any(call[0] == 'control_service' for call in server.calls)
    assert server.services['msexchangeis'] == state and state in result['restart_note']


def test_restart_restarts_a_running_information_store():
    server = fake_server('value_absent')
    server.services['msexchangeis'] = 'Running'
    result, _opened = run_action(owa_url_protocol, server, owa({'restart_information_store': True, 'restart_timeout': 5}))
    assert result['restarted'] is True and result['restart_required'] is False
    assert [call[2] for call in server.calls if call[0] == 'control_service'] == ['stop', 'start']


def test_restart_required_after_a_change_that_was_not_restarted():
    """ParametersPrivate is read when the Information Store starts (Q178699, Q216076, Q243581, Q148961)."""
    changed, _opened = run_action(owa_url_protocol, fake_server('value_absent'), owa())
    assert (changed['changed'], changed['restart_required']) == (True, True)
    restarted, _opened = run_action(owa_url_protocol, fake_server('value_absent'), owa({'restart_information_store': True}))
    assert (restarted['restarted'], restarted['restart_required']) == (True, False)
    for name, args, check_mode in (('compliant', {}, False), ('value_absent', {}, True), ('sp3', {}, False),
                                   ('no_exchange', {}, False)):
        result, _opened = run_action(owa_url_protocol, fake_server(name), owa(args), check_mode=check_mode)
        assert result['restart_required'] is False, name


def test_restart_required_when_the_restart_failed():
    server = fake_server('value_absent')
    server.faults['control_service'] = RemoteError('cannot stop service MSExchangeIS: access denied', kind='access_denied')
    result, _opened = run_action(owa_url_protocol, server, owa({'restart_information_store': True}))
    assert result['failed'] and result['restart_required'] is True and result['changed'] is True


def test_restore_of_an_expanded_value_is_idempotent_when_the_host_reads_it_expanded(tmp_path):
    """Over WinRM a REG_EXPAND_SZ comes back expanded; a record holding %SystemRoot% is already in place."""
    server = fake_server('value_absent')
    server.registry[next(iter(k for k in server.registry if k.endswith('parametersprivate')))][1][NAME] = \
        RegValue('REG_EXPAND_SZ', 'C:\\WINNT\\owa')
    record = tmp_path / 'prior.json'
    record.write_text(json.dumps({'format': 'legacy_exchange.exchange55/q294406-backup/1', 'inventory_hostname': 'exsrv01',
                                  'key': PARAMETERS_PRIVATE, 'value_name': NAME,
                                  'prior': {'type': 'REG_EXPAND_SZ', 'data': '%SystemRoot%\\owa'}}))
    server.same_as_written = lambda written, stored: (written == stored or (
        written.type == stored.type == 'REG_EXPAND_SZ' and stored.data == written.data.replace('%SystemRoot%', 'C:\\WINNT')))
    result, _opened = run_action(owa_url_protocol, server, owa({'restore_from': str(record)}))
    assert result['changed'] is False and not result.get('failed'), result.get('msg')


def lower_named_server():
    """A server whose value is stored as ``owa url protocol`` (Windows matches names in any case and keeps this one)."""
    server = fake_server('value_absent')
    server.registry[PARAMETERS_PRIVATE.lower()][1]['owa url protocol'] = RegValue('REG_SZ', 'http:')
    return server


def names_in(server):
    return [name for name in server.registry[PARAMETERS_PRIVATE.lower()][1] if name.lower() == NAME.lower()]


def test_the_apply_writes_under_the_stored_spelling_and_records_it(tmp_path):
    server = lower_named_server()
    applied, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    assert applied['changed'] is True and names_in(server) == ['owa url protocol']
    assert ('set_value', PARAMETERS_PRIVATE, 'owa url protocol', RegValue('REG_SZ', 'https:')) in server.calls
    with open(applied['backup_record'], encoding='utf-8') as handle:
        assert json.load(handle)['value_name'] == 'owa url protocol'


def test_a_restore_gives_back_the_recorded_spelling_even_when_only_the_case_differs(tmp_path):
    server = lower_named_server()
    applied, _opened = run_action(owa_url_protocol, server, owa({'backup': True, 'backup_dir': str(tmp_path)}))
    values = server.registry[PARAMETERS_PRIVATE.lower()][1]
    del values['owa url protocol']
    values[NAME] = RegValue('REG_SZ', 'http:')          # the prior data again, under another spelling
    restored, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record']}))
    assert restored['changed'] is True and not restored.get('failed'), restored
    assert names_in(server) == ['owa url protocol'] and server.value(PARAMETERS_PRIVATE, NAME) == RegValue('REG_SZ', 'http:')
    writes = [call[:3] for call in server.calls if call[0] in ('delete_value', 'set_value')]
    assert writes[-2:] == [('delete_value', PARAMETERS_PRIVATE, NAME), ('set_value', PARAMETERS_PRIVATE, 'owa url protocol')]
    again, _opened = run_action(owa_url_protocol, server, owa({'restore_from': applied['backup_record']}))
    assert again['changed'] is False
