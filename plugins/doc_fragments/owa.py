# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """How a module learns whether Outlook Web Access is configured for SSL only."""

    DOCUMENTATION = r'''
options:
  owa_ssl_required:
    description:
      - Whether Outlook Web Access is configured to use SSL only, which is when KB Q294406 applies.
      - V(auto) probes O(owa_url) over plain HTTP from the controller. IIS answers a page that requires a secure channel
        with C(403.4 SSL required), and a redirect to an C(https:) address counts as SSL only too. Any ordinary answer
        means OWA is also served over plain HTTP. If the probe gets no answer, the server is C(blocked) until you
        declare the setting.
      - V(true) or V(false) declares the setting and skips the probe. Declare it when OWA runs on another IIS server
        than the Information Store, or when the controller cannot reach the OWA page.
    type: str
    choices: [auto, 'true', 'false']
    default: auto
  owa_url:
    description:
      - The plain C(http://) address of the OWA page to probe when O(owa_ssl_required=auto), for example
        C(http://mail.example.com/exchange/).
      - Defaults to the host variable C(exchange55_owa_url), then C(http://<remote_host>/exchange/).
    type: str
'''
