# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Filter legacy_exchange.exchange55.registered: every host's registered result, None where a host has none."""

from __future__ import annotations

DOCUMENTATION = r'''
name: registered
author: legacy_exchange.exchange55 contributors
short_description: Each host's registered result, or null for a host that never got one
version_added: 0.1.0
description:
  - Maps inventory hostnames to the value each host registered under O(name) (found in O(_input), normally C(hostvars)).
  - A host that failed before the registering task ran (bad connection variables, the role's argument validation, an
    earlier task) has no such variable; it maps to V(null), where C(map('extract', hostvars)) would stop the template.
options:
  _input:
    description: C(hostvars).
    type: dict
    required: true
  hosts:
    description: Inventory hostnames, e.g. C(ansible_play_hosts_all).
    type: list
    elements: str
    required: true
  name:
    description: The registered variable.
    type: str
    required: true
  argument_spec:
    description:
      - A role's argument spec (the C(options) of one entry point). For a host without a result, its variables are
        checked against it and against the collection's connection settings, and the host maps to a failed result
        whose C(msg) says what is wrong (the same check Ansible made before it stopped the host), instead of V(null).
    type: dict
'''

EXAMPLES = r'''
- name: Write the report for every host of the play
  legacy_exchange.exchange55.fleet_report:
    results: "{{ hostvars | legacy_exchange.exchange55.registered(ansible_play_hosts_all, 'q294406_result') }}"
'''

RETURN = r'''
_value:
  description: 'A mapping of each inventory hostname to its result, or V(null).'
  type: dict
'''


NO_RESULT = 'no result from the module: this host stopped before the module task'


def registered(hostvars, hosts, name, argument_spec=None):
    """{host: hostvars[host][name]} with None (or, given ``argument_spec``, a diagnosis) where it is undefined."""
    results = {}
    for host in hosts:
        try:
            value = hostvars[host][name]
        except Exception:  # pylint: disable=broad-exception-caught  # KeyError or Ansible's undefined-variable errors
            value = None
        if value is None and argument_spec is not None:
            value = _diagnosis(hostvars, str(host), argument_spec)
        results[str(host)] = value
    return results


def _host_vars(hostvars, host: str, names) -> dict:
    found = {}
    for var in names:
        try:
            found[var] = hostvars[host][var]
        except Exception:  # pylint: disable=broad-exception-caught
            continue
    return found


def _diagnosis(hostvars, host: str, argument_spec: dict) -> dict:
    """A failed result saying why a host that has no result stopped, as far as its variables show."""
    # pylint: disable=import-outside-toplevel
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
    from ansible_collections.legacy_exchange.exchange55.plugins.plugin_utils import _connection
    reasons = []
    try:
        role_vars = _host_vars(hostvars, host, argument_spec)
        validation = ArgumentSpecValidator(argument_spec).validate(role_vars, validate_role_argument_spec=True)
        reasons.extend(validation.error_messages)
    except Exception as exc:  # pylint: disable=broad-exception-caught
        reasons.append(f'its variables could not be read: {exc}')
    connection_names = sorted({var for names in _connection._HOST_VARIABLES.values() for var in names})
    try:
        _connection.resolve_settings({}, _host_vars(hostvars, host, connection_names), host)
    except ValueError as exc:
        reasons.append(str(exc))
    except Exception:  # pylint: disable=broad-exception-caught
        pass
    detail = '; '.join(reasons) if reasons else 'Ansible\'s reason is in the play output (an earlier task, or the host was unreachable)'
    return {'failed': True, 'changed': False, 'error_kind': 'no_result', 'msg': f'{NO_RESULT}: {detail}'}


class FilterModule:
    def filters(self):
        return {'registered': registered}
