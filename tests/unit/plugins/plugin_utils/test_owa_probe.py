# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The OWA SSL-only probe against a real http.server on 127.0.30.x, plus URL validation and declared answers."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._owa_probe import OwaAnswer, classify, probe_owa, validate_owa_url

HOST = '127.0.30.1'
CLOSED_HOST = '127.0.30.2'
SILENT_HOST = '127.0.30.3'
IIS5_403_4 = ('<html><head><title>The page must be viewed over a secure channel</title></head><body>'
              'HTTP 403.4 - Forbidden: SSL required<br>Internet Information Services</body></html>')

# path -> (status, reason, headers, body)
PAGES = {
    '/ssl-only/exchange/': (403, 'Forbidden', {}, IIS5_403_4),
    '/iis6/exchange/': (403, 'Forbidden: SSL is required', {}, ''),
    '/iis6-body/exchange/': (403, 'Forbidden', {}, '<h2>HTTP Error 403.4 - Forbidden: SSL is required to view this resource.</h2>'),
    '/plain/exchange/': (200, 'OK', {}, '<html>Microsoft Outlook Web Access</html>'),
    '/redirect-https/exchange/': (302, 'Object moved', {'Location': 'https://owa.example.test/exchange/'}, ''),
    '/redirect-http/exchange': (301, 'Moved Permanently', {'Location': '/redirect-http/exchange/'}, ''),
    '/login/exchange/': (401, 'Access Denied', {'WWW-Authenticate': 'Basic realm="owa"'}, 'HTTP 401.2'),
    '/ip-denied/exchange/': (403, 'Forbidden', {}, 'HTTP 403.6 - Forbidden: IP address rejected'),
    '/missing/exchange/': (404, 'Object Not Found', {}, ''),
}
_SERVERS = {}  # base URL -> the requests that server saw (path, Authorization header)


class _OwaPages(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.0'

    def do_GET(self):
        self.server.requests.append((self.path, self.headers.get('Authorization')))
        status, reason, headers, body = PAGES.get(self.path, (404, 'Not Found', {}, ''))
        data = body.encode('latin-1')
        self.send_response(status, reason)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope='module')
def owa_server():
    server = http.server.ThreadingHTTPServer((HOST, 0), _OwaPages)
    server.requests = []
    url = f'http://{HOST}:{server.server_address[1]}'
    _SERVERS[url] = server.requests
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def closed_port():
    with socket.socket() as sock:
        sock.bind((CLOSED_HOST, 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_server():
    """A socket that accepts connections (in the kernel backlog) but never answers."""
    with socket.socket() as sock:
        sock.bind((SILENT_HOST, 0))
        sock.listen(4)
        yield f'http://{SILENT_HOST}:{sock.getsockname()[1]}/exchange/'


@pytest.mark.parametrize('path, ssl_required, detail', [
    ('/ssl-only/exchange/', True, 'answered HTTP 403 Forbidden: "viewed over a secure channel"'),
    ('/iis6-body/exchange/', True, 'answered HTTP 403 Forbidden: "403.4"'),
    ('/iis6/exchange/', True, 'answered HTTP 403 Forbidden: SSL is required: "SSL is required"'),
    ('/redirect-https/exchange/', True, 'answered HTTP 302, a redirect to https://owa.example.test/exchange/'),
    ('/plain/exchange/', False, 'answered HTTP 200 over plain http'),
    ('/login/exchange/', False, 'answered HTTP 401 (login required) over plain http'),
    ('/redirect-http/exchange', False, 'answered HTTP 301, a redirect to http://{host}/redirect-http/exchange/, over plain http'),
    ('/ip-denied/exchange/', None, 'answered HTTP 403 Forbidden, which does not say whether SSL is required'),
    ('/missing/exchange/', None, 'answered HTTP 404 Object Not Found, which does not say whether SSL is required'),
])
def test_probe_classifies_the_answer(owa_server, path, ssl_required, detail):
    url = owa_server + path
    answer = probe_owa(url, timeout=5)
    assert answer == OwaAnswer(ssl_required, f'{url} ' + detail.format(host=owa_server[len('http://'):]), 'probe', url)


def test_probe_sends_one_request_without_credentials_and_follows_no_redirect(owa_server):
    requests = _SERVERS[owa_server]
    del requests[:]
    probe_owa(owa_server + '/redirect-http/exchange', timeout=5)
    assert requests == [('/redirect-http/exchange', None)]


def test_probe_goes_direct_even_with_a_proxy_in_the_environment(owa_server, monkeypatch, closed_port):
    monkeypatch.setenv('http_proxy', f'http://{CLOSED_HOST}:{closed_port}')
    monkeypatch.setenv('HTTP_PROXY', f'http://{CLOSED_HOST}:{closed_port}')
    monkeypatch.delenv('no_proxy', raising=False)
    monkeypatch.delenv('NO_PROXY', raising=False)
    assert probe_owa(owa_server + '/ssl-only/exchange/', timeout=5).ssl_required is True


def test_closed_port_is_unknown(closed_port):
    url = f'http://{CLOSED_HOST}:{closed_port}/exchange/'
    assert probe_owa(url, timeout=5) == OwaAnswer(None, f'{url}: connection refused (nothing listens there)', 'probe', url)


def test_silent_server_times_out(silent_server):
    answer = probe_owa(silent_server, timeout=0.5)
    assert answer == OwaAnswer(None, f'{silent_server}: no answer within 0.5 s', 'probe', silent_server)


def test_unresolvable_host_is_unknown():
    url = 'http://owa.exchange55.invalid/exchange/'
    assert probe_owa(url, timeout=5) == OwaAnswer(None, f'{url}: host name owa.exchange55.invalid could not be resolved', 'probe', url)


def test_https_url_is_refused_before_connecting(closed_port):
    with pytest.raises(ValueError, match=r"is https: give the plain http:// address instead"):
        probe_owa(f'https://{CLOSED_HOST}:{closed_port}/exchange/')


# -- URL validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize('url, message', [
    ('https://owa.example.com/exchange/', 'is https: give the plain http:// address instead'),
    ('ftp://owa.example.com/exchange/', 'must start with http://'),
    ('owa.example.com/exchange/', 'must start with http://'),
    ('http:///exchange/', 'has no host name'),
    ('http://owa.example.com:99999/exchange/', 'is not a valid URL'),
    ('http://owa.example.com:0/exchange/', 'has port 0'),
    ('http://owa example.com/exchange/', 'must not contain spaces'),
    ('', 'must be the http:// address of the OWA page'),
    (None, 'must be the http:// address of the OWA page'),
])
def test_bad_urls_are_refused(url, message):
    with pytest.raises(ValueError, match=message):
        validate_owa_url(url)


@pytest.mark.parametrize('url', ['http://admin:Secr3t!@owa.example.com/exchange/', 'http://admin:Secr3t!@owa.example.com:bad/exchange/'])
def test_credentials_in_the_url_are_refused_without_echoing_them(url):
    with pytest.raises(ValueError) as caught:
        validate_owa_url(url)
    assert 'Secr3t' not in str(caught.value)
    assert str(caught.value).startswith('owa_url ')


def test_good_url_is_returned_stripped():
    assert validate_owa_url('  HTTP://owa.example.com:8080/exchange/ ') == 'HTTP://owa.example.com:8080/exchange/'


# -- answers that need no network --------------------------------------------------------------------

def test_declared_answer():
    facts = OwaAnswer.declared(True).to_facts()
    assert facts == {'ssl_required': True, 'source': 'declared', 'url': None, 'detail': 'declared by the operator with owa_ssl_required: true'}
    assert OwaAnswer.declared(False).ssl_required is False
    with pytest.raises(ValueError, match='must be true or false'):
        OwaAnswer.declared('yes')


def test_unknown_answer_and_checked_fields():
    assert OwaAnswer.unknown('no owa_url').source == 'unknown'
    with pytest.raises(ValueError, match='source must be one of'):
        OwaAnswer(True, 'x', 'guess')
    with pytest.raises(ValueError, match='ssl_required must be true, false or null'):
        OwaAnswer('yes', 'x')


@pytest.mark.parametrize('status, location, ssl_required', [
    (204, None, False), (302, None, False), (307, 'HTTPS://owa/exchange/', True), (303, '//owa/exchange/', False), (500, None, None),
])
def test_classify_edges(status, location, ssl_required):
    assert classify('http://owa/exchange/', status, '', location).ssl_required is ssl_required
