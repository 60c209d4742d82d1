# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The fault run (tests/e2e/chaos.py, ``make chaos`` runs it with 200 servers) on a smaller fleet with one server
of each fault kind: transient faults converge, hard faults are reported, nothing is lost, rollback is exact."""

from __future__ import annotations

import chaos


def test_a_faulty_fleet_converges_reports_its_faults_and_loses_nothing(tmp_path_factory):
    workdir = str(tmp_path_factory.mktemp('chaos'))
    result = chaos.run(hosts=40, forks=25, workdir=workdir, subnet='127.0.131', log=lambda line: None)
    print(result)
    assert result['problems'] == []
    assert result['values_lost'] == 0
    assert result['rollback_byte_exact'] == '40/40'
    assert result['in_apply_report'] == '40/40'
    assert result['second_apply_changed'] == 0
    converged, of = result['compliant_after_apply'].split('/')
    assert converged == of
