# leakwatch: build, run the demo, test, install.
#
#   make run    builds and runs the main job on a local demo setup (no root needed)
#   make test   builds and runs the whole test suite
#
# Both install the Debian packages the build needs when they are missing (with apt-get, which
# needs root; as a normal user, install them once by hand: see DEB_PACKAGES).

SWIFT       ?= swift
CONFIG      ?= debug
BUILD_DIR   := .build/$(CONFIG)
LEAKWATCH   := $(BUILD_DIR)/leakwatch
DEMO_DIR    ?= demo

# Build and test dependencies: the C libraries' -dev packages, pkg-config, and what the tests
# drive for real (journald, systemd, systemd-analyze).
DEB_PACKAGES := libpcre2-dev libsystemd-dev pkg-config systemd

.PHONY: all deps build run scan-samples test clean

all: build

deps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c $(CONFIG)

# The main job on the bundled samples.
run: build
	@echo "== leakwatch rules test"
	$(LEAKWATCH) rules test --rules rules
	@echo "== leakwatch scan samples/"
	$(LEAKWATCH) scan --rules rules --key $(DEMO_DIR)/fingerprint.key samples; status=$$?; \
	  echo "(scan exit status $$status: 0 no alerts, 1 alerts found, 2 error)"; [ $$status -le 1 ]

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

clean:
	rm -rf .build $(DEMO_DIR)
