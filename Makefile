# Recolha: `make demo` runs the main job, `make test` runs every test.
# Both install the system packages they need when missing (Debian/apt).
SHELL := /bin/bash
APT_PACKAGES := libsqlite3-dev libcurl4-openssl-dev zlib1g-dev libxml2-dev pkg-config openssl
BIN_DIR = $(shell swift build --show-bin-path)

.PHONY: deps build build-tests test test-tools demo bench load clean pyxform schemathesis dist man

deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	swift build

# pyxform, pinned, for the XLSForm conformance tests (not committed: .build-py/).
PYXFORM := 4.5.0
pyxform:
	@python3 -c "import sys; sys.path.insert(0, '.build-py'); import pyxform; assert pyxform.__version__ == '$(PYXFORM)'" 2>/dev/null \
	  || python3 -m pip install --quiet --disable-pip-version-check --target .build-py pyxform==$(PYXFORM)

# schemathesis, pinned, checks the API against docs/openapi.yaml (not committed: .build-schemathesis/).
SCHEMATHESIS := 4.32.5
schemathesis:
	@python3 -c "import sys; sys.path.insert(0, '.build-schemathesis'); from importlib.metadata import version; assert version('schemathesis') == '$(SCHEMATHESIS)'" 2>/dev/null \
	  || python3 -m pip install --quiet --disable-pip-version-check --target .build-schemathesis schemathesis==$(SCHEMATHESIS)

# What only the tests need from apt: a real browser for the console's tests
# (Debian's chromium, chromium-driver and a font), PostgreSQL for
# scripts/with-postgres.sh, and the packaging check's lintian, systemd
# (systemd-analyze) and chrpath. One apt-get run: two at once fight over
# apt's lock. Selenium is pinned (not committed: .build-selenium/).
SELENIUM := 4.51.0
TEST_PACKAGES := chromium chromium-driver fonts-dejavu-core postgresql lintian systemd chrpath
test-tools: deps
	@missing=""; for p in $(TEST_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@python3 -c "import sys; sys.path.insert(0, '.build-selenium'); import selenium; assert selenium.__version__ == '$(SELENIUM)'" 2>/dev/null \
	  || python3 -m pip install --quiet --disable-pip-version-check --target .build-selenium selenium==$(SELENIUM)

# The tests' build: every target once, testing enabled. `make test` then
# runs `swift test --skip-build`: left to build, `swift test` compiled about
# 160 steps again (SwiftProtobuf, Hummingbird and all above them, 70 s of
# every CI run), as if its build settings differed from `swift build
# --build-tests`; a plain `swift build` first would compile everything twice.
build-tests: deps
	swift build --build-tests

# Every test: the build, pyxform, schemathesis and the test tools fetched at
# once (compiling while downloading), then the Swift tests beside a throwaway
# PostgreSQL cluster with the packaging check alongside (scripts/test.sh).
test: deps
	@$(MAKE) --no-print-directory -j 4 build-tests pyxform schemathesis test-tools
	RECOLHA_BIN_DIR="$(BIN_DIR)" RECOLHA_PYXFORM_PATH="$(CURDIR)/.build-py" RECOLHA_SCHEMATHESIS_PATH="$(CURDIR)/.build-schemathesis" \
	  RECOLHA_SELENIUM_PATH="$(CURDIR)/.build-selenium" \
	  scripts/test.sh --disable-xctest --skip-build

# Debian packages recolha and recolha-server in out/dist/ (release, Swift
# runtime linked statically; scripts/dist.sh).
dist: deps
	scripts/dist.sh

# The man pages in docs/man, from the commands' own help: run after changing
# an option or a help text and commit them (ManualTests says when).
man: build
	scripts/man.sh

# The demo ends with the console's address and keeps the server up until
# Enter; `make demo NO_WAIT=1` ends at once.
demo: build
	RECOLHA_BIN_DIR="$(BIN_DIR)" RECOLHA_DEMO_NO_WAIT="$(NO_WAIT)" bash scripts/demo.sh

bench: deps
	@command -v /usr/bin/time >/dev/null || { if [ "$$(id -u)" = 0 ]; then apt-get install -y -qq time; else sudo apt-get install -y -qq time; fi; }
	swift build -c release
	"$$(swift build -c release --show-bin-path)/recolha-bench"

# 200 simulated devices against one SQLite instance, then two PostgreSQL
# instances with one killed half way (not part of make test).
load: deps
	swift build -c release
	scripts/with-postgres.sh "$$(swift build -c release --show-bin-path)/recolha-load"

clean:
	rm -rf .build
