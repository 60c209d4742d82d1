# legacy_exchange.exchange55 - developer commands.
#   make test    the whole test suite (what CI runs)
#   make demo    a simulated fleet audited, remediated and audited again
#   make bench   the fleet benchmark (prints JSON)
#   make chaos   the fault run: 200 servers, 22 faulty; prints what converged, what was reported, what was lost
#   make floor   ansible-test sanity and the demo cycle on ansible-core 2.16 (the tested floor)
#   make release VERSION=x.y.z   record release x.y.z (galaxy.yml, changelog, CHANGELOG.md) and build its tarball
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
export VENV
# The tested floor: ansible-core 2.16 in a virtualenv of its own (tests/run/floor.sh).
VENV_FLOOR ?= $(CURDIR)/.venv-2.16
export VENV_FLOOR

.PHONY: venv venv-floor test sanity units build-check lint molecule demo bench chaos floor release clean

venv: $(VENV)/.installed

$(VENV)/.installed: tests/requirements.txt tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r tests/requirements.txt -c tests/constraints.txt
	touch $@

$(VENV_FLOOR)/.installed: tests/requirements-ansible-2.16.txt tests/constraints-ansible-2.16.txt
	$(PYTHON) -m venv $(VENV_FLOOR)
	$(VENV_FLOOR)/bin/pip install --quiet --upgrade pip
	$(VENV_FLOOR)/bin/pip install --quiet -r tests/requirements-ansible-2.16.txt -c tests/constraints-ansible-2.16.txt
	touch $@

venv-floor: $(VENV_FLOOR)/.installed

test: venv venv-floor
	tests/run/all.sh

sanity: venv
	tests/run/ansible-test.sh sanity

units: venv
	tests/run/ansible-test.sh units

build-check: venv
	tests/run/build-check.sh

lint: venv
	tests/run/lint.sh

molecule: venv
	tests/run/molecule.sh

demo: venv
	tests/run/demo.sh

bench: venv
	@tests/run/bench.sh

chaos: venv
	@tests/run/chaos.sh

floor: venv venv-floor
	tests/run/floor.sh

release: venv
	tools/release.sh "$(VERSION)"

clean:
	rm -rf $(VENV) $(VENV_FLOOR) tests/output build *.tar.gz
