# legacy_exchange.exchange55 - developer commands.
#   make test    the whole test suite (what CI runs)
#   make demo    a simulated fleet audited, remediated and audited again
#   make bench   the fleet benchmark (prints JSON)
#   make chaos   the fault run: 200 servers, 22 faulty; prints what converged, what was reported, what was lost
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= $(CURDIR)/.venv
export VENV

.PHONY: venv test sanity units build-check lint molecule demo bench chaos clean

venv: $(VENV)/.installed

$(VENV)/.installed: tests/requirements.txt tests/constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r tests/requirements.txt -c tests/constraints.txt
	touch $@

test: venv
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

clean:
	rm -rf $(VENV) tests/output build *.tar.gz
