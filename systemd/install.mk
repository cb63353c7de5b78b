# Install, uninstall and package leakwatch as a systemd service. Included by the top-level
# Makefile; also usable alone: make -f systemd/install.mk install DESTDIR=/tmp/root
#
#   make release-build      swift build -c release --static-swift-stdlib (.build/release/leakwatch)
#   make install            the release binary, rules, config (never overwritten), unit, sysusers,
#                           tmpfiles, catalog. With DESTDIR empty it also applies sysusers,
#                           tmpfiles and the catalog (ACTIVATE=no to skip), like the package does.
#   make uninstall          removes what install put there; keeps a changed config, rules.d
#                           content, the state in /var/lib/leakwatch, the spool and the users.
#   make deb                .build/deb/leakwatch_$(VERSION)_$(ARCH).deb from the same layout.
#
# INSTALL_BIN=path installs that binary instead of building the release one (the service tests
# install the debug build this way).

SWIFT        ?= swift
PREFIX       ?= /usr
BINDIR       ?= $(PREFIX)/bin
DATADIR      ?= $(PREFIX)/share
DOCDIR       ?= $(DATADIR)/doc/leakwatch
SYSCONFDIR   ?= /etc
LIBDIR_SD    ?= $(PREFIX)/lib
UNITDIR      ?= /lib/systemd/system
SYSUSERSDIR  ?= $(LIBDIR_SD)/sysusers.d
TMPFILESDIR  ?= $(LIBDIR_SD)/tmpfiles.d
CATALOGDIR   ?= $(LIBDIR_SD)/systemd/catalog
DESTDIR      ?=
ACTIVATE     ?= $(if $(DESTDIR),no,yes)
VERSION      ?= 0.1.0
DEB_REVISION ?= 1

LW_SYSTEMD_DIR := systemd
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

.PHONY: release-build install uninstall deb

release-build: deps
	$(SWIFT) build -c release --static-swift-stdlib

# Build the release binary unless another one was named.
install: $(if $(filter $(LW_RELEASE_BIN),$(INSTALL_BIN)),release-build)
	@test -x "$(INSTALL_BIN)" || { echo "install: no binary at $(INSTALL_BIN)" >&2; exit 1; }
	$(LW_INSTALL) -d -m 0755 "$(DESTDIR)$(BINDIR)" "$(DESTDIR)$(DATADIR)/leakwatch/rules" \
	  "$(DESTDIR)$(DOCDIR)" "$(DESTDIR)$(UNITDIR)" "$(DESTDIR)$(SYSUSERSDIR)" \
	  "$(DESTDIR)$(TMPFILESDIR)" "$(DESTDIR)$(CATALOGDIR)" \
	  "$(DESTDIR)$(SYSCONFDIR)/leakwatch" "$(DESTDIR)$(SYSCONFDIR)/leakwatch/rules.d"
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
	  "$(DESTDIR)$(TMPFILESDIR)/leakwatch.conf" "$(DESTDIR)$(CATALOGDIR)/leakwatch.catalog"
	rm -rf "$(DESTDIR)$(DATADIR)/leakwatch/rules"
	-rmdir "$(DESTDIR)$(DATADIR)/leakwatch" 2>/dev/null
	@conf="$(DESTDIR)$(SYSCONFDIR)/leakwatch/leakwatch.yml"; \
	if [ -e "$$conf" ] && ! cmp -s "$$conf" "$(DESTDIR)$(DOCDIR)/leakwatch.yml.default"; then \
	  echo "uninstall: keeping changed $$conf"; else rm -f "$$conf"; fi
	rm -rf "$(DESTDIR)$(DOCDIR)"
	-rmdir "$(DESTDIR)$(SYSCONFDIR)/leakwatch/rules.d" "$(DESTDIR)$(SYSCONFDIR)/leakwatch" 2>/dev/null
ifeq ($(ACTIVATE),yes)
	-journalctl --update-catalog
	-@if [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@echo "uninstall: kept user leakwatch, group leakwatch-drop, /var/lib/leakwatch, /var/log/leakwatch"
endif

# The Debian package: the install layout, with what the binary links against as Depends:
# (dpkg-shlibdeps where available; the Swift runtime itself is linked in statically).
LW_DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null || echo amd64)
LW_DEB_FILE := $(LW_DEB_DIR)/leakwatch_$(VERSION)-$(DEB_REVISION)_$(LW_DEB_ARCH).deb
LW_DEB_FALLBACK_DEPENDS := libc6, libgcc-s1, libstdc++6, libpcre2-8-0, libsystemd0, zlib1g

deb: $(if $(filter $(LW_RELEASE_BIN),$(INSTALL_BIN)),release-build)
	rm -rf "$(LW_DEB_DIR)"
	$(MAKE) -f $(LW_SYSTEMD_DIR)/install.mk install DESTDIR="$(CURDIR)/$(LW_DEB_ROOT)" \
	  ACTIVATE=no INSTALL_BIN="$(INSTALL_BIN)" PREFIX=/usr SYSCONFDIR=/etc UNITDIR=/lib/systemd/system
	rm -f "$(LW_DEB_ROOT)$(DOCDIR)/leakwatch.yml.default"
	strip --strip-unneeded "$(LW_DEB_ROOT)/usr/bin/leakwatch"
	mkdir -p "$(LW_DEB_DIR)/shlibs/debian" "$(LW_DEB_ROOT)/DEBIAN"
	printf 'Source: leakwatch\n\nPackage: leakwatch\nArchitecture: any\n' > "$(LW_DEB_DIR)/shlibs/debian/control"
	@depends=$$(cd "$(LW_DEB_DIR)/shlibs" && dpkg-shlibdeps -O "$(CURDIR)/$(LW_DEB_ROOT)/usr/bin/leakwatch" 2>/dev/null \
	  | sed -n 's/^shlibs:Depends=//p'); \
	if [ -z "$$depends" ]; then depends="$(LW_DEB_FALLBACK_DEPENDS)"; \
	  echo "deb: dpkg-shlibdeps unavailable, Depends: $$depends"; fi; \
	size=$$(du -sk --exclude=DEBIAN "$(LW_DEB_ROOT)" | cut -f1); \
	{ echo "Package: leakwatch"; \
	  echo "Version: $(VERSION)-$(DEB_REVISION)"; \
	  echo "Architecture: $(LW_DEB_ARCH)"; \
	  echo "Maintainer: leakwatch maintainers <root@localhost>"; \
	  echo "Installed-Size: $$size"; \
	  echo "Depends: $$depends, systemd"; \
	  echo "Section: admin"; \
	  echo "Priority: optional"; \
	  echo "Description: finds sensitive operational content in exported chat logs"; \
	  echo " leakwatch watches a drop directory of exported chat logs, matches PCRE2 rules and"; \
	  echo " reports every finding, masked, to the journal and to a JSON-lines spool."; \
	} > "$(LW_DEB_ROOT)/DEBIAN/control"
	find "$(LW_DEB_ROOT)/etc" -type f | sed 's|^$(LW_DEB_ROOT)||' | sort > "$(LW_DEB_ROOT)/DEBIAN/conffiles"
	$(LW_INSTALL) -m 0755 $(LW_SYSTEMD_DIR)/debian/postinst $(LW_SYSTEMD_DIR)/debian/prerm \
	  $(LW_SYSTEMD_DIR)/debian/postrm "$(LW_DEB_ROOT)/DEBIAN/"
	dpkg-deb --root-owner-group --build "$(LW_DEB_ROOT)" "$(LW_DEB_FILE)"
	@echo "deb: $(LW_DEB_FILE)"
