# ssowatch — every entry point a user or CI needs. See README.md.
SWIFT        ?= swift
PREFIX       ?= /usr/local
CONFIG_DIR   ?= /etc/ssowatch
UNIT_DIR     ?= /etc/systemd/system
# CI builds with warnings as errors; locally too, so nothing slips through.
SWIFT_FLAGS  ?= -Xswiftc -warnings-as-errors
SUDO         := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all build release deps demo test test-unit test-integration format lint install uninstall bench clean

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
# simulated Cloudflare API and a local webhook receiver, all on 127.0.0.1.
test: deps
	$(SWIFT) build --build-tests $(SWIFT_FLAGS)
	$(SWIFT) test --skip-build --parallel --num-workers 2

test-unit: deps
	$(SWIFT) test $(SWIFT_FLAGS) --filter SSOWatchCoreTests

test-integration: deps
	$(SWIFT) test $(SWIFT_FLAGS) --filter IntegrationTests

demo: deps
	$(SWIFT) build $(SWIFT_FLAGS) --product ssowatch
	$$($(SWIFT) build --show-bin-path)/ssowatch demo

format:
	$(SWIFT) format -i -r Sources Tests Package.swift

lint:
	$(SWIFT) format lint --strict -r Sources Tests Package.swift

clean:
	rm -rf .build
