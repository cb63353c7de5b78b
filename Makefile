# leakwatch: build, run the demo, test, install.
#
#   make run    builds and runs the daemon in the foreground on a local demo setup (no root needed)
#   make test   builds and runs the whole test suite
#   make faults the fault campaign against the release binary (root for the full-disk parts)
#
# Both install the Debian packages the build needs when they are missing (with apt-get, which
# needs root; as a normal user, install them once by hand: see DEB_PACKAGES).

SWIFT       ?= swift
CONFIG      ?= debug
BUILD_DIR   := .build/$(CONFIG)
LEAKWATCH   := $(BUILD_DIR)/leakwatch
DEMO_DIR    ?= demo

# Build and test dependencies: the C libraries' -dev packages, pkg-config, and what the tests
# drive for real (journald, systemd, systemd-analyze). Media: Tesseract with its English data,
# Leptonica, poppler-glib, libexif and libheif to build and run; ImageMagick and DejaVu fonts to
# draw the tests' images.
DEB_PACKAGES := libpcre2-dev libsystemd-dev libvectorscan-dev libsqlite3-dev pkg-config systemd util-linux procps \
  dpkg-dev python3 libtesseract-dev tesseract-ocr-eng libleptonica-dev libpoppler-glib-dev libexif-dev libheif-dev \
  imagemagick fonts-dejavu-core
# Only the tests need these: a real headless browser renders `leakwatch report --format html`.
TEST_DEB_PACKAGES := chromium

.PHONY: all deps test-deps build run scan-samples test quality media-bench lint faults clean bench bench-deps

all: build

# $(call apt-install-missing,PACKAGES): installs those of PACKAGES that are not installed.
define apt-install-missing
	@missing=""; \
	for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "Installing missing packages:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi
endef

deps:
	$(call apt-install-missing,$(DEB_PACKAGES))

test-deps: deps
	@$(MAKE) --no-print-directory deps DEB_PACKAGES="$(TEST_DEB_PACKAGES)"

build: deps
	$(SWIFT) build -c $(CONFIG)

# The main job: the daemon in the foreground on a local demo setup under $(DEMO_DIR)/ (no root
# needed). Drop an export into $(DEMO_DIR)/drop/ from another terminal and watch the spool.
run: build
	@mkdir -p $(DEMO_DIR)/drop $(DEMO_DIR)/rules.d
	$(LEAKWATCH) rules test --rules rules --rules $(DEMO_DIR)/rules.d
	@echo
	@echo "leakwatch daemon is starting in the foreground (Ctrl-C stops it). In another terminal:"
	@echo "  cp samples/whatsapp-android-shift.txt $(DEMO_DIR)/drop/     # drop an export"
	@echo "  tail -F $(DEMO_DIR)/spool/alerts.jsonl                      # the alert spool"
	@echo "  journalctl -f SYSLOG_IDENTIFIER=leakwatch            # the journal, where journald runs"
	@echo "  kill -HUP <pid>                                      # reload rules after editing $(DEMO_DIR)/rules.d/"
	@echo
	$(LEAKWATCH) daemon --drop-dir $(DEMO_DIR)/drop --state-dir $(DEMO_DIR)/state --spool-dir $(DEMO_DIR)/spool \
	  --rules rules --rules $(DEMO_DIR)/rules.d

# Scan the bundled samples once from the command line.
scan-samples: build
	$(LEAKWATCH) scan --rules rules --key $(DEMO_DIR)/fingerprint.key samples; status=$$?; \
	  echo "(scan exit status $$status: 0 no alerts, 1 alerts found, 2 error)"; [ $$status -le 1 ]

test: test-deps
	$(SWIFT) build --build-tests
	$(if $(LW_AS_ROOT),LEAKWATCH_TEST_DEB="$(CURDIR)/$(LW_DEB_FILE)") $(SWIFT) test --skip-build

# The checked-in .swift-format, strictly.
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift

# Detection quality with `leakwatch eval`: the labelled development corpus (bench/corpus) and, when
# ../shared is there, the EDOS dev split. Prints the per-category tables; fails when a floor is missed.
quality: build
	LEAKWATCH=$(LEAKWATCH) bench/quality.sh

# Media speed (images/s for PDQ hashing and OCR) with the release build.
media-bench: deps
	$(SWIFT) build -c release
	LEAKWATCH=.build/release/leakwatch bench/media_bench.sh $(or $(COUNT),20)
# The fault campaign (Tests/Faults/faults.py) against the release binary: a kill storm, two and
# three daemons sharing a drop directory, full disks under the spool and the state directory, a
# reload storm and hostile inputs. Prints one table; fails on any loss, duplicate, unparseable
# spool line, stuck file or daemon death. FAULTS_FLAGS=--only=hostile runs one part.
FAULTS_FLAGS ?=
faults: release-build
	python3 Tests/Faults/faults.py --binary .build/release/leakwatch $(FAULTS_FLAGS)

# Speed and memory (issue 10): generates a deterministic synthetic corpus under $(BENCH_DIR)/corpus
# (kept between runs while the knobs and the generator are unchanged), then times, interleaved,
# `leakwatch scan` (release build) against rg, pcre2grep and cat, and prints one table with the
# targets met or missed. Quick check: make bench BENCH_ROUNDS=1 BENCH_SIZE_MB=20
BENCH_ROUNDS      ?= 3
# Size of the 1% and the 20% export, in MB (10^6 bytes).
BENCH_SIZE_MB     ?= 250
# Size of the big export: 1024 MB with the default BENCH_SIZE_MB, in proportion otherwise.
BENCH_BIG_MB      ?= $(shell awk 'BEGIN { printf "%d", $(BENCH_SIZE_MB) * 4.096 + 0.5 }')
BENCH_SMALL_FILES ?= 10000
BENCH_WORKERS     ?= 1,2
BENCH_SEED        ?= 1
# More options for every `leakwatch scan` run, e.g. --no-jit or --chunk-size 8MiB.
BENCH_SCAN_FLAGS  ?=
BENCH_DIR         ?= .build/bench
BENCH_PACKAGES    := ripgrep pcre2-utils time python3

bench-deps:
	$(call apt-install-missing,$(BENCH_PACKAGES))

bench: release-build bench-deps
	python3 bench/make_bench_corpus.py --out $(BENCH_DIR)/corpus --size-mb $(BENCH_SIZE_MB) \
	  --big-mb $(BENCH_BIG_MB) --small-files $(BENCH_SMALL_FILES) --seed $(BENCH_SEED)
	python3 bench/run_bench.py --leakwatch .build/release/leakwatch --rules rules --corpus $(BENCH_DIR)/corpus \
	  --work $(BENCH_DIR) --rounds $(BENCH_ROUNDS) --workers $(BENCH_WORKERS) --scan-flags "$(BENCH_SCAN_FLAGS)"

clean:
	rm -rf .build $(DEMO_DIR)

# install, uninstall, deb, release-build
include systemd/install.mk

# The tests install with swift-argument-parser's generate-manual (for the manual pages). As root
# they also install and remove the Debian package in a throwaway systemd namespace and run lintian
# on it: build it (with the release binary) once, before the tests.
LW_AS_ROOT := $(filter 0,$(shell id -u))
test: $(LW_GENERATE_MANUAL) $(if $(LW_AS_ROOT),deb deb-deps)
