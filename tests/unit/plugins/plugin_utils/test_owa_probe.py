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

# The pages, from the KB texts (jeffpar/kbarchive kb/<3>/Q<n>/README.md):
# Q224389 (IIS 4.0): the default 403.4 error text.
IIS4_403_4 = ('<html><body><h2>HTTP Error 403</h2><p>403.4 Forbidden: SSL required</p><p>This error indicates that the page '
              'you are trying to access is secured with Secure Sockets Layer (SSL). In order to view it, you need to enable SSL '
              'by typing "https://" at the beginning of the address you are attempting to reach.</p></body></html>')
# Q279681 (IIS 5.0): "HTTP 403.4 - Forbidden: SSL required Internet Information Services"; title from KB 298805.
IIS5_403_4 = ('<html><head><title>The page must be viewed over a secure channel</title></head><body>'
              'HTTP 403.4 - Forbidden: SSL required<br>Internet Information Services</body></html>')
# Q268822: the File-type custom 403;4 page, a meta refresh to https (the status stays 403; no "403.4" in it).
Q268822_META_REFRESH = ('<html>\n<head> <meta http-equiv="Content-Type" content="text/html;\ncharset=windows-1252"> '
                        '<meta http-equiv="refresh"\ncontent="0;url=https://OWAserver/exchange/logon.asp"> <meta\n'
                        'name="GENERATOR" content="Microsoft FrontPage 4.0"> <meta name="ProgId"\n'
                        'content="FrontPage.Editor.Document"> <title></title>\n</head>\n\n</html>')
# A script or a link to https in a custom 403 page: the same instruction in other forms.
SCRIPT_TO_HTTPS = '<html><script>window.location.replace("https://owa.example.test/exchange/")</script></html>'
LINK_TO_HTTPS = '<html><body>Please use <a href="https://owa.example.test/exchange/">the secure site</a>.</body></html>'
# Q185495 (IIS 4.0): the default 403.6 text.
IIS4_403_6 = ('<html><body><h2>HTTP Error 403</h2>\n<p>403.6 Forbidden: IP address rejected</p><p>This error is caused when '
              'the server has a list of IP addresses that are not allowed to access the site</p></body></html>')

# path -> (status, reason, headers, body)
PAGES = {
    '/iis4/exchange/': (403, 'Access Forbidden', {}, IIS4_403_4),
    '/ssl-only/exchange/': (403, 'Forbidden', {}, IIS5_403_4),
    '/iis6/exchange/': (403, 'Forbidden: SSL is required', {}, ''),
    '/meta/exchange/': (403, 'Access Forbidden', {}, Q268822_META_REFRESH),
    '/script/exchange/': (403, 'Access Forbidden', {}, SCRIPT_TO_HTTPS),
    '/link/exchange/': (403, 'Access Forbidden', {}, LINK_TO_HTTPS),
    '/plain/exchange/': (200, 'OK', {}, '<html>Microsoft Outlook Web Access</html>'),
    # Q279681: the URL-type custom error whose ASP does Response.Redirect "https://" & SERVER_NAME & "/exchange".
    '/redirect-https/exchange/': (302, 'Object moved', {'Location': 'https://owa.example.test/exchange'}, ''),
    # Q298408: /exchange without the slash gets a 302 "Object moved" courtesy redirect to /exchange/.
    '/courtesy/exchange': (302, 'Object moved', {'Location': '/courtesy/exchange/'}, ''),
    '/courtesy/exchange/': (403, 'Access Forbidden', {}, IIS4_403_4),
    '/courtesy-plain/exchange': (302, 'Object moved', {'Location': '/plain/exchange/'}, ''),
    '/loop/a': (302, 'Object moved', {'Location': '/loop/b'}, ''),
    '/loop/b': (302, 'Object moved', {'Location': '/loop/c'}, ''),
    '/loop/c': (302, 'Object moved', {'Location': '/loop/d'}, ''),
    '/loop/d': (302, 'Object moved', {'Location': '/plain/exchange/'}, ''),
    '/elsewhere/exchange': (302, 'Object moved', {'Location': 'http://other.example.test/exchange/'}, ''),
    '/login/exchange/': (401, 'Access Denied', {'WWW-Authenticate': 'Basic realm="owa"'}, 'HTTP 401.2'),
    '/ip-denied/exchange/': (403, 'Access Forbidden', {}, IIS4_403_6),
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
    ('/iis4/exchange/', True, 'answered HTTP 403 Access Forbidden: "403.4"'),
    ('/ssl-only/exchange/', True, 'answered HTTP 403 Forbidden: "viewed over a secure channel"'),
    ('/iis6/exchange/', True, 'answered HTTP 403 Forbidden: SSL is required: "SSL is required"'),
    ('/meta/exchange/', True, 'answered HTTP 403 Access Forbidden whose page sends the browser to '
                              'https://OWAserver/exchange/logon.asp'),
    ('/script/exchange/', True, 'answered HTTP 403 Access Forbidden whose page sends the browser to https://owa.example.test/exchange/'),
    ('/link/exchange/', True, 'answered HTTP 403 Access Forbidden whose page sends the browser to https://owa.example.test/exchange/'),
    ('/redirect-https/exchange/', True, 'answered HTTP 302 Object moved, a redirect to https://owa.example.test/exchange'),
    ('/plain/exchange/', False, 'answered HTTP 200 OK over plain http'),
    ('/login/exchange/', None, 'answered HTTP 401 Access Denied (login required); /exchange/ itself does not ask for a login '
                               '(that comes from logonfrm.asp), so this does not say whether SSL is required'),
    ('/ip-denied/exchange/', None, 'answered HTTP 403 Access Forbidden: "403.6 Forbidden: IP address rejected", '
                                   'which is not the SSL-required answer (403.4)'),
    ('/missing/exchange/', None, 'answered HTTP 404 Object Not Found, which does not say whether SSL is required'),
    ('/elsewhere/exchange', None, 'answered HTTP 302 Object moved, a redirect to http://other.example.test/exchange/, '
                                  'which was not followed'),
])
def test_probe_classifies_the_answer(owa_server, path, ssl_required, detail):
    url = owa_server + path
    answer = probe_owa(url, timeout=5)
    assert answer == OwaAnswer(ssl_required, f'{url} ' + detail.format(host=owa_server[len('http://'):]), 'probe', url)


def test_exchange_without_the_slash_follows_the_courtesy_redirect(owa_server):
    requests = _SERVERS[owa_server]
    del requests[:]
    url = owa_server + '/courtesy/exchange'
    answer = probe_owa(url, timeout=5)
    assert answer == OwaAnswer(True, f'{url} answered HTTP 302 to {url}/; {url}/ answered HTTP 403 Access Forbidden: "403.4"',
                               'probe', url)
    assert requests == [('/courtesy/exchange', None), ('/courtesy/exchange/', None)]
    assert probe_owa(owa_server + '/courtesy-plain/exchange', timeout=5).ssl_required is False


def test_at_most_three_redirects_are_followed(owa_server):
    requests = _SERVERS[owa_server]
    del requests[:]
    answer = probe_owa(owa_server + '/loop/a', timeout=5)
    assert answer.ssl_required is None and answer.detail.endswith('more than 3 redirects, gave up')
    assert [path for path, _auth in requests] == ['/loop/a', '/loop/b', '/loop/c', '/loop/d']


def test_probe_sends_no_credentials_and_does_not_follow_other_hosts(owa_server):
    requests = _SERVERS[owa_server]
    del requests[:]
    probe_owa(owa_server + '/elsewhere/exchange', timeout=5)
    assert requests == [('/elsewhere/exchange', None)]


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
    (204, None, False), (302, None, None), (307, 'HTTPS://owa/exchange/', True), (303, '//owa/exchange/', None), (500, None, None),
    (401, None, None),
])
def test_classify_edges(status, location, ssl_required):
    assert classify('http://owa/exchange/', status, '', location).ssl_required is ssl_required


@pytest.mark.parametrize('body, ssl_required', [
    (IIS4_403_4, True), (IIS5_403_4, True), (Q268822_META_REFRESH, True), (SCRIPT_TO_HTTPS, True), (LINK_TO_HTTPS, True),
    (IIS4_403_6, None), ('<html><body>HTTP 403.9 - Access Forbidden: Too many users are connected</body></html>', None),
    ('<a href="http://owa/exchange/">plain http link</a>', None), ('', None),
    # Q224389's default text mentions typing "https://": a mention is not a redirect (the full page names 403.4).
    ('you need to enable SSL by typing "https://" at the beginning', None),
])
def test_classify_403_bodies_from_the_kbs(body, ssl_required):
    assert classify('http://owa/exchange/', 403, 'Access Forbidden', None, body).ssl_required is ssl_required


def test_other_403_quotes_the_first_line_of_the_page():
    answer = classify('http://owa/exchange/', 403, 'Access Forbidden', None, IIS4_403_6)
    assert answer.detail == ('http://owa/exchange/ answered HTTP 403 Access Forbidden: "403.6 Forbidden: IP address rejected", '
                             'which is not the SSL-required answer (403.4)')
    custom = classify('http://owa/exchange/', 403, 'Forbidden', None, '<html><body>\n<p>Go away.</p>\n<p>Really.</p></body></html>')
    assert custom.detail == 'http://owa/exchange/ answered HTTP 403 Forbidden: "Go away.", which is not the SSL-required answer (403.4)'
    empty = classify('http://owa/exchange/', 403, 'Forbidden', None, '')
    assert empty.detail == 'http://owa/exchange/ answered HTTP 403 Forbidden with an empty page, which is not the SSL-required answer (403.4)'
