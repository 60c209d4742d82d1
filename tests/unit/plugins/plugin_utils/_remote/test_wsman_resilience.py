# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""WSManClient under a hostile server: transient faults are retried (only where repeating is safe), the
per-host deadline bounds every request, and a CR in any string sent survives the XML on the wire."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import requests
import urllib3
from winrm.exceptions import WinRMTransportError

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._wsman import WSManClient, tls_advice, wmi_uri
from ansible_collections.legacy_exchange.exchange55.tests.unit.plugins.plugin_utils._remote.wsman_fakes import (
    STDREGPROV, capture, get_response, http_fault, make_protocol, reg_output,
)

WIN32_SERVICE = wmi_uri('root/cimv2', 'Win32_Service')
BUSY = capture('txwinrm__fault_InternalError_max_concurrent_operations.xml')
HTML_500 = WinRMTransportError('http', 500, '<html><body>Internal Server Error</body></html>')


def reset() -> requests.exceptions.ConnectionError:
    """What requests raises when the server resets an established connection."""
    return requests.exceptions.ConnectionError(urllib3.exceptions.ProtocolError(
        'Connection aborted.', ConnectionResetError(104, 'Connection reset by peer')))


def refused() -> requests.exceptions.ConnectionError:
    return requests.exceptions.ConnectionError(urllib3.exceptions.MaxRetryError(
        None, '/wsman', urllib3.exceptions.NewConnectionError(None, 'Failed to establish a new connection: [Errno 111] Connection refused')))


class Clock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def client_with(*answers, retries=3, retry_delay=0.5, task_timeout=0, clock=None):
    protocol, transport = make_protocol(*answers)
    clock = clock or Clock()
    client = WSManClient(protocol, host='exsrv01', retries=retries, retry_delay=retry_delay, task_timeout=task_timeout,
                         sleep=clock.sleep, clock=clock)
    return client, transport, clock


def ok_string(value='https:'):
    return reg_output('GetStringValue', 0, sValue=value)


@pytest.mark.parametrize('fault', [http_fault(BUSY), HTML_500, reset()], ids=['busy', 'html-500', 'reset'])
def test_transient_failures_of_a_read_are_retried_with_doubling_delays(fault):
    client, transport, clock = client_with(fault, fault, ok_string())
    result = client.invoke(STDREGPROV, 'GetStringValue', {'sValueName': 'x'}, idempotent=True)
    assert result['sValue'] == 'https:'
    assert len(transport.sent) == 3 and client.retried == 2
    assert clock.sleeps == [0.5, 1.0]


def test_a_reset_opens_a_new_session_before_the_retry():
    client, transport, _clock = client_with(reset(), ok_string())
    client.invoke(STDREGPROV, 'GetStringValue', {}, idempotent=True)
    assert transport.closed == 1       # a new connection needs a new NTLM login


def test_retries_are_bounded_and_the_message_says_what_to_do():
    client, transport, _clock = client_with(*([HTML_500] * 4), retries=3)
    with pytest.raises(RemoteError) as info:
        client.get(WIN32_SERVICE, {'Name': 'MSExchangeIS'})
    assert info.value.kind == 'transient' and len(transport.sent) == 4
    assert 'HTTP 500' in str(info.value) and 'still failing after 3 retries' in str(info.value)


def test_a_call_that_is_not_safe_to_repeat_is_sent_once():
    client, transport, _clock = client_with(http_fault(BUSY))
    with pytest.raises(RemoteError) as info:
        client.invoke(WIN32_SERVICE, 'StopService', {}, selectors={'Name': 'MSExchangeIS'})
    assert info.value.kind == 'transient' and len(transport.sent) == 1 and client.retried == 0


@pytest.mark.parametrize('failure, kind', [(refused(), 'unreachable'), (WinRMTransportError('http', 404, ''), 'protocol')])
def test_lasting_failures_are_not_retried(failure, kind):
    client, transport, _clock = client_with(failure)
    with pytest.raises(RemoteError) as info:
        client.get(WIN32_SERVICE, {'Name': 'x'})
    assert info.value.kind == kind and len(transport.sent) == 1
    assert 'ansible_host' not in str(info.value) or kind == 'unreachable'


def test_a_reset_is_not_reported_as_an_unreachable_host():
    client, _transport, _clock = client_with(reset(), retries=0)
    with pytest.raises(RemoteError) as info:
        client.get(WIN32_SERVICE, {'Name': 'x'})
    assert info.value.kind == 'transient' and 'was lost during Get Win32_Service' in str(info.value)


def test_an_enumeration_is_repeated_whole_after_a_failed_pull():
    first = capture('txwinrm__win2008_Win32_Service_star_EnumerateResponse.xml')
    last = capture('txwinrm__win2008_Win32_Service_star_PullResponse_last.xml')
    client, transport, _clock = client_with(first, HTML_500, first, last)
    items = client.enumerate(wmi_uri('root/cimv2', 'Win32_Service'))
    assert len(items) >= 2
    actions = [ET.fromstring(text).find('.//{http://schemas.xmlsoap.org/ws/2004/08/addressing}Action').text.rpartition('/')[2]
               for text in transport.sent]
    assert actions == ['Enumerate', 'Pull', 'Enumerate', 'Pull']


def test_the_deadline_stops_requests_and_retries():
    clock = Clock()
    client, transport, _clock = client_with(HTML_500, HTML_500, ok_string(), retries=5, retry_delay=4, task_timeout=10, clock=clock)
    with pytest.raises(RemoteError) as info:
        client.invoke(STDREGPROV, 'GetStringValue', {}, idempotent=True)
    # 0 s: first try; sleep 4; second try at 4 s; the next delay (8 s) would end after the 10 s deadline
    assert len(transport.sent) == 2 and clock.sleeps == [4]
    clock.now += 7
    with pytest.raises(RemoteError) as info:
        client.invoke(STDREGPROV, 'GetStringValue', {}, idempotent=True)
    assert info.value.kind == 'timeout' and 'task_timeout of 10s reached' in str(info.value)
    assert len(transport.sent) == 2       # nothing sent after the deadline


def test_no_request_waits_beyond_the_deadline():
    clock = Clock()
    client, transport, _clock = client_with(ok_string(), ok_string(), task_timeout=5, clock=clock)
    transport.read_timeout_sec = 30
    client.invoke(STDREGPROV, 'GetStringValue', {}, idempotent=True)
    assert transport.read_timeout_sec == 5
    clock.now += 3.5
    client.invoke(STDREGPROV, 'GetStringValue', {}, idempotent=True)
    assert transport.read_timeout_sec == 2


@pytest.mark.parametrize('text', ['https:\r\nX', '\r', 'a\rb\r\n\r\nc', '\r\n'])
def test_a_cr_survives_every_string_sent(text):
    client, transport, _clock = client_with(get_response('Win32_Service', ('Name', 'x')), reg_output('SetStringValue', 0))
    client.get(WIN32_SERVICE, {'Name': text})
    client.invoke(STDREGPROV, 'SetStringValue', {'sValueName': text, 'sValue': text}, idempotent=True)
    for sent in transport.sent:
        assert '\r' not in sent           # a literal CR would reach the server as LF (XML 1.0, 2.11)
    selector = ET.fromstring(transport.sent[0]).find('.//{http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}Selector')
    assert selector.text == text
    body = ET.fromstring(transport.sent[1])
    assert [element.text for element in body.iter() if element.tag.endswith(('}sValueName', '}sValue'))] == [text, text]


@pytest.mark.parametrize('reason, advice', [
    ('[SSL: WRONG_VERSION_NUMBER] wrong version number', 'ansible_winrm_scheme: http'),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed certificate', 'ansible_winrm_ca_trust_path'),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate', 'ca_trust_path'),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch, certificate is not valid for 'x'", 'names another host'),
    ('[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired', 'validity period'),
    ('[SSL: UNSUPPORTED_PROTOCOL] unsupported protocol', 'TLS version'),
])
def test_tls_advice_fits_the_failure(reason, advice):
    assert advice in tls_advice(reason)
    if 'ca_trust_path' not in advice:
        assert 'ca_trust_path' not in tls_advice(reason)


def test_https_to_a_port_that_never_answers_the_handshake_says_to_try_http():
    import socket
    import threading
    from winrm.protocol import Protocol
    with socket.socket() as silent:
        silent.bind(('127.0.20.1', 0))
        silent.listen(4)
        accepted = []
        threading.Thread(target=lambda: accepted.append(silent.accept()), daemon=True).start()
        url = f'https://127.0.20.1:{silent.getsockname()[1]}/wsman'
        client = WSManClient(Protocol(url, transport='ntlm', username='u', password='S3cret!pw', read_timeout_sec=2, operation_timeout_sec=1),
                             host='exsrv01')
        with pytest.raises(RemoteError) as info:
            client.get(WIN32_SERVICE, {'Name': 'x'})
    assert info.value.kind == 'timeout'
    assert 'set ansible_winrm_scheme: http' in str(info.value) and 'nothing ever answered' in str(info.value)
