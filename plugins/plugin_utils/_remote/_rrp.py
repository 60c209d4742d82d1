# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""MS-RRP (the Windows Remote Registry Protocol) over the ``\\winreg`` pipe of an :class:`SMBSession`.

Key handles are kept open (cached per key and access) until the host closes; values are read
with one BaseRegQueryValue (two when the first buffer is too small) and written with one
BaseRegSetValue.  The bytes are turned into :class:`RegValue` by :mod:`_registry`'s codec.
"""

from __future__ import annotations

import contextlib

from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._registry import RegValue, decode_value, encode_value, parse_key_path
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._base import RemoteError
from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils._remote._smb_session import (
    _KEY_MISSING,
    ERROR_FILE_NOT_FOUND,
    ERROR_NO_MORE_ITEMS,
    _MoreData,
)

# Registry access rights (MS-RRP 2.2.3).
KEY_QUERY_VALUE = 0x0001
KEY_SET_VALUE = 0x0002
KEY_READ = 0x20019
MAXIMUM_ALLOWED = 0x02000000
# MS-RRP 3.1.1.2 key types: 0 is a key that persists; 1 (impacket's default for BaseRegCreateKey) is volatile and
# would vanish at the server's next restart.
REG_OPTION_NON_VOLATILE = 0x00000000

# A value's data buffer is offered, not sent (lpcbLen 0: MS-RRP 3.1.5.17 sends length_is(*lpcbLen) bytes), so a
# large first offer costs nothing on the wire: values up to 64 KiB take one call.  On ERROR_MORE_DATA the server
# names the size it needs (Windows, and Samba for BaseRegQueryValue) or echoes the offer (Samba's BaseRegEnumValue):
# then the offer grows 16-fold, up to MS-RRP's limit, lpData range(0, 0x4000000) (3.1.5.11, 3.1.5.17).
_FIRST_VALUE_BUFFER = 64 * 1024
_MAX_VALUE_BYTES = 0x4000000
_MAX_NAME_CHARS = 16383        # the longest value name Windows allows
_MAX_VALUES = 1 << 20


class RRPClient:
    """The registry operations of :class:`RemoteHost` over MS-RRP; mixed into an :class:`SMBSession`."""

    def _init_registry(self) -> None:
        self._hives = {}
        self._keys = {}
        self._listings = {}           # key (folded) -> {name: (type, bytes)}, until this client writes under it

    # ----------------------------------------------------------------- registry
    def get_value(self, key, name, expected_type=None):
        hive, subkey = parse_key_path(key)
        listed = self._listings.get((hive, subkey.lower()))
        if listed is not None:          # the key's listing answers without a round trip (see _enum_raw)
            found = _find(listed, name)
            return None if found is None else self._decode(key, name, *listed[found])
        handle = self._open_key(key)
        if handle is None:
            return None
        found = self._query_value(handle, key, name)
        return None if found is None else self._decode(key, name, *found)

    def enum_values(self, key):
        raw = self._enum_raw(key)
        if raw is None:
            return None
        return {name: self._decode(key, name, code, data).type for name, (code, data) in raw.items()}

    def get_values(self, key):
        raw = self._enum_raw(key)
        if raw is None:
            return None
        return {name: self._decode(key, name, code, data) for name, (code, data) in raw.items()}

    def set_value(self, key, name, value):
        """BaseRegSetValue, after one BaseRegQueryValue of the current value.

        Samba (the test server) ignores a SetValue whose bytes equal the stored ones even when the
        type differs, so REG_EXPAND_SZ "https:" would stay REG_EXPAND_SZ; Windows changes the type.
        When the stored value has the same bytes and another type it is deleted first, so a type
        change happens on both.
        """
        code, data = encode_value(value)
        hive, subkey = parse_key_path(key)
        listed = self._listings.get((hive, subkey.lower()))
        self._forget_listing(key)
        handle = self._open_key(key, write=True)
        if handle is None:
            raise RemoteError(f'{self.host}: cannot write {key}\\{name}: the key does not exist', kind='not_found', host=self.host)
        if listed is not None:          # the value as the key's listing has it: no BaseRegQueryValue
            stored = _find(listed, name)
            current = None if stored is None else listed[stored]
        else:
            current = self._query_value(handle, key, name)
        if current is not None and current[0] != code and current[1] == data:
            self._rpc(f'delete {key}\\{name}', self._lib.rrp.hBaseRegDeleteValue, self._pipe('winreg'), handle, name,
                      absent=(ERROR_FILE_NOT_FOUND,))
        rrp = self._lib.rrp
        request = rrp.BaseRegSetValue()
        request['hKey'] = handle
        request['lpValueName'] = name + '\0'
        request['dwType'] = code
        request['lpData'] = data
        request['cbData'] = len(data)
        self._rpc(f'write {key}\\{name}', self._pipe('winreg').request, request)

    def delete_value(self, key, name):
        self._forget_listing(key)
        handle = self._open_key(key, write=True)
        if handle is None:
            return False
        done = self._rpc(f'delete {key}\\{name}', self._lib.rrp.hBaseRegDeleteValue, self._pipe('winreg'), handle, name,
                         absent=(ERROR_FILE_NOT_FOUND,))
        return done is not None

    def _decode(self, key, name, code, data) -> RegValue:
        try:
            return decode_value(code, data)
        except RemoteError as error:
            raise RemoteError(f'{self.host}: {key}\\{name}: {error}', kind=error.kind, host=self.host) from None

    def _open_key(self, key: str, write: bool = False, tree: bool = False):
        """Return a cached handle to ``key`` (read; query+set-value with ``write``; what the account may, to
        create and delete subkeys, with ``tree``), or None when the key does not exist."""
        hive, subkey = parse_key_path(key)
        mode = 'tree' if tree else write
        cache_key = (hive, subkey.lower(), mode)
        if cache_key in self._keys:
            return self._keys[cache_key]
        root = self._hive(hive)
        if not subkey:
            return root
        access = MAXIMUM_ALLOWED if tree else KEY_SET_VALUE | KEY_QUERY_VALUE if write else KEY_READ
        answer = self._rpc(f'{"write" if write or tree else "read"} {key}', self._open_subkey, root, subkey, access,
                           absent=_KEY_MISSING)
        if answer is None:
            return None
        self._keys[cache_key] = answer['phkResult']
        return answer['phkResult']

    def _create_subkey(self, parent, name: str):
        return self._lib.rrp.hBaseRegCreateKey(self._pipe('winreg'), parent, name, dwOptions=REG_OPTION_NON_VOLATILE,
                                               samDesired=MAXIMUM_ALLOWED)

    def _open_subkey(self, root, subkey: str, access: int):
        return self._lib.rrp.hBaseRegOpenKey(self._pipe('winreg'), root, subkey, samDesired=access)

    def _hive(self, hive: str):
        if hive not in self._hives:
            rrp = self._lib.rrp
            opener = {'HKLM': rrp.hOpenLocalMachine, 'HKCU': rrp.hOpenCurrentUser, 'HKU': rrp.hOpenUsers,
                      'HKCR': rrp.hOpenClassesRoot, 'HKCC': rrp.hOpenCurrentConfig}[hive]
            self._hives[hive] = self._rpc(f'open {hive}', opener, self._pipe('winreg'))['phKey']
        return self._hives[hive]

    def _query_value(self, handle, key, name):
        """BaseRegQueryValue: (type, bytes) in one call (two when the value exceeds the first buffer), None if absent."""
        def request(size):
            call = self._lib.rrp.BaseRegQueryValue()
            call['hKey'] = handle
            call['lpValueName'] = name + '\0'
            return _with_buffer(call, size)

        answer = self._sized_rpc(f'read {key}\\{name}', request, _KEY_MISSING)
        return None if answer is None else (answer['lpType'], _data(answer))

    def _forget_listing(self, key) -> None:
        hive, subkey = parse_key_path(key)
        self._listings.pop((hive, subkey.lower()), None)

    def _enum_raw(self, key):
        """{name: (type, bytes)} of every value of ``key`` in stored order, or None when the key is missing.

        One BaseRegEnumValue per value plus the one answering ERROR_NO_MORE_ITEMS (BaseRegQueryInfoKey
        would cost the same call, and Samba rejects impacket's form of it).  The listing is kept until
        this client writes or deletes a value under the key, so an apply that read the key for its
        facts backs it up without listing it again (as WinRMHost keeps its listings).
        """
        hive, subkey = parse_key_path(key)
        cached = self._listings.get((hive, subkey.lower()))
        if cached is not None:
            return dict(cached)
        values = self._list_values(key)
        if values is not None:
            self._listings[(hive, subkey.lower())] = values
        return None if values is None else dict(values)

    def _list_values(self, key):
        handle = self._open_key(key)
        if handle is None:
            return None
        values = {}
        for index in range(_MAX_VALUES):
            def request(size, index=index):
                call = self._lib.rrp.BaseRegEnumValue()
                call['hKey'] = handle
                call['dwIndex'] = index
                call.fields['lpValueNameIn'].fields['MaximumLength'] = _MAX_NAME_CHARS * 2
                call.fields['lpValueNameIn'].fields['Data'].fields['Data'].fields['MaximumCount'] = _MAX_NAME_CHARS
                return _with_buffer(call, size)

            answer = self._sized_rpc(f'read {key}', request, (ERROR_NO_MORE_ITEMS,))
            if answer is None:
                break
            name = answer['lpValueNameOut']
            values[name[:-1] if name.endswith('\0') else name] = (answer['lpType'], _data(answer))
        return values

    def _sized_rpc(self, action: str, make_request, absent):
        """Send ``make_request(buffer size)`` on \\winreg; on ERROR_MORE_DATA send it again with the size the server named."""
        size = _FIRST_VALUE_BUFFER
        while True:
            try:
                return self._rpc(action, self._pipe('winreg').request, make_request(size), absent=absent, more=True)
            except _MoreData as more:
                if size >= _MAX_VALUE_BYTES:
                    raise RemoteError(f'{self.host}: {action}: the server says the value holds more than {_MAX_VALUE_BYTES} bytes, '
                                      f'the most MS-RRP carries in one answer', host=self.host) from None
                size = min(_MAX_VALUE_BYTES, more.size if more.size > size else size * 16)

    def enum_keys(self, key):
        """BaseRegEnumKey for index 0, 1, ... until ERROR_NO_MORE_ITEMS: one call per subkey, plus one."""
        handle = self._open_key(key)
        if handle is None:
            return None
        names = []
        for index in range(_MAX_VALUES):
            answer = self._rpc(f'list the subkeys of {key}', self._lib.rrp.hBaseRegEnumKey, self._pipe('winreg'), handle, index,
                               absent=(ERROR_NO_MORE_ITEMS,))
            if answer is None:
                break
            name = answer['lpNameOut']
            names.append(name[:-1] if name.endswith('\0') else name)
        return names

    def create_key(self, key):
        """BaseRegCreateKey one level at a time from the hive (an existing level is just opened), non-volatile."""
        hive, subkey = parse_key_path(key)
        if not subkey:
            raise RemoteError(f'{self.host}: cannot create {key}: it is a hive root', kind='unsupported', host=self.host)
        rrp, winreg = self._lib.rrp, self._pipe('winreg')
        parent, path, opened = self._hive(hive), hive, []
        try:
            for part in subkey.split('\\'):
                path += '\\' + part
                answer = self._rpc(f'create {path}', self._create_subkey, parent, part)
                parent = answer['phkResult']
                opened.append(parent)
        finally:
            for handle in opened:
                with contextlib.suppress(*self._quiet_errors()):
                    self._rpc('close a created key', rrp.hBaseRegCloseKey, winreg, handle)

    def delete_key(self, key):
        """Subkeys first, deepest first, then the key itself: BaseRegDeleteKey deletes only a key without subkeys
        (MS-RRP 3.1.5.8: ERROR_ACCESS_DENIED "when the key indicated by the lpSubKey parameter has subkeys")."""
        hive, subkey = parse_key_path(key)
        if not subkey:
            raise RemoteError(f'{self.host}: cannot delete {key}: it is a hive root', kind='unsupported', host=self.host)
        children = self.enum_keys(key)
        if children is None:
            return False
        for child in children:
            self.delete_key(f'{key}\\{child}')
        self._drop_handles(hive, subkey)
        parent_path, _sep, leaf = subkey.rpartition('\\')
        parent = self._open_key(f'{hive}\\{parent_path}' if parent_path else hive, tree=True)
        if parent is None:
            return False
        done = self._rpc(f'delete {key}', self._lib.rrp.hBaseRegDeleteKey, self._pipe('winreg'), parent, leaf, absent=_KEY_MISSING)
        return done is not None

    def _drop_handles(self, hive: str, subkey: str) -> None:
        """Close the cached handles of a key and its subkeys before it is deleted."""
        folded = subkey.lower()
        for listed in [listed for listed in self._listings if listed[0] == hive and (listed[1] == folded or listed[1].startswith(folded + '\\'))]:
            del self._listings[listed]
        doomed = [cached for cached in self._keys if cached[0] == hive and (cached[1] == folded or cached[1].startswith(folded + '\\'))]
        for cached in doomed:
            handle = self._keys.pop(cached)
            with contextlib.suppress(*self._quiet_errors()):
                self._rpc('close a key', self._lib.rrp.hBaseRegCloseKey, self._pipe('winreg'), handle)


def _with_buffer(call, size: int):
    """Offer a ``size``-byte buffer for the answer without sending one: MaximumCount size, no bytes (lpcbLen 0)."""
    call['lpData'] = b''
    call.fields['lpData'].fields['Data'].fields['MaximumCount'] = size
    call['lpcbData'] = size
    call['lpcbLen'] = 0
    return call


def _data(answer) -> bytes:
    return b''.join(answer['lpData'])[:answer['lpcbData']]


def _find(values: dict, name: str) -> str | None:
    """The stored spelling of ``name`` in a listing, or None.

    Windows compares value names case-insensitively, upcasing one character at a time (so "ß" never
    matches "SS"), which is how Samba answers too (see test_non_ascii_names_reach_samba_exactly_and_read_back).
    """
    wanted = _fold(name)
    return next((stored for stored in values if _fold(stored) == wanted), None)


def _fold(name: str) -> str:
    return ''.join(upper if len(upper := char.upper()) == 1 else char for char in name)
