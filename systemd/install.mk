# Install, uninstall and package leakwatch as a systemd service. Included by the top-level
# Makefile; also usable alone: make -f systemd/install.mk install DESTDIR=/tmp/root
#
#   make release-build      swift build -c release --static-swift-stdlib (.build/release/leakwatch)
#   make install            the release binary, rules, config (never overwritten), unit, sysusers,
#                           tmpfiles, catalog, a manual page per subcommand and bash/zsh/fish
#                           completions. With DESTDIR empty it also applies sysusers, tmpfiles and
#                           the catalog (ACTIVATE=no to skip), like the package does.
#   make uninstall          removes what install put there; keeps a changed config, rules.d
#                           content, the state in /var/lib/leakwatch, the spool and the users.
#   make deb                .build/deb/leakwatch_$(VERSION)-$(DEB_REVISION)_$(ARCH).deb from the
#                           same layout, plus copyright, changelog and maintainer scripts.
#   make deb-check          lintian on that package (installs lintian if missing); fails on errors.
#
# INSTALL_BIN=path installs that binary instead of building the release one (the service tests
# install the debug build this way). The manual pages and completions are generated from that
# binary's own argument parser (systemd/cli-docs.sh): swift-argument-parser's generate-manual tool
# (what its GenerateManual plugin runs) and `leakwatch --generate-completion-script`.

SWIFT        ?= swift
PREFIX       ?= /usr
BINDIR       ?= $(PREFIX)/bin
DATADIR      ?= $(PREFIX)/share
DOCDIR       ?= $(DATADIR)/doc/leakwatch
MANDIR       ?= $(DATADIR)/man
BASHCOMPDIR  ?= $(DATADIR)/bash-completion/completions
ZSHCOMPDIR   ?= $(DATADIR)/zsh/vendor-completions
FISHCOMPDIR  ?= $(DATADIR)/fish/vendor_completions.d
SYSCONFDIR   ?= /etc
LIBDIR_SD    ?= $(PREFIX)/lib
UNITDIR      ?= /lib/systemd/system
SYSUSERSDIR  ?= $(LIBDIR_SD)/sysusers.d
TMPFILESDIR  ?= $(LIBDIR_SD)/tmpfiles.d
CATALOGDIR   ?= $(LIBDIR_SD)/systemd/catalog
DESTDIR      ?=
ACTIVATE     ?= $(if $(DESTDIR),no,yes)
LW_SYSTEMD_DIR := systemd

# Version, maintainer and date come from the Debian changelog (the manual pages carry its date, so
# that the same source gives the same pages).
LW_CHANGELOG     := $(LW_SYSTEMD_DIR)/debian/changelog
LW_DEB_VERSION   := ${shell sed -n '1s/^leakwatch (\([^)]*\)).*/\1/p' $(LW_CHANGELOG)}
VERSION          ?= $(shell echo '$(LW_DEB_VERSION)' | sed 's/-[^-]*$$//')
DEB_REVISION     ?= $(shell echo '$(LW_DEB_VERSION)' | sed 's/.*-//')
LW_MAINTAINER    := $(shell sed -n 's/^ -- \(.*>\)  .*/\1/p' $(LW_CHANGELOG) | head -n 1)
LW_AUTHOR        := $(shell echo '$(LW_MAINTAINER)' | sed 's/ *</</')
LW_DOC_DATE      := $(shell date -u -d "$$(sed -n 's/^ -- .*>  //p' $(LW_CHANGELOG) | head -n 1)" +%F)

LW_RELEASE_BIN := .build/release/leakwatch
INSTALL_BIN    ?= $(LW_RELEASE_BIN)
LW_INSTALL     ?= install
LW_DEB_DIR     := .build/deb
LW_DEB_ROOT    := $(LW_DEB_DIR)/root

# The shipped files name the default paths; other PREFIX/SYSCONFDIR values are substituted in.
LW_SUBST := sed -e 's|/usr/bin/leakwatch|$(BINDIR)/leakwatch|g' \
                -e 's|/usr/share/leakwatch|$(DATADIR)/leakwatch|g' \
                -e 's|/usr/share/doc/leakwatch|$(DOCDIR)|g' \
                -e 's|/etc/leakwatch|$(SYSCONFDIR)/leakwatch|g'

.PHONY: release-build install uninstall deb deb-deps deb-check

# Used alone (make -f systemd/install.mk), the top-level Makefile's `deps` is not defined: ask it.
ifeq ($(firstword $(MAKEFILE_LIST)),$(LW_SYSTEMD_DIR)/install.mk)
.PHONY: deps
deps:
	@$(MAKE) --no-print-directory -f Makefile deps
endif

release-build: deps
	$(SWIFT) build -c release --static-swift-stdlib

# swift-argument-parser's generate-manual, the tool its GenerateManual plugin runs. The plugin
# itself is not used: it first rebuilds the whole package in release mode without
# --static-swift-stdlib, which replaces .build/release/leakwatch by a binary that needs the
# toolchain's shared Swift libraries. Built in a build directory of its own, so that it can be built
# while another SwiftPM command (swift test) holds the lock on .build.
LW_TOOLS_DIR       := .build/tools
LW_GENERATE_MANUAL := $(LW_TOOLS_DIR)/debug/generate-manual

$(LW_GENERATE_MANUAL): Package.swift
	$(SWIFT) build --scratch-path $(LW_TOOLS_DIR) --product generate-manual
	@touch "$@"

# What install builds first: the release binary, unless another one was named.
LW_INSTALL_PREREQ ?= $(if $(filter $(LW_RELEASE_BIN),$(INSTALL_BIN)),release-build)

install: $(LW_INSTALL_PREREQ) $(LW_GENERATE_MANUAL)
	@test -x "$(INSTALL_BIN)" || { echo "install: no binary at $(INSTALL_BIN)" >&2; exit 1; }
	$(LW_INSTALL) -d -m 0755 "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/leakwatch/rules" \
	  "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSUSERSDIR)" \
	  "$(DESTDIR)$(TMPFILESDIR)" "$(DESTDIR)$(CATALOGDIR)" \
	  "$(DESTDIR)$(SYSCONFDIR)/leakwatch" "$(DESTDIR)$(SYSCONFDIR)/leakwatch/rules.d" \
	  "$(DESTDIR)$(SYSCONFDIR)/leakwatch/known-media.d"
	$(LW_INSTALL) -m 0755 "$(INSTALL_BIN)" "$(DESTDIR)$(BINDIR)/leakwatch"
	$(LW_INSTALL) -m 0644 rules/*.yml rules/*.model rules/*.phrases "$(DESTDIR)$(DATADIR)/leakwatch/rules/"
	$(LW_SUBST) $(LW_SYSTEMD_DIR)/leakwatch.service > "$(DESTDIR)$(UNITDIR)/leakwatch.service"
	chmod 0644 "$(DESTDIR)$(UNITDIR)/leakwatch.service"
	$(LW_SUBST) $(LW_SYSTEMD_DIR)/leakwatch.sysusers > "$(DESTDIR)$(SYSUSERSDIR)/leakwatch.conf"
	$(LW_SUBST) $(LW_SYSTEMD_DIR)/leakwatch.tmpfiles > "$(DESTDIR)$(TMPFILESDIR)/leakwatch.conf"
	$(LW_SUBST) $(LW_SYSTEMD_DIR)/leakwatch.catalog > "$(DESTDIR)$(CATALOGDIR)/leakwatch.catalog"
	chmod 0644 "$(DESTDIR)$(SYSUSERSDIR)/leakwatch.conf" "$(DESTDIR)$(TMPFILESDIR)/leakwatch.conf" \
	  "$(DESTDIR)$(CATALOGDIR)/leakwatch.catalog"
	$(LW_INSTALL) -m 0644 $(LW_SYSTEMD_DIR)/README.md "$(DESTDIR)$(DOCDIR)/README.systemd.md"
	$(LW_INSTALL) -m 0644 $(LW_SYSTEMD_DIR)/leakwatch-jit.conf.example "$(DESTDIR)$(DOCDIR)/"
	$(LW_SUBST) $(LW_SYSTEMD_DIR)/leakwatch.yml > "$(DESTDIR)$(DOCDIR)/leakwatch.yml.default"
	$(LW_SYSTEMD_DIR)/cli-docs.sh "$(INSTALL_BIN)" "$(LW_GENERATE_MANUAL)" "$(VERSION)" "$(LW_DOC_DATE)" "$(LW_AUTHOR)" \
	  "$(DESTDIR)$(MANDIR)/man1" "$(DESTDIR)$(BASHCOMPDIR)" "$(DESTDIR)$(ZSHCOMPDIR)" "$(DESTDIR)$(FISHCOMPDIR)"
	@conf="$(DESTDIR)$(SYSCONFDIR)/leakwatch/leakwatch.yml"; \
	if [ -e "$$conf" ]; then \
	  echo "install: keeping existing $$conf (the default is in $(DOCDIR)/leakwatch.yml.default)"; \
	else \
	  echo "install: $$conf"; \
	  $(LW_INSTALL) -m 0644 "$(DESTDIR)$(DOCDIR)/leakwatch.yml.default" "$$conf"; \
	fi
ifeq ($(ACTIVATE),yes)
	systemd-sysusers $(SYSUSERSDIR)/leakwatch.conf
	systemd-tmpfiles --create $(TMPFILESDIR)/leakwatch.conf
	journalctl --update-catalog
	@if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "install: done; start with: systemctl enable --now leakwatch"
endif

uninstall:
	-@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemctl disable --now leakwatch.service 2>/dev/null; fi
	rm -f "$(DESTDIR)$(BINDIR)/leakwatch" \
	  "$(DESTDIR)$(UNITDIR)/leakwatch.service" "$(DESTDIR)$(SYSUSERSDIR)/leakwatch.conf" \
	  "$(DESTDIR)$(TMPFILESDIR)/leakwatch.conf" "$(DESTDIR)$(CATALOGDIR)/leakwatch.catalog" \
	  "$(DESTDIR)$(MANDIR)/man1/leakwatch.1.gz" "$(DESTDIR)$(MANDIR)"/man1/leakwatch-*.1.gz \
	  "$(DESTDIR)$(BASHCOMPDIR)/leakwatch" "$(DESTDIR)$(ZSHCOMPDIR)/_leakwatch" "$(DESTDIR)$(FISHCOMPDIR)/leakwatch.fish"
	rm -rf "$(DESTDIR)$(DATADIR)/leakwatch/rules"
	-rmdir "$(DESTDIR)$(DATADIR)/leakwatch" 2>/dev/null
	@conf="$(DESTDIR)$(SYSCONFDIR)/leakwatch/leakwatch.yml"; \
	if [ -e "$$conf" ] && ! cmp -s "$$conf" "$(DESTDIR)$(DOCDIR)/leakwatch.yml.default"; then \
	  echo "uninstall: keeping changed $$conf"; else rm -f "$$conf"; fi
	rm -rf "$(DESTDIR)$(DOCDIR)"
	-rmdir "$(DESTDIR)$(SYSCONFDIR)/leakwatch/rules.d" "$(DESTDIR)$(SYSCONFDIR)/leakwatch/known-media.d" \
	  "$(DESTDIR)$(SYSCONFDIR)/leakwatch" 2>/dev/null
ifeq ($(ACTIVATE),yes)
	-journalctl --update-catalog
	-@if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "uninstall: kept user leakwatch, group leakwatch-drop, /var/lib/leakwatch, /var/log/leakwatch"
endif

# The Debian package: the install layout, with what the binary links against as Depends:
# (dpkg-shlibdeps where available; the Swift runtime itself is linked in statically).
LW_DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
LW_DEB_FILE := $(LW_DEB_DIR)/leakwatch_$(VERSION)-$(DEB_REVISION)_$(LW_DEB_ARCH).deb
LW_DEB_FALLBACK_DEPENDS := libc6, libgcc-s1, libstdc++6, libpcre2-8-0, libsystemd0, libsqlite3-0, zlib1g, \
  libtesseract5, liblept5, libpoppler-glib8, libglib2.0-0, libcairo2, libexif12, libheif1
# Not linked but needed: Tesseract's English trained data (OCR of images and scanned PDF pages).
LW_DEB_EXTRA_DEPENDS := tesseract-ocr-eng

# The binary is stripped as dh_strip does; md5sums as dh_md5sums writes them; every directory is
# 0755 whatever the umask.
deb: $(LW_INSTALL_PREREQ) $(LW_GENERATE_MANUAL)
	rm -rf "$(LW_DEB_DIR)"
	$(MAKE) -f $(LW_SYSTEMD_DIR)/install.mk install LW_INSTALL_PREREQ= DESTDIR="$(CURDIR)/$(LW_DEB_ROOT)" \
	  ACTIVATE=no INSTALL_BIN="$(INSTALL_BIN)" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
	rm -f "$(LW_DEB_ROOT)$(DOCDIR)/leakwatch.yml.default"
	$(LW_INSTALL) -m 0644 $(LW_SYSTEMD_DIR)/debian/copyright "$(LW_DEB_ROOT)$(DOCDIR)/copyright"
	gzip -9n < $(LW_CHANGELOG) > "$(LW_DEB_ROOT)$(DOCDIR)/changelog.Debian.gz"
	chmod 0644 "$(LW_DEB_ROOT)$(DOCDIR)/changelog.Debian.gz"
	$(LW_INSTALL) -D -m 0644 $(LW_SYSTEMD_DIR)/debian/lintian-overrides \
	  "$(LW_DEB_ROOT)$(DATADIR)/lintian/overrides/leakwatch"
	strip --remove-section=.comment --remove-section=.note --strip-unneeded "$(LW_DEB_ROOT)/usr/bin/leakwatch"
	$(LW_INSTALL) -d -m 0755 "$(LW_DEB_DIR)/shlibs/debian" "$(LW_DEB_ROOT)/DEBIAN"
	printf 'Source: leakwatch\n\nPackage: leakwatch\nArchitecture: any\n' > "$(LW_DEB_DIR)/shlibs/debian/control"
	@depends=$$(cd "$(LW_DEB_DIR)/shlibs" && dpkg-shlibdeps -O "$(CURDIR)/$(LW_DEB_ROOT)/usr/bin/leakwatch" 2>/dev/null \
	  | sed -n 's/^shlibs:Depends=//p'); \
	if [ -z "$$depends" ]; then depends="$(LW_DEB_FALLBACK_DEPENDS)"; \
	  echo "deb: dpkg-shlibdeps unavailable, Depends: $$depends"; fi; \
	size=$$(du -sk --exclude=DEBIAN "$(LW_DEB_ROOT)" | cut -f1); \
	{ echo "Package: leakwatch"; \
	  echo "Version: $(VERSION)-$(DEB_REVISION)"; \
	  echo "Architecture: $(LW_DEB_ARCH)"; \
	  echo "Maintainer: $(LW_MAINTAINER)"; \
	  echo "Installed-Size: $$size"; \
	  echo "Depends: $$depends, $(LW_DEB_EXTRA_DEPENDS), systemd"; \
	  echo "Section: admin"; \
	  echo "Priority: optional"; \
	  echo "Description: finds sensitive operational content in exported chat logs"; \
	  echo " leakwatch watches a drop directory of exported chat logs (WhatsApp, Telegram),"; \
	  echo " matches them against PCRE2 rules and reports every finding, with the sensitive"; \
	  echo " text masked, to the systemd journal and to a JSON-lines alert spool."; \
	} > "$(LW_DEB_ROOT)/DEBIAN/control"
	find "$(LW_DEB_ROOT)/etc" -type f | sed 's|^$(LW_DEB_ROOT)||' | sort > "$(LW_DEB_ROOT)/DEBIAN/conffiles"
	cd "$(LW_DEB_ROOT)" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' \
	  | LC_ALL=C sort -z | xargs -0 md5sum > DEBIAN/md5sums
	$(LW_INSTALL) -m 0755 $(LW_SYSTEMD_DIR)/debian/postinst $(LW_SYSTEMD_DIR)/debian/prerm \
	  $(LW_SYSTEMD_DIR)/debian/postrm "$(LW_DEB_ROOT)/DEBIAN/"
	chmod 0644 "$(LW_DEB_ROOT)/DEBIAN/control" "$(LW_DEB_ROOT)/DEBIAN/conffiles" "$(LW_DEB_ROOT)/DEBIAN/md5sums"
	find "$(LW_DEB_ROOT)" -type d -exec chmod 0755 {} +
	dpkg-deb --root-owner-group --build "$(LW_DEB_ROOT)" "$(LW_DEB_FILE)"
	@echo "deb: $(LW_DEB_FILE)"

# What checking the package needs besides the build (installed by the top-level Makefile's deps).
LW_DEB_CHECK_PACKAGES := lintian

deb-deps:
	@$(MAKE) --no-print-directory -f Makefile deps DEB_PACKAGES="$(LW_DEB_CHECK_PACKAGES)"

# lintian on the package: fails on errors, prints warnings and notes.
deb-check: deb deb-deps
	lintian --fail-on error --display-info "$(LW_DEB_FILE)"
