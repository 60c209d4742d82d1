# Copyright (c) 2026 legacy_exchange.exchange55 contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Offline stand-in for the get-pip.py bootstrap script that ansible-test downloads.

ansible-test bootstraps pip into each per-test virtualenv by running
``python ~/.ansible/test/cache/get_pip_<ver>.py <pip options> pip==<ver> --no-setuptools --no-wheel``;
the real script comes from the internet, which this machine cannot reach.  This one
installs the pip bundled with Python (ensurepip) and then lets that pip install the
requested packages from the configured package index.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> None:
    args = [arg for arg in sys.argv[1:] if arg not in ('--no-setuptools', '--no-wheel')]
    subprocess.run([sys.executable, '-m', 'ensurepip', '--upgrade'], check=True, stdout=subprocess.DEVNULL)
    # ansible-test points PIP_CONFIG_FILE at /dev/null, which hides this machine's pip
    # configuration (index, certificate authority); let pip read it again.
    env = dict(os.environ)
    env.pop('PIP_CONFIG_FILE', None)
    subprocess.run([sys.executable, '-m', 'pip', 'install', '--quiet', *args], check=True, env=env)


if __name__ == '__main__':
    main()
