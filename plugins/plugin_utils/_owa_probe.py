# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Is Outlook Web Access configured for SSL only?  Ask the OWA page over plain http.

Over plain http, IIS answers a resource that requires a secure channel with
HTTP 403.4 "SSL is required" (documented for IIS 6, assumed for IIS 4/5), so a
GET of ``http://<owa-server>/exchange/`` from the controller tells the two
configurations apart.  An operator-declared answer (:meth:`OwaAnswer.declared`)
always overrides the probe.
"""

from __future__ import annotations

import dataclasses
import http.client
import re
import socket
import urllib.parse


# What IIS puts in the body or reason phrase of a "403.4 SSL required" answer:
# IIS 6 says "403.4 Forbidden: SSL is required", IIS 4/5's 403-4.htm says
# "HTTP 403.4 - Forbidden: SSL required" under the title "The page must be viewed over a secure channel".
_SSL_REQUIRED = re.compile(r'403\.4|ssl (?:is )?required|viewed over a secure channel', re.IGNORECASE)
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

    403 naming SSL -> True; redirect to https: -> True; 2xx, 401 and other 3xx
    -> False (the page is served over plain http); anything else -> None.
    """
    answer = f'{url} answered HTTP {status}'
    status_text = f'{status} {" ".join(reason.split())}'.strip()
    ssl_required = _SSL_REQUIRED.search(f'{reason}\n{body}') if status == 403 else None
    if ssl_required:
        return OwaAnswer(True, f'{url} answered HTTP {status_text}: "{ssl_required.group(0)}"', url=url)
    if 300 <= status < 400:
        target = urllib.parse.urljoin(url, location) if location else None
        if target and urllib.parse.urlsplit(target).scheme.lower() == 'https':
            return OwaAnswer(True, f'{answer}, a redirect to {target}', url=url)
        where = f'a redirect to {target}' if target else 'a redirect without a Location'
        return OwaAnswer(False, f'{answer}, {where}, over plain http', url=url)
    if 200 <= status < 300:
        return OwaAnswer(False, f'{answer} over plain http', url=url)
    if status == 401:
        return OwaAnswer(False, f'{answer} (login required) over plain http', url=url)
    return OwaAnswer(None, f'{url} answered HTTP {status_text}, which does not say whether SSL is required', url=url)


def probe_owa(url: str, timeout: float = 10) -> OwaAnswer:
    """GET ``url`` over plain http once, without following redirects, and classify the answer.

    The request goes straight to the server (no proxy, no .netrc credentials), over a bare
    ``http.client`` connection: a plain-http probe needs no TLS context, which would cost
    every forked worker a load of the CA bundle.  Network failures give ``ssl_required=None``
    with a one-line ``detail``; a bad URL raises ValueError (see :func:`validate_owa_url`).
    """
    url = validate_owa_url(url)
    parts = urllib.parse.urlsplit(url)
    path = (parts.path or '/') + (f'?{parts.query}' if parts.query else '')
    connection = http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=timeout)
    try:
        connection.request('GET', path, headers={'User-Agent': 'legacy_exchange.exchange55-owa-probe', 'Accept': '*/*'})
        response = connection.getresponse()
        body = response.read(_BODY_LIMIT).decode('latin-1') if response.status >= 300 else ''
        return classify(url, response.status, response.reason or '', response.getheader('Location'), body)
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
