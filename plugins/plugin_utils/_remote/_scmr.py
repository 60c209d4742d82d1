# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MS-SCMR (the Service Control Manager Remote Protocol) over the ``\\svcctl`` pipe of an :class:`SMBSession`."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb_session import (
    ERROR_INVALID_NAME,
    ERROR_SERVICE_ALREADY_RUNNING,
    ERROR_SERVICE_DOES_NOT_EXIST,
    ERROR_SERVICE_NOT_ACTIVE,
)

# Service Control Manager (MS-SCMR 2.2).
SC_MANAGER_CONNECT = 0x0001
SERVICE_QUERY_STATUS = 0x0004
SERVICE_START = 0x0010
SERVICE_STOP = 0x0020
SERVICE_CONTROL_STOP = 0x00000001
# dwCurrentState -> Win32_Service.State, so both transports report the same words.
SERVICE_STATES = {
    1: 'Stopped',
    2: 'Start Pending',
    3: 'Stop Pending',
    4: 'Running',
    5: 'Continue Pending',
    6: 'Pause Pending',
    7: 'Paused',
}


class SCMRClient:
    """The service operations of :class:`RemoteHost` over MS-SCMR; mixed into an :class:`SMBSession`."""

    _scm = None

    # ------------------------------------------------------------- services
    def service_state(self, name):
        handle = self._open_service(name, SERVICE_QUERY_STATUS)
        if handle is None:
            return None
        # The handle is left to the session's logoff, which runs it down with the pipe (see SMBSession._close_session).
        status = self._rpc(f'query service {name}', self._lib.scmr.hRQueryServiceStatus, self._pipe('svcctl'), handle)
        state = status['lpServiceStatus']['dwCurrentState']
        return SERVICE_STATES.get(state, 'Unknown')

    def control_service(self, name, action):
        if action not in ('start', 'stop'):
            raise RemoteError(f"control_service action must be 'start' or 'stop', got {action!r}", kind='unsupported', host=self.host)
        handle = self._open_service(name, SERVICE_START if action == 'start' else SERVICE_STOP)
        if handle is None:
            raise RemoteError(f'{self.host}: cannot {action} service {name}: no such service', kind='not_found', host=self.host)
        scmr = self._lib.scmr
        dce = self._pipe('svcctl')
        try:
            if action == 'start':
                self._rpc(f'start service {name}', scmr.hRStartServiceW, dce, handle, absent=(ERROR_SERVICE_ALREADY_RUNNING,))
            else:
                self._rpc(f'stop service {name}', scmr.hRControlService, dce, handle, SERVICE_CONTROL_STOP, absent=(ERROR_SERVICE_NOT_ACTIVE,))
        finally:
            self._rpc(f'close service {name}', scmr.hRCloseServiceHandle, dce, handle)

    def _open_service(self, name: str, access: int):
        scmr = self._lib.scmr
        dce = self._pipe('svcctl')
        if self._scm is None:
            self._scm = self._rpc('open the service manager', scmr.hROpenSCManagerW, dce, 'DUMMY\0', 'ServicesActive\0',
                                  SC_MANAGER_CONNECT)['lpScHandle']
        answer = self._rpc(f'open service {name}', scmr.hROpenServiceW, dce, self._scm, name + '\0', access,
                           absent=(ERROR_SERVICE_DOES_NOT_EXIST, ERROR_INVALID_NAME))
        return None if answer is None else answer['lpServiceHandle']
