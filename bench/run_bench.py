#!/usr/bin/env python3
"""Run the `make bench` measurements and print one table.

On each corpus written by make_bench_corpus.py, interleaved, for --rounds rounds (the order of
the tools rotates each round so no tool always runs on a cache another has just warmed):

    leakwatch scan --format json --workers N   (N from --workers; output to /dev/null)
    rg -c -f PATTERNS                          (the exported patterns its Rust engine accepts)
    pcre2grep -U -c -f PATTERNS                (every exported pattern, PCRE2 as leakwatch runs it)
    cat                                        (reading the bytes: the ceiling)
    leakwatch parse --format json              (the 1% export only, for its peak memory)

Each run goes through `/usr/bin/time -v` for the peak RSS; wall time is measured here. The table
shows medians of the rounds (peak RSS: the largest of the rounds), the ratios of leakwatch to rg
and to pcre2grep, and then the issue's targets marked met or missed. Raw runs go to
WORK/results.json and the table to WORK/results.txt.

Standard library only. Exit status: 0 measured (whether or not targets are met), 1 a tool failed,
130 interrupted (Ctrl-C or SIGTERM: the table still shows the runs completed so far).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time

MB = 1_000_000

def corpus_label(name: str, corpus: dict) -> str:
    if name == "small":
        return f"{corpus['files']:,} small"
    if name == "export-big":
        return f"{corpus['bytes'] / MB:,.0f} MB, 1%"
    return {"export-1pct": "export, 1%", "export-20pct": "export, 20%"}.get(name, name)


class Tool:
    """One command line to time on one corpus."""

    def __init__(self, key: str, label: str, argv: list[str], ok_status: tuple[int, ...], stdout: str):
        self.key = key
        self.label = label
        self.argv = argv
        self.ok_status = ok_status
        self.stdout = stdout


def read_time_v(path: str) -> dict:
    """Peak RSS (kB) and exit status from GNU time's -v report."""
    values = {}
    with open(path, encoding="utf-8", errors="replace") as report:
        for line in report:
            line = line.strip()
            if line.startswith("Maximum resident set size (kbytes):"):
                values["max_rss_kb"] = int(line.rsplit(":", 1)[1])
            elif line.startswith("User time (seconds):") or line.startswith("System time (seconds):"):
                values["cpu_seconds"] = values.get("cpu_seconds", 0.0) + float(line.rsplit(":", 1)[1])
            elif line.startswith("Exit status:"):
                values["exit_status"] = int(line.rsplit(":", 1)[1])
            elif line.startswith("Command terminated by signal"):
                values["signal"] = int(line.rsplit(" ", 1)[1])
    return values


def run_one(tool: Tool, work: str) -> dict:
    report = os.path.join(work, "time-v.txt")
    errors = os.path.join(work, "stderr.txt")
    with open(tool.stdout, "wb") as out, open(errors, "wb") as err:
        start = time.perf_counter()
        # Its own process group, so that an interrupted bench stops the tool too, not only `time`.
        process = subprocess.Popen(["/usr/bin/time", "-v", "-o", report] + tool.argv, stdout=out, stderr=err,
                                   start_new_session=True)
        try:
            process.wait()
        except BaseException:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            raise
        seconds = time.perf_counter() - start
    values = read_time_v(report)
    status = values.get("exit_status", process.returncode)
    result = {"seconds": seconds, "cpu_seconds": values.get("cpu_seconds"), "max_rss_kb": values.get("max_rss_kb"),
              "status": status}
    if "signal" in values or status not in tool.ok_status:
        with open(errors, encoding="utf-8", errors="replace") as err:
            tail = err.read()[-2000:]
        result["error"] = f"exit status {status}{', signal ' + str(values['signal']) if 'signal' in values else ''}: {tail.strip()}"
    return result


def export_patterns(leakwatch: str, rules: list[str], engine: str, path: str) -> tuple[int, str]:
    argv = [leakwatch, "rules", "export-patterns", "--engine", engine]
    for directory in rules:
        argv += ["--rules", directory]
    process = subprocess.run(argv, capture_output=True, text=True)
    if process.returncode != 0:
        sys.exit(f"bench: {' '.join(argv)} failed ({process.returncode}):\n{process.stderr}")
    with open(path, "w", encoding="utf-8") as out:
        out.write(process.stdout)
    summary = process.stderr.strip().splitlines()[-1] if process.stderr.strip() else ""
    return len(process.stdout.splitlines()), summary


def corpus_path(corpus_dir: str, name: str, recorded: str) -> str:
    """Where a corpus is: the manifest records each path as the generator was given it (relative
    to the directory it ran in), so it is found again by its place in the corpus directory."""
    tail = os.path.basename(recorded.rstrip("/"))
    return os.path.join(corpus_dir, name) if tail == name else os.path.join(corpus_dir, name, tail)


def tools_for(corpus_name: str, corpus: dict, args, patterns: dict, work: str) -> list[Tool]:
    path = corpus_path(args.corpus, corpus_name, corpus["path"])
    is_directory = os.path.isdir(path)
    rules = []
    for directory in args.rules:
        rules += ["--rules", directory]
    tools = []
    for workers in args.workers:
        tools.append(Tool(
            f"leakwatch-j{workers}", f"leakwatch scan, {workers} worker{'s' if workers > 1 else ''}",
            [args.leakwatch, "scan", "--format", "json", "--workers", str(workers), "--time-budget", "1000000",
             "--key", os.path.join(work, "fingerprint.key")] + shlex.split(args.scan_flags) + rules + [path],
            (0, 1), os.devnull))
    rg = ["rg", "--no-config", "--no-ignore", "--hidden", "-c", "-f", patterns["rust"]["path"], path]
    tools.append(Tool("rg", f"rg -c ({patterns['rust']['count']} patterns)", rg, (0, 1),
                      os.path.join(work, f"out-{corpus_name}-rg.txt")))
    pcre2grep = ["pcre2grep", "-U", "-c"] + (["-r"] if is_directory else []) + ["-f", patterns["pcre2"]["path"], path]
    tools.append(Tool("pcre2grep", f"pcre2grep -c ({patterns['pcre2']['count']} patterns)", pcre2grep, (0, 1),
                      os.path.join(work, f"out-{corpus_name}-pcre2grep.txt")))
    if is_directory:
        cat = ["sh", "-c", 'find "$1" -type f -print0 | xargs -0 cat', "sh", path]
    else:
        cat = ["cat", path]
    tools.append(Tool("cat", "cat", cat, (0,), os.devnull))
    if corpus_name == "export-1pct":
        tools.append(Tool("parse", "leakwatch parse --format json",
                          [args.leakwatch, "parse", "--format", "json", path], (0,), os.devnull))
    return tools


# A CPU-bound loop (the interpreter's, no I/O, no memory traffic) for `core_scaling`.
SPIN = "s = 0\nfor i in range(6_000_000):\n    s += i * i\n"


def core_scaling(repeats: int = 3) -> float | None:
    """How much work two cores do together against one, on this machine: a CPU-bound loop run
    alone, then two copies at once (median of `repeats`). 2.0 on two independent cores; less when
    the two share a physical core (SMT siblings of a VM's host) or are otherwise contended. It is
    the ceiling for `2 workers / 1 worker`."""
    ratios = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", SPIN], check=True)
        alone = time.perf_counter() - started
        started = time.perf_counter()
        pair = [subprocess.Popen([sys.executable, "-c", SPIN]) for _ in range(2)]
        for process in pair:
            process.wait()
        together = time.perf_counter() - started
        if together > 0:
            ratios.append(2 * alone / together)
    return median(ratios)


def median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "-"
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leakwatch", required=True, help="the leakwatch executable (a release build)")
    parser.add_argument("--rules", action="append", default=[], help="rule directory (repeatable)")
    parser.add_argument("--corpus", required=True, help="directory written by make_bench_corpus.py")
    parser.add_argument("--work", required=True, help="scratch directory for patterns, outputs and results")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts for leakwatch scan")
    parser.add_argument("--scan-flags", default="", help="more options for leakwatch scan, e.g. '--no-jit'")
    args = parser.parse_args()
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    if not args.rules:
        args.rules = ["rules"]
    if args.rounds < 1:
        sys.exit("bench: --rounds must be at least 1")
    for program in ("rg", "pcre2grep", "/usr/bin/time", args.leakwatch):
        if shutil.which(program) is None:
            sys.exit(f"bench: {program} not found (make bench installs ripgrep, pcre2-utils and time)")

    with open(os.path.join(args.corpus, "manifest.json"), encoding="utf-8") as manifest_file:
        manifest = json.load(manifest_file)
    corpora = manifest["corpora"]
    os.makedirs(args.work, exist_ok=True)

    patterns = {}
    for engine in ("pcre2", "rust"):
        path = os.path.join(args.work, f"patterns-{engine}.txt")
        count, summary = export_patterns(args.leakwatch, args.rules, engine, path)
        patterns[engine] = {"path": path, "count": count, "summary": summary}
        if summary:
            print(f"bench: export-patterns --engine {engine}: {summary}", file=sys.stderr)

    plan = {name: tools_for(name, corpus, args, patterns, args.work) for name, corpus in corpora.items()}
    # Warm the page cache, unmeasured, so the first tool of round 1 does not pay for the disk.
    for name, tools in plan.items():
        cat = next(tool for tool in tools if tool.key == "cat")
        subprocess.run(cat.argv, stdout=subprocess.DEVNULL, check=False)

    runs: dict[str, dict[str, list[dict]]] = {name: {tool.key: [] for tool in tools} for name, tools in plan.items()}
    failures = []
    scaling = core_scaling() if (os.cpu_count() or 1) > 1 else None
    load_before = os.getloadavg()
    started = time.time()
    interrupted = None
    round_index = 0
    # Ctrl-C or SIGTERM stops the rounds; the table is still printed from the runs done so far.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        for round_index in range(args.rounds):
            for name, tools in plan.items():
                shift = round_index % len(tools)
                for tool in tools[shift:] + tools[:shift]:
                    result = run_one(tool, args.work)
                    runs[name][tool.key].append(result)
                    mbps = corpora[name]["bytes"] / MB / result["seconds"]
                    print(f"bench: round {round_index + 1}/{args.rounds} {name:13} {tool.label:34} "
                          f"{result['seconds']:8.2f} s {mbps:9.1f} MB/s  "
                          f"{(result['max_rss_kb'] or 0) / 1000:8.1f} MB RSS"
                          + (f"  FAILED: {result['error'][:300]}" if "error" in result else ""),
                          file=sys.stderr, flush=True)
                    if "error" in result:
                        failures.append(f"{name} / {tool.label}: {result['error']}")
    except KeyboardInterrupt:
        interrupted = f"interrupted in round {round_index + 1}: figures from the runs completed"
    elapsed = time.time() - started
    load_after = os.getloadavg()

    # Medians.
    summary: dict[str, dict[str, dict]] = {}
    for name, tools in plan.items():
        corpus = corpora[name]
        summary[name] = {}
        for tool in tools:
            good = [run for run in runs[name][tool.key] if "error" not in run]
            seconds = median([run["seconds"] for run in good])
            if seconds is None:
                summary[name][tool.key] = {"label": tool.label, "seconds": None, "mbps": None, "files_per_s": None,
                                           "rss_mb": None, "cores": None, "spread_pct": None, "runs": 0,
                                           "failed": len(runs[name][tool.key])}
                continue
            rss = max((run["max_rss_kb"] for run in good if run["max_rss_kb"] is not None), default=None)
            spread = None
            if len(good) > 1:
                times = [run["seconds"] for run in good]
                spread = (max(times) - min(times)) / statistics.median(times) * 100
            cores = median([run["cpu_seconds"] / run["seconds"] for run in good
                            if run.get("cpu_seconds") is not None and run["seconds"] > 0])
            summary[name][tool.key] = {
                "label": tool.label, "seconds": seconds, "cores": cores,
                "mbps": corpus["bytes"] / MB / seconds if seconds else None,
                "files_per_s": corpus["files"] / seconds if seconds and corpus["files"] > 1 else None,
                "rss_mb": rss / 1000 if rss is not None else None, "spread_pct": spread,
                "runs": len(good), "failed": len(runs[name][tool.key]) - len(good),
            }

    lines = []
    version = subprocess.run(["git", "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    lines.append(f"leakwatch bench, {dt.date.today().isoformat()}: {args.rounds} round(s), medians "
                 f"(peak RSS: largest of the rounds); MB = 10^6 bytes; {os.cpu_count()} cores; "
                 f"load average {load_before[0]:.2f} before, {load_after[0]:.2f} after; {elapsed / 60:.1f} min"
                 + (f"; commit {version}" if version else "")
                 + (f"; scan flags: {args.scan_flags}" if args.scan_flags else ""))
    if interrupted:
        lines.append(interrupted.upper())
    if scaling is not None:
        lines.append(f"this machine: two copies of a CPU-bound loop at once do {scaling:.2f}x the work of one "
                     "(2.00 on two independent cores): the ceiling for 2 workers over 1")
    lines.append(f"patterns: pcre2grep {patterns['pcre2']['count']} (all rules), "
                 f"rg {patterns['rust']['count']} (those its Rust engine accepts"
                 + (f"; {patterns['rust']['summary']}" if patterns['rust']['summary'] else "") + ")")
    header = (f"{'corpus':<14} {'size':>9} {'sensitive':>9}  {'tool':<34} {'MB/s':>8} {'files/s':>8} "
              f"{'peak RSS MB':>11} {'cores':>5} {'spread':>7} {'lw/rg':>6} {'lw/pcre2':>8}")
    lines.append("")
    lines.append(header)
    lines.append("-" * len(header))
    for name, tools in plan.items():
        corpus = corpora[name]
        share = corpus["sensitive_messages"] / max(1, corpus["messages"])
        size = f"{corpus['bytes'] / MB:,.0f} MB"
        first = True
        rg = summary[name].get("rg", {}).get("mbps")
        pcre2 = summary[name].get("pcre2grep", {}).get("mbps")
        for tool in tools:
            row = summary[name][tool.key]
            ratio_rg = ratio_pcre2 = ""
            if tool.key.startswith("leakwatch-") and row["mbps"]:
                ratio_rg = f"{row['mbps'] / rg:.2f}" if rg else "-"
                ratio_pcre2 = f"{row['mbps'] / pcre2:.2f}" if pcre2 else "-"
            label = corpus_label(name, corpus) if first else ""
            lines.append(
                f"{label:<14} {size if first else '':>9} {f'{share:.1%}' if first else '':>9}  {row['label']:<34} "
                f"{fmt(row['mbps']):>8} {fmt(row['files_per_s'], 0):>8} {fmt(row['rss_mb']):>11} "
                f"{fmt(row['cores'], 2):>5} "
                f"{(fmt(row['spread_pct'], 0) + '%') if row['spread_pct'] is not None else '-':>7} "
                f"{ratio_rg:>6} {ratio_pcre2:>8}" + (f"  ({row['failed']} failed)" if row["failed"] else ""))
            first = False
    lines.append("cores: CPU time / wall time (how many cores the run kept busy); spread: (slowest - fastest) / "
                 "median of the rounds; lw/rg, lw/pcre2: leakwatch MB/s over that tool's on the same corpus")
    lines.append("")
    lines += targets(summary, corpora, scaling)
    if failures:
        lines.append("")
        lines.append("FAILED RUNS:")
        lines += [f"  {failure}" for failure in failures]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(args.work, "results.txt"), "w", encoding="utf-8") as out:
        out.write(text + "\n")
    with open(os.path.join(args.work, "results.json"), "w", encoding="utf-8") as out:
        json.dump({"corpora": corpora, "patterns": patterns, "runs": runs, "summary": summary,
                   "rounds": args.rounds, "load_average": [load_before, load_after],
                   "core_scaling": scaling}, out, indent=2)
    if interrupted:
        return 130
    return 1 if failures else 0


def targets(summary: dict, corpora: dict, scaling: float | None = None) -> list[str]:
    """The issue's targets, met or missed, from the medians."""
    rows = []

    def get(corpus: str, tool: str, field: str):
        return summary.get(corpus, {}).get(tool, {}).get(field)

    def add(text: str, measured: str, met: bool | None):
        verdict = "-" if met is None else ("met" if met else "MISSED")
        rows.append(f"  {text:<66} {measured:>16}  {verdict}")

    full_size = corpora.get("export-1pct", {}).get("bytes", 0) >= 240 * MB
    rows.append("targets (issue 10)" + ("" if full_size else
                                         " - corpus smaller than the issue's 250 MB / 1 GB: figures are indicative"))
    one = get("export-1pct", "leakwatch-j1", "mbps")
    two = get("export-1pct", "leakwatch-j2", "mbps")
    rg = get("export-1pct", "rg", "mbps")
    pcre2 = get("export-1pct", "pcre2grep", "mbps")
    add("throughput, 1% export, 1 worker >= 250 MB/s", f"{fmt(one)} MB/s", one >= 250 if one else None)
    add(">= 0.5x rg on the same corpus, 1 worker", f"{one / rg:.2f}x" if one and rg else "-",
        one / rg >= 0.5 if one and rg else None)
    add(">= 5x pcre2grep on the same corpus, 1 worker", f"{one / pcre2:.2f}x" if one and pcre2 else "-",
        one / pcre2 >= 5 if one and pcre2 else None)
    add("2 workers >= 1.6x 1 worker on one big file (1% export)", f"{two / one:.2f}x" if one and two else "-",
        two / one >= 1.6 if one and two else None)
    if scaling is not None and one and two:
        add(f"  2 workers over 1 against this machine's ceiling ({scaling:.2f}x)",
            f"{two / one / scaling:.0%}", None)
    small = get("small", "leakwatch-j2", "files_per_s")
    count = corpora.get("small", {}).get("files", 0)
    add(f"{count:,} small exports >= 10,000 files/s, 2 workers", f"{fmt(small, 0)} files/s",
        small >= 10_000 if small else None)
    rss_keys = [key for key in summary.get("export-20pct", {}) if key.startswith("leakwatch-")]
    rss20 = max((get("export-20pct", key, "rss_mb") or 0 for key in rss_keys), default=None)
    add("peak RSS <= 150 MB, 20% export (any worker count)", f"{fmt(rss20)} MB", rss20 <= 150 if rss20 else None)
    big = corpora.get("export-big", {}).get("bytes", 0)
    rss_big = max((get("export-big", key, "rss_mb") or 0 for key in rss_keys), default=None)
    add(f"peak RSS <= 150 MB, {big / MB:,.0f} MB export", f"{fmt(rss_big)} MB",
        rss_big <= 150 if rss_big else None)
    rss1 = max((get("export-1pct", key, "rss_mb") or 0 for key in rss_keys), default=None)
    if rss1 and rss20:
        add("peak RSS flat as alerts grow: 20% export within 1.25x of 1% export", f"{rss20 / rss1:.2f}x",
            rss20 <= 1.25 * rss1)
    parse = get("export-1pct", "parse", "rss_mb")
    add("parse --format json, 1% export: bounded memory (no figure set)", f"{fmt(parse)} MB RSS", None)
    return rows


if __name__ == "__main__":
    sys.exit(main())
