#!/usr/bin/env bash
# make demo: start a simulated fleet with one Exchange server in each KB Q294406 status (examples/demo-fleet.yml),
# audit it (--check), apply KB Q294406, audit again, audit the whole KB catalog (examples/demo-kbs.yml: a hosts x KBs
# table), then print the summary and where the reports are.
# The fleet is stopped on exit, whatever happens. Output (reports, backups, the fleet's state) stays in
# $DEMO_DIR (default .cache/demo), which each run starts afresh.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

DEMO_DIR="${DEMO_DIR:-$REPO_ROOT/.cache/demo}"
SUBNET="${DEMO_SUBNET:-127.0.70}"
start=$SECONDS
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR/collections/ansible_collections/legacy_exchange"
# The collection on a local collections path: this checkout, as legacy_exchange.exchange55.
ln -s "$REPO_ROOT" "$DEMO_DIR/collections/ansible_collections/legacy_exchange/exchange55"

fleet_pid=""
stop_fleet() {
    if [ -n "$fleet_pid" ] && kill -0 "$fleet_pid" 2>/dev/null; then
        kill -TERM "$fleet_pid"
        wait "$fleet_pid" 2>/dev/null || true
        echo "demo: the simulated fleet is stopped"
    fi
}
trap stop_fleet EXIT

section "starting a simulated fleet of $(grep -c '^  [a-z0-9-]*:' "$REPO_ROOT/examples/demo-fleet.yml") servers on $SUBNET.x"
python "$REPO_ROOT/tests/simulator/fleet.py" serve --fleet "$REPO_ROOT/examples/demo-fleet.yml" \
    --inventory "$DEMO_DIR/inventory.yml" --state-dir "$DEMO_DIR/state" --subnet "$SUBNET" >"$DEMO_DIR/fleet.log" 2>&1 &
fleet_pid=$!
for _ in $(seq 300); do
    grep -qx READY "$DEMO_DIR/fleet.log" && break
    if ! kill -0 "$fleet_pid" 2>/dev/null; then
        cat "$DEMO_DIR/fleet.log" >&2
        echo "demo: the simulated fleet did not start (log above)" >&2
        exit 1
    fi
    sleep 0.2
done
grep -qx READY "$DEMO_DIR/fleet.log" || { echo "demo: the simulated fleet did not start within 60 s: see $DEMO_DIR/fleet.log" >&2; exit 1; }
echo "inventory: $DEMO_DIR/inventory.yml"

export ANSIBLE_COLLECTIONS_PATH="$DEMO_DIR/collections"
export ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
export ANSIBLE_CALLBACK_RESULT_FORMAT=yaml
export ANSIBLE_DEPRECATION_WARNINGS=false
export ANSIBLE_RETRY_FILES_ENABLED=false
export ANSIBLE_LOCAL_TEMP="$DEMO_DIR/ansible-tmp"
export ANSIBLE_FORKS=10
playbook() {
    ansible-playbook -i "$DEMO_DIR/inventory.yml" legacy_exchange.exchange55.q294406 \
        -e "q294406_report_dir=$DEMO_DIR/reports" -e "q294406_backup_dir=$DEMO_DIR/backups" "$@"
}

section "1/4 audit (--check): what would change, and what is blocked"
playbook --check
section "2/4 apply: set OWA Url Protocol where the KB applies, after a backup"
playbook
section "3/4 audit again: nothing is left to change"
playbook --check
section "4/4 the whole KB catalog (--check): a hosts x KBs table"
ansible-playbook -i "$DEMO_DIR/inventory.yml" legacy_exchange.exchange55.kb_remediation --check \
    -e "@$REPO_ROOT/examples/demo-kbs.yml" -e "kb_remediation_report_dir=$DEMO_DIR/kb-reports" \
    -e "kb_remediation_report_name=kb-audit" -e "kb_remediation_backup_dir=$DEMO_DIR/backups"

section "done in $((SECONDS - start)) s with $(ansible-playbook --version | head -n 1 | tr -d '[]')"
# One line per run, from the JSON reports (oldest first): how the fleet moved from audit to apply to audit.
python - "$DEMO_DIR/reports" <<'PY'
import glob, json, os, sys
paths = sorted(glob.glob(os.path.join(sys.argv[1], '*.json')), key=os.path.getmtime)
for path in paths:
    with open(path, encoding='utf-8') as handle:
        report = json.load(handle)
    counts = ', '.join(f'{status} {n}' for status, n in report['counts'].items() if n)
    print(f'{report["mode"]:<6} {report["generated"]}  {counts}  (failed hosts: {report["totals"]["failed"]})')
print()
print('HTML report of the final audit:', paths[-1][:-len('.json')] + '.html')
PY
echo "All reports (JSON, HTML, JUnit): $DEMO_DIR/reports/"
echo "The KB catalog's hosts x KBs report: $DEMO_DIR/kb-reports/kb-audit.html"
echo "Backups taken before each write: $DEMO_DIR/backups/"
