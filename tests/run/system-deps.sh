#!/usr/bin/env bash
# Install the system packages the test suites need (Debian/Ubuntu, as root):
# samba for the smb transport suite (tdb-tools: tdbdump reads its registry file directly), shellcheck for ansible-test's shellcheck sanity test.
set -euo pipefail
needed=()
command -v smbd >/dev/null 2>&1 && [ -x /usr/libexec/samba/samba-dcerpcd ] || needed+=(samba)
command -v shellcheck >/dev/null 2>&1 || needed+=(shellcheck)
command -v tdbdump >/dev/null 2>&1 || needed+=(tdb-tools)
command -v python3 >/dev/null 2>&1 || needed+=(python3 python3-venv)
if [ ${#needed[@]} -eq 0 ]; then
    echo "system-deps: everything is installed"
    exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system-deps: cannot install ${needed[*]} (needs root and apt-get); suites that need them will say so"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
echo "system-deps: installed ${needed[*]}"
