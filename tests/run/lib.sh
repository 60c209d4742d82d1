# shellcheck shell=bash
# Helpers shared by the test scripts. Source it; do not run it.

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
VENV="${VENV:-$REPO_ROOT/.venv}"
export PATH="$VENV/bin:$PATH"
export ANSIBLE_NOCOLOR="${ANSIBLE_NOCOLOR:-1}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# make_collection_tree DIR: copy the collection (tracked and untracked, not ignored files)
# to DIR/ansible_collections/legacy_exchange/exchange55 and print that path.
# ansible-test only runs from a path ending in ansible_collections/<ns>/<name>; a copy
# (not a symlink, which getcwd() would resolve) keeps test output out of the checkout.
make_collection_tree() {
    python - "$REPO_ROOT" "$1/ansible_collections/legacy_exchange/exchange55" <<'PY'
import os, shutil, subprocess, sys
src, dest = sys.argv[1:]
names = subprocess.run(['git', 'ls-files', '-z', '--cached', '--others', '--exclude-standard'],
                       cwd=src, check=True, capture_output=True).stdout.decode().split('\0')
for name in filter(None, names):
    path = os.path.join(src, name)
    if os.path.lexists(path):
        os.makedirs(os.path.dirname(os.path.join(dest, name)), exist_ok=True)
        shutil.copy2(path, os.path.join(dest, name), follow_symlinks=False)
print(dest)
PY
}

# install_get_pip_standin: give ansible-test an offline pip bootstrap script for every pip
# version it may ask for (it reads ~/.ansible/test/cache/get_pip_<ver>.py before downloading).
install_get_pip_standin() {
    local ver cache="$HOME/.ansible/test/cache"
    mkdir -p "$cache"
    ver="$(python - <<'PY'
from ansible_test._internal.python_requirements import get_venv_packages
from ansible_test._internal.host_configs import NativePythonConfig
print(get_venv_packages(NativePythonConfig(version='3.11'))['pip'].replace('.', '_'))
PY
)"
    if ! cmp -s "$REPO_ROOT/tests/run/get_pip_standin.py" "$cache/get_pip_${ver}.py"; then
        cp "$REPO_ROOT/tests/run/get_pip_standin.py" "$cache/get_pip_${ver}.py"
        echo "installed the offline pip bootstrap stand-in as $cache/get_pip_${ver}.py"
    fi
}

section() {
    printf '\n===== %s =====\n' "$*"
}

# run_in_group COMMAND...: run COMMAND in its own process group and wait for it; on exit (or INT/TERM) stop the
# whole group (the command, a fleet it started, ansible-playbook and its workers), whatever happens.
run_in_group() {
    set -m
    "$@" &
    group_pid=$!
    set +m
    trap 'if kill -0 "$group_pid" 2>/dev/null; then kill -TERM -- "-$group_pid" 2>/dev/null || true; wait "$group_pid" 2>/dev/null || true; fi' EXIT
    trap 'exit 130' INT TERM
    wait "$group_pid"
}
