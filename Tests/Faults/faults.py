#!/usr/bin/env python3
"""The leakwatch fault campaign (`make faults`): the release daemon under kill storms, shared drop
directories, full disks, reload storms and hostile inputs. Prints one table (test, figure, result)
and exits non-zero on any loss, duplicate, unparseable spool line, stuck file or daemon death.

Needs root for the full-disk campaigns (small tmpfs mounts), FIFOs, sockets and device nodes; it
says so in the table when it cannot run one. Everything lives under one scratch directory that is
removed at the end; every daemon it starts is stopped by its own PID.

    python3 Tests/Faults/faults.py --binary .build/release/leakwatch [--scale 1.0] [--keep]
"""

import argparse
import io
import json
import os
import random
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zipfile

REPOSITORY = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RULES = os.path.join(REPOSITORY, "rules")
RSS_LIMIT = 256 << 20

ROWS = []  # (test, figure, passed)


def row(test, figure, passed):
    ROWS.append((test, figure, bool(passed)))
    mark = "PASS" if passed else "FAIL"
    print(f"  {mark}  {test}: {figure}", flush=True)


def wait_for(condition, timeout, interval=0.05):
    """Polls `condition` until it holds or `timeout` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Exports


def export_text(index, tag="export"):
    """A WhatsApp Android export with a handful of alerts, different for every index."""
    minute = index % 60
    day = 1 + index % 28
    return (
        f"{day:02d}/11/2021, 06:50 - Messages and calls are end-to-end encrypted.\n"
        f"{day:02d}/11/2021, 09:{minute:02d} - PC Kev Marsh: OFFICIAL-SENSITIVE briefing for {tag} {index}\n"
        f"{day:02d}/11/2021, 09:{minute:02d} - PC Aisha Bello: victim lives at {index % 900 + 1} Acacia Road, LS6 2AB\n"
        f"{day:02d}/11/2021, 09:{minute:02d} - Sgt Mark Oduya: can someone pick up log {1000 + index % 9000} of 07/11\n"
        f"{day:02d}/11/2021, 09:{minute:02d} - PC Dan Cole: cheers, {tag} {index} done\n"
    ).encode()


def drop_file(drop, name, data):
    """Writes under a hidden name and renames into place, as an upload would."""
    directory = os.fsencode(drop)
    staging = os.path.join(directory, b".staging-%016x" % random.getrandbits(64))
    with open(staging, "wb") as handle:
        handle.write(data)
    os.rename(staging, os.path.join(directory, os.fsencode(name)))


def scan_ids(binary, paths, key):
    """The alert ids `leakwatch scan` gives for the files (the spool must hold exactly these)."""
    ids = set()
    for start in range(0, len(paths), 400):
        result = subprocess.run(
            [binary, "scan", "--rules", RULES, "--format", "json", "--key", key] + paths[start : start + 400],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        for line in result.stdout.splitlines():
            record = json.loads(line)
            if record.get("schema") == "leakwatch.alert.v1":
                ids.add(record["id"])
    return ids


# ---------------------------------------------------------------------------------------------
# The daemon


class NotifySocket:
    """A datagram socket posing as systemd's $NOTIFY_SOCKET: the daemon's STATUS= lines."""

    def __init__(self, path):
        self.path = path
        self.socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.socket.bind(path)
        self.socket.setblocking(False)
        self.messages = []

    def drain(self):
        while True:
            try:
                self.messages.append(self.socket.recv(65536).decode(errors="replace"))
            except BlockingIOError:
                return self.messages

    def last_status(self):
        for message in reversed(self.drain()):
            for line in reversed(message.split("\n")):
                if line.startswith("STATUS="):
                    return line[7:]
        return ""

    def ready_count(self):
        return sum("READY=1" in message for message in self.drain())

    def close(self):
        self.socket.close()


class Daemon:
    """One `leakwatch daemon` with its own state and spool; started, killed and stopped by PID."""

    def __init__(self, binary, root, name, drop, extra=(), rules=RULES, state=None, spool=None):
        self.binary = binary
        self.name = name
        self.drop = drop
        self.rules = rules
        self.state = state or os.path.join(root, name, "state")
        self.spool = spool or os.path.join(root, name, "spool")
        self.log = os.path.join(root, f"{name}.log")
        self.extra = list(extra)
        self.process = None
        self.notify = NotifySocket(os.path.join(root, f"{name}.notify"))
        self.starts = 0
        self.kills = 0

    def arguments(self):
        return [self.binary, "daemon", "--drop-dir", self.drop, "--state-dir", self.state, "--spool-dir",
                self.spool, "--rules", self.rules, "--no-journal", "--workers", "2"] + self.extra

    def start(self, environment=None):
        env = dict(os.environ, NOTIFY_SOCKET=self.notify.path)
        env.update(environment or {})
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(self.arguments(), stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                            env=env)
        self.starts += 1

    def start_ready(self, timeout=60):
        before = self.notify.ready_count()
        self.start()
        return wait_for(lambda: self.notify.ready_count() > before or not self.alive(), timeout) and self.alive()

    def alive(self):
        return self.process is not None and self.process.poll() is None

    def kill(self):
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
            self.kills += 1
        if self.process is not None:
            self.process.wait()

    def stop(self, timeout=60):
        """SIGTERM; the exit status (None if it had to be killed)."""
        if not self.alive():
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def memory(self, field):
        try:
            with open(f"/proc/{self.process.pid}/status") as handle:
                for line in handle:
                    if line.startswith(field + ":"):
                        return int(line.split()[1]) * 1024
        except (OSError, AttributeError):
            pass
        return None

    def directory(self, which):
        path = os.path.join(self.state, which)
        try:
            return os.listdir(os.fsencode(path))
        except FileNotFoundError:
            return []

    def settled(self):
        """Nothing left in work/ (a claim in progress included)."""
        return not self.directory("work")

    def close(self):
        self.stop()
        self.notify.close()


def drop_pending(drop):
    """Entries in the drop directory a daemon should take (hidden names are left alone by design)."""
    try:
        return [name for name in os.listdir(os.fsencode(drop)) if not name.startswith(b".")]
    except FileNotFoundError:
        return []


def read_spool(directory):
    """(alert ids, record ids, unparseable lines) over every spool file; a last line without its
    line break counts as unparseable (a consumer must never be left holding one)."""
    alerts, records, unparseable = [], [], 0
    try:
        names = os.listdir(directory)
    except FileNotFoundError:
        return alerts, records, unparseable
    for name in names:
        if not (name == "alerts.jsonl" or name.startswith("alerts.jsonl.")):
            continue
        with open(os.path.join(directory, name), "rb") as handle:
            data = handle.read()
        if data and not data.endswith(b"\n"):
            unparseable += 1
        for line in data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n")[:-1]:
            try:
                record = json.loads(line)
            except ValueError:
                unparseable += 1
                continue
            if record.get("schema") == "leakwatch.alert.v1":
                alerts.append(record["id"])
            else:
                records.append(record["id"])
    return alerts, records, unparseable


def spool_rotations(directory):
    try:
        return sum(1 for name in os.listdir(directory) if name.startswith("alerts.jsonl."))
    except FileNotFoundError:
        return 0


def duplicates(ids):
    seen, twice = set(), 0
    for identifier in ids:
        if identifier in seen:
            twice += 1
        seen.add(identifier)
    return twice


# ---------------------------------------------------------------------------------------------
# Campaigns


def storm(binary, root, test, daemons_count, exports, kills, spool_max="64KiB"):
    """≥ `exports` distinct exports dropped while `kills` SIGKILLs hit the daemons at random
    moments (each restarted at once); then every alert exactly once, nothing stuck, nothing lost."""
    base = os.path.join(root, test)
    drop = os.path.join(base, "drop")
    source = os.path.join(base, "source")
    os.makedirs(drop)
    os.makedirs(source)
    names = []
    for index in range(exports):
        name = f"{test}-{index:05d}.txt"
        with open(os.path.join(source, name), "wb") as handle:
            handle.write(export_text(index, test))
        names.append(name)
    daemons = [Daemon(binary, base, f"d{n}", drop, ["--spool-max-bytes", spool_max, "--spool-keep", "100000"])
               for n in range(daemons_count)]
    for daemon in daemons:
        daemon.start()

    pace = 0.26 * kills / exports  # Drop over about as long as the kills take.
    dropped = threading.Event()

    def dropper():
        for name in names:
            with open(os.path.join(source, name), "rb") as handle:
                drop_file(drop, name, handle.read())
            time.sleep(random.uniform(0, 2 * pace))
        dropped.set()

    thread = threading.Thread(target=dropper)
    started = time.monotonic()
    thread.start()
    done_kills = 0
    injected = 0  # Starts told to die inside their first spool write (a torn line, as a power cut leaves).
    deaths = 0
    crashing = {}  # name: when it was started to crash

    def restart(daemon):
        # One start in ten dies by itself halfway through its first spool write.
        if random.random() < 0.1:
            crashing[daemon.name] = time.monotonic()
            daemon.start({"LEAKWATCH_TEST_CRASH_AT": "mid-spool-write"})
        else:
            crashing.pop(daemon.name, None)
            daemon.start()

    def revive():
        nonlocal injected, deaths
        for daemon in daemons:
            if daemon.process.poll() is not None:
                if daemon.name in crashing and daemon.process.returncode == -signal.SIGKILL:
                    injected += 1
                else:
                    deaths += 1
                    print(f"      {daemon.name} died: status {daemon.process.returncode}", flush=True)
                restart(daemon)

    while done_kills < kills:
        time.sleep(random.uniform(0.0, 0.5))
        revive()
        # A start set to crash is left to crash (for a few seconds); the others are fair game.
        candidates = [d for d in daemons if time.monotonic() - crashing.get(d.name, 0) > 5]
        if not candidates:
            continue
        victim = random.choice(candidates)
        victim.kill()
        restart(victim)
        done_kills += 1
    thread.join()
    # The last starts may still be set to crash: let them, then run them plainly.
    for daemon in daemons:
        if daemon.name in crashing:
            daemon.kill()
            crashing.pop(daemon.name)
            daemon.start()
    # Let them finish: nothing in drop/ or any work/.
    settled = wait_for(lambda: not drop_pending(drop) and all(d.settled() for d in daemons), 300, 0.2)
    deaths += sum(1 for d in daemons if not d.alive())
    statuses = [d.stop() for d in daemons]
    seconds = time.monotonic() - started

    expected = scan_ids(binary, [os.path.join(source, n) for n in names], os.path.join(base, "scan.key"))
    alerts, records, unparseable = [], [], 0
    for daemon in daemons:
        a, r, u = read_spool(daemon.spool)
        alerts += a
        records += r
        unparseable += u
    got = set(alerts)
    missing = len(expected - got)
    extra = len(got - expected)
    twice = duplicates(alerts) + duplicates(records)
    filed = {}
    for daemon in daemons:
        for name in daemon.directory("done") + [n for n in daemon.directory("quarantine")
                                                if not n.endswith(b".reason.json") and not n.startswith(b".")]:
            filed[name] = filed.get(name, 0) + 1
    lost = sum(1 for n in names if filed.get(n.encode(), 0) == 0)
    twice_filed = sum(1 for count in filed.values() if count > 1)
    stuck = len(drop_pending(drop)) + sum(len(d.directory("work")) for d in daemons)
    quarantined = sum(len([n for n in d.directory("quarantine") if not n.endswith(b".reason.json")
                           and not n.startswith(b".")]) for d in daemons)
    rotations = sum(spool_rotations(d.spool) for d in daemons)
    torn = redone = 0
    for daemon in daemons:
        with open(daemon.log, errors="replace") as handle:
            for line in handle:
                torn += "spool-repaired" in line
                if "redoing " in line:
                    redone += int(line.split("redoing ")[1].split()[0])
    ok = (settled and missing == 0 and extra == 0 and twice == 0 and unparseable == 0 and lost == 0
          and twice_filed == 0 and stuck == 0 and deaths == 0 and all(s == 0 for s in statuses)
          and done_kills >= kills)
    who = "1 daemon" if daemons_count == 1 else f"{daemons_count} daemons sharing one drop directory"
    row(test,
        f"{who}: {exports} exports, {done_kills} SIGKILLs at random + {injected} inside a spool write, "
        f"{rotations} spool rotations, {torn} torn spool lines cut, {redone} exports redone from work/, {len(expected)} alerts expected; missing {missing}, unexpected {extra}, duplicated {twice}, unparseable lines {unparseable}, "
        f"files lost {lost}, filed twice {twice_filed}, stuck {stuck}, quarantined {quarantined}, "
        f"deaths {deaths}, exit {statuses}; {seconds:.0f} s", ok)
    for daemon in daemons:
        daemon.close()


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},mode=0750", "tmpfs", path],
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode == 0


def unmount(path):
    subprocess.run(["umount", "-l", path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def fill(directory):
    """Fills the filesystem of `directory`; returns the filler file."""
    filler = os.path.join(directory, "filler")
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o600)
    block = b"\0" * 4096
    try:
        while True:
            os.write(descriptor, block)
    except OSError:
        pass
    try:
        while True:
            os.write(descriptor, block[:64])
    except OSError:
        pass
    os.close(descriptor)
    return filler


def full_disk(binary, root, where, exports=20):
    """The spool, the state directory or both on a small tmpfs that is full: intake pauses (STATUS
    says PAUSED), and once there is room every export is processed, exactly once."""
    test = f"full-disk-{where}"
    if os.getuid() != 0:
        row(test, "skipped: needs root to mount a tmpfs", False)
        return
    base = os.path.join(root, test)
    drop = os.path.join(base, "drop")
    state = os.path.join(base, "state")
    spool = os.path.join(base, "spool")
    source = os.path.join(base, "source")
    for directory in (drop, source, state, spool):
        os.makedirs(directory, exist_ok=True)
    mounts = []
    if where in ("spool", "both"):
        mounts.append(spool)
    if where in ("state", "both"):
        mounts.append(state)
    for path in mounts:
        if not mount_tmpfs(path, "1m"):
            row(test, "cannot mount a tmpfs", False)
            return
    daemon = Daemon(binary, base, "d", drop, state=state, spool=spool)
    try:
        ready = daemon.start_ready()
        fillers = [fill(path) for path in mounts]
        names = []
        for index in range(exports):
            name = f"{test}-{index:03d}.txt"
            data = export_text(index, test)
            with open(os.path.join(source, name), "wb") as handle:
                handle.write(data)
            drop_file(drop, name, data)
            names.append(name)
        paused = wait_for(lambda: "PAUSED" in daemon.notify.last_status(), 60)
        status = daemon.notify.last_status()
        waiting = len(drop_pending(drop)) + len(daemon.directory("work"))
        time.sleep(2)  # A few retries against the full disk.
        alive_while_full = daemon.alive()
        for filler in fillers:
            os.unlink(filler)
        started = time.monotonic()
        settled = wait_for(lambda: not drop_pending(drop) and daemon.settled()
                           and len(daemon.directory("done")) == exports, 120, 0.1)
        recovered_after = time.monotonic() - started
        cleared = wait_for(lambda: "PAUSED" not in daemon.notify.last_status()
                           and "last error: none" in daemon.notify.last_status(), 30)
        exit_status = daemon.stop()
        expected = scan_ids(binary, [os.path.join(source, n) for n in names], os.path.join(base, "scan.key"))
        alerts, records, unparseable = read_spool(spool)
        missing = len(expected - set(alerts))
        twice = duplicates(alerts) + duplicates(records)
        ok = (ready and paused and alive_while_full and settled and cleared and missing == 0 and twice == 0
              and unparseable == 0 and exit_status == 0 and waiting == exports)
        row(test,
            f"{exports} exports onto a full {'spool and state directory' if where == 'both' else where} "
            f"({'two tmpfs' if where == 'both' else 'a tmpfs'} of 1 MiB): PAUSED {'yes' if paused else 'no'} with {waiting} waiting; "
            f"all processed {recovered_after:.1f} s after space returned; missing {missing}, duplicated {twice}, "
            f"unparseable {unparseable}; STATUS cleared {'yes' if cleared else 'no'}; exit {exit_status}", ok)
        if not paused:
            print(f"      last STATUS: {status}")
    finally:
        daemon.close()
        for path in mounts:
            unmount(path)


GOOD_RULES = """\
- id: conduct.fault-campaign
  title: Fault campaign phrase
  category: conduct
  severity: low
  pattern: 'purple elephant \\d+'
  examples:
    match: ['a purple elephant 7']
    no-match: ['a grey elephant']
"""

BROKEN_RULES = "- id: conduct.broken\n  title: [unclosed\n"


def reload_storm(binary, root, reloads=100, exports=300):
    """`reloads` reloads alternating a good and a broken rule file while exports keep coming: the
    daemon stays up, good ones go live, broken ones are rejected, nothing is lost or doubled."""
    test = "reload-storm"
    base = os.path.join(root, test)
    drop = os.path.join(base, "drop")
    source = os.path.join(base, "source")
    rules = os.path.join(base, "rules")
    os.makedirs(drop)
    os.makedirs(source)
    shutil.copytree(RULES, rules)
    names = []
    for index in range(exports):
        name = f"{test}-{index:04d}.txt"
        with open(os.path.join(source, name), "wb") as handle:
            handle.write(export_text(index, test) + f"07/11/2021, 10:00 - PC A: purple elephant {index}\n".encode())
        names.append(name)
    daemon = Daemon(binary, base, "d", drop, rules=rules)
    ready = daemon.start_ready()
    dropped = threading.Event()

    def dropper():
        for name in names:
            with open(os.path.join(source, name), "rb") as handle:
                drop_file(drop, name, handle.read())
            time.sleep(0.02)
        dropped.set()

    thread = threading.Thread(target=dropper)
    started = time.monotonic()
    thread.start()
    accepted = rejected = unanswered = 0
    for index in range(reloads):
        with open(os.path.join(rules, "local.yml"), "w") as handle:
            handle.write(GOOD_RULES if index % 2 == 0 else BROKEN_RULES)
        result = subprocess.run([binary, "reload", "--pid", str(daemon.process.pid), "--state-dir", daemon.state,
                                 "--timeout", "30"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if result.returncode == 0:
            accepted += 1
        elif result.returncode == 1:
            rejected += 1
        else:
            unanswered += 1
    thread.join()
    settled = wait_for(lambda: not drop_pending(drop) and daemon.settled()
                       and len(daemon.directory("done")) == exports, 120, 0.1)
    alive = daemon.alive()
    exit_status = daemon.stop()
    seconds = time.monotonic() - started
    # Shipped rules' alert ids do not depend on the extra rule: all must be there, once.
    expected = scan_ids(binary, [os.path.join(source, n) for n in names], os.path.join(base, "scan.key"))
    alerts, records, unparseable = read_spool(daemon.spool)
    missing = len(expected - set(alerts))
    twice = duplicates(alerts) + duplicates(records)
    stuck = len(drop_pending(drop)) + len(daemon.directory("work"))
    ok = (ready and alive and settled and exit_status == 0 and accepted == reloads // 2
          and rejected == reloads - reloads // 2 and unanswered == 0 and missing == 0 and twice == 0
          and unparseable == 0 and stuck == 0)
    row(test,
        f"{reloads} reloads ({accepted} good accepted, {rejected} broken rejected, {unanswered} unanswered) "
        f"during {exports} exports; missing {missing}, duplicated {twice}, unparseable {unparseable}, "
        f"stuck {stuck}, alive {'yes' if alive else 'no'}, exit {exit_status}; {seconds:.0f} s", ok)
    daemon.close()


# ---------------------------------------------------------------------------------------------
# Hostile inputs


def zipped(members, method=zipfile.ZIP_DEFLATED):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def zip_with_symlink():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("_chat.txt", export_text(1))
        info = zipfile.ZipInfo("IMG-0001.jpg")
        info.create_system = 3
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def zip_bomb(megabytes):
    """A chat member of `megabytes` MB of zeros (ratio about 1000:1)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("_chat.txt", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(megabytes):
                member.write(block)
    return buffer.getvalue()


def zip_lying_about_size():
    """A member that inflates to far more than its headers declare."""
    data = bytearray(zipped([("_chat.txt", b"a" * (8 << 20))]))
    struct.pack_into("<I", data, 22, 1000)  # local header: uncompressed size
    central = data.find(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 1000)
    return bytes(data)


def zip_many_entries(count):
    return zipped([(f"IMG-{n}.jpg", b"") for n in range(count)] + [("_chat.txt", export_text(2))],
                  method=zipfile.ZIP_STORED)


def nested_zip(depth):
    data = zipped([("_chat.txt", export_text(3))])
    for _ in range(depth - 1):
        data = zipped([("_chat.txt", b"level\n"), ("n.zip", data)])
    return data


def encrypted_zip():
    data = bytearray(zipped([("_chat.txt", export_text(4))]))
    data[6] |= 1
    central = data.find(b"PK\x01\x02")
    data[central + 8] |= 1
    return bytes(data)


def utf16(text, little_endian, bom):
    encoded = text.decode().encode("utf-16-le" if little_endian else "utf-16-be")
    return ((b"\xff\xfe" if little_endian else b"\xfe\xff") if bom else b"") + encoded


def sparse(path, head, size):
    with open(path, "wb") as handle:
        handle.write(head)
        handle.truncate(size)


REDOS_RULES = """\
- id: conduct.redos-campaign
  title: Catastrophic backtracking
  category: conduct
  severity: low
  pattern: '(a|aa)+$'
  examples:
    match: ['aaaa']
    no-match: ['b']
"""


def hostile_inputs(binary, root):
    """≥ 40 hostile inputs, each followed by a normal export: the daemon stays up, the normal
    export is processed, the hostile one is processed or quarantined with a specific reason (or
    was gone), never left behind. Peak RSS stays under 256 MB."""
    base = os.path.join(root, "hostile")
    drop = os.path.join(base, "drop")
    rules = os.path.join(base, "rules")
    outside = os.path.join(base, "outside")
    os.makedirs(drop)
    os.makedirs(outside)
    shutil.copytree(RULES, rules)
    with open(os.path.join(outside, "secret.txt"), "wb") as handle:
        handle.write(b"OFFICIAL-SENSITIVE outside the drop directory\n")
    daemon = Daemon(binary, base, "d", drop, rules=rules, extra=["--time-budget", "20"])
    if not daemon.start_ready():
        row("hostile inputs", "the daemon did not start", False)
        return
    root_user = os.getuid() == 0
    long_name = "h" * 251 + ".txt"
    newline_free = bytearray(b"a" * (100 << 20))
    newline_free[60 << 20:(60 << 20) + 20] = b" OFFICIAL-SENSITIVE "
    one_message = bytearray(b"07/11/2021, 09:00 - PC Kev Marsh: start\n" + b"more of the same message\n" * 4_000_000)
    one_message += b"and OFFICIAL-SENSITIVE at the end\n"

    def write(name, data):
        return lambda: drop_file(drop, name, data)

    def still_being_written(name):
        def action():
            path = os.path.join(drop, name)
            with open(path, "wb") as handle:
                handle.write(export_text(5)[:40])
                handle.flush()
                time.sleep(1.0)
                handle.write(export_text(5)[40:])
        return action

    def removed_at_once(name):
        def action():
            drop_file(drop, name, export_text(6))
            try:
                os.unlink(os.path.join(drop, name))
            except FileNotFoundError:
                pass
        return action

    def unix_socket(name):
        def action():
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(os.path.join(drop, name))
            server.close()
        return action

    def redos(name):
        def action():
            with open(os.path.join(rules, "redos.yml"), "w") as handle:
                handle.write(REDOS_RULES)
            subprocess.run([binary, "reload", "--pid", str(daemon.process.pid), "--state-dir", daemon.state],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            drop_file(drop, name, b"".join(
                f"07/11/2021, 09:{m:02d} - PC A: {'a' * 5000}b\n".encode() for m in range(20)))
        return action

    def sparse_file(name, head, size):
        def action():
            staging = os.path.join(drop, f".staging-{name}")
            sparse(staging, head, size)
            os.rename(staging, os.path.join(drop, name))
        return action

    cases = [
        ("symlink to /etc/passwd", "link-passwd", lambda: os.symlink("/etc/passwd", os.path.join(drop, "link-passwd"))),
        ("dangling symlink", "link-dangling", lambda: os.symlink("/nonexistent", os.path.join(drop, "link-dangling"))),
        ("symlink to a directory", "link-dir", lambda: os.symlink(outside, os.path.join(drop, "link-dir"))),
        ("hard link to a file outside", "hardlink",
         lambda: os.link(os.path.join(outside, "secret.txt"), os.path.join(drop, "hardlink"))),
        ("FIFO", "fifo", lambda: os.mkfifo(os.path.join(drop, "fifo"))),
        ("socket", "socket", unix_socket("socket")),
        ("empty directory", "dir-empty", lambda: os.mkdir(os.path.join(drop, "dir-empty"))),
        ("directory with an export", "dir-full",
         lambda: (os.mkdir(os.path.join(drop, ".dir-full")), open(os.path.join(drop, ".dir-full", "x.txt"), "wb")
                  .write(export_text(7)), os.rename(os.path.join(drop, ".dir-full"), os.path.join(drop, "dir-full")))),
        ("unreadable file (mode 000)", "unreadable.txt",
         lambda: (drop_file(drop, ".u", export_text(8)), os.chmod(os.path.join(drop, ".u"), 0),
                  os.rename(os.path.join(drop, ".u"), os.path.join(drop, "unreadable.txt")))),
        ("file removed right after the drop", "removed.txt", removed_at_once("removed.txt")),
        ("file still being written", "slow.txt", still_being_written("slow.txt")),
        ("name not UTF-8", b"caf\xe9-\xff.txt", write(b"caf\xe9-\xff.txt", export_text(9))),
        ("name with a newline", "new\nline.txt", write("new\nline.txt", export_text(10))),
        ("name with control characters and a backslash", "ctl\t\x1b[31m\\x.txt",
         write("ctl\t\x1b[31m\\x.txt", export_text(11))),
        ("255-byte name", long_name, write(long_name, export_text(12))),
        ("255-byte name again", long_name, write(long_name, export_text(13))),
        ("empty file", "empty.txt", write("empty.txt", b"")),
        ("zip slip (../ entry)", "slip.zip", write("slip.zip", zipped([("_chat.txt", export_text(14)),
                                                                         ("../../evil.txt", b"x")]))),
        ("zip with an absolute entry", "absolute.zip",
         write("absolute.zip", zipped([("_chat.txt", export_text(15)), ("/etc/cron.d/evil", b"x")]))),
        ("zip with a symlink entry", "symlink.zip", write("symlink.zip", zip_with_symlink())),
        ("zip bomb (1 GB of zeros)", "bomb.zip", write("bomb.zip", zip_bomb(1024))),
        ("zip member lying about its size", "liar.zip", write("liar.zip", zip_lying_about_size())),
        ("zip with 20,000 entries", "entries.zip", write("entries.zip", zip_many_entries(20_000))),
        ("zip nested 10 deep", "nested.zip", write("nested.zip", nested_zip(10))),
        ("encrypted zip", "encrypted.zip", write("encrypted.zip", encrypted_zip())),
        ("truncated zip", "truncated.zip",
         write("truncated.zip", zipped([("_chat.txt", export_text(16) * 50)])[:300])),
        ("garbage after PK\\3\\4", "garbage.zip", write("garbage.zip", b"PK\x03\x04" + os.urandom(4000))),
        ("empty zip", "empty.zip", write("empty.zip", zipped([]))),
        ("zip holding a 40 MB line", "longline.zip",
         write("longline.zip", zipped([("_chat.txt", b"x" * (40 << 20) + b" OFFICIAL-SENSITIVE\n")]))),
        ("UTF-16 LE with BOM", "u16le-bom.txt", write("u16le-bom.txt", utf16(export_text(17), True, True))),
        ("UTF-16 LE without BOM", "u16le.txt", write("u16le.txt", utf16(export_text(18), True, False))),
        ("UTF-16 BE without BOM", "u16be.txt", write("u16be.txt", utf16(export_text(19), False, False))),
        ("2 GB of NUL bytes", "zeros.txt", sparse_file("zeros.txt", b"", 2 << 30)),
        ("5 GB file (over max-file-size)", "huge.txt", sparse_file("huge.txt", export_text(20), 5 << 30)),
        ("600 MB file starting PK\\3\\4", "huge.zip", sparse_file("huge.zip", b"PK\x03\x04", 600 << 20)),
        ("100 MB without a line break", "newline-free.txt", write("newline-free.txt", bytes(newline_free))),
        ("one 100 MB WhatsApp message", "one-message.txt", write("one-message.txt", bytes(one_message))),
        ("20 MB of CR only", "cr-only.txt", write("cr-only.txt", b"\r" * (20 << 20))),
        ("10 MB of line breaks", "newlines.txt", write("newlines.txt", b"\n" * (10 << 20))),
        ("20 MB line of emoji", "emoji.txt", write("emoji.txt", "🚓".encode() * (5 << 20))),
        ("random bytes", "random.bin", write("random.bin", bytes(random.getrandbits(8) | 1 for _ in range(1 << 20)))),
        ("invalid UTF-8 throughout", "invalid.txt",
         write("invalid.txt", export_text(21).replace(b"e", b"\xff\xfe"))),
        ("JSON array nesting bomb", "nest-array.json", write("nest-array.json", b"[" * 1_000_000 + b"]" * 1_000_000)),
        ("JSON object nesting bomb", "nest-object.json",
         write("nest-object.json", b'{"a":' * 200_000 + b"1" + b"}" * 200_000)),
        ("Telegram JSON, messages of the wrong type", "tg-wrong.json",
         write("tg-wrong.json", json.dumps({"name": "x", "type": "personal_chat", "id": 1,
                                            "messages": "not a list"}).encode())),
        ("Telegram JSON, fields of the wrong type", "tg-fields.json",
         write("tg-fields.json", json.dumps({"name": 5, "type": [], "id": "x", "messages": [
             {"id": "one", "type": 7, "date": None, "from": ["x"], "text": 123},
             {"id": 2, "type": "message", "date": "2021-11-07T09:00:00", "from": "PC A",
              "text": [{"type": "bold"}, 5, "OFFICIAL-SENSITIVE"]}]}).encode())),
        ("Telegram JSON cut short", "tg-cut.json",
         write("tg-cut.json", json.dumps({"name": "x", "type": "personal_chat", "id": 1, "messages": [
             {"id": 1, "type": "message", "date": "2021-11-07T09:00:00", "from": "A", "text": "hi"}]}).encode()[:70])),
        ("ReDoS rule on a matching export", "redos.txt", redos("redos.txt")),
    ]
    if root_user:
        cases.append(("character device", "device", lambda: os.mknod(os.path.join(drop, "device"),
                                                                      stat.S_IFCHR | 0o600, os.makedev(1, 3))))

    quarantine = os.path.join(daemon.state, "quarantine")
    done = os.path.join(daemon.state, "done")
    peak = 0
    failures = 0
    outcomes = {}
    started = time.monotonic()
    for index, (what, name, action) in enumerate(cases):
        key = os.fsencode(name)
        # Peak RSS per input: reset the high-water mark (clear_refs 5), read it once settled.
        try:
            with open(f"/proc/{daemon.process.pid}/clear_refs", "w") as handle:
                handle.write("5")
        except OSError:
            pass
        before_done = set(os.listdir(os.fsencode(done))) if os.path.isdir(done) else set()
        before_quarantine = set(os.listdir(os.fsencode(quarantine))) if os.path.isdir(quarantine) else set()
        action()
        normal = f"normal-{index:03d}.txt"
        drop_file(drop, normal, export_text(10_000 + index, "normal"))

        def settled():
            rss = daemon.memory("VmRSS") or 0
            nonlocal peak
            peak = max(peak, rss)
            return (normal.encode() in os.listdir(os.fsencode(done)) and key not in drop_pending(drop)
                    and not daemon.directory("work"))

        ok_settled = wait_for(settled, 180, 0.05)
        alive = daemon.alive()
        case_peak = daemon.memory("VmHWM") or 0
        peak = max(peak, case_peak)
        after_done = set(os.listdir(os.fsencode(done)))
        after_quarantine = set(os.listdir(os.fsencode(quarantine)))
        new_done = after_done - before_done - {normal.encode()}
        new_quarantine = [n for n in after_quarantine - before_quarantine
                          if not n.endswith(b".reason.json") and not n.startswith(b".lw-tmp-")]
        reasons = []
        for sidecar in after_quarantine - before_quarantine:
            if sidecar.endswith(b".reason.json"):
                with open(os.path.join(os.fsencode(quarantine), sidecar), "rb") as handle:
                    reasons.append(json.load(handle).get("reason", "?"))
        if new_quarantine:
            # Each quarantined entry has its sidecar with its reason code.
            outcome = "quarantined (" + ", ".join(sorted(reasons)) + ")"
            specific = len(reasons) == len(new_quarantine) and all(reason and reason != "?" for reason in reasons)
        elif new_done:
            outcome = "processed"
            specific = True
        elif name == "removed.txt":
            outcome = "gone before it was claimed"
            specific = True
        else:
            outcome = "LEFT BEHIND"
            specific = False
        passed = ok_settled and alive and specific
        outcomes[what] = outcome
        if not passed:
            failures += 1
        row(f"hostile: {what}", f"{outcome}; normal export after it processed: {'yes' if ok_settled else 'NO'}; "
            f"daemon alive: {'yes' if alive else 'NO'}; peak RSS {case_peak / (1 << 20):.0f} MB", passed)
        if not alive:
            daemon.start_ready()
    alerts, records, unparseable = read_spool(daemon.spool)
    rule_errors = 0
    with open(os.path.join(daemon.spool, "alerts.jsonl"), "rb") as handle:
        for line in handle:
            try:
                rule_errors += json.loads(line).get("kind") == "rule-error"
            except ValueError:
                pass
    exit_status = daemon.stop()
    row("hostile: summary",
        f"{len(cases)} hostile inputs in {time.monotonic() - started:.0f} s, {failures} failed; "
        f"unparseable spool lines {unparseable}, duplicated {duplicates(alerts) + duplicates(records)}, "
        f"rule-error records {rule_errors}; exit {exit_status}",
        failures == 0 and len(cases) >= 40 and unparseable == 0 and exit_status == 0
        and duplicates(alerts) + duplicates(records) == 0)
    row("hostile: peak RSS", f"{peak / (1 << 20):.0f} MB (limit {RSS_LIMIT >> 20} MB)", 0 < peak < RSS_LIMIT)
    daemon.close()


# ---------------------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(REPOSITORY, ".build", "release", "leakwatch"))
    parser.add_argument("--scale", type=float, default=1.0, help="multiply exports and kills (1.0: the issue's figures)")
    parser.add_argument("--only", action="append", default=[], help="run only campaigns whose name starts so")
    parser.add_argument("--keep", action="store_true", help="keep the scratch directory")
    parser.add_argument("--seed", type=int, default=None)
    options = parser.parse_args()
    binary = os.path.abspath(options.binary)
    if not os.access(binary, os.X_OK):
        sys.exit(f"faults: no binary at {binary} (make release-build)")
    seed = options.seed if options.seed is not None else random.randrange(1 << 30)
    random.seed(seed)
    root = tempfile.mkdtemp(prefix="leakwatch-faults-", dir="/var/tmp")
    print(f"leakwatch fault campaign: {binary}, seed {seed}, scratch {root}", flush=True)
    scale = options.scale
    campaigns = [
        ("kill-storm", lambda: storm(binary, root, "kill-storm", 1, int(1000 * scale), int(200 * scale))),
        ("shared-drop-2", lambda: storm(binary, root, "shared-drop-2", 2, int(1000 * scale), int(200 * scale))),
        ("shared-drop-3", lambda: storm(binary, root, "shared-drop-3", 3, int(1000 * scale), int(200 * scale))),
        ("full-disk-spool", lambda: full_disk(binary, root, "spool")),
        ("full-disk-state", lambda: full_disk(binary, root, "state")),
        ("full-disk-both", lambda: full_disk(binary, root, "both")),
        ("reload-storm", lambda: reload_storm(binary, root, max(100, int(100 * scale)), int(300 * scale))),
        ("hostile", lambda: hostile_inputs(binary, root)),
    ]
    started = time.monotonic()
    try:
        for name, campaign in campaigns:
            if options.only and not any(name.startswith(prefix) for prefix in options.only):
                continue
            print(f"{name} ...", flush=True)
            try:
                campaign()
            except Exception as error:  # A campaign that breaks is a failure, not a crash of the run.
                row(name, f"campaign error: {error!r}", False)
    finally:
        if not options.keep:
            shutil.rmtree(root, ignore_errors=True)
    failed = [r for r in ROWS if not r[2]]
    width = max(len(r[0]) for r in ROWS) if ROWS else 10
    print()
    print(f"{'test'.ljust(width)} | figure | pass/fail")
    print(f"{'-' * width}-|--------|----------")
    for test, figure, passed in ROWS:
        print(f"{test.ljust(width)} | {figure} | {'pass' if passed else 'FAIL'}")
    print()
    print(f"{len(ROWS) - len(failed)} of {len(ROWS)} passed in {time.monotonic() - started:.0f} s (seed {seed})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
