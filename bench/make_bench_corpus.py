#!/usr/bin/env python3
"""Generate the synthetic corpus `make bench` measures on.

WhatsApp Android-layout text exports ("07/11/2021, 06:58 - PC Kev Marsh: ...") of a UK police
team chat: shift talk, rotas, jobs, kit, football, near misses that look sensitive but are not
(log in at 1814, B2 pencil, top secret recipe, NHS 111), media and system lines, multi-line
messages; and, at a set density, sensitive messages of every category the shipped rules cover:
postcodes with real areas, grid references, what3words, coordinates, map links, addresses; crime,
CAD, custody, court and PNC references (PNC check letters computed); protective markings;
dates of birth, personal phone numbers, NI numbers with issued prefixes, NHS numbers with their
mod-11 check digit, vehicle registrations, e-mail addresses, Luhn-valid card numbers, named
people; intelligence grading, sources, operations, warrants, ANPR; crime-scene media; conduct
(slurs written the way officers disguise them, sexist and dehumanising talk).

Corpora (sizes in MB of 10^6 bytes):
    export-1pct/   one export of --size-mb with about 1% sensitive messages
    export-20pct/  one export of --size-mb with about 20%
    export-big/    one export of --big-mb with about 1% (the memory target)
    small/         --small-files exports of 15-60 messages each, 100 to a directory

Standard library only, deterministic: each corpus has its own random.Random seeded from --seed
and its name, so the same arguments give byte-identical files. A manifest.json records the
arguments and this script's digest; when it matches, nothing is regenerated.

    python3 bench/make_bench_corpus.py --out .build/bench/corpus --size-mb 250 --big-mb 1024
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import sys

MB = 1_000_000
GENERATOR_VERSION = 1

# ---------------------------------------------------------------------------
# Check digits and identifiers
# ---------------------------------------------------------------------------

PNC_ALPHA = "ZABCDEFGHJKLMNPQRTUVWXY"

POSTCODE_AREAS = [
    "AB", "AL", "B", "BA", "BB", "BD", "BH", "BL", "BN", "BR", "BS", "CA", "CB", "CF", "CH", "CM",
    "CO", "CR", "CT", "CV", "CW", "DA", "DD", "DE", "DH", "DL", "DN", "DY", "E", "EC", "EH", "EN",
    "EX", "FK", "G", "GL", "GU", "HA", "HD", "HG", "HP", "HU", "HX", "IG", "IP", "KT", "L", "LA",
    "LE", "LN", "LS", "LU", "M", "ME", "MK", "N", "NE", "NG", "NN", "NR", "NW", "OL", "OX", "PE",
    "PL", "PO", "PR", "RG", "RM", "S", "SE", "SG", "SK", "SL", "SM", "SN", "SO", "SR", "SS", "ST",
    "SW", "TN", "TS", "TW", "UB", "W", "WA", "WD", "WF", "WN", "WS", "WV", "YO",
]
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
# NI prefix letters: never D F I Q U V; second letter never O; some pairs never issued.
NINO_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
NINO_SECOND = "ABCEGHJKLMNPRSTWXYZ"
NINO_NEVER = {"BG", "GB", "KN", "NK", "NT", "TN", "ZZ", "OO", "CR", "FY", "MW", "NC", "PP", "PY", "PZ"}
PLATE_LETTERS = "ABCDEFGHJKLMNOPRSTUVWXY"  # no I, Q, Z
OS_SQUARES = ["SK", "SJ", "SE", "SD", "SU", "ST", "TQ", "TL", "NZ", "NY", "SP", "SO", "TG", "NT"]


def pnc_id(rng: random.Random) -> str:
    yy = rng.randint(80, 120) % 100
    serial = rng.randint(1, 999_999)
    check = PNC_ALPHA[int(f"{yy:02d}{serial:07d}") % 23]
    return f"{yy:02d}/{serial}{check}"


def nhs_number(rng: random.Random) -> str:
    while True:
        first9 = [rng.randint(4, 4)] + [rng.randint(0, 9) for _ in range(8)]
        total = sum(d * w for d, w in zip(first9, range(10, 1, -1)))
        check = 11 - total % 11
        if check == 11:
            check = 0
        if check != 10:
            digits = "".join(map(str, first9 + [check]))
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def luhn_card(rng: random.Random) -> str:
    prefix = rng.choice(["4", "51", "53", "55", "2221", "6011"])
    body = [int(c) for c in prefix] + [rng.randint(0, 9) for _ in range(15 - len(prefix))]
    total = 0
    for offset, d in enumerate(reversed(body)):
        if offset % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    digits = "".join(map(str, body + [(10 - total % 10) % 10]))
    return " ".join(digits[i:i + 4] for i in range(0, 16, 4))


def nino(rng: random.Random) -> str:
    while True:
        prefix = rng.choice(NINO_FIRST) + rng.choice(NINO_SECOND)
        if prefix not in NINO_NEVER:
            break
    pairs = " ".join(f"{rng.randint(0, 99):02d}" for _ in range(3))
    return f"{prefix} {pairs} {rng.choice('ABCD')}"


def postcode(rng: random.Random) -> str:
    area = rng.choice(POSTCODE_AREAS)
    district = rng.randint(1, 28)
    inward = f"{rng.randint(0, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"
    return f"{area}{district} {inward}"


def mobile(rng: random.Random) -> str:
    digits = f"07{rng.choice('34579')}{rng.randint(0, 99_999_999):08d}"
    return rng.choice([f"{digits[:5]} {digits[5:]}", digits, f"{digits[:5]} {digits[5:8]} {digits[8:]}"])


def plate(rng: random.Random) -> str:
    age = rng.choice([rng.randint(51, 73), rng.randint(2, 24)])
    letters = "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
    return f"{rng.choice('ABCDEFGHKLMNOPRSVWY')}{rng.choice(PLATE_LETTERS)}{age:02d} {letters}"


def grid_ref(rng: random.Random) -> str:
    return f"{rng.choice(OS_SQUARES)} {rng.randint(100, 999)} {rng.randint(100, 999)}"


def lat_lon(rng: random.Random) -> str:
    return f"{rng.uniform(50.1, 57.9):.6f}, {rng.uniform(-5.5, 1.7):.6f}"


def dob(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(1950, 2010)
    return rng.choice([f"{day:02d}/{month:02d}/{year}", f"{day}/{month}/{year % 100:02d}",
                       f"{day} {['Jan', 'Feb', 'March', 'Apr', 'May', 'June', 'July', 'Aug', 'Sept', 'Oct', 'Nov', 'Dec'][month - 1]} {year}"])


# ---------------------------------------------------------------------------
# Vocabulary
# ---------------------------------------------------------------------------

OFFICERS = [
    "PC Kev Marsh", "PC Aisha Bello", "PC Dan Cole", "Sgt Mark Oduya", "PC Jodie Walsh", "DC Priya Shah",
    "PC Tom Fairclough", "PCSO Gemma Rix", "PC Liam O'Neill", "DS Claire Hudson", "PC Sam Okafor",
    "Insp Rachel Dunn", "PC Ryan Hughes", "PC Beth Kowalski", "DC Imran Qureshi", "PC Nathan Price",
    "Sgt Helen Morris", "PC Craig Bennett", "PC Zoe Whitfield", "PC Marek Nowak", "Steve (Response)",
    "Jonno", "Big Dave", "Shaz", "+44 7700 900461",
]
GROUPS = [
    "B Relief Shift", "Response Team 3", "CID Office Radford Rd", "NHP Harehills", "RPU Boreham",
    "Custody Sgts", "Op Planning Cell", "Late Turn Lads", "Neighbourhood Team North", "Cohort 23-04",
]
FIRST = ["Jordan", "Kyle", "Shannon", "Tyler", "Chantelle", "Reece", "Liam", "Jade", "Connor", "Leanne",
         "Dean", "Kayleigh", "Marcus", "Abdul", "Tomasz", "Bradley", "Sophie", "Nadia", "Callum", "Stacey"]
LAST = ["Smith", "Jones", "Taylor", "Brown", "Wilson", "Evans", "Thomas", "Roberts", "Walker", "Wright",
        "Khan", "Hussain", "Kowalski", "Murphy", "O'Brien", "Clarke", "Patel", "Hughes", "Edwards", "Green"]
STREETS = ["Acacia", "Mill", "Oakwood", "Station", "Church", "Victoria", "Albert", "Park", "Harehills",
           "Chapel", "Granby", "Epping", "Beeston", "Kirkstall", "Roundhay", "Marlborough", "Cemetery"]
STREET_TYPES = ["Road", "Street", "Avenue", "Close", "Lane", "Drive", "Crescent", "Terrace", "Grove", "Walk"]
OPS = ["NIGHTJAR", "LANTERN", "CASTLE", "BRAMBLE", "KESTREL", "TUNDRA", "HALYARD", "MARLIN", "SENTINEL"]
W3W = ["filled", "count", "soap", "index", "home", "raft", "daring", "lion", "race", "table", "lamp", "chair",
       "blank", "kettle", "spoon", "crisp", "otter", "ladder", "pencil", "orange", "window", "garden"]
PLACES = ["the nick", "custody", "the Asda", "Tesco Extra", "the hospital", "A&E", "the station", "the yard",
          "the canteen", "the writing room", "Elland Road", "the retail park", "the Kebab House", "court"]
CARS = ["silver Ford Focus", "black BMW 1 series", "white Transit van", "grey Vauxhall Corsa",
        "blue VW Golf", "red Audi A3", "black Range Rover", "white Toyota Prius taxi"]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


def street(rng: random.Random) -> str:
    return f"{rng.randint(1, 240)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"


def hhmm(rng: random.Random) -> str:
    return f"{rng.randint(0, 23):02d}{rng.choice(['00', '15', '30', '45'])}"


def dm(rng: random.Random) -> str:
    return f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}"


# Ordinary team chat, with the near misses that make detection hard.
FILLER = [
    lambda r: "Morning all",
    lambda r: "Cheers sarge",
    lambda r: "Anyone going to the five-a-side at 18:30 on Thursday?",
    lambda r: f"Yes mate, we owe them after {r.randint(0, 4)}-{r.randint(0, 4)} last time",
    lambda r: "Who has the spare radio battery",
    lambda r: "Tea and biscuits in the writing room",
    lambda r: "About time",
    lambda r: f"On my way, ETA {r.randint(2, 25)} mins",
    lambda r: f"Can someone cover my court date on the {r.randint(1, 28)}th? Swap for a rest day",
    lambda r: f"Rota for the week:\nMon 0700-1700 {r.choice(FIRST)}, {r.choice(FIRST)}\nTue 1400-0000 {r.choice(FIRST)}\nWed rest day",
    lambda r: f"who's got the keys for the {r.choice(['van', 'BMW', 'Astra', 'carrier'])}",
    lambda r: "log in at 1814, system's been down all morning",
    lambda r: "Anyone got a spare charger? Mine's dead",
    lambda r: "the A1 was shut from J45 again",
    lambda r: "need a B2 pencil for the sketch plan lol",
    lambda r: "Nan's top secret recipe for the bake sale 🍰",
    lambda r: "Secret Santa names are in the tray, £10 limit",
    lambda r: "it's official, the canteen is closing on Fridays",
    lambda r: "fag break anyone",
    lambda r: "NHS 111 were useless again",
    lambda r: "2 hours down the road and the satnav gives up",
    lambda r: "Intel laptop in the report writing room keeps crashing",
    lambda r: "open source training is on the intranet if anyone needs it",
    lambda r: "My warrant card has snapped in half 🙄",
    lambda r: f"Overtime on {r.choice(['Saturday', 'Sunday', 'the bank holiday'])} for the match, {r.randint(2, 9)} spaces left",
    lambda r: "Who parked across the gate?? Can't get the van out",
    lambda r: f"Shout at {r.choice(PLACES)}, anyone free?",
    lambda r: "Show me on that one",
    lambda r: "Quiet one tonight touch wood",
    lambda r: "Don't say the Q word 😂",
    lambda r: f"Briefing moved to {hhmm(r)}",
    lambda r: f"Kettle's on in {r.choice(PLACES)}",
    lambda r: "Has anyone seen my hat? Left it in the back of the car",
    lambda r: "Stuck on a constant at the hospital till relieved",
    lambda r: "Prisoner's been booked in, interview tomorrow",
    lambda r: "Statement done, on the system now",
    lambda r: "Anyone know if the gym is open on nights?",
    lambda r: "Happy birthday Gemma 🎂🎉",
    lambda r: "Congrats on passing the exam mate",
    lambda r: f"{r.choice(['Leeds', 'United', 'City', 'Rovers'])} lost again 🙈",
    lambda r: "Reminder: fitness test next week, bring your kit",
    lambda r: "The printer on the first floor is jammed again",
    lambda r: "who took my yoghurt from the fridge",
    lambda r: "Sarge can I leave 30 mins early for the dentist?",
    lambda r: "yep no worries",
    lambda r: "👍",
    lambda r: "😂😂😂",
    lambda r: "lol",
    lambda r: "ok",
    lambda r: "Thanks",
    lambda r: "Nice one",
    lambda r: "on it",
    lambda r: f"Back at {r.choice(PLACES)} for refs",
    lambda r: f"Score was {r.randint(0, 5)}-{r.randint(0, 5)}, what a game",
    lambda r: f"Shift is {dm(r)}/2021 0700-1700",
    lambda r: "Remember to book your annual leave before the end of March",
    lambda r: "Body worn is charging in the locker room",
    lambda r: "Staff survey closes Friday, apparently it's anonymous 🙄",
    lambda r: "Can someone grab milk on the way in",
    lambda r: "Just cleared from the RTC, minor damage only, drivers exchanged details",
    lambda r: "Concern for welfare was all fine, words of advice given",
    lambda r: "That job's been resourced by days",
    lambda r: "Who's on the van tomorrow?",
    lambda r: "Heading back for grub",
    lambda r: "The car park barrier is broken again",
    lambda r: "Did anyone order the pizza or not",
    lambda r: "Weather's awful, bring your waterproofs",
    lambda r: "Handover notes are in the folder",
    lambda r: "Has the new rota come out yet?",
    lambda r: "Training day on Wednesday is cancelled",
    lambda r: "Need a lift home after, car's in the garage",
    lambda r: "Cheers for the help earlier",
    lambda r: "<Media omitted>",
    lambda r: "This message was deleted",
    lambda r: f"IMG-2021{r.randint(1, 12):02d}{r.randint(1, 28):02d}-WA{r.randint(0, 9999):04d}.jpg (file attached)\nnew kit has arrived, finally",
    lambda r: f"my new number is {mobile(r)} save it",
    lambda r: "Chinese or chippy tonight?",
    lambda r: "she's on nights this week",
    lambda r: "my wife says hi",
    lambda r: "Sorry running late, traffic on the ring road",
    lambda r: "Nothing from the front counter today",
]

# Sensitive messages, by category; every one should set off a shipped rule.
SENSITIVE = {
    "location": [
        lambda r: f"Victim lives at {street(r)}, {postcode(r)}",
        lambda r: f"can someone do a drive-by at {postcode(r).lower()} tonight",
        lambda r: f"RVP ///{r.choice(W3W)}.{r.choice(W3W)}.{r.choice(W3W)}",
        lambda r: f"scene is at {lat_lon(r)}",
        lambda r: f"body found in woodland at {grid_ref(r)}",
        lambda r: f"location: https://maps.google.com/?q={lat_lon(r).replace(' ', '')}",
        lambda r: f"address is {street(r)} {postcode(r)}, intel marker on it",
    ],
    "case-reference": [
        lambda r: f"crime ref {r.randint(10, 99)}/{r.randint(10000, 999999)}/{r.randint(19, 24)} for the burglary",
        lambda r: f"Can someone pick up log {r.randint(100, 2999)} of {dm(r)}, concern for welfare at the flats",
        lambda r: f"custody no {r.randint(10, 99)}AB/{r.randint(10000, 99999)}/{r.randint(19, 24)}",
        lambda r: f"PNC ID {pnc_id(r)} for the male we nicked",
        lambda r: f"Crown Court T20{r.randint(170000, 249999)} listed next week",
        lambda r: f"occurrence number {r.randint(10, 99)}/{r.randint(100000, 999999)}/{r.randint(19, 24)}",
    ],
    "protective-marking": [
        lambda r: f"OFFICIAL-SENSITIVE: briefing for Op {r.choice(OPS)} attached",
        lambda r: "OFFICIAL SENSITIVE - PERSONAL, do not forward",
        lambda r: "TOP SECRET - handle accordingly",
        lambda r: f"SECRET // Op {r.choice(OPS)} phase 2 plan",
        lambda r: "RESTRICTED - operational, for the team only",
        lambda r: "UK EYES ONLY, not for further circulation",
        lambda r: "Protective marking: OFFICIAL",
    ],
    "personal-data": [
        lambda r: f"IP's DOB is {dob(r)}",
        lambda r: f"victim's mobile is {mobile(r)}",
        lambda r: f"NI number {nino(r)}",
        lambda r: f"NHS no {nhs_number(r)} for the IP",
        lambda r: f"suspect vehicle is a {r.choice(CARS)} reg {plate(r)}",
        lambda r: f"her email is {r.choice(FIRST).lower()}.{r.choice(LAST).lower().replace(chr(39), '')}{r.randint(1, 99)}@gmail.com",
        lambda r: f"card used was {luhn_card(r)}",
        lambda r: f"victim is {person(r)}, DOB {dob(r)}, lives at {street(r)}",
    ],
    "intelligence": [
        lambda r: f"intel suggests {r.choice(FIRST)} is dealing from the flat again",
        lambda r: "graded B2, source says the gear comes in Thursday",
        lambda r: f"Op {r.choice(OPS)} briefing at 0500, targets are the two brothers",
        lambda r: "warrant at 0600, entry team at the front, enforcer to the back door",
        lambda r: f"ANPR hit on {plate(r)} at J27 twenty mins ago",
        lambda r: "priority nominals for tonight are on the board",
        lambda r: "do not disseminate, intel from the FIO",
        lambda r: f"CHIS reporting that {r.choice(FIRST)} has a firearm at the address",
    ],
    "crime-scene-media": [
        lambda r: f"anyone got the pics from the {r.choice(STREETS)} stabbing?",
        lambda r: f"IMG-2021{r.randint(1, 12):02d}{r.randint(1, 28):02d}-WA{r.randint(0, 9999):04d}.jpg (file attached)\nthe body at the scene, proper grim",
        lambda r: "got the footage of the fatal from last night if anyone wants it",
        lambda r: "photos of the victim's injuries are on my phone, I'll send them",
    ],
    "conduct": [
        lambda r: "that's so gay lol",
        lambda r: "what a retard, couldn't even get the cuffs on",
        lambda r: "women are useless at driving response cars",
        lambda r: "she needs a slap tbh",
        lambda r: "I'd smash the new probie 🥵",
        lambda r: "send them all back lol",
        lambda r: "the p*ki shop on the corner is open late",
        lambda r: "bunch of pikeys at the site again",
        lambda r: "the nutters should be locked up in a field",
        lambda r: "typical woman driver 🙄",
        lambda r: "they all cry rape after a night out",
    ],
}
CATEGORIES = list(SENSITIVE)

ENCRYPTION = ("Messages and calls are end-to-end encrypted. No one outside of this chat, not even "
              "WhatsApp, can read or listen to them. Tap to learn more.")
DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
TIMES = [f"{h:02d}:{m:02d}" for h in range(24) for m in range(60)]


class ExportWriter:
    """Writes one WhatsApp Android export: header lines, then messages until `target_bytes`."""

    def __init__(self, rng: random.Random, density: float, year: int = 2019):
        self.rng = rng
        self.density = density
        self.day, self.month, self.year = rng.randint(1, 28), rng.randint(1, 12), year
        self.minute = rng.randint(6 * 60, 9 * 60)
        self.date = self._date()
        self.sensitive = 0
        self.messages = 0
        self.filler_pool = [FILLER[i % len(FILLER)](rng) for i in range(4000)]

    def _date(self) -> str:
        return f"{self.day:02d}/{self.month:02d}/{self.year}"

    def _advance(self) -> None:
        # A busy group: most messages within a minute or two, now and then a silence of hours.
        self.minute += self.rng.choice((0, 0, 0, 0, 0, 0, 1, 1, 1, 2, 3))
        if self.rng.random() < 0.002:
            self.minute += self.rng.randint(61, 600)
        while self.minute >= 1440:
            self.minute -= 1440
            self.day += 1
            if self.day > DAYS_IN_MONTH[self.month - 1]:
                self.day = 1
                self.month += 1
                if self.month > 12:
                    self.month = 1
                    self.year += 1
            self.date = self._date()

    def header(self, group: str) -> str:
        stamp = f"{self.date}, {TIMES[self.minute]}"
        creator = self.rng.choice(OFFICERS)
        return f"{stamp} - {ENCRYPTION}\n{stamp} - {creator} created group \"{group}\"\n{stamp} - {creator} added you\n"

    def message(self) -> str:
        rng = self.rng
        self._advance()
        self.messages += 1
        if rng.random() < self.density:
            self.sensitive += 1
            category = CATEGORIES[self.sensitive % len(CATEGORIES)]
            text = rng.choice(SENSITIVE[category])(rng)
        else:
            if rng.random() < 0.01:
                return f"{self.date}, {TIMES[self.minute]} - {rng.choice(OFFICERS)} {rng.choice(['left', 'joined using this group invite link'])}\n"
            text = rng.choice(self.filler_pool)
            if rng.random() < 0.05:
                # Fresh filler now and then, so the pool is not all there is.
                text = rng.choice(FILLER)(rng)
        return f"{self.date}, {TIMES[self.minute]} - {rng.choice(OFFICERS)}: {text}\n"

    def write(self, path: str, group: str, target_bytes: int) -> None:
        written = 0
        with open(path, "w", encoding="utf-8", newline="\n") as out:
            chunk = [self.header(group)]
            size = len(chunk[0])
            while written + size < target_bytes:
                line = self.message()
                chunk.append(line)
                size += len(line.encode("utf-8")) if not line.isascii() else len(line)
                if size >= 1 << 20:
                    out.write("".join(chunk))
                    written += size
                    chunk, size = [], 0
            out.write("".join(chunk))


def make_export(directory: str, name: str, group: str, megabytes: float, density: float, seed: int) -> dict:
    os.makedirs(directory, exist_ok=True)
    rng = random.Random(f"leakwatch-bench/{name}/{seed}")
    # About 0.37 million messages of 70 bytes a year: start early enough to end around now.
    writer = ExportWriter(rng, density, year=max(1970, 2024 - int(megabytes * MB / 70 / 375_000)))
    path = os.path.join(directory, f"WhatsApp Chat with {group}.txt")
    writer.write(path, group, int(megabytes * MB))
    return {"path": path, "bytes": os.path.getsize(path), "messages": writer.messages,
            "sensitive_messages": writer.sensitive, "files": 1}


def make_small(directory: str, count: int, density: float, seed: int) -> dict:
    rng = random.Random(f"leakwatch-bench/small/{seed}")
    total_bytes = messages = sensitive = 0
    for index in range(count):
        sub = os.path.join(directory, f"{index // 100:03d}")
        os.makedirs(sub, exist_ok=True)
        writer = ExportWriter(random.Random(rng.getrandbits(64)), density, year=rng.randint(2018, 2024))
        group = f"{rng.choice(GROUPS)} {index:05d}"
        body = [writer.header(group)] + [writer.message() for _ in range(rng.randint(15, 60))]
        path = os.path.join(sub, f"WhatsApp Chat with {group}.txt")
        data = "".join(body).encode("utf-8")
        with open(path, "wb") as out:
            out.write(data)
        total_bytes += len(data)
        messages += writer.messages
        sensitive += writer.sensitive
    return {"path": directory, "bytes": total_bytes, "messages": messages, "sensitive_messages": sensitive,
            "files": count}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory to write the corpora into")
    parser.add_argument("--size-mb", type=float, default=250, help="size of the 1%% and 20%% exports (MB)")
    parser.add_argument("--big-mb", type=float, default=1024, help="size of the big export (MB)")
    parser.add_argument("--small-files", type=int, default=10_000, help="number of small exports")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    with open(os.path.abspath(__file__), "rb") as source:
        digest = hashlib.sha256(source.read()).hexdigest()[:16]
    wanted = {"version": GENERATOR_VERSION, "generator": digest, "size_mb": args.size_mb, "big_mb": args.big_mb,
              "small_files": args.small_files, "seed": args.seed}
    manifest_path = os.path.join(args.out, "manifest.json")
    try:
        with open(manifest_path, encoding="utf-8") as manifest_file:
            manifest = json.load(manifest_file)
        if manifest.get("parameters") == wanted and all(
                os.path.exists(corpus["path"]) for corpus in manifest["corpora"].values()):
            print(f"bench corpus in {args.out} is up to date", file=sys.stderr)
            return 0
    except (OSError, ValueError, KeyError):
        pass

    shutil.rmtree(args.out, ignore_errors=True)
    os.makedirs(args.out)
    corpora = {}
    plan = [
        ("export-1pct", "B Relief Shift", args.size_mb, 0.01),
        ("export-20pct", "Response Team 3", args.size_mb, 0.20),
        ("export-big", "CID Office Radford Rd", args.big_mb, 0.01),
    ]
    for name, group, megabytes, density in plan:
        print(f"generating {name}: {megabytes:g} MB, {density:.0%} sensitive", file=sys.stderr)
        corpora[name] = make_export(os.path.join(args.out, name), name, group, megabytes, density, args.seed)
    print(f"generating small: {args.small_files} exports", file=sys.stderr)
    corpora["small"] = make_small(os.path.join(args.out, "small"), args.small_files, 0.01, args.seed)
    with open(manifest_path, "w", encoding="utf-8") as manifest_file:
        json.dump({"parameters": wanted, "corpora": corpora}, manifest_file, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
