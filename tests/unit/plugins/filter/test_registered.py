# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The registered filter: every host of the play gets an entry, and a host without a result says why."""

from __future__ import annotations

from ansible_collections.legacy_exchange.exchange55.plugins.filter.registered import registered

SPEC = {'q294406_owa_ssl_required': {'type': 'str', 'choices': ['auto', 'true', 'false'], 'default': 'auto'},
        'q294406_connect_timeout': {'type': 'int', 'default': 30}}


class Undefined(Exception):
    """Stands in for Ansible's undefined-variable error."""


class HostVars(dict):
    def __getitem__(self, host):
        return _Vars(dict.__getitem__(self, host))


class _Vars(dict):
    def __getitem__(self, name):
        if name not in self:
            raise Undefined(name)
        return dict.__getitem__(self, name)


def test_every_host_gets_an_entry_and_a_missing_result_is_none():
    hostvars = HostVars(a={'r': {'changed': True}}, b={})
    assert registered(hostvars, ['a', 'b'], 'r') == {'a': {'changed': True}, 'b': None}


def test_a_host_without_a_result_says_what_its_variables_show():
    hostvars = HostVars(good={'r': {'ok': 1}}, yes={'q294406_owa_ssl_required': 'yes'}, port={'ansible_port': 'abc'},
                        scheme={'ansible_winrm_scheme': 'gopher'}, other={})
    results = registered(hostvars, list(hostvars), 'r', argument_spec=SPEC)
    assert results['good'] == {'ok': 1}
    for host, text in (('yes', 'q294406_owa_ssl_required must be one of'), ('port', "ansible_port must be a port number"),
                       ('scheme', "ansible_winrm_scheme must be http or https, not 'gopher'"), ('other', 'play output')):
        assert results[host]['failed'] is True and results[host]['error_kind'] == 'no_result', host
        assert text in results[host]['msg'], (host, results[host]['msg'])
