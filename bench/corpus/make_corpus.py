#!/usr/bin/env python3
"""Build leakwatch's own labelled development corpus.

Reads the hand-written chats in pools/chats/*.chat, the filler and event
pools for the big export (pools/big_*.txt), renders every chat in its export
layout (WhatsApp iOS/Android text, a WhatsApp zip, a Telegram Desktop JSON
export) into exports/, writes labels.json, fills the counts section of
README.md and prints a summary table.

Standard library only. Deterministic: every random choice comes from a
random.Random seeded per chat, so running it twice gives byte-identical files.

    python3 bench/corpus/make_corpus.py            # regenerate everything
    python3 bench/corpus/make_corpus.py --check    # regenerate into a temp dir and compare

The chat mini-language (pools/chats/*.chat) is described in README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
import io
import json
import os
import random
import re
import shutil
import sys
import tempfile
import zipfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
POOLS = os.path.join(HERE, "pools")

CATEGORIES = {
    "scene": "crime-scene-media",
    "loc": "location",
    "ref": "case-reference",
    "mark": "protective-marking",
    "pd": "personal-data",
    "intel": "intelligence",
    "conduct": "conduct",
}
CATEGORY_ORDER = list(CATEGORIES.values())

LRM = "\u200e"
NNBSP = "\u202f"

ENCRYPTION_IOS = ("Messages and calls are end-to-end encrypted. No one outside of this chat, "
                  "not even WhatsApp, can read or listen to them.")
ENCRYPTION_ANDROID = ENCRYPTION_IOS + " Tap to learn more."


class CorpusError(Exception):
    pass


# ---------------------------------------------------------------------------
# Check digits and realistic values
# ---------------------------------------------------------------------------

PNC_ALPHA = "ZABCDEFGHJKLMNPQRTUVWXY"


def pnc_check(yy: int, serial: int) -> str:
    return PNC_ALPHA[int(f"{yy:02d}{serial:07d}") % 23]


def nhs_check(first9: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1)))
    c = 11 - (total % 11)
    if c == 11:
        return 0
    if c == 10:
        return None
    return c


def nhs_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    if len(digits) != 10:
        return False
    c = nhs_check(digits[:9])
    return c is not None and c == int(digits[9])


def luhn_check_digit(partial: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(partial)):
        d = int(ch)
        if i % 2 == 0:  # these get doubled once the check digit is appended
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    digits = re.sub(r"\D", "", number)
    return luhn_check_digit(digits[:-1]) == int(digits[-1])


NINO_FIRST = "ABCEGHJKLMNPRSTWXYZ"          # not D F I Q U V
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"         # not D F I O Q U V
NINO_BAD_PREFIXES = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"}

S10_WEIGHTS = [8, 6, 4, 2, 3, 5, 9, 7]


def s10_check(serial8: str) -> int:
    total = sum(int(d) * w for d, w in zip(serial8, S10_WEIGHTS))
    c = 11 - total % 11
    return {10: 0, 11: 5}.get(c, c)


class Values:
    """Seeded generator of realistic identifiers (with correct check digits)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make):
        for _ in range(1000):
            v = make()
            if v not in self.used:
                self.used.add(v)
                return v
        raise CorpusError("could not make a unique value")

    # -- NHS numbers ------------------------------------------------------
    def nhs(self, style: str = "sp", valid: bool = True) -> str:
        def make():
            while True:
                first = self.rng.choice(["4", "4", "6", "7", "3"])
                nine = first + "".join(self.rng.choice("0123456789") for _ in range(8))
                c = nhs_check(nine)
                if valid and c is not None:
                    digits = nine + str(c)
                    break
                if not valid:
                    wrong = [d for d in range(10) if d != c]
                    digits = nine + str(self.rng.choice(wrong))
                    break
            assert nhs_valid(digits) == valid
            return digits
        d = self._unique(make)
        return self._fmt334(d, style)

    @staticmethod
    def _fmt334(d: str, style: str) -> str:
        if style == "plain":
            return d
        if style == "dash":
            return f"{d[:3]}-{d[3:6]}-{d[6:]}"
        return f"{d[:3]} {d[3:6]} {d[6:]}"

    # -- National Insurance numbers --------------------------------------
    def nino(self, style: str = "sp") -> str:
        def make():
            while True:
                p = self.rng.choice(NINO_FIRST) + self.rng.choice(NINO_SECOND)
                if p not in NINO_BAD_PREFIXES and p not in {"OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"}:
                    break
            digits = "".join(self.rng.choice("0123456789") for _ in range(6))
            return p + digits + self.rng.choice("ABCD")
        v = self._unique(make)
        if style == "plain":
            return v
        if style == "lower":
            return v.lower()
        return f"{v[:2]} {v[2:4]} {v[4:6]} {v[6:8]} {v[8]}"

    # -- Payment cards ------------------------------------------------------
    def card(self, brand: str = "visa", style: str = "sp", valid: bool = True) -> str:
        def make():
            if brand == "amex":
                prefix, length = self.rng.choice(["34", "37"]), 15
            elif brand == "mc":
                prefix, length = str(self.rng.randint(51, 55)), 16
            elif brand == "mc2":
                prefix, length = str(self.rng.randint(2221, 2720)), 16
            else:
                prefix, length = "4", 16
            body = prefix + "".join(self.rng.choice("0123456789") for _ in range(length - len(prefix) - 1))
            c = luhn_check_digit(body)
            if not valid:
                c = (c + self.rng.randint(1, 9)) % 10
            num = body + str(c)
            assert luhn_valid(num) == valid
            return num
        n = self._unique(make)
        if style == "plain":
            return n
        if brand == "amex":
            return f"{n[:4]} {n[4:10]} {n[10:]}"
        sep = "-" if style == "dash" else " "
        return sep.join(n[i:i + 4] for i in range(0, len(n), 4))

    # -- PNC IDs ------------------------------------------------------------
    def pnc(self, style: str = "short") -> str:
        def make():
            yy = self.rng.choice([3, 5, 8, 9, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 97, 98, 99])
            serial = self.rng.randint(1000, 999999)
            return f"{yy:02d}:{serial}"
        yy, serial = map(int, self._unique(make).split(":"))
        check = pnc_check(yy, serial)
        if style == "long":
            year = 1900 + yy if yy > 50 else 2000 + yy
            return f"{year}/{serial:07d}{check}"
        if style == "lower":
            return f"{yy:02d}/{serial}{check.lower()}"
        return f"{yy:02d}/{serial}{check}"

    # -- Phones (Ofcom drama ranges) ------------------------------------
    def mobile(self, style: str = "sp") -> str:
        tail = self._unique(lambda: f"{self.rng.randint(0, 999):03d}")
        if style == "plain":
            return f"07700900{tail}"
        if style == "+44":
            return f"+44 7700 900{tail}"
        if style == "+44b":
            return f"+44 (0)7700 900 {tail}"
        if style == "sp3":
            return f"07700 900 {tail}"
        return f"07700 900{tail}"

    LANDLINES = {
        "leeds": ("0113 496 0", 4), "ldn": ("020 7946 0", 4), "shef": ("0114 496 0", 4),
        "man": ("0161 496 0", 4), "bham": ("0121 496 0", 4), "brs": ("0117 496 0", 4),
        "newc": ("0191 498 0", 4), "notts": ("0115 496 0", 4), "1632": ("01632 960", 3),
    }

    def landline(self, area: str) -> str:
        prefix, _ = self.LANDLINES[area]
        width = 3
        tail = self._unique(lambda: f"{area}{self.rng.randint(0, 999):03d}")[len(area):]
        return prefix + tail[-width:]

    # -- Royal Mail S10 tracking -----------------------------------------
    def s10(self) -> str:
        serial = self._unique(lambda: "".join(self.rng.choice("0123456789") for _ in range(8)))
        return self.rng.choice(["RM", "JD", "TT", "KB", "LX"]) + serial + str(s10_check(serial)) + "GB"


PLACEHOLDER = re.compile(r"\{([A-Z0-9]+)(?::([a-z0-9+]+))?(?::([a-z0-9+]+))?\}")


def fill_placeholders(text: str, values: Values, where: str) -> str:
    def sub(m: re.Match) -> str:
        name, a, b = m.group(1), m.group(2), m.group(3)
        if name == "NHS":
            return values.nhs(a or "sp")
        if name == "NHSBAD":
            return values.nhs(a or "plain", valid=False)
        if name == "NINO":
            return values.nino(a or "sp")
        if name == "CARD":
            return values.card(a or "visa", b or "sp")
        if name == "CARDBAD":
            return values.card(a or "visa", b or "plain", valid=False)
        if name == "PNC":
            return values.pnc(a or "short")
        if name == "MOB":
            return values.mobile(a or "sp")
        if name == "TEL":
            return values.landline(a or "leeds")
        if name == "S10":
            return values.s10()
        raise CorpusError(f"{where}: unknown placeholder {m.group(0)}")
    return PLACEHOLDER.sub(sub, text)


# ---------------------------------------------------------------------------
# The chat mini-language
# ---------------------------------------------------------------------------

class Label:
    def __init__(self, category: str, kind: str):
        self.category = category
        self.kind = kind


class Msg:
    def __init__(self, sender: str | None, text: str, where: str):
        self.sender = sender          # None for a system line
        self.text = text
        self.where = where            # source file:line, for errors
        self.labels: list[Label] = []
        self.traps: list[str] = []
        self.note: str | None = None
        self.span: list[str] = []     # "prev" / "next"
        self.gap: dt.timedelta | None = None
        self.at: dt.datetime | None = None
        self.reply: str | None = None
        self.edited = False
        # filled when rendered: locators of the message(s) this one became
        self.locators: list = []
        self.ts: dt.datetime | None = None

    @property
    def attachment(self):
        m = re.match(r"<(photo|video|gif|sticker|audio|doc|deleted)(?: ([^>]+))?>\s*", self.text)
        if not m:
            return None, self.text
        return (m.group(1), m.group(2)), self.text[m.end():]


GAP_RE = re.compile(r"^\+(\d+)([smhd])$")


def parse_gap(token: str, where: str) -> dt.timedelta:
    m = GAP_RE.match(token)
    if not m:
        raise CorpusError(f"{where}: bad gap {token!r}")
    n, unit = int(m.group(1)), m.group(2)
    return {"s": dt.timedelta(seconds=n), "m": dt.timedelta(minutes=n),
            "h": dt.timedelta(hours=n), "d": dt.timedelta(days=n)}[unit]


def parse_when(arg: str, where: str) -> dt.datetime:
    for fmt in ("%Y-%m-%d %H:%M", "%Y-%m-%d %I:%M %p"):
        try:
            return dt.datetime.strptime(arg, fmt)
        except ValueError:
            pass
    raise CorpusError(f"{where}: bad time {arg!r}")


def parse_annotation(msg: Msg, body: str, where: str) -> None:
    note = None
    if " note=" in " " + body:
        idx = (" " + body).index(" note=")
        note = body[idx + 5:].strip() if idx > 0 else body[5:].strip()
        body = body[:max(idx - 1, 0)] if idx > 0 else ""
    if note:
        msg.note = note
    for tok in body.split():
        if tok[0] in "+~":
            kind = "pos" if tok[0] == "+" else "neutral"
            short = tok[1:]
            if short not in CATEGORIES:
                raise CorpusError(f"{where}: unknown category {short!r}")
            msg.labels.append(Label(CATEGORIES[short], kind))
        elif tok.startswith("trap="):
            msg.traps.extend(t for t in tok[5:].split(",") if t)
        elif tok.startswith("span="):
            msg.span.append(tok[5:])
        elif tok.startswith("reply="):
            msg.reply = tok[6:]
        elif tok == "edited":
            msg.edited = True
        else:
            raise CorpusError(f"{where}: bad annotation token {tok!r}")
    if any(l.kind == "pos" for l in msg.labels) and msg.traps:
        raise CorpusError(f"{where}: a near-miss (trap) must not carry a positive label")


class Chat:
    def __init__(self, path: str):
        self.path = path
        self.meta: dict[str, str] = {}
        self.aliases: dict[str, str] = {}
        self.messages: list[Msg] = []


def parse_chat(path: str) -> Chat:
    chat = Chat(path)
    pending_gap: dt.timedelta | None = None
    pending_at: dt.datetime | None = None
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    name = os.path.basename(path)
    for no, raw in enumerate(lines, 1):
        where = f"{name}:{no}"
        line = raw.rstrip("\r")
        if line.rstrip() == "" or line.startswith("#"):
            continue
        if line == "|" or line.startswith("| "):
            if not chat.messages:
                raise CorpusError(f"{where}: continuation before any message")
            chat.messages[-1].text += "\n" + line[2:]
            continue
        if line.startswith("!!"):
            if not chat.messages:
                raise CorpusError(f"{where}: annotation before any message")
            parse_annotation(chat.messages[-1], line[2:].strip(), where)
            continue
        if line.startswith("@"):
            arg = line[1:].strip()
            if arg.startswith("+"):
                pending_gap = parse_gap(arg, where)
            else:
                pending_at = parse_when(arg, where)
            continue
        if line.startswith("%%"):
            msg = Msg(None, line[2:].strip(), where)
        elif line.startswith("%"):
            key, _, value = line[1:].partition(" ")
            if key == "alias":
                short, _, full = value.partition("=")
                chat.aliases[short.strip()] = full.strip()
            else:
                chat.meta[key] = value.strip()
            continue
        else:
            sender, sep, text = line.partition(": ")
            if not sep:
                if line.endswith(":"):
                    sender, text = line[:-1], ""
                else:
                    raise CorpusError(f"{where}: expected 'Sender: text', got {line!r}")
            sender = chat.aliases.get(sender.strip(), sender.strip())
            msg = Msg(sender, text, where)
        msg.gap, msg.at = pending_gap, pending_at
        pending_gap = pending_at = None
        chat.messages.append(msg)
    return chat


# ---------------------------------------------------------------------------
# Timestamps
# ---------------------------------------------------------------------------

def natural_gap(rng: random.Random) -> dt.timedelta:
    r = rng.random()
    if r < 0.60:
        s = rng.randint(5, 90)
    elif r < 0.88:
        s = rng.randint(90, 600)
    elif r < 0.98:
        s = rng.randint(600, 2400)
    else:
        s = rng.randint(2400, 2 * 3600)
    return dt.timedelta(seconds=s)


def assign_times(chat: Chat, rng: random.Random) -> None:
    start = dt.datetime.strptime(chat.meta["start"], "%Y-%m-%d %H:%M") + dt.timedelta(seconds=rng.randint(0, 59))
    t = start
    for i, m in enumerate(chat.messages):
        if m.at is not None:
            if m.at < t:
                raise CorpusError(f"{m.where}: time {m.at} goes backwards (now {t})")
            t = m.at + dt.timedelta(seconds=rng.randint(0, 59))
        elif m.gap is not None:
            t = t + m.gap + dt.timedelta(seconds=rng.randint(0, 20))
        elif i > 0:
            t = t + natural_gap(rng)
        m.ts = t


# ---------------------------------------------------------------------------
# WhatsApp layouts
# ---------------------------------------------------------------------------

LAYOUTS = {"ios24", "ios12", "android24", "android12", "androidus"}


def ampm(t: dt.datetime, upper: bool) -> tuple[int, str]:
    h = t.hour % 12 or 12
    suffix = "AM" if t.hour < 12 else "PM"
    return h, (suffix if upper else suffix.lower())


def header(layout: str, t: dt.datetime, nnbsp: bool) -> str:
    sp = NNBSP if nnbsp else " "
    if layout == "ios24":
        return f"[{t:%d/%m/%Y}, {t:%H:%M:%S}]"
    if layout == "ios12":
        h, s = ampm(t, upper=False)
        return f"[{t:%d/%m/%Y}, {h}:{t:%M:%S}{sp}{s}]"
    if layout == "android24":
        return f"{t:%d/%m/%Y}, {t:%H:%M} -"
    if layout == "android12":
        h, s = ampm(t, upper=False)
        return f"{t:%d/%m/%Y}, {h}:{t:%M}{sp}{s} -"
    if layout == "androidus":
        h, s = ampm(t, upper=True)
        return f"{t.month}/{t.day}/{t:%y}, {h}:{t:%M}{sp}{s} -"
    raise CorpusError(f"unknown layout {layout}")


IOS_KINDS = {"photo": ("PHOTO", "jpg", "image omitted"), "video": ("VIDEO", "mp4", "video omitted"),
             "gif": ("GIF", "mp4", "GIF omitted"), "sticker": ("STICKER", "webp", "sticker omitted"),
             "audio": ("AUDIO", "opus", "audio omitted")}
ANDROID_KINDS = {"photo": ("IMG", "jpg"), "video": ("VID", "mp4"), "gif": ("VID", "mp4"),
                 "sticker": ("STK", "webp"), "audio": ("PTT", "opus")}


class WhatsAppRenderer:
    def __init__(self, chat: Chat, rng: random.Random):
        self.chat = chat
        self.rng = rng
        self.layout = chat.meta["layout"]
        if self.layout not in LAYOUTS:
            raise CorpusError(f"{chat.path}: layout must be one of {sorted(LAYOUTS)}")
        self.media = chat.meta.get("media", "attached")
        self.nnbsp = chat.meta.get("nnbsp", "no") == "yes"
        self.title = chat.meta.get("title", "Group")
        self.ios = self.layout.startswith("ios")
        self.lines: list[str] = []
        self.media_files: list[tuple[str, bytes]] = []
        self.counter = int(chat.meta.get("media_start", "3"))
        self.wa_counter: dict[str, int] = {}
        self.message_count = 0

    def _emit(self, t: dt.datetime, sender: str | None, body: str, lrm: bool = False) -> int:
        line_no = len(self.lines) + 1
        h = header(self.layout, t, self.nnbsp)
        if self.ios:
            who = sender if sender is not None else self.title
            prefix = LRM if lrm else ""
            first = f"{prefix}{h} {who}: {body}"
        else:
            first = f"{h} {body}" if sender is None else f"{h} {sender}: {body}"
        self.lines.extend(first.split("\n"))
        self.message_count += 1
        return line_no

    def _attachment_body(self, kind: str, name: str | None, t: dt.datetime) -> str:
        if kind == "deleted":
            return f"{LRM}This message was deleted." if self.ios else "This message was deleted"
        if kind == "doc":
            if self.media == "omitted":
                return f"{LRM}document omitted" if self.ios else "<Media omitted>"
            if self.ios:
                self.counter += 1
                fname = f"{self.counter:08d}-{name}"
                self.media_files.append((fname, placeholder_bytes(fname)))
                return f"{LRM}<attached: {fname}>"
            self.media_files.append((name, placeholder_bytes(name)))
            return f"{name} (file attached)"
        if self.media == "omitted":
            return f"{LRM}{IOS_KINDS[kind][2]}" if self.ios else "<Media omitted>"
        if self.ios:
            self.counter += 1
            tag, ext, _ = IOS_KINDS[kind]
            fname = f"{self.counter:08d}-{tag}-{t:%Y-%m-%d-%H-%M-%S}.{ext}"
            self.media_files.append((fname, placeholder_bytes(fname)))
            return f"{LRM}<attached: {fname}>"
        tag, ext = ANDROID_KINDS[kind]
        day = f"{t:%Y%m%d}"
        n = self.wa_counter.get(day, 0)
        self.wa_counter[day] = n + 1
        fname = f"{tag}-{day}-WA{n:04d}.{ext}"
        self.media_files.append((fname, placeholder_bytes(fname)))
        return f"{fname} (file attached)"

    def render(self) -> None:
        t0 = self.chat.messages[0].ts
        enc = ENCRYPTION_IOS if self.ios else ENCRYPTION_ANDROID
        if self.ios:
            self._emit(t0, None, f"{LRM}{enc}", lrm=True)
        else:
            self._emit(t0, None, enc)
        for m in self.chat.messages:
            if m.sender is None:
                body = f"{LRM}{m.text}" if self.ios else m.text
                m.locators = [self._emit(m.ts, None, body, lrm=True)]
                continue
            att, caption = m.attachment
            if att is None:
                m.locators = [self._emit(m.ts, m.sender, m.text)]
                continue
            kind, name = att
            body = self._attachment_body(kind, name, m.ts)
            if kind == "deleted":
                m.locators = [self._emit(m.ts, m.sender, body, lrm=self.ios)]
                continue
            separate_caption = self.ios or self.media == "omitted"
            if caption and not separate_caption:
                body += "\n" + caption
            m.locators = [self._emit(m.ts, m.sender, body, lrm=self.ios)]
            if caption and separate_caption:
                m.locators.append(self._emit(m.ts + dt.timedelta(seconds=self.rng.randint(2, 9)), m.sender, caption))

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def placeholder_bytes(name: str) -> bytes:
    """Tiny stand-in media: right magic bytes, the file's own name inside."""
    tag = name.encode()
    if name.endswith(".jpg"):
        com = b"leakwatch corpus placeholder " + tag
        return b"\xff\xd8\xff\xfe" + (len(com) + 2).to_bytes(2, "big") + com + b"\xff\xd9"
    if name.endswith(".mp4"):
        return b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + tag
    if name.endswith(".webp"):
        return b"RIFF\x10\x00\x00\x00WEBPVP8 " + tag
    if name.endswith(".opus"):
        return b"OggS\x00\x02" + tag
    if name.endswith(".pdf"):
        return b"%PDF-1.4\n% leakwatch corpus placeholder " + tag + b"\n%%EOF\n"
    return b"placeholder " + tag


# ---------------------------------------------------------------------------
# Telegram Desktop JSON
# ---------------------------------------------------------------------------

def last_sunday(year: int, month: int) -> dt.date:
    d = dt.date(year, month + 1, 1) - dt.timedelta(days=1)
    return d - dt.timedelta(days=(d.weekday() + 1) % 7)


def london_to_unix(t: dt.datetime) -> int:
    """Europe/London local time to Unix time (BST from the last Sunday of
    March 01:00 UTC to the last Sunday of October 01:00 UTC)."""
    start = dt.datetime.combine(last_sunday(t.year, 3), dt.time(1, 0))
    end = dt.datetime.combine(last_sunday(t.year, 10), dt.time(1, 0))
    utc_guess = t - dt.timedelta(hours=1)
    offset = 1 if start <= utc_guess < end else 0
    utc = t - dt.timedelta(hours=offset)
    return int((utc - dt.datetime(1970, 1, 1)).total_seconds())


ENTITY_RE = re.compile(
    r"(?P<link>https?://\S+)|(?P<email>[\w.+-]+@[\w-]+\.[\w.-]*\w)|(?P<mention>(?<!\w)@\w{4,})"
    r"|(?P<hashtag>(?<![\w&])#[A-Za-z]\w+)|(?P<bold>\*\*[^*\n]+\*\*)"
    r"|(?P<phone>(?<![\w+])(?:\+44 ?|0)7\d{3} ?\d{3} ?\d{3}(?!\d))")


def telegram_text(raw: str):
    """Plain string when there are no entities, else the array form, as
    Telegram Desktop writes it; text_entities always."""
    parts, entities, pos = [], [], 0
    for m in ENTITY_RE.finditer(raw):
        if m.start() > pos:
            parts.append(raw[pos:m.start()])
            entities.append({"type": "plain", "text": raw[pos:m.start()]})
        kind = m.lastgroup
        text = m.group(0)[2:-2] if kind == "bold" else m.group(0)
        parts.append({"type": kind, "text": text})
        entities.append({"type": kind, "text": text})
        pos = m.end()
    if pos < len(raw):
        parts.append(raw[pos:])
        entities.append({"type": "plain", "text": raw[pos:]})
    if all(isinstance(p, str) for p in parts):
        s = "".join(parts)
        return s, ([{"type": "plain", "text": s}] if s else [])
    return parts, entities


def render_telegram(chat: Chat, rng: random.Random) -> tuple[str, int]:
    chat_id = int(chat.meta["tg_id"])
    user_ids: dict[str, str] = {}

    def uid(name: str) -> str:
        if name not in user_ids:
            user_ids[name] = f"user{5000000000 + (zlib.crc32(name.encode()) % 900000000)}"
        return user_ids[name]

    out, next_id = [], int(chat.meta.get("first_id", "1"))
    photo_no = 0
    by_index: dict[int, int] = {}
    for i, m in enumerate(chat.messages):
        t = m.ts
        base = {"id": next_id, "type": "message", "date": t.strftime("%Y-%m-%dT%H:%M:%S"),
                "date_unixtime": str(london_to_unix(t))}
        if m.sender is None:
            actor, _, rest = m.text.partition(" | ")
            action, _, arg = rest.partition(" ")
            base["type"] = "service"
            base["actor"] = actor
            base["actor_id"] = uid(actor)
            if action == "create_group":
                base.update({"action": "create_group", "title": chat.meta["title"], "members": [actor]})
            elif action == "invite_members":
                base.update({"action": "invite_members", "members": [s.strip() for s in arg.split(",")]})
            elif action == "remove_members":
                base.update({"action": "remove_members", "members": [s.strip() for s in arg.split(",")]})
            elif action == "pin_message":
                base.update({"action": "pin_message", "message_id": by_index[i + int(arg)]})
            elif action == "edit_group_title":
                base.update({"action": "edit_group_title", "title": arg})
            else:
                raise CorpusError(f"{m.where}: unknown Telegram service action {action!r}")
            base["text"] = ""
            base["text_entities"] = []
        else:
            base["from"] = m.sender
            base["from_id"] = uid(m.sender)
            if m.reply:
                base["reply_to_message_id"] = by_index[i + int(m.reply)]
            att, caption = m.attachment
            if att is not None:
                kind, name = att
                if kind == "photo":
                    photo_no += 1
                    base["photo"] = f"photos/photo_{photo_no}@{t:%d-%m-%Y_%H-%M-%S}.jpg"
                    base["photo_file_size"] = rng.randint(60000, 420000)
                    base["width"], base["height"] = rng.choice([(1280, 960), (960, 1280), (1280, 720), (720, 1280)])
                elif kind == "video":
                    base["file"] = f"video_files/VID_{t:%Y%m%d_%H%M%S}.mp4"
                    base["file_name"] = f"VID_{t:%Y%m%d_%H%M%S}.mp4"
                    base["file_size"] = rng.randint(900000, 9000000)
                    base["media_type"] = "video_file"
                    base["mime_type"] = "video/mp4"
                    base["duration_seconds"] = rng.randint(4, 70)
                elif kind == "doc":
                    base["file"] = f"files/{name}"
                    base["file_name"] = name
                    base["file_size"] = rng.randint(40000, 900000)
                    base["mime_type"] = "application/pdf" if name.endswith(".pdf") else "application/octet-stream"
                elif kind == "sticker":
                    base["file"] = "stickers/sticker.webp"
                    base["file_size"] = 24000
                    base["media_type"] = "sticker"
                    base["sticker_emoji"] = caption.strip() or "👍"
                    caption = ""
                elif kind == "audio":
                    base["file"] = f"voice_messages/audio_{photo_no + 1}@{t:%d-%m-%Y_%H-%M-%S}.ogg"
                    base["media_type"] = "voice_message"
                    base["mime_type"] = "audio/ogg"
                    base["duration_seconds"] = rng.randint(3, 40)
                else:
                    raise CorpusError(f"{m.where}: {kind} not supported in Telegram")
            if m.edited:
                et = t + dt.timedelta(seconds=rng.randint(20, 300))
                base["edited"] = et.strftime("%Y-%m-%dT%H:%M:%S")
                base["edited_unixtime"] = str(london_to_unix(et))
            text, entities = telegram_text(caption if att is not None else m.text)
            base["text"] = text
            base["text_entities"] = entities
        by_index[i] = next_id
        m.locators = [str(next_id)]
        out.append(base)
        next_id += rng.choice([1, 1, 1, 1, 2])  # deleted messages leave gaps in ids
    doc = {"name": chat.meta["title"], "type": "private_group", "id": chat_id, "messages": out}
    return json.dumps(doc, ensure_ascii=False, indent=1) + "\n", len(out)


# ---------------------------------------------------------------------------
# The big export
# ---------------------------------------------------------------------------

SLOTS = {
    "PLACE": ["Greggs", "the Co-op", "Tesco Express", "the big Asda", "the chippy on the corner", "Costa",
              "the garage", "Maccies", "the canteen", "Subway", "the Spar", "Morrisons", "Nando's", "the cafe by the station"],
    "FOOD": ["bacon butty", "sausage roll", "meal deal", "cheese toastie", "chicken wrap", "jacket spud",
             "steak bake", "pasta pot", "fry up", "curry", "pizza", "kebab", "porridge", "fish and chips"],
    "TIME": ["0700", "0715", "1400", "1500", "2200", "2300", "7", "half 2", "10ish", "12", "1300", "half 6"],
    "CAR": ["the Astra", "the van", "the Focus", "car 4", "the BMW", "the Volvo", "car 12", "the Transit", "the Octavia", "the spare car"],
    "DAY": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "TEAMFC": ["Leeds", "United", "City", "Villa", "Forest", "Wednesday", "the Blades", "Newcastle", "Spurs", "Palace", "Rovers", "the Owls"],
    "N": ["2", "3", "4", "5", "6"],
    "ROAD": ["the bypass", "the A61", "Sheffield Road", "the ring road", "the M1", "Derby Road",
             "the Hornsbridge roundabout", "Chatsworth Road", "the A617", "Newbold Road"],
    "NAME": ["Jen", "Craig", "Hayley", "Mo", "Daz", "Lucy", "Tim", "Kelly", "Robbo", "Sian", "Ade", "Gail"],
    "JOB": ["a domestic", "the shoplifter at Tesco", "an RTC on the bypass", "a concern for welfare", "a noise complaint",
            "a missing from home", "a drunk in the town centre", "a criminal damage", "a neighbour dispute",
            "a road rage", "a shed break", "a fail to stop", "a suspicious vehicle", "a nuisance youths call",
            "a theft from motor vehicle", "an alarm activation", "a mental health job", "a found child"],
}


def parse_threads(path: str, allow_annotations: bool) -> list[list]:
    """Threads separated by blank lines; roles A-E; '| ' continuations; '@ +Nm' gaps; '!!' annotations."""
    threads, cur = [], []
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    for no, raw in enumerate(lines, 1):
        where = f"{name}:{no}"
        line = raw.rstrip("\r")
        if line.startswith("#"):
            continue
        if line.strip() == "":
            if cur:
                threads.append(cur)
                cur = []
            continue
        if line == "%any":
            cur.append({"any": True})
            continue
        if line in ("%morning", "%evening", "%night"):
            cur.append({"when": line[1:]})
            continue
        if line == "|" or line.startswith("| "):
            cur[-1]["text"] += "\n" + line[2:]
        elif line.startswith("@"):
            cur.append({"gap": parse_gap(line[1:].strip(), where)})
        elif line.startswith("!!"):
            if not allow_annotations:
                raise CorpusError(f"{where}: filler must not carry labels")
            msgs = [x for x in cur if "role" in x]
            m = Msg("x", msgs[-1]["text"], where)
            parse_annotation(m, line[2:].strip(), where)
            msgs[-1].setdefault("labels", []).extend(m.labels)
            msgs[-1].setdefault("traps", []).extend(m.traps)
            msgs[-1].setdefault("span", []).extend(m.span)
            if m.note:
                msgs[-1]["note"] = m.note
        elif line.startswith("%%"):
            cur.append({"role": None, "text": line[2:].strip(), "where": where})
        else:
            role, sep, text = line.partition(": ")
            if not sep or role not in ("A", "B", "C", "D", "E"):
                raise CorpusError(f"{where}: expected 'A: text' .. 'E: text', got {line!r}")
            cur.append({"role": role, "text": text, "where": where})
    if cur:
        threads.append(cur)
    return threads


TODAY_RE = re.compile(r"\[TODAY(U?)([+-]\d+)?:([^\]]+)\]")


def fill_today(text: str, t: dt.datetime) -> str:
    """[TODAY+3:%d/%m] -> the message's date plus 3 days in that format; TODAYU upper-cases it."""
    def sub(m: re.Match) -> str:
        day = t + dt.timedelta(days=int(m.group(2) or 0))
        out = day.strftime(m.group(3))
        return out.upper() if m.group(1) else out
    return TODAY_RE.sub(sub, text)


RANKS = {"Sgt", "PS", "PC", "DC", "DS", "Insp", "PCSO", "SC", "DI", "DCI"}


def first_name(member: str) -> str:
    words = [w for w in member.split() if w not in RANKS]
    return words[0] if words else member


def build_big(meta: dict, rng: random.Random, values: Values) -> Chat:
    filler = parse_threads(os.path.join(POOLS, "big_filler.txt"), allow_annotations=False)
    events = parse_threads(os.path.join(POOLS, "big_events.txt"), allow_annotations=True)
    members = [s.strip() for s in meta["members"].split(",")]
    weights = [max(1, 14 - i) for i in range(len(members))]
    target = int(meta["messages"])
    min_event_index = int(meta["events_after"])

    chat = Chat(os.path.join(POOLS, "big_filler.txt"))
    chat.meta = dict(meta)

    # Plan: filler threads until the target; events spread over the part after min_event_index.
    event_slots = sorted(rng.sample(range(min_event_index + 50, target - 100, 7), len(events)))
    event_queue = list(zip(event_slots, events))
    # Stories (threads without %any) are used at most story_max_uses times, spread evenly over the
    # export; generic threads (%any) fill the rest. No thread repeats within the last 40 picked.
    unlimited = [any(item.get("any") for item in th) for th in filler]
    max_uses = int(meta.get("story_max_uses", "3"))
    stories = [i for i in range(len(filler)) if not unlimited[i]] * max_uses
    rng.shuffle(stories)
    generics = [i for i in range(len(filler)) if unlimited[i]]
    avg_len = sum(sum(1 for x in th if "role" in x) for th in filler) / len(filler)
    recent: list[int] = []

    t = dt.datetime.strptime(meta["start"], "%Y-%m-%d %H:%M")
    count = 0

    def fill_slots(text: str) -> str:
        return re.sub(r"\[([A-Z]+)\]", lambda m: rng.choice(SLOTS[m.group(1)]), text)

    def next_clock(t: dt.datetime, first_in_thread: bool) -> dt.datetime:
        if first_in_thread:
            r = rng.random()
            gap = rng.randint(60, 900) if r < 0.40 else rng.randint(900, 5400) if r < 0.85 else rng.randint(5400, 16000)
        else:
            gap = rng.randint(6, 240)
        t2 = t + dt.timedelta(seconds=gap)
        # quiet hours: mostly nothing between 01:00 and 06:00 unless on nights
        if 1 <= t2.hour < 6 and rng.random() < 0.8:
            t2 = t2.replace(hour=6, minute=0, second=rng.randint(0, 59)) + dt.timedelta(minutes=rng.randint(0, 170))
        return t2

    hours = {"morning": range(5, 12), "evening": range(17, 24), "night": [20, 21, 22, 23, 0, 1, 2, 3]}
    when = [next((item["when"] for item in th if "when" in item), None) for th in filler]

    def fits(idx: int) -> bool:
        """A thread tagged %morning/%evening/%night only starts at a fitting hour."""
        if when[idx] is None:
            return True
        return (t + dt.timedelta(minutes=20)).hour in hours[when[idx]]

    def pick_filler() -> int:
        steps_left = max(1.0, (target - count) / avg_len)
        for _ in range(50):
            if stories and rng.random() < len(stories) / steps_left:
                idx = stories[-1]
                if idx in recent or not fits(idx):
                    rng.shuffle(stories)
                    continue
                stories.pop()
            else:
                idx = rng.choice(generics)
                if idx in recent or not fits(idx):
                    continue
            return idx
        return rng.choice([i for i in generics if when[i] is None])

    while count < target:
        if event_queue and count >= event_queue[0][0]:
            _, thread = event_queue.pop(0)
            is_event = True
        else:
            idx = pick_filler()
            recent = (recent + [idx])[-40:]
            thread = filler[idx]
            is_event = False
        cast = rng.sample(range(len(members)), 5)
        cast.sort(key=lambda k: -weights[k] * rng.random())
        roles = {r: members[cast[i]] for i, r in enumerate("ABCDE")}
        first = True
        pending = None
        for item in thread:
            if "any" in item or "when" in item:
                continue
            if "gap" in item:
                pending = item["gap"]
                continue
            if pending is not None:
                t = t + pending + dt.timedelta(seconds=rng.randint(0, 30))
                pending = None
            else:
                t = next_clock(t, first)
            first = False
            text = re.sub(r"\[=([A-E])\]", lambda m: first_name(roles[m.group(1)]), item["text"])
            text = fill_slots(text)
            text = fill_today(text, t)
            text = fill_placeholders(text, values, item["where"])
            sender = roles[item["role"]] if item["role"] else None
            if sender is None:
                text = re.sub(r"\b([A-E])\b", lambda m: roles[m.group(1)], text)
            msg = Msg(sender, text, item["where"])
            msg.ts = t
            msg.labels = item.get("labels", [])
            msg.traps = item.get("traps", [])
            msg.span = item.get("span", [])
            msg.note = item.get("note")
            if is_event:
                msg.event = True
            chat.messages.append(msg)
            count += 1
    return chat


# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------

def label_entries(chat: Chat) -> list[dict]:
    entries = []
    msgs = chat.messages
    for i, m in enumerate(msgs):
        for lab in m.labels:
            at = list(m.locators)
            for s in m.span:
                other = msgs[i - 1] if s == "prev" else msgs[i + 1]
                at = (other.locators + at) if s == "prev" else (at + other.locators)
            e = {"at": at, "category": lab.category, "kind": lab.kind}
            if m.note:
                e["note"] = m.note
            entries.append(e)
    entries.sort(key=lambda e: (int(e["at"][0]), CATEGORY_ORDER.index(e["category"])))
    return entries


def write_file(path: str, data: bytes) -> None:
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def make_zip(path: str, chat_text: str, media: list[tuple[str, bytes]], when: dt.datetime) -> None:
    buf = io.BytesIO()
    stamp = (when.year, when.month, when.day, when.hour, when.minute, when.second - when.second % 2)
    with zipfile.ZipFile(buf, "w") as z:
        info = zipfile.ZipInfo("_chat.txt", date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        info.create_system = 3
        z.writestr(info, chat_text.encode("utf-8"))
        for name, data in media:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            z.writestr(info, data)
    write_file(path, buf.getvalue())


class Stats:
    def __init__(self):
        self.rows = []              # per file
        self.pos = {c: 0 for c in CATEGORY_ORDER}
        self.neu = {c: 0 for c in CATEGORY_ORDER}
        self.traps: dict[str, int] = {}
        self.near_miss_messages = 0
        self.labelled_messages = 0
        self.messages = 0


def collect(stats: Stats, name: str, layout: str, chat: Chat, rendered_count: int, entries: list[dict]) -> None:
    per = {c: [0, 0] for c in CATEGORY_ORDER}
    for e in entries:
        per[e["category"]][0 if e["kind"] == "pos" else 1] += 1
        (stats.pos if e["kind"] == "pos" else stats.neu)[e["category"]] += 1
    near = 0
    for m in chat.messages:
        if m.traps:
            near += 1
            for t in m.traps:
                stats.traps[t] = stats.traps.get(t, 0) + 1
        if m.labels:
            stats.labelled_messages += 1
    stats.near_miss_messages += near
    stats.messages += rendered_count
    stats.rows.append((name, layout, rendered_count, per, near))


def build(out_dir: str, quiet: bool = False) -> Stats:
    exports = os.path.join(out_dir, "exports")
    if os.path.isdir(exports):
        shutil.rmtree(exports)
    os.makedirs(exports)
    labels: dict = {"files": {}}
    stats = Stats()
    expected_counts: dict[str, int] = {}

    chat_dir = os.path.join(POOLS, "chats")
    for fname in sorted(os.listdir(chat_dir)):
        if not fname.endswith(".chat"):
            continue
        path = os.path.join(chat_dir, fname)
        chat = parse_chat(path)
        seed = int(chat.meta["seed"])
        rng = random.Random(seed)
        values = Values(random.Random(seed * 7919 + 1))
        for m in chat.messages:
            m.text = fill_placeholders(m.text, values, m.where)
        kind = chat.meta["kind"]
        out_name = chat.meta["file"]
        if kind == "big":
            chat = build_big(chat.meta, rng, values)
        else:
            assign_times(chat, rng)
        layout = chat.meta["layout"]
        if layout == "telegram":
            text, count = render_telegram(chat, rng)
            write_file(os.path.join(exports, out_name), text.encode("utf-8"))
            locator = "id"
        else:
            r = WhatsAppRenderer(chat, rng)
            r.render()
            count = r.message_count
            if kind == "zip":
                make_zip(os.path.join(exports, out_name), r.text(), r.media_files, chat.messages[-1].ts + dt.timedelta(minutes=3))
            else:
                write_file(os.path.join(exports, out_name), r.text().encode("utf-8"))
            locator = "line"
        entries = label_entries(chat)
        if out_name in labels["files"]:
            raise CorpusError(f"two exports named {out_name}")
        labels["files"][out_name] = {"locator": locator, "labels": entries}
        expected_counts[out_name] = count
        collect(stats, out_name, layout + (" (zip)" if kind == "zip" else ""), chat, count, entries)
        if kind == "big":
            first_event = min((i for i, m in enumerate(chat.messages) if getattr(m, "event", False) and m.labels), default=None)
            stats.big_first_event = first_event
            stats.big_pos = sum(1 for e in entries if e["kind"] == "pos")

    write_file(os.path.join(out_dir, "labels.json"),
               (json.dumps(labels, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    write_file(os.path.join(out_dir, "expected_counts.json"),
               (json.dumps(expected_counts, indent=1, sort_keys=True) + "\n").encode("utf-8"))
    return stats


def summary_table(stats: Stats) -> str:
    short = {"crime-scene-media": "scene", "location": "loc", "case-reference": "ref",
             "protective-marking": "mark", "personal-data": "pd", "intelligence": "intel", "conduct": "conduct"}
    out = []
    head = "| export | layout | messages | " + " | ".join(short[c] for c in CATEGORY_ORDER) + " | near-misses |"
    out.append(head)
    out.append("|" + "---|" * (4 + len(CATEGORY_ORDER)))
    for name, layout, count, per, near in stats.rows:
        cells = [f"{p}" + (f" (+{n}n)" if n else "") for p, n in (per[c] for c in CATEGORY_ORDER)]
        out.append(f"| {name} | {layout} | {count} | " + " | ".join(cells) + f" | {near} |")
    cells = [f"**{stats.pos[c]}**" + (f" (+{stats.neu[c]}n)" if stats.neu[c] else "") for c in CATEGORY_ORDER]
    out.append(f"| **total** | | **{stats.messages}** | " + " | ".join(cells) + f" | **{stats.near_miss_messages}** |")
    out.append("")
    out.append("Cells: positives, with neutral labels as (+Nn). Positives are label entries; a message with "
               "labels in two categories counts once in each.")
    out.append("")
    out.append(f"Labelled messages: {stats.labelled_messages}. Positive label entries: {sum(stats.pos.values())}. "
               f"Neutral: {sum(stats.neu.values())}. Benign near-miss messages: {stats.near_miss_messages}.")
    out.append("")
    out.append("| near-miss trap | messages |")
    out.append("|---|---|")
    for trap, n in sorted(stats.traps.items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(f"| {trap} | {n} |")
    return "\n".join(out)


README_BEGIN = "<!-- counts:begin (written by make_corpus.py) -->"
README_END = "<!-- counts:end -->"


def update_readme(path: str, table: str) -> None:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if README_BEGIN not in text or README_END not in text:
        raise CorpusError(f"{path}: counts markers missing")
    pre, rest = text.split(README_BEGIN, 1)
    _, post = rest.split(README_END, 1)
    new = pre + README_BEGIN + "\n" + table + "\n" + README_END + post
    if new != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(new)


def check_minimums(stats: Stats) -> list[str]:
    problems = []
    for c in CATEGORY_ORDER:
        if stats.pos[c] < 60:
            problems.append(f"{c}: only {stats.pos[c]} positives (want 60)")
    if stats.near_miss_messages < 350:
        problems.append(f"only {stats.near_miss_messages} near-misses (want 350)")
    if getattr(stats, "big_pos", 0) < 40:
        problems.append(f"big export: only {getattr(stats, 'big_pos', 0)} positives (want 40)")
    if getattr(stats, "big_first_event", 0) is not None and getattr(stats, "big_first_event", 0) < 1000:
        problems.append("big export: a positive within the first 1000 messages")
    return problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true", help="build into a temporary directory and compare with the committed output")
    args = ap.parse_args()
    try:
        if args.check:
            with tempfile.TemporaryDirectory() as tmp:
                stats = build(tmp)
                diffs = []
                for rel in ["labels.json", "expected_counts.json"] + [os.path.join("exports", n) for n in sorted(os.listdir(os.path.join(tmp, "exports")))]:
                    a, b = os.path.join(tmp, rel), os.path.join(HERE, rel)
                    if not os.path.exists(b) or not filecmp.cmp(a, b, shallow=False):
                        diffs.append(rel)
                if set(os.listdir(os.path.join(HERE, "exports"))) != set(os.listdir(os.path.join(tmp, "exports"))):
                    diffs.append("exports/ (file list)")
                if diffs:
                    print("differs from the committed corpus: " + ", ".join(diffs), file=sys.stderr)
                    return 1
                with open(os.path.join(HERE, "README.md"), encoding="utf-8") as f:
                    readme = f.read()
                if README_BEGIN + "\n" + summary_table(stats) + "\n" + README_END not in readme:
                    print("README.md counts are out of date", file=sys.stderr)
                    return 1
                print("corpus is up to date (byte-identical)")
                return 0
        # Build next to the corpus, then swap in, so a failed build leaves the committed files alone.
        with tempfile.TemporaryDirectory(dir=HERE) as tmp:
            stats = build(tmp)
            for rel in ("labels.json", "expected_counts.json"):
                os.replace(os.path.join(tmp, rel), os.path.join(HERE, rel))
            if os.path.isdir(os.path.join(HERE, "exports")):
                shutil.rmtree(os.path.join(HERE, "exports"))
            os.replace(os.path.join(tmp, "exports"), os.path.join(HERE, "exports"))
        table = summary_table(stats)
        update_readme(os.path.join(HERE, "README.md"), table)
        print(table)
        problems = check_minimums(stats)
        for p in problems:
            print("WARNING: " + p, file=sys.stderr)
        return 0
    except CorpusError as e:
        print(f"make_corpus: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
