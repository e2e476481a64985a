# The two entry points a new machine needs (as root, Debian/Ubuntu); both are safe to rerun.
#   make demo   bring up lb-haproxy, solve it, grade it (100 %), remove it
#   make test   lint and the whole test suite, including labs on real Docker containers
SHELL := /bin/bash
VENV := .venv/bin
DEMO_LAB := demo-lb-haproxy

.PHONY: demo test bootstrap lint unit integration molecule bench clean

bootstrap:
	sh scripts/bootstrap.sh

demo: bootstrap
	-@$(VENV)/cloudlab down $(DEMO_LAB) >/dev/null 2>&1
	$(VENV)/cloudlab up lb-haproxy --lab $(DEMO_LAB) --seed 1
	$(VENV)/cloudlab grade $(DEMO_LAB) --lang en || true
	$(VENV)/cloudlab solve $(DEMO_LAB)
	$(VENV)/cloudlab grade $(DEMO_LAB) --lang zh
	$(VENV)/cloudlab down $(DEMO_LAB)

# Unit tests first (seconds); then the Docker tests, three at a time (they mostly wait on
# containers); Molecule scenarios run one after another (their platforms share names).
test: bootstrap lint
	$(VENV)/pytest -p no:cacheprovider tests/unit
	$(VENV)/pytest -p no:cacheprovider -n 3 --dist loadgroup --durations 0 -rP tests/integration

# Every Molecule scenario: each lab's and each role's (make test runs lb-haproxy's only).
molecule: bootstrap
	CLOUDLAB_MOLECULE=all $(VENV)/pytest -p no:cacheprovider --durations 0 tests/integration/test_molecule.py

lint:
	$(VENV)/ruff check cloudlab tests scenarios scripts
	$(VENV)/ruff format --check cloudlab tests scenarios scripts
	$(VENV)/mypy
	PATH="$(CURDIR)/.venv/bin:$$PATH" $(VENV)/ansible-lint --offline

bench: bootstrap
	$(VENV)/python scripts/bench.py

clean:
	rm -rf .venv
