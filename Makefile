# ssowatch — every entry point a user or CI needs. See README.md.
SWIFT        ?= swift
PREFIX       ?= /usr/local
CONFIG_DIR   ?= /etc/ssowatch
UNIT_DIR     ?= /etc/systemd/system
# CI builds with warnings as errors; locally too, so nothing slips through. The import check makes a
# target that imports a module it does not declare as a dependency fail to build (docs/ARCHITECTURE.md).
SWIFT_FLAGS  ?= -Xswiftc -warnings-as-errors --explicit-target-dependency-import-check error
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release deps test-deps demo test test-unit test-integration format lint install uninstall bench bench-large bench-drain bench-dns bench-adaptive bench-compare bench-deps clean

all: build

# System packages the build needs: the systemd headers (CSystemd) and pkg-config to find them.
deps:
	@if ! pkg-config --exists libsystemd 2>/dev/null || ! command -v pkg-config >/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing libsystemd-dev and pkg-config with apt-get"; \
			(apt-get install -y -qq libsystemd-dev pkg-config >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq libsystemd-dev pkg-config)); \
		else \
			echo "Missing libsystemd-dev/pkg-config: run 'sudo apt-get install libsystemd-dev pkg-config'" >&2; exit 1; \
		fi; \
	fi

build: deps
	$(SWIFT) build $(SWIFT_FLAGS)

release: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS)

# The whole test suite: unit tests and integration tests that run the real binary against the
# simulated Cloudflare API and a local webhook receiver, all on 127.0.0.1. On failure the output ends
# with the failed tests and any crash's backtrace (scripts/run-swift-tests.sh).
# PostgreSQL for the active/passive pair's tests (docs/HA.md): the suite starts its own server on loopback as
# an unprivileged user. Installed with apt when missing and running as root; otherwise those tests say
# "skipped because …".
test-deps:
	@if [ "$$(id -u)" = 0 ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
		echo "Installing postgresql with apt-get (for the HA tests)"; \
		(DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1 || \
		 (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null 2>&1)) || \
		echo "could not install postgresql: the HA tests will be skipped"; \
	fi

test: deps test-deps unit-check
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	SWIFT=$(SWIFT) scripts/run-swift-tests.sh

test-unit: deps
	$(SWIFT) test $(SWIFT_FLAGS) --filter UnitTests

test-integration: deps
	$(SWIFT) test $(SWIFT_FLAGS) --filter IntegrationTests

demo: deps
	$(SWIFT) build $(SWIFT_FLAGS) --product ssowatch
	$$($(SWIFT) build --show-bin-path)/ssowatch demo

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

# The benchmark (BENCHMARKS.md): ssowatch against a Python poller on Cloudflare's official SDK, both polling
# `ssowatch simulate` on 127.0.0.1; 100 and 1,000 accounts x 10 connectors, READY=1, idle wake-ups. Builds
# the release binary, creates bench/.venv (cloudflare, requests from PyPI), rewrites BENCHMARKS.md.
# BENCH_LARGE=1 adds 10,000 accounts; `make bench-large` runs only that size (about 12 minutes).
bench: deps bench-deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product ssowatch
	python3 bench/run_bench.py --binary "$$($(SWIFT) build -c release --show-bin-path)/ssowatch"

bench-large: deps bench-deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product ssowatch
	python3 bench/run_bench.py --binary "$$($(SWIFT) build -c release --show-bin-path)/ssowatch" \
		--sizes 10000 --skip-idle --skip-ready

# Drain 20,000 queued generic notifications to a local receiver: bytes written to the state directory and
# time (bench/drain_bench.py). Writes bench/results/drain-after.json; see BENCHMARKS.md for the figures.
bench-drain: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product ssowatch
	python3 bench/drain_bench.py --binary "$$($(SWIFT) build -c release --show-bin-path)/ssowatch" \
		--results-file bench/results/drain-after.json

# Check 1,000 pending connectors' TXT records with `ssowatch dns-check` against the simulator's DNS (half the
# records published): wall time, CPU, peak sockets and RSS, median of 3 (bench/dns_bench.py). Writes
# bench/results/dns.json and rewrites BENCHMARKS.md.
bench-dns: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product ssowatch
	python3 bench/dns_bench.py --binary "$$($(SWIFT) build -c release --show-bin-path)/ssowatch"

# Adaptive polling against fixed intervals: 2,000 accounts x 5 connectors on one token (rate_limit = 1150/5m),
# 2 % pending then verified at random times; flip -> notification p50/p99 and requests per window, every
# duration 20x faster than real (bench/adaptive_bench.py, about 8 minutes). Writes bench/results/adaptive.json
# and rewrites BENCHMARKS.md.
bench-adaptive: deps
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product ssowatch
	python3 bench/adaptive_bench.py --binary "$$($(SWIFT) build -c release --show-bin-path)/ssowatch"

# Two builds alternately on the same machine (bench/compare_builds.py): CPU per check, RSS, latency, medians of
# 4 runs each. BEFORE is another release binary, e.g. from `git worktree add /tmp/before REV && cd /tmp/before &&
# swift build -c release --product ssowatch`; DROP_KEYS are the [daemon] keys that build does not know yet.
# Writes bench/results/compare.json; rerun bench/report.py (or any bench target) to render it.
BEFORE    ?=
DROP_KEYS ?= dns_check settled_poll_interval
bench-compare: deps bench-deps
	@[ -x "$(BEFORE)" ] || { echo "make bench-compare BEFORE=/path/to/older/ssowatch" >&2; exit 64; }
	$(SWIFT) build -c release $(SWIFT_FLAGS) --product ssowatch
	python3 bench/compare_builds.py --before "$(BEFORE)" --after "$$($(SWIFT) build -c release --show-bin-path)/ssowatch" \
		$(foreach key,$(DROP_KEYS),--drop-key $(key))

# python3 with venv (Debian splits it into python3-venv).
bench-deps:
	@if ! python3 -c 'import ensurepip, venv' 2>/dev/null; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "Installing python3-venv with apt-get"; \
			(apt-get install -y -qq python3-venv >/dev/null 2>&1 || \
			 (apt-get update -qq && apt-get install -y -qq python3-venv)); \
		else \
			echo "Missing python3 venv support: run 'sudo apt-get install python3-venv'" >&2; exit 1; \
		fi; \
	fi

clean:
	rm -rf .build

# libFuzzer on the INI parser, the API response decoder, the state file loader and the DNS codec (fuzz/run.sh):
# FUZZ_SECONDS each (default 60), e.g. `make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS=StateFileFuzz`.
# Builds in .build-fuzz/ with -sanitize=fuzzer,address; a crash fails the target and leaves its
# reproducer in .build-fuzz/artifacts/.
.PHONY: fuzz
fuzz: deps
	FUZZ_SECONDS=$(or $(FUZZ_SECONDS),60) SWIFT=$(SWIFT) fuzz/run.sh $(FUZZ_TARGETS)

# --- Install, package, systemd checks ---------------------------------------------------------------
# `install` and `deb` ship a release binary with the Swift runtime linked in (--static-swift-stdlib),
# so it needs only libc, libstdc++, zlib and libsystemd at run time; it is built in a scratch
# directory of its own so it never replaces the everyday .build/ binaries.
.PHONY: deb system-test unit-check
VERSION        := $(shell sed -n 's/.*static let string = "\(.*\)".*/\1/p' Sources/SSOWatchModel/Version.swift)
DEB_ARCH       := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
DEB            := dist/ssowatch_$(VERSION)_$(DEB_ARCH).deb
DOC_DIR        ?= $(PREFIX)/share/doc/ssowatch
STATIC_SCRATCH ?= .build-static
STATIC_BUILD   := $(SWIFT) build -c release --product ssowatch --static-swift-stdlib $(SWIFT_FLAGS) \
                  --scratch-path $(STATIC_SCRATCH)
# With DESTDIR (staging for another packager) nothing needs root and systemd is left alone.
INSTALL_SUDO   := $(if $(DESTDIR),,$(SUDO))

# Binary, unit (its paths follow PREFIX and CONFIG_DIR), README and example configuration. An
# existing $(CONFIG_DIR)/ssowatch.ini is never overwritten. Enables and starts nothing.
install: deps
	$(STATIC_BUILD)
	$(INSTALL_SUDO) install -D -s -m 0755 $(STATIC_SCRATCH)/release/ssowatch $(DESTDIR)$(PREFIX)/bin/ssowatch
	@mkdir -p dist
	sed -e 's|/usr/local/|$(PREFIX)/|g' -e 's|/etc/ssowatch/|$(CONFIG_DIR)/|g' systemd/ssowatch.service \
		>dist/ssowatch.service
	$(INSTALL_SUDO) install -D -m 0644 dist/ssowatch.service $(DESTDIR)$(UNIT_DIR)/ssowatch.service
	$(INSTALL_SUDO) install -D -m 0644 README.md $(DESTDIR)$(DOC_DIR)/README.md
	$(INSTALL_SUDO) install -D -m 0644 config/ssowatch.ini $(DESTDIR)$(DOC_DIR)/ssowatch.ini.example
	$(INSTALL_SUDO) install -d -m 0755 $(DESTDIR)$(CONFIG_DIR)
	@if [ -e $(DESTDIR)$(CONFIG_DIR)/ssowatch.ini ]; then \
		echo "Kept the existing $(CONFIG_DIR)/ssowatch.ini (the new example: $(DOC_DIR)/ssowatch.ini.example)"; \
	else \
		echo "$(strip $(INSTALL_SUDO) install -m 0644 config/ssowatch.ini $(DESTDIR)$(CONFIG_DIR)/ssowatch.ini)"; \
		$(INSTALL_SUDO) install -m 0644 config/ssowatch.ini $(DESTDIR)$(CONFIG_DIR)/ssowatch.ini; \
	fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "$(strip $(SUDO) systemctl daemon-reload)"; $(SUDO) systemctl daemon-reload; \
	fi
	@echo "Next: edit $(CONFIG_DIR)/ssowatch.ini, run 'ssowatch check-config', then 'systemctl enable --now ssowatch'"

# Stops and disables the service, removes what `install` put in place; keeps the configuration
# and the state (/var/lib/private/ssowatch).
uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ] && [ -e $(UNIT_DIR)/ssowatch.service ]; then \
		echo "$(strip $(SUDO) systemctl disable --now ssowatch.service)"; \
		$(SUDO) systemctl disable --now ssowatch.service || true; \
	fi
	$(INSTALL_SUDO) rm -f $(DESTDIR)$(PREFIX)/bin/ssowatch $(DESTDIR)$(UNIT_DIR)/ssowatch.service
	$(INSTALL_SUDO) rm -rf $(DESTDIR)$(DOC_DIR)
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
		echo "$(strip $(SUDO) systemctl daemon-reload)"; $(SUDO) systemctl daemon-reload; \
	fi
	@echo "Kept $(CONFIG_DIR) and the state in /var/lib/private/ssowatch: remove them by hand if no longer needed"

# dist/ssowatch_VERSION_ARCH.deb (dpkg-deb): binary, unit, example configuration as a conffile,
# maintainer scripts that never start an unconfigured service (packaging/deb/).
deb: deps
	@command -v dpkg-shlibdeps >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then echo "Installing dpkg-dev (dpkg-shlibdeps) with apt-get"; \
			apt-get install -y -qq dpkg-dev >/dev/null 2>&1 || \
			(apt-get update -qq && apt-get install -y -qq dpkg-dev >/dev/null); \
		else echo "Missing dpkg-shlibdeps: run 'sudo apt-get install dpkg-dev'" >&2; exit 1; fi; }
	$(STATIC_BUILD)
	bash packaging/deb/build.sh $(STATIC_SCRATCH)/release/ssowatch $(VERSION) dist

# systemd-analyze verify, and an exposure of at most 1.1 under systemd-analyze security (docs/SYSTEMD.md).
unit-check:
	@bash scripts/system/unit-check.sh

# The .deb under a real systemd: a cached debootstrap tree booted with systemd-nspawn (root only;
# prints "system test skipped because ..." elsewhere). See scripts/system/run.sh.
system-test:
	@MAKE="$(MAKE)" bash scripts/system/run.sh --make $(DEB)
