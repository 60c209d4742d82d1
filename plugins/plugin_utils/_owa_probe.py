# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is Outlook Web Access configured for SSL only?  Ask the OWA page over plain http.

What real IIS 4/5 servers answer a plain-http GET of ``/exchange/`` with (sources quoted in
docs/owa-probe.md):

- SSL required, default error page: status line ``403`` with any reason phrase (IIS sends the plain
  status code; the sub-status "403.4" appears only in the body of the default page: Q224389 "HTTP Error 403 /
  403.4 Forbidden: SSL required", Q279681 "HTTP 403.4 - Forbidden: SSL required", Nessus owa-version.nasl
  matches "403 Access Forbidden").  -> True
- SSL required, customised 403;4 page: admins were told to replace it (Q268822: a File-type error page whose
  body is ``<meta http-equiv="refresh" content="0;url=https://<server>/exchange/logon.asp">``; Q279681: a
  URL-type error page whose ASP does ``Response.Redirect`` to https, i.e. a 302).  A 403 whose body sends
  the browser to ``https://`` (meta refresh, script, or link), or a redirect to ``https://``.  -> True
- ``/exchange`` without the slash: IIS's 302 "Object moved" courtesy redirect to ``/exchange/`` (Q298408).
  Plain-http redirects to the same host are followed, at most :data:`MAX_REDIRECTS`, before deciding.
- SSL not required: ``200`` (anonymous access on the vdir is the default and Logon.asp is the default
  document, Q167280, Q301428; the redirect in Default.htm, Q263236).  -> False
- ``401`` does not come from ``/exchange/`` (it comes later, from Logonfrm.asp, Q263236), so it says
  nothing about SSL; nor does any other 403 (403.6 IP address rejected, Q185495; 403.9 too many users):
  -> None, and ``detail`` quotes the first line of the body.

An operator-declared answer (:meth:`OwaAnswer.declared`) always overrides the probe.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import socket
import urllib.parse


# What IIS puts in the body (or, on IIS 6, the reason phrase) of a "403.4 SSL required" answer:
# IIS 4 "403.4 Forbidden: SSL required" (Q224389), IIS 5 "HTTP 403.4 - Forbidden: SSL required" (Q279681)
# under the title "The page must be viewed over a secure channel" (KB 298805), IIS 6 "SSL is required".
_SSL_REQUIRED = re.compile(r'403\.4|ssl (?:is )?required|viewed over a secure channel', re.IGNORECASE)
# A body that sends the browser to https://: a meta refresh "0;url=https://..." (Q268822), a script
# (location / location.href / window.location.replace(...) = "https://...") or a link (href="https://...").
_TO_HTTPS = re.compile(
    r"""(?:url\s*=\s*['"]?|href\s*=\s*['"]?|location(?:\.href)?\s*=\s*['"]|location\.(?:replace|assign)\s*\(\s*['"])"""
    r"""\s*(https://[^\s'"<>)]*)""", re.IGNORECASE)
_TAG = re.compile(r'<[^>]*>')
_SUBSTATUS = re.compile(r'\b403\.[0-9]{1,2}\b[^\r\n]*')
MAX_REDIRECTS = 3
_BODY_LIMIT = 64 * 1024
_SOURCES = ('declared', 'probe', 'unknown')


@dataclasses.dataclass(frozen=True)
class OwaAnswer:
    """Whether OWA requires SSL (True, False or None for unknown), why, and where the answer came from.

    ``source`` is 'declared' (the operator said so), 'probe' (an http request
    answered, or failed: ``detail`` says which) or 'unknown' (nobody asked).
    """

    ssl_required: bool | None
    detail: str
    source: str = 'probe'
    url: str | None = None

    def __post_init__(self):
        if self.ssl_required not in (True, False, None):
            raise ValueError(f'ssl_required must be true, false or null, got {self.ssl_required!r}')
        if self.source not in _SOURCES:
            raise ValueError(f'OWA answer source must be one of {", ".join(_SOURCES)}, got {self.source!r}')

    @classmethod
    def declared(cls, ssl_required: bool) -> OwaAnswer:
        """The operator's own answer (module option ``owa_ssl_required: true|false``)."""
        if not isinstance(ssl_required, bool):
            raise ValueError(f'a declared OWA SSL-only setting must be true or false, got {ssl_required!r}')
        return cls(ssl_required, f'declared by the operator with owa_ssl_required: {str(ssl_required).lower()}', 'declared')

    @classmethod
    def unknown(cls, detail: str) -> OwaAnswer:
        """No answer; ``detail`` says why (e.g. no owa_url was given)."""
        return cls(None, detail, 'unknown')

    def to_facts(self) -> dict:
        """JSON-safe ``{ssl_required, source, url, detail}``."""
        return {'ssl_required': self.ssl_required, 'source': self.source, 'url': self.url, 'detail': self.detail}


def validate_owa_url(url, name: str = 'owa_url') -> str:
    """Return ``url`` stripped if it is an http:// URL with a host; otherwise raise a one-line ValueError.

    The message never repeats a URL that carries a user name or password.
    """
    example = 'e.g. http://owa.example.com/exchange/'
    if not isinstance(url, str) or not url.strip():
        raise ValueError(f'{name} must be the http:// address of the OWA page, {example}')
    url = url.strip()
    if any(char.isspace() or ord(char) < 32 for char in url):
        raise ValueError(f'{name} must not contain spaces or control characters, {example}')
    try:
        parts = urllib.parse.urlsplit(url)
        port = parts.port
    except ValueError as err:
        if '@' in url:
            raise ValueError(f'{name} is not a valid URL ({err}), {example}') from None
        raise ValueError(f'{name} {url!r} is not a valid URL ({err}), {example}') from None
    if parts.username is not None or parts.password is not None:
        raise ValueError(f'{name} must not contain a user name or password, {example}')
    scheme = parts.scheme.lower()
    if scheme == 'https':
        raise ValueError(f'{name} {url!r} is https: give the plain http:// address instead ({example}); '
                         'only a plain http request can show that OWA refuses it without SSL')
    if scheme != 'http':
        raise ValueError(f'{name} {url!r} must start with http://, {example}')
    if not parts.hostname:
        raise ValueError(f'{name} {url!r} has no host name, {example}')
    if port == 0:
        raise ValueError(f'{name} {url!r} has port 0, {example}')
    return url


def classify(url: str, status: int, reason: str = '', location: str | None = None, body: str = '') -> OwaAnswer:
    """Turn one plain-http answer into an OwaAnswer (no I/O); ``detail`` says what was seen.

    403 naming SSL, or 403 whose body sends the browser to https:// -> True; a redirect to https:// -> True;
    2xx -> False; a plain-http redirect (the caller follows those to the same host), 401, any other 403
    and anything else -> None.
    """
    status_text = f'{status} {" ".join(reason.split())}'.strip()
    answer = f'{url} answered HTTP {status_text}'
    if status == 403:
        named = _SSL_REQUIRED.search(f'{reason}\n{body}')
        if named:
            return OwaAnswer(True, f'{answer}: "{named.group(0)}"', url=url)
        target = _TO_HTTPS.search(body)
        if target:
            return OwaAnswer(True, f'{answer} whose page sends the browser to {target.group(1)}', url=url)
        named = _SUBSTATUS.search(_TAG.sub('\n', body))     # the default pages name their sub-status (Q185495: "403.6 ...")
        first = ' '.join(named.group(0).split()) if named else first_line(body)
        said = f': "{first[:120]}"' if first else ' with an empty page'
        return OwaAnswer(None, f'{answer}{said}, which is not the SSL-required answer (403.4)', url=url)
    if 300 <= status < 400:
        target = urllib.parse.urljoin(url, location) if location else None
        if target and urllib.parse.urlsplit(target).scheme.lower() == 'https':
            return OwaAnswer(True, f'{answer}, a redirect to {target}', url=url)
        where = f'a redirect to {target}' if target else 'a redirect without a Location'
        return OwaAnswer(None, f'{answer}, {where}, which was not followed', url=url)
    if 200 <= status < 300:
        return OwaAnswer(False, f'{answer} over plain http', url=url)
    if status == 401:
        return OwaAnswer(None, f'{answer} (login required); /exchange/ itself does not ask for a login (that comes from '
                               'logonfrm.asp), so this does not say whether SSL is required', url=url)
    return OwaAnswer(None, f'{answer}, which does not say whether SSL is required', url=url)


def first_line(body: str, limit: int = 120) -> str:
    """The first line of text of an HTML page (tags dropped, blanks squeezed), cut to ``limit`` characters."""
    for line in _TAG.sub('\n', body or '').splitlines():
        text = ' '.join(line.split())
        if text:
            return text if len(text) <= limit else text[:limit - 3] + '...'
    return ''


def same_host_http(url: str, location: str | None) -> str | None:
    """The absolute target of a redirect when it is plain http to the same host and port, else None."""
    if not location:
        return None
    target = urllib.parse.urljoin(url, location)
    here, there = urllib.parse.urlsplit(url), urllib.parse.urlsplit(target)
    try:
        same = (there.scheme.lower() == 'http' and (there.hostname or '').lower() == (here.hostname or '').lower()
                and (there.port or 80) == (here.port or 80))
    except ValueError:   # a bad port in the Location header
        return None
    return target if same else None


def probe_owa(url: str, timeout: float = 10) -> OwaAnswer:
    """GET ``url`` over plain http, follow up to MAX_REDIRECTS plain-http redirects to the same host, classify.

    The requests go straight to the server (no proxy, no .netrc credentials), over bare
    ``http.client`` connections: a plain-http probe needs no TLS context, which would cost
    every forked worker a load of the CA bundle.  Network failures give ``ssl_required=None``
    with a one-line ``detail``; a bad URL raises ValueError (see :func:`validate_owa_url`).
    The answer's ``url`` is the URL asked first; ``detail`` names every hop.
    """
    url = validate_owa_url(url)
    hops = []
    current = url
    for _hop in range(MAX_REDIRECTS + 1):
        answer = _get(current, timeout)
        if isinstance(answer, OwaAnswer):
            return _with_hops(answer, url, hops)
        status, reason, location, body = answer
        target = same_host_http(current, location) if 300 <= status < 400 else None
        if target is None:
            return _with_hops(classify(current, status, reason, location, body), url, hops)
        hops.append(f'{current} answered HTTP {status} to {target}')
        current = target
    return OwaAnswer(None, f'{"; ".join(hops)}: more than {MAX_REDIRECTS} redirects, gave up', url=url)


def _with_hops(answer: OwaAnswer, url: str, hops: list) -> OwaAnswer:
    detail = '; '.join(hops + [answer.detail]) if hops else answer.detail
    return dataclasses.replace(answer, detail=detail, url=url)


def _get(url: str, timeout: float):
    """One GET: (status, reason, Location, body) or an OwaAnswer(None) saying why no answer came."""
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or '/') + (f'?{parts.query}' if parts.query else '')
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request('GET', path, headers={'User-Agent': 'legacy_exchange.exchange55-owa-probe', 'Accept': '*/*'})
        response = connection.getresponse()
        body = response.read(_BODY_LIMIT).decode('latin-1') if response.status >= 300 else ''
        return response.status, response.reason or '', response.getheader('Location'), body
    except (OSError, http.client.HTTPException) as err:  # refused, timeout, reset, DNS, or a malformed answer
        return OwaAnswer(None, _failure(url, err, timeout), url=url)
    finally:
        connection.close()


def _failure(url: str, cause, timeout: float) -> str:
    """One line saying why no answer came back."""
    if isinstance(cause, TimeoutError):  # socket.timeout is TimeoutError
        return f'{url}: no answer within {timeout:g} s'
    if isinstance(cause, ConnectionRefusedError):
        return f'{url}: connection refused (nothing listens there)'
    if isinstance(cause, socket.gaierror):
        host = urllib.parse.urlsplit(url).hostname
        return f'{url}: host name {host} could not be resolved'
    text = ' '.join(str(cause).split()) or type(cause).__name__
    return f'{url}: {text}'
