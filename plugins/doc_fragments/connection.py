# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

from __future__ import annotations


class ModuleDocFragment:
    """Options shared by every module: how the controller reaches the Exchange server."""

    DOCUMENTATION = r'''
requirements:
  - pywinrm >= 0.4.3 and pyspnego >= 0.10.0 on the controller (O(transport=winrm))
  - impacket >= 0.11.0 and pefile >= 2023.2.7 on the controller (O(transport=smb))
notes:
  - The Python requirements are in the collection's C(requirements.txt) (C(pip install -r requirements.txt) on the
    controller); an execution environment built with the collection (C(meta/execution-environment.yml)) has them.
options:
  transport:
    description:
      - How the controller talks to the server.
      - V(winrm) uses WS-Management and WMI (C(StdRegProv), C(CIM_DataFile), C(Win32_Service)) through pywinrm.
        It needs WinRM on the server (Windows Server 2003 R2 or later, or a WinRM-enabled lab).
      - V(smb) uses the remote registry (MS-RRP over C(\winreg)), a file read of the C(C$) share and the service
        control manager (MS-SCMR). It reaches Windows NT 4.0 and Windows 2000, where Exchange 5.5 really runs.
      - Defaults to the host variable C(exchange55_transport), then V(winrm).
    type: str
    choices: [winrm, smb]
  remote_host:
    description:
      - Address or name of the server.
      - Defaults to the host's C(ansible_host), then the inventory hostname.
    type: str
  remote_user:
    description:
      - Account used to log in; C(DOMAIN\user) and C(user@domain) are accepted.
      - Defaults to the host's C(ansible_user).
    type: str
  remote_password:
    description:
      - Password of O(remote_user). It is never shown in results, diffs, backups or logs.
      - Defaults to the host's C(ansible_password).
    type: str
  port:
    description:
      - WinRM port for O(transport=winrm).
      - Defaults to the host's C(ansible_port), then 5986 for https and 5985 for http.
    type: int
  scheme:
    description:
      - V(https) or V(http) for O(transport=winrm).
      - Defaults to the host's C(ansible_winrm_scheme), then V(http) when the port is 5985 and V(https) otherwise.
      - Basic authentication over plain V(http) is refused, because the password would cross the network in clear text.
    type: str
    choices: [http, https]
  winrm_transport:
    description:
      - WinRM authentication for O(transport=winrm), as pywinrm names it.
      - Defaults to the first entry of the host's C(ansible_winrm_transport), then V(ntlm).
      - Over V(http), V(ntlm), V(kerberos) and V(credssp) encrypt every message.
    type: str
    choices: [ntlm, basic, kerberos, credssp, certificate]
  server_cert_validation:
    description:
      - Whether the server's TLS certificate is validated for O(scheme=https).
      - Defaults to the host's C(ansible_winrm_server_cert_validation), then V(validate).
    type: str
    choices: [validate, ignore]
  ca_trust_path:
    description:
      - File or directory of CA certificates that sign the server's certificate.
      - Defaults to the host's C(ansible_winrm_ca_trust_path), then the system's CA bundle.
    type: path
  smb_port:
    description:
      - SMB port for O(transport=smb).
      - Defaults to the host's C(exchange55_smb_port), then 445.
    type: int
  smb_require_signing:
    description:
      - Sign every SMB request and refuse a server that cannot sign, for O(transport=smb).
        Domain controllers and hardened servers require it.
      - Defaults to the host's C(exchange55_smb_require_signing), then V(false), which signs when the server requires it.
    type: bool
  connect_timeout:
    description:
      - Seconds to wait for the server to answer one request before the host fails with a timeout, from 1 to 3600.
      - Over WinRM the WS-Management OperationTimeout asked of the server is two thirds of it, and the HTTP read timeout
        is at least one second more than that.
    type: int
    default: 30
  retries:
    description:
      - How many times an operation that is safe to repeat (a read, the set of the same value, the read-back) is sent
        again after a transient failure, from 0 to 10. Over WinRM transient failures are HTTP 500 without a SOAP fault,
        the WS-Management C(InternalError)/C(QuotaLimit) faults of a busy server (maximum number of concurrent
        operations) and a connection lost after it was made. Over smb a transient failure is a connection lost
        (reset or closed) after the session was up; the operation is then repeated on a new session (a new login, pipes
        and key handles opened again); a write is repeated only because it sets the same data again. Timeouts, refused
        logins and refused connections are never retried. Service start and stop are never repeated.
      - The result's C(retried) counts the repeats. With the defaults, an operation that fails one time in four
        still fails the host only once in 4096 tries.
    type: int
    default: 5
  retry_delay:
    description:
      - Seconds before the first repeat (0 to 60); each further repeat waits twice as long as the one before, at most 10 s.
    type: float
    default: 0.5
  task_timeout:
    description:
      - A deadline in seconds for all the requests of one host in this task (0 to 86400); V(0), the default, sets none.
      - When it passes, the host fails with C(error_kind=timeout); no request waits beyond it, and no retry starts
        that would end after it. It applies to both transports; over smb it bounds the login, every SMB request and
        RPC call, and the file reads.
    type: int
    default: 0
'''
