#!/usr/bin/python
# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations

DOCUMENTATION = r'''
module: server_info
short_description: Read an Exchange Server 5.5 server's facts and its KB Q294406 status
version_added: 0.1.0
description:
  - Reads, from the controller, what decides whether KB Q294406 applies to a server and whether it is in place.
    It reads the Exchange 5.5 install path, build and service pack from C(HKLM\SOFTWARE\Microsoft\Exchange\Setup),
    the file version of C(store.exe), the state of the Information Store service (C(MSExchangeIS)), whether Outlook
    Web Access is SSL only, and the current C(OWA Url Protocol) value under
    C(HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeIS\ParametersPrivate).
  - It returns those facts and a C(q294406) evaluation (status and reasons).
  - "How the decision is made: the Exchange family comes from every reading that exists: the file version of
    C(<Services>\\bin\\store.exe) (5.0, 5.5, 6.0, 6.5 = Exchange 5.0, 5.5, 2000, 2003), C(Services Version)
    (50, 55, 60, 65) and C(NewestBuild) / C(ServicePackBuild) (below 4047: not Exchange 2000 or later). Missing
    values do not count against a server; readings that contradict each other make it V(blocked), with a reason
    naming the conflict. Other releases are V(not_applicable), naming the version found."
  - "Service Pack 4 (Exchange 5.5 only) is C(ServicePackNumber) 4 or more, or C(ServicePackBuild) 2653-2999, or a
    Store.exe build of 2653 or more. Store.exe must be 5.5.2654.81 or later, compared only within the 5.5 line.
    Without C(MSExchangeIS\\ParametersPrivate) the Setup key is left over from an uninstall: V(not_applicable)."
  - The evidence is returned as a list (RV(server.evidence)); see C(docs/identification.md) for the sources.
  - The module is an action plugin. It runs on the controller and talks to the server over WS-Management/WMI
    (O(transport=winrm)) or SMB (O(transport=smb)). Nothing is copied to or run on the server, and no PowerShell is
    needed. No WinRS shell is opened.
  - It never changes anything.
author:
  - legacy_exchange.exchange55 contributors (@legacy-exchange)
extends_documentation_fragment:
  - legacy_exchange.exchange55.connection
  - legacy_exchange.exchange55.owa
  - legacy_exchange.exchange55.attributes
attributes:
  check_mode:
    support: full
    description: The module only reads, so check mode changes nothing about what it does.
  diff_mode:
    support: none
    description: The module changes nothing, so it has no diff.
  platform:
    support: full
    platforms: windows
    description: Targets Windows NT 4.0, Windows 2000 (O(transport=smb)) or WinRM-enabled hosts (O(transport=winrm)).
options:
  protocol:
    description:
      - The C(OWA Url Protocol) data that counts as compliant. KB Q294406 asks for V(https:).
      - The data must end with a colon, as the KB says.
    type: str
    default: 'https:'
notes:
  - "Least privilege: the account needs to read the two registry keys (remotely: C(winreg) access for O(transport=smb)),
    to read C(store.exe) (administrative share C(C$) for O(transport=smb)) and to query the service manager."
seealso:
  - module: legacy_exchange.exchange55.owa_url_protocol
  - name: 'KB Q294406: XIMS: IMAP Cannot Open Appointment Items by Using SSL'
    description: The Microsoft Knowledge Base article this collection applies.
    link: https://github.com/jeffpar/kbarchive/blob/master/kb/294/Q294406/README.md
'''

EXAMPLES = r'''
- name: Audit one server over its normal WinRM inventory settings
  legacy_exchange.exchange55.server_info:
  register: exchange

- name: Show the KB Q294406 status
  ansible.builtin.debug:
    msg: "{{ inventory_hostname }} is {{ exchange.q294406.status }}: {{ exchange.q294406.reasons | join('; ') }}"

- name: Audit an NT 4.0 server over SMB, declaring that its OWA is SSL only
  legacy_exchange.exchange55.server_info:
    transport: smb
    owa_ssl_required: true
  register: exchange
'''

RETURN = r'''
q294406:
  description: The KB Q294406 evaluation of the server.
  returned: success
  type: dict
  contains:
    status:
      description:
        - V(compliant) when the value is REG_SZ with the wanted data.
        - V(needs_change) when the KB applies and the value differs.
        - V(not_applicable) when there is no Exchange 5.5 or OWA is not SSL only.
        - V(blocked) when a prerequisite is missing or could not be determined.
        - V(changed) is only returned by M(legacy_exchange.exchange55.owa_url_protocol).
      type: str
      sample: needs_change
    reasons:
      description: Short human-readable reasons for the status.
      type: list
      elements: str
      sample: ['OWA Url Protocol is absent; it must be REG_SZ "https:"']
server:
  description: The facts read from the server.
  returned: success
  type: dict
  contains:
    exchange:
      description:
        - The Exchange installation as identified, with the Setup values found and their types.
        - C(family_evidence) is the deciding reading, C(conflict) names conflicting readings (or is null),
          C(service_pack_evidence) the reading that decided the service pack.
      type: dict
      sample: {installed: true, family: '5.5', family_evidence: 'Store.exe 5.5.2654.81', conflict: null,
               install_path: 'C:\exchsrvr', newest_build: 1960, services_version: null, service_pack_number: null,
               service_pack_build: 2653, service_pack: 4, service_pack_evidence: ServicePackBuild 2653,
               values_found: {Services: REG_SZ, NewestBuild: REG_DWORD}}
    store:
      description:
        - Path and file version of the Information Store's C(store.exe).
        - C(not_read) says why the file could not be read when that was not a refusal (a C(Services) path the transport
          cannot read, such as a quoted, UNC or C(%SystemDrive%) path over smb; a directory; a missing share). The server
          is then C(blocked) with that reason.
      type: dict
      sample: {path: 'C:\exchsrvr\bin\store.exe', version: 5.5.2654.81}
    information_store:
      description: The Information Store service, its state, and whether its C(ParametersPrivate) key exists.
      type: dict
      sample: {service: MSExchangeIS, state: Running, key_present: true}
    evidence:
      description:
        - Every reading used to identify the server, in the order read.
        - C(item) names the reading, C(value) is what the server holds (null when missing), C(says) is what it shows
          and the rule's source, C(decides) lists what it decided (V(family), V(service pack), V(conflict)).
      type: list
      elements: dict
      sample: [{item: Store.exe, value: 5.5.2654.81, decides: [family],
                says: 'Exchange 5.5, build 2654 is the Service Pack 4 line or later; the Q294406 fix is present (Q294406, Q282533)'}]
    owa:
      description: Whether OWA is SSL only, where that answer came from (declared, probe, unknown), and details.
      type: dict
      sample: {ssl_required: true, source: probe, url: 'http://exsrv01/exchange/', detail: 'HTTP 403.4 SSL required'}
    owa_url_protocol:
      description: The current C(OWA Url Protocol) value, with its type.
      type: dict
      sample: {present: true, type: REG_SZ, data: 'https:'}
error_kind:
  description:
    - On failure, the kind of failure, so that playbooks and reports need not parse C(msg).
    - One of V(invalid_option) (checked before connecting), V(auth), V(unreachable), V(timeout), V(access_denied),
      V(not_found), V(type_mismatch), V(unsupported), V(protocol).
  returned: failure
  type: str
  sample: auth
transport:
  description: The transport used, V(winrm) or V(smb).
  returned: success
  type: str
  sample: winrm
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.legacy_exchange.exchange55.plugins.module_utils._spec import (
    CONNECTION_ARGUMENT_SPEC,
    OWA_ARGUMENT_SPEC,
    controller_only,
)

ARGUMENT_SPEC = dict(
    protocol=dict(type='str', default='https:'),
    **OWA_ARGUMENT_SPEC,
    **CONNECTION_ARGUMENT_SPEC,
)


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    module.fail_json(msg=controller_only('server_info'))


if __name__ == '__main__':
    main()
