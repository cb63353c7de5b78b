#!/bin/bash
# Boots a real systemd as PID 1 of a private PID + mount namespace, with leakwatch installed into
# it by `make install` (see /work/shared/notes/systemd-test-harness.md for the recipe).
#
#   harness.sh start SCRATCH REPO BIN   boot; print the namespace's PID 1 (also in SCRATCH/init.pid)
#   harness.sh start SCRATCH REPO none  the same with nothing of leakwatch installed or shared (the
#                                       package test installs the .deb with dpkg inside)
#   harness.sh ns SCRATCH CMD...        run CMD inside the namespace (nsenter -p -m)
#   harness.sh stop SCRATCH             kill the namespace (every process in it dies with PID 1)
#
# Nothing of the host is changed: /tmp, /var/tmp, /run and /var/log are fresh tmpfs inside the
# namespace, and /usr, /etc and /var are overlays whose writes land in a tmpfs (the install, the
# leakwatch users, the journal catalog). Only SCRATCH/state and SCRATCH/spool are shared: they are
# bind-mounted on /var/lib/leakwatch and /var/log/leakwatch, so the test drops exports and reads
# the spool from outside.
set -euo pipefail

cmd=${1:?usage: harness.sh start|ns|stop SCRATCH ...}
scratch=${2:?scratch directory}
self=$(readlink -f "$0")

log() { echo "harness: $*" >&2; }

# The namespace's PID 1: the systemd process whose parent is our unshare.
find_init() {
    local unshare_pid=$1 child
    for child in $(pgrep -P "$unshare_pid" 2>/dev/null); do
        echo "$child"
        return 0
    done
    return 1
}

case "$cmd" in
start)
    repo=${3:?repo}
    bin=${4:?binary}
    mkdir -p "$scratch/state" "$scratch/spool" "$scratch/ovl" "$scratch/units"
    rm -f "$scratch/init.pid" "$scratch/unshare.pid"

    cat > "$scratch/units/test.target" <<'EOF'
[Unit]
Description=leakwatch service test target
Wants=systemd-journald.service
EOF
    # The test's drop-in: a short watchdog so the SIGSTOP test stays short, and a short abort
    # timeout (the watchdog sends SIGABRT, then SIGKILL after TimeoutAbortSec=).
    cat > "$scratch/units/test.conf" <<'EOF'
[Service]
WatchdogSec=4
TimeoutAbortSec=10
RestartSec=1
EOF
    # The namespace outlives this script: it must not keep any descriptor of our caller open
    # (Foundation's Process, for one, waits until every copy of an inherited socket is closed).
    for fd in /proc/$$/fd/*; do
        fd=${fd##*/}
        case "$fd" in 0|1|2) ;; *) eval "exec $fd>&-" 2>/dev/null || true ;; esac
    done
    setsid unshare --fork --pid --mount --mount-proc --propagation private \
        "$self" ns-boot "$scratch" "$repo" "$bin" </dev/null >"$scratch/boot.log" 2>&1 &
    unshare_pid=$!
    echo "$unshare_pid" > "$scratch/unshare.pid"

    init=""
    for _ in $(seq 1 100); do
        if ! kill -0 "$unshare_pid" 2>/dev/null; then
            log "namespace exited during boot; boot.log:"; cat "$scratch/boot.log" >&2; exit 1
        fi
        if init=$(find_init "$unshare_pid") && [ "$(cat /proc/"$init"/comm 2>/dev/null)" = systemd ]; then
            break
        fi
        init=""
        sleep 0.2
    done
    [ -n "$init" ] || { log "systemd did not start within 20s; boot.log:"; cat "$scratch/boot.log" >&2; exit 1; }
    echo "$init" > "$scratch/init.pid"

    state=""
    for _ in $(seq 1 60); do
        state=$(timeout 5 nsenter -t "$init" -p -m systemctl is-system-running 2>/dev/null || true)
        case "$state" in running|degraded) break ;; esac
        sleep 0.5
    done
    case "$state" in
    running|degraded) ;;
    *) log "systemd not up after 30s (state '$state'); boot.log:"; cat "$scratch/boot.log" >&2; exit 1 ;;
    esac
    echo "$init"
    ;;

ns-boot)
    # Inside the namespace, before systemd: private mounts first (see the DANGER note).
    repo=${3:?repo}
    bin=${4:?binary}
    # The checkout may itself live under /tmp, /var or /run, which are covered below: first make
    # it visible at /mnt (a bind mount shares the same files with the host), and use that path.
    mount --bind "$repo" /mnt
    case "$scratch" in "$repo"/*) scratch=/mnt/${scratch#"$repo"/} ;; esac
    case "$bin" in "$repo"/*) bin=/mnt/${bin#"$repo"/} ;; esac
    repo=/mnt
    mount -t tmpfs tmpfs /tmp
    mount -t tmpfs tmpfs /var/tmp
    mount -t tmpfs tmpfs /run
    mount -t tmpfs -o mode=0700 tmpfs "$scratch/ovl"
    for d in usr etc var; do
        mkdir -p "$scratch/ovl/$d/upper" "$scratch/ovl/$d/work"
        mount -t overlay overlay \
            -o "lowerdir=/$d,upperdir=$scratch/ovl/$d/upper,workdir=$scratch/ovl/$d/work" "/$d"
    done
    # The overlay on /var shows the host's /var/tmp and /var/log again: cover them.
    mount -t tmpfs tmpfs /var/tmp
    mount -t tmpfs tmpfs /var/log
    if [ "$bin" = none ]; then
        # For dpkg: Debian's container images ship a policy-rc.d that forbids maintainer scripts to
        # start services; a real machine has none (the overlay hides it; the host keeps it).
        if [ "$(findmnt -n -o FSTYPE --target /usr/sbin)" = overlay ]; then rm -f /usr/sbin/policy-rc.d; fi
    else
        mkdir -p /var/lib/leakwatch /var/log/leakwatch
        mount --bind "$scratch/state" /var/lib/leakwatch
        mount --bind "$scratch/spool" /var/log/leakwatch

        # Install as an administrator would (make install also applies sysusers, tmpfiles, catalog).
        make -s -C "$repo" -f systemd/install.mk install INSTALL_BIN="$bin" ACTIVATE=yes
        # A depositor: in group leakwatch-drop, nothing else.
        printf 'u lwdepositor - "leakwatch test depositor" /nonexistent /usr/sbin/nologin\nm lwdepositor leakwatch-drop\n' \
            | systemd-sysusers -
        mkdir -p /etc/systemd/system/leakwatch.service.d
        cp "$scratch/units/test.conf" /etc/systemd/system/leakwatch.service.d/test.conf
        for f in "$scratch"/units/*.conf.extra; do
            [ -e "$f" ] && cp "$f" /etc/systemd/system/leakwatch.service.d/"$(basename "${f%.extra}")"
        done
    fi

    mkdir -p /run/systemd/system
    cp "$scratch/units/test.target" /run/systemd/system/
    export container=other
    exec /lib/systemd/systemd --system --unit=test.target --log-target=journal-or-kmsg
    ;;

ns)
    shift 2
    init=$(cat "$scratch/init.pid")
    exec nsenter -t "$init" -p -m -- "$@"
    ;;

stop)
    if [ -s "$scratch/init.pid" ]; then
        init=$(cat "$scratch/init.pid")
        # Only if it is still our systemd (PIDs are reused).
        if [ "$(cat /proc/"$init"/comm 2>/dev/null)" = systemd ]; then kill -9 "$init" 2>/dev/null || true; fi
    fi
    if [ -s "$scratch/unshare.pid" ]; then
        u=$(cat "$scratch/unshare.pid")
        for _ in $(seq 1 50); do kill -0 "$u" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$u" 2>/dev/null && [ "$(cat /proc/"$u"/comm 2>/dev/null)" = unshare ]; then
            kill -9 "$u" 2>/dev/null || true
        fi
    fi
    rm -f "$scratch/init.pid" "$scratch/unshare.pid"
    ;;

*)
    echo "usage: harness.sh start|ns|stop SCRATCH ..." >&2; exit 2 ;;
esac
