# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""What IIS 4/5 serving Outlook Web Access 5.5 answers a plain-http GET with: one function for both harnesses.

The WS-Man simulator (server.py) and the Samba harness (tests/smbhost/smbfleet.py) both serve these pages,
so a fleet file's ``owa`` section means the same on both transports.  Sources (KB texts in
jeffpar/kbarchive, kb/<3 digits>/Q<n>/README.md):

- ``/exchange`` without the trailing slash: IIS's courtesy redirect, 302 "Object moved" to the same URL with
  the slash (Q298408: "a courtesy redirect with a 302 "Object moved" response message is returned").
- ``ssl_required: false``: ``/exchange/`` answers 200 with the logon page (anonymous access is on and
  Logon.asp is the default document: Q301428; the 401 comes only from Logonfrm.asp: Q263236).
- ``ssl_required: true``, by ``page``:
  ``default``: 403 with IIS 4's default 403.4 text (Q224389, quoted below);
  ``meta_refresh``: 403 whose page is Q268822's File-type custom error (a meta refresh to
  ``https://<server>/exchange/logon.asp``);
  ``redirect_https``: Q279681's URL-type custom error, whose ASP does ``Response.Redirect`` to
  ``"https://" & SERVER_NAME & "/exchange"``: a 302 to https;
  ``forbidden_other``: a 403 that is not about SSL, IIS 4's default 403.6 text (Q185495).
- The status line carries the plain code; IIS puts the sub-status only in the page (Nessus owa-version.nasl
  matches "403 Access Forbidden").  Other paths: 404.
"""

from __future__ import annotations

# Q224389, "HTTP Error 403, 403.4, 403.5 Forbidden: SSL Required" (IIS 4.0), the error text verbatim.
DEFAULT_403_4 = (
    '<html><body>\r\n'
    '<h2>HTTP Error 403</h2>\r\n'
    '<p><strong>403.4 Forbidden: SSL required</strong></p>\r\n'
    '<p>This error indicates that the page you are trying to access is secured with Secure Sockets Layer (SSL). '
    'In order to view it, you need to enable SSL by typing "https://" at the beginning of the address you are '
    'attempting to reach.</p>\r\n'
    "<p>Please contact the Web server's administrator if the problem persists.</p>\r\n"
    '</body></html>\r\n')
# Q185495, "Error Selecting Link for Online Documentation" (IIS 4.0), the 403.6 text verbatim.
DEFAULT_403_6 = (
    '<html><body>\r\n'
    '<h2>HTTP Error 403</h2>\r\n'
    '<p><strong>403.6 Forbidden: IP address rejected</strong></p>\r\n'
    '<p>This error is caused when the server has a list of IP addresses that are not allowed to access the site, '
    'and the IP address you are using is in this list.</p>\r\n'
    "<p>Please contact the Web server's administrator if the problem persists.</p>\r\n"
    '</body></html>\r\n')
# Q268822, "XWEB: Redirecting http://<servername>/exchange Users to https://", step 1 (the .htm file).
META_REFRESH = (
    '<html>\r\n<head> <meta http-equiv="Content-Type" content="text/html;\r\ncharset=windows-1252"> '
    '<meta http-equiv="refresh"\r\ncontent="0;url=https://{server}/exchange/logon.asp"> <meta\r\n'
    'name="GENERATOR" content="Microsoft FrontPage 4.0"> <meta name="ProgId"\r\n'
    'content="FrontPage.Editor.Document"> <title></title>\r\n</head>\r\n\r\n</html>\r\n')
# The body of an IIS/ASP redirect is not quoted by any KB; this is the usual "Object moved" page.
OBJECT_MOVED = '<head><title>Object moved</title></head>\r\n<body><h1>Object Moved</h1>This object may be found <a HREF="{url}">here</a>.</body>\r\n'
LOGON_PAGE = ('<html><head><title>Microsoft Outlook Web Access</title></head>'
              '<body><form action="logon.asp">Microsoft Outlook Web Access: log on with your user name and password.</form>'
              '</body></html>')
NOT_FOUND = '<html><body><h2>HTTP Error 404</h2><p><strong>404 Object Not Found</strong></p></body></html>'
REASONS = {200: 'OK', 302: 'Object moved', 403: 'Access Forbidden', 404: 'Object Not Found', 405: 'Method not allowed'}


def answer(ssl_required: bool, page: str, method: str, path: str, host_header: str | None, address: str, port: int):
    """(status, reason, headers, body bytes) for one request; ``host_header`` names the server as the client did."""
    server = (host_header or '').strip() or (address if port == 80 else f'{address}:{port}')
    server_name = server.rsplit(':', 1)[0] if not server.startswith('[') else server.split(']')[0] + ']'
    headers = [('Server', 'Microsoft-IIS/4.0'), ('Content-Type', 'text/html')]
    plain_path = path.split('?', 1)[0].lower()
    if method not in ('GET', 'HEAD'):
        return 405, REASONS[405], headers + [('Allow', 'GET, HEAD')], b''
    if plain_path == '/exchange':
        target = f'http://{server}/exchange/'
        return 302, REASONS[302], headers + [('Location', target)], OBJECT_MOVED.format(url=target).encode('latin-1')
    if not plain_path.startswith('/exchange/'):
        return 404, REASONS[404], headers, NOT_FOUND.encode('latin-1')
    if not ssl_required:
        return 200, REASONS[200], headers, LOGON_PAGE.encode('latin-1')
    if page == 'meta_refresh':
        return 403, REASONS[403], headers, META_REFRESH.format(server=server_name).encode('latin-1')
    if page == 'redirect_https':
        target = f'https://{server_name}/exchange'
        return 302, REASONS[302], headers + [('Location', target)], OBJECT_MOVED.format(url=target).encode('latin-1')
    if page == 'forbidden_other':
        return 403, REASONS[403], headers, DEFAULT_403_6.encode('latin-1')
    return 403, REASONS[403], headers, DEFAULT_403_4.encode('latin-1')
