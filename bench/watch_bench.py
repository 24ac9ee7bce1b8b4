#!/usr/bin/env python3
"""Intake-service benchmark (`make bench`): `hudang watch` drop-to-filed latency, burst throughput vs
`hudang ingest`, and peak memory during a 10,000-file burst.

Figures are printed, never asserted. Every service is a real `hudang watch` subprocess on a fresh data
home (rosters ingested first) with the default stability window (config [watch] stable_seconds) and
rescan_seconds = 60. Outcomes are observed from outside: a file appearing under `<intake>/.done/`
(single-file latency) and the outcome counts in `<home>/run/watch-state.json` (what `hudang status`
reports). Everything is written under build/bench/, then removed.

    .venv/bin/python bench/watch_bench.py [--quick] [--forms 2000] [--latency-files 40] [--rounds 2]
                                          [--burst-10k/--no-burst-10k] [--diagnose auto|always|never] [--json F]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common as c
import make_samples as ms
from common import CORES, met, pct

from hudang.pipeline.service.watch import STATE
from hudang.settings import load_home

RESCAN = 60.0
GOAL_LATENCY_SLACK = 1.0   # p95 within the stability window + 1 s
GOAL_RATIO = 0.8           # watcher forms/s vs `hudang ingest` forms/s


# ---------------------------------------------------------------- small helpers

def read_state(home: Path) -> dict[str, Any]:
    try:
        return json.loads((home / "run" / STATE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def outcome_total(state: dict[str, Any]) -> int:
    return sum(state.get("today", {}).get("counts", {}).values())


def count_entries(folder: Path) -> int:
    try:
        with os.scandir(folder) as it:
            return sum(1 for _ in it)
    except OSError:
        return 0


def wait_for(cond: Callable[[], bool], timeout: float, step: float = 0.05) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def others_of(meter: c.Meter) -> tuple[float, float]:
    """(CPU seconds used by processes outside this bench, wall seconds) over the metered run."""
    meter.stop()
    return meter.others_cpu, meter.wall


def others(cpu: tuple[float, float], cores: int) -> str:
    used, wall = cpu
    return f"{used:.1f} CPU-s in {wall:.0f} s ({100 * used / (wall * cores):.0f}% of {cores} cores)"


# ---------------------------------------------------------------- corpus and homes

def new_home(path: Path, rosters: list[Path]) -> float:
    """A fresh home with the rosters filed and `[watch] rescan_seconds` set; returns the stability window the
    service will use (its default, read as hudang reads it)."""
    c.fresh_home(path, rosters)
    home = c.set_config(path, "watch", "rescan_seconds", RESCAN)
    assert home.watch.rescan_seconds == RESCAN and not home.watch.polling, home.watch
    return home.watch.stable_seconds


# ---------------------------------------------------------------- the service and its memory

class Watcher:
    """`hudang watch` as a subprocess; ready once it has written its state (start-up scan done)."""

    def __init__(self, home: Path, argv: list[str] | None = None) -> None:
        self.home = home
        self.log = home / f"watch-bench-{time.monotonic_ns()}.log"
        self._out = open(self.log, "w")  # noqa: SIM115
        self.proc = subprocess.Popen(argv or [*c.hudang_cmd(), "--home", str(home), "watch"],
                                     stdout=self._out, stderr=subprocess.STDOUT)
        ok = wait_for(lambda: read_state(home).get("pid") == self.proc.pid or self.proc.poll() is not None, 30)
        if not ok or self.proc.poll() is not None:
            self.stop()
            sys.exit(f"hudang watch did not start:\n{self.log.read_text(encoding='utf-8')[-2000:]}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()
        return self.proc.returncode


def descendants(pid: int) -> list[tuple[int, int]]:
    """(pid, parent) for pid and every process below it (the forkserver and its reader workers)."""
    found, todo = [], [(pid, 0)]
    while todo:
        p, parent = todo.pop()
        found.append((p, parent))
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    todo.extend((int(c), p) for c in fh.read().split())
        except OSError:
            continue
    return found


def _kb(path: str, key: str) -> int:
    try:
        with open(path) as fh:
            for line in fh:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


@dataclass
class MemSample:
    t: float
    rss_kb: int
    pss_kb: int
    procs: int
    per: dict[str, int] = field(default_factory=dict)   # RSS kB by role: service, forkserver, worker …


@dataclass
class MemWatch:
    """Samples RSS (and PSS) summed over the service and its descendants every `every` seconds."""

    pid: int
    every: float = 0.1
    samples: list[MemSample] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def role(self, pid: int, parent: int) -> str:
        """Workers are forked from the forkserver, so they carry its command line: tell them by parent."""
        if pid == self.pid:
            return "service"
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read()
        except OSError:
            return "other"
        if b"resource_tracker" in cmd:
            return "resource_tracker"
        return "forkserver" if parent == self.pid and b"forkserver" in cmd else "workers"

    def sample(self) -> MemSample:
        pids = descendants(self.pid)
        per: Counter[str] = Counter()
        for p, parent in pids:
            per[self.role(p, parent)] += _kb(f"/proc/{p}/status", "VmRSS:")
        return MemSample(time.monotonic(), sum(per.values()),
                         sum(_kb(f"/proc/{p}/smaps_rollup", "Pss:") for p, _ in pids), len(pids), dict(per))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.samples.append(self.sample())
            self._stop.wait(self.every)

    def start(self) -> MemWatch:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def window(self, t0: float, t1: float) -> list[MemSample]:
        return [s for s in self.samples if t0 <= s.t <= t1]


def mb(kb: float) -> str:
    return f"{kb / 1024:,.0f} MB"


# ---------------------------------------------------------------- 1. single-file latency

class DonePoller:
    """Notes when each file name first appears under <intake>/.done/*/ (polled every 20 ms)."""

    def __init__(self, intake: Path, every: float = 0.02) -> None:
        self.done = intake / ".done"
        self.every = every
        self.seen: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            t = time.monotonic()
            try:
                days = [e.path for e in os.scandir(self.done) if e.is_dir()]
            except OSError:
                days = []
            for day in days:
                try:
                    with os.scandir(day) as it:
                        for e in it:
                            self.seen.setdefault(e.name, t)
                except OSError:
                    pass
            self._stop.wait(self.every)

    def __enter__(self) -> DonePoller:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class Latency:
    stable: float
    ms: list[float]
    statuses: dict[str, int]
    missing: int
    kinds: dict[str, list[float]]
    others: tuple[float, float] = (0.0, 0.0)


def run_latency(work: Path, rosters: list[Path], forms: list[Path], n: int, spacing: float) -> Latency:
    home = work / "home-latency"
    stable = new_home(home, rosters)
    intake = home / "intake"
    for name in ms.FORM_NAMES.values():
        (intake / name).mkdir(parents=True, exist_ok=True)
    sample = forms[:n]  # make_bench_corpus cycles DOCX, JSON, PDF
    dropped: dict[str, tuple[float, str]] = {}
    w = Watcher(home)
    try:
        time.sleep(1.0)
        os.sync()
        with DonePoller(intake) as poller:
            cpu = c.Meter()
            start = time.monotonic()
            for i, src in enumerate(sample):
                time.sleep(max(0.0, start + i * spacing - time.monotonic()))
                dest = intake / src.parent.name / f"lat{i:03d}{src.suffix}"
                part = dest.with_name(dest.name + ".part")
                part.write_bytes(src.read_bytes())         # as an office PC copies: temp name first …
                os.rename(part, dest)                      # … then the final name
                dropped[dest.name] = (time.monotonic(), src.suffix.lstrip(".").upper())
            wait_for(lambda: all(k in poller.seen for k in dropped), 3 * stable + 30)
            seen = dict(poller.seen)
            other = others_of(cpu)
        wait_for(lambda: outcome_total(read_state(home)) >= len(seen), 5)
        statuses = read_state(home).get("today", {}).get("counts", {})
    finally:
        w.stop()
    lat = {k: 1000 * (seen[k] - t) for k, (t, _) in dropped.items() if k in seen}
    kinds: dict[str, list[float]] = {}
    for k, (_, kind) in dropped.items():
        if k in lat:
            kinds.setdefault(kind, []).append(lat[k])
    return Latency(stable, sorted(lat.values()), statuses, len(dropped) - len(lat), kinds, other)


# ---------------------------------------------------------------- 2. burst throughput

@dataclass
class Burst:
    name: str
    forms: int
    seconds: float
    statuses: dict[str, int]
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return self.forms / self.seconds


def run_ingest(work: Path, tag: str, corpus: Path, rosters: list[Path], n: int, workers: int) -> Burst:
    home = work / f"home-ingest-{tag}"
    new_home(home, rosters)
    os.sync()
    cpu = c.Meter()
    t0 = time.perf_counter()
    proc = c.hudang(home, "ingest", str(corpus), "--workers", str(workers), "--json")
    wall = time.perf_counter() - t0
    outcomes = json.loads(proc.stdout)["outcomes"]
    b = Burst("hudang ingest DIR (CLI, wall)", n, wall, dict(Counter(o["status"] for o in outcomes)))
    b.notes["others"] = others_of(cpu)
    b.notes["cpu"] = cpu.ours_cpu
    return b


def follow(home: Path, expect: int, t0: float, timeout: float,
           mem: MemWatch | None = None) -> tuple[float | None, list[tuple[float, int, int, int]]]:
    """Poll watch-state.json until `expect` outcomes; returns seconds since t0 and a timeline of
    (s, outcomes, files claimed and not yet filed, queue) at every change (the state is written at most once a second)."""
    timeline: list[tuple[float, int, int, int]] = []
    last: tuple[int, int, int] | None = None
    deadline = t0 + timeout
    while time.monotonic() < deadline:
        state = read_state(home)
        now = (outcome_total(state), int(state.get("processing", 0)), int(state.get("queue", 0)))
        t = time.monotonic() - t0
        if now != last:
            timeline.append((t, *now))
            last = now
        if now[0] >= expect:
            return t, timeline
        time.sleep(0.05)
    return None, timeline


def run_watch(work: Path, tag: str, corpus: Path, rosters: list[Path], n: int, workers: int,
              argv: list[str] | None = None) -> Burst:
    """A fresh home, the service idle, then the prepared folder renamed into the intake folder in one go."""
    home = work / f"home-watch-{tag}"
    stable = new_home(home, rosters)
    drop = work / f"drop-{tag}"
    shutil.copytree(corpus, drop)
    w = Watcher(home, argv and [*argv, str(home)])
    try:
        time.sleep(1.0)
        os.sync()
        cpu = c.Meter()
        t0 = time.monotonic()
        os.rename(drop, home / "intake" / f"burst-{tag}")
        secs, timeline = follow(home, n, t0, 300)
        other = others_of(cpu)
        status = json.loads(c.hudang(home, "status", "--json").stdout)
    finally:
        w.stop()
    if secs is None:
        sys.exit(f"watcher round {tag}: only {timeline[-1][1] if timeline else 0} of {n} outcomes in 300 s")
    first = next((t for t, done, *_ in timeline if done > 0), secs)
    b = Burst(f"hudang watch, {n}-file drop", n, secs, status["today"]["counts"])
    b.notes.update(others=other, cpu=cpu.ours_cpu, stable=stable, first_outcome_s=first, timeline=timeline, waiting=status["waiting_in_intake"],
                   peak_claims=max(c for _, _, c, _ in timeline))
    return b


def throughput_rounds(work: Path, corpus: Path, rosters: list[Path], n: int, workers: int,
                      rounds: int) -> tuple[list[Burst], list[Burst]]:
    ingests: list[Burst] = []
    watches: list[Burst] = []
    for r in range(rounds):
        for which in ("ingest", "watch") if r % 2 == 0 else ("watch", "ingest"):
            if which == "ingest":
                ingests.append(run_ingest(work, str(r), corpus, rosters, n, workers))
            else:
                watches.append(run_watch(work, str(r), corpus, rosters, n, workers))
    return ingests, watches


# ---------------------------------------------------------------- 3. 10,000-file burst, memory

def run_memory(work: Path, rosters: list[Path], seed: int, n: int) -> dict[str, Any]:
    home = work / "home-10k"
    new_home(home, rosters)
    src = work / "burst-10k"
    t = time.perf_counter()
    # the rooms make_bench_corpus(seed) drew first, so its rosters know them
    c.json_forms(src, random.Random(seed + 1), ms.make_rooms(random.Random(seed)), 0, n, prefix="b")
    gen_s = time.perf_counter() - t
    max_queue = load_home(home).watch.max_queue
    w = Watcher(home)
    started = time.monotonic()
    mem = MemWatch(w.proc.pid).start()
    try:
        time.sleep(3.0)
        idle_before = mem.window(started, time.monotonic())
        os.sync()
        cpu = c.Meter()
        t0 = time.monotonic()
        os.rename(src, home / "intake" / "burst")
        secs, timeline = follow(home, n, t0, 240)
        other = others_of(cpu)
        t1 = time.monotonic()
        time.sleep(3.0)
        idle_after = mem.window(t1 + 0.5, time.monotonic())
        status = json.loads(c.hudang(home, "status", "--json").stdout)
    finally:
        mem.stop()
        w.stop()
    burst = mem.window(t0, t1)
    peak = max(burst, key=lambda s: s.rss_kb)
    done_files = sum(len(files) for _, _, files in os.walk(home / "intake" / ".done"))
    # the first `max_queue` files arrive through events; the rest wait for the rescan
    # events bring the first max_queue files; the rest wait for a rescan, seen as the queue growing again
    full = next((i for i, (*_, q) in enumerate(timeline) if q >= max_queue), None)
    refill = None if full is None else next(
        (timeline[i] for i in range(full + 1, len(timeline)) if timeline[i][3] > timeline[i - 1][3]), None)
    growth = []  # RSS as outcomes pass each quarter: growing with files done would mean it is not bounded
    for k in (1, 2, 3, 4):
        at = next((t for t, done, *_ in timeline if done >= k * n // 4), None)
        near = [x for x in burst if at is not None and abs(x.t - t0 - at) <= 0.5]
        growth.append((k * n // 4, max((x.rss_kb for x in near), default=0), dict(near[-1].per) if near else {}))
    return {"n": n, "gen_s": gen_s, "seconds": secs, "timeline": timeline, "status": status,
            "done_files": done_files, "max_queue": max_queue, "peak_queue": max(q for *_, q in timeline),
            "idle_before": max(s.rss_kb for s in idle_before), "idle_before_pss": max(s.pss_kb for s in idle_before),
            "idle_before_procs": idle_before[-1].procs,
            "idle_after": max(s.rss_kb for s in idle_after), "idle_after_pss": max(s.pss_kb for s in idle_after),
            "idle_after_procs": idle_after[-1].procs,
            "peak": peak.rss_kb, "peak_pss": max(s.pss_kb for s in burst), "peak_procs": peak.procs,
            "peak_per": peak.per, "idle_after_per": idle_after[-1].per,
            "peak_at": peak.t - t0, "rescan_refill": refill, "growth": growth,
            "started_to_drop": t0 - started, "others": other}


# ---------------------------------------------------------------- diagnosis: where the watcher's time goes

def serve_instrumented(home: str, out: str) -> int:
    """`hudang --home HOME watch` in this process with timers around the loop's steps; dumps them to OUT."""
    from hudang.pipeline.cli.main import cli
    from hudang.pipeline.intake import readers
    from hudang.pipeline.service import claims
    from hudang.pipeline.service import watch as w

    tot: dict[str, float] = defaultdict(float)
    calls: Counter[str] = Counter()
    takes: list[tuple[float, float, int, dict[str, float]]] = []
    ready_sizes: list[int] = []
    t_start = time.monotonic()

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                tot[name] += time.perf_counter() - t
                calls[name] += 1
        return wrapper

    stream = readers.Readers.stream

    def timed_stream(self: Any, items: list[Any]) -> Iterator[Any]:
        it = stream(self, items)
        while True:
            t = time.perf_counter()
            try:
                r = next(it)
            except StopIteration:
                tot["read_wait"] += time.perf_counter() - t
                return
            tot["read_wait"] += time.perf_counter() - t
            yield r

    take, ready = w.Service._take, w.Service._ready
    threads: dict[str, float] = {}   # CPU-s by thread kind, at the last snapshot (threads end with the service)
    events: Counter[str] = Counter()

    def snapshot_threads() -> None:
        kinds = {th.native_id: "main thread (loop, claims, writer)" if th is threading.main_thread()
                 else th.name if th.name.startswith("hudang-") else type(th).__name__ for th in threading.enumerate()}
        got: dict[str, float] = defaultdict(float)
        for tid in os.listdir("/proc/self/task"):
            try:
                with open(f"/proc/self/task/{tid}/stat") as fh:
                    rest = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            got[kinds.get(int(tid), "other threads")] += (int(rest[11]) + int(rest[12])) / os.sysconf("SC_CLK_TCK")
        threads.clear()
        threads.update(got)

    def timed_take(self: Any, paths: list[Path], readers: Any) -> None:
        t, before = time.monotonic(), dict(tot)
        take(self, paths, readers)
        takes.append((t - t_start, time.monotonic() - t_start, len(paths),
                      {k: tot[k] - before.get(k, 0.0) for k in ("claim", "read_wait", "file_items", "release")}))
        snapshot_threads()

    dispatch = w._Hints.dispatch

    def counted_dispatch(self: Any, event: Any) -> None:
        t = time.thread_time()
        try:
            dispatch(self, event)
        finally:
            tot["hint_handler_cpu"] += time.thread_time() - t
            path = os.fsdecode(event.src_path)
            where = ".processing/.done" if "/.processing" in path or "/.done" in path else "intake"
            events[f"{where} {event.event_type}"] += 1

    def sized_ready(self: Any) -> list[Path]:
        got = ready(self)
        ready_sizes.append(len(self.seen))
        return got

    claims.claim_round = timed("claim", claims.claim_round)  # type: ignore[assignment]
    claims.release = timed("release", claims.release)  # type: ignore[assignment]
    w.file_items = timed("file_items", w.file_items)  # type: ignore[assignment]
    w.Service._ready = timed("ready", sized_ready)  # type: ignore[method-assign]
    w.Service._take = timed_take  # type: ignore[method-assign]
    w.Service._scan = timed("scan", w.Service._scan)  # type: ignore[method-assign]
    w.Service._write_state = timed("write_state", w.Service._write_state)  # type: ignore[method-assign]
    readers.Readers.stream = timed_stream  # type: ignore[method-assign]
    w._Hints.dispatch = counted_dispatch  # type: ignore[method-assign]
    if hasattr(w, "open_elsewhere"):  # the open-file check before claiming, where the service has one
        w.open_elsewhere = timed("open_elsewhere", w.open_elsewhere)
    try:
        cli.main(["--home", home, "watch"], standalone_mode=False)
    finally:
        cpu = os.times()
        Path(out).write_text(json.dumps({"tot": tot, "calls": calls, "takes": takes, "threads": threads,
                                         "events": events, "process_cpu": cpu.user + cpu.system,
                                         "max_seen": max(ready_sizes, default=0),
                                         "ready_calls_with_queue": sum(1 for s in ready_sizes if s)}), encoding="utf-8")
    return 0


def micro_costs(work: Path, n: int = 256) -> dict[str, float]:
    """Per-file cost of claim and release on this disk, and of one stat (what _ready does per seen file)."""
    from hudang.pipeline.service import claims
    intake = work / "micro-intake"
    (intake / "f").mkdir(parents=True)
    paths = []
    for i in range(n):
        p = intake / "f" / f"{i}.json"
        p.write_bytes(b"{}" * 500)
        paths.append(p)
    os.sync()
    t: float = time.perf_counter()
    got = claims.claim_round(intake, [(p, -1, 0.0) for p in paths])
    claim_s = (time.perf_counter() - t) / n
    t = time.perf_counter()
    for claim in got:
        assert claim is not None
        claims.release(intake, claim, "move")
    release_s = (time.perf_counter() - t) / n
    done = list((intake / ".done").rglob("*.json"))
    t = time.perf_counter()
    for _ in range(5):
        for p in done:
            os.stat(p)
    stat_s = (time.perf_counter() - t) / (5 * len(done))
    return {"claim_ms": 1000 * claim_s, "release_ms": 1000 * release_s, "stat_us": 1e6 * stat_s}


def diagnose(work: Path, corpus: Path, rosters: list[Path], forms: list[Path], n: int,
             workers: int) -> dict[str, Any]:
    """The first n forms (four batches of 256 by default) through an instrumented service."""
    subset = work / "corpus-diag"
    for p in forms[:n]:
        (subset / p.parent.name).mkdir(parents=True, exist_ok=True)
        shutil.copy2(p, subset / p.parent.name / p.name)
    out = work / "diag.json"
    argv = [sys.executable, str(Path(__file__).resolve()), "--serve-instrumented", str(out)]
    b = run_watch(work, "diag", subset, rosters, min(n, len(forms)), workers, argv=argv)
    d = json.loads(out.read_text(encoding="utf-8"))
    d["burst"] = b
    d["micro"] = micro_costs(work)
    return d


# ---------------------------------------------------------------- report

def report_latency(lat: Latency, spacing: float) -> bool:
    p50, p95 = pct(lat.ms, 50), pct(lat.ms, 95)
    goal = 1000 * (lat.stable + GOAL_LATENCY_SLACK)
    print(f"{'':44} {'files':>6} {'p50 ms':>8} {'p95 ms':>8} {'min ms':>8} {'max ms':>8}")
    print(f"{'single-file drop → in .done (all)':44} {len(lat.ms):6d} {p50:8,.0f} {p95:8,.0f} "
          f"{min(lat.ms):8,.0f} {max(lat.ms):8,.0f}")
    for kind, v in sorted(lat.kinds.items()):
        print(f"{'  ' + kind:44} {len(v):6d} {pct(v, 50):8,.0f} {pct(v, 95):8,.0f} {min(v):8,.0f} {max(v):8,.0f}")
    print(f"  written as *.part, renamed to the final name, one every {spacing:.1f} s; outcome = the file appears "
          f"under intake/.done/ (polled every 20 ms); outcomes {lat.statuses}"
          + (f"; {lat.missing} never arrived" if lat.missing else ""))
    print(f"  other processes on this machine meanwhile: {others(lat.others, CORES)}")
    print(f"  of which the stability window alone: {1000 * lat.stable:,.0f} ms; above it: p50 "
          f"{p50 - 1000 * lat.stable:,.0f} ms, p95 {p95 - 1000 * lat.stable:,.0f} ms")
    ok = p95 <= goal and not lat.missing
    print(f"goal p95 ≤ stability window + 1 s ({goal:,.0f} ms): p95 {p95:,.0f} ms {met(ok)}")
    return ok


def report_throughput(ingests: list[Burst], watches: list[Burst]) -> bool:
    stable = watches[0].notes["stable"]
    print(f"{'':44} {'forms':>6} {'seconds':>8} {'forms/s':>8} {'minus window':>13} {'vs ingest':>10} "
          f"{'others CPU':>11} {'hudang CPU-s':>13}")
    rows: list[tuple[str, Burst, float | None, float | None]] = []
    for i, (a, b) in enumerate(zip(ingests, watches, strict=True)):
        rows.append((f"round {i + 1}: hudang ingest DIR (CLI, wall)", a, None, None))
        rows.append((f"round {i + 1}: hudang watch, drop → all outcomes", b, b.forms / (b.seconds - stable),
                     b.rate / a.rate))
    for name, r, minus, ratio in rows:
        print(f"{name:44} {r.forms:6d} {r.seconds:8.2f} {r.rate:8.1f} "
              f"{'' if minus is None else f'{minus:8.1f} f/s':>13} {'' if ratio is None else f'{ratio:9.2f}×':>10} "
              f"{100 * r.notes['others'][0] / (r.notes['others'][1] * CORES):10.0f}% {r.notes['cpu']:13.1f}")
    mi = statistics.median(r.seconds for r in ingests)
    mw = statistics.median(r.seconds for r in watches)
    n = ingests[0].forms
    ratio = (n / mw) / (n / mi)
    ratio_minus = (n / (mw - stable)) / (n / mi)
    print("medians of the rounds:")
    c.Table([("forms", "forms", "d"), ("seconds", "seconds", ".2f"), ("rate", "forms/s", ".1f"),
             ("minus", "minus window", ".1f")], baseline="hudang ingest DIR (CLI, wall)", ratios=["rate"]) \
        .add("hudang ingest DIR (CLI, wall)", forms=n, seconds=mi, rate=n / mi) \
        .add("hudang watch, drop → all outcomes", forms=n, seconds=mw, rate=n / mw, minus=n / (mw - stable)) \
        .print()
    for i, (a, b) in enumerate(zip(ingests, watches, strict=True)):
        print(f"  round {i + 1} outcomes: ingest {a.statuses}; watch {b.statuses} "
              f"(left in intake {b.notes['waiting']}); watch first outcome at {b.notes['first_outcome_s']:.2f} s, "
              f"most claims held at once {b.notes['peak_claims']}")
    ci = statistics.median(r.notes["cpu"] for r in ingests)
    cw = statistics.median(r.notes["cpu"] for r in watches)
    print(f"  hudang CPU-s: CPU time of the ingest process or the service, with their reader workers, over the timed "
          f"run (sampled every 0.5 s). Median {1000 * ci / n:.1f} CPU-ms/form for ingest, {1000 * cw / n:.1f} for the "
          f"watcher; {CORES} cores kept {100 * ci / (mi * CORES):.0f}% vs {100 * cw / (mw * CORES):.0f}% busy")
    print(f"  others CPU: CPU time used by processes outside this bench during the timed run, as a share of "
          f"{CORES} cores (anything above a few % makes the figures pessimistic)")
    print(f"  watch timing: from the rename of the prepared folder into intake/ to the moment watch-state.json "
          f"counts {n} outcomes (polled every 50 ms); the stability window is {stable:g} s")
    ok = ratio >= GOAL_RATIO
    print(f"goal watcher ≥ {GOAL_RATIO}× ingest forms/s: {ratio:.2f}× {met(ok)} "
          f"(without the window: {ratio_minus:.2f}×)")
    return ok


def report_memory(m: dict[str, Any]) -> None:
    st = m["status"]
    counts = st["today"]["counts"]
    print(f"  {m['n']} JSON forms generated in {m['gen_s']:.1f} s; dropped {m['started_to_drop']:.1f} s after the "
          f"service started (rescan every {RESCAN:g} s, max_queue {m['max_queue']})")
    print(f"{'':44} {'RSS (sum)':>10} {'PSS (sum)':>10} {'processes':>10}")
    print(f"{'idle, before the burst':44} {mb(m['idle_before']):>10} {mb(m['idle_before_pss']):>10} "
          f"{m['idle_before_procs']:10d}")
    peak_row = f"peak during the {m['n']:,}-file burst"
    print(f"{peak_row:44} {mb(m['peak']):>10} {mb(m['peak_pss']):>10} "
          f"{m['peak_procs']:10d}")
    print(f"{'idle, after the burst':44} {mb(m['idle_after']):>10} {mb(m['idle_after_pss']):>10} "
          f"{m['idle_after_procs']:10d}")
    print(f"  peak at {m['peak_at']:.1f} s into the burst; peak / idle-before {m['peak'] / m['idle_before']:.2f}×, "
          f"peak / idle-after {m['peak'] / m['idle_after']:.2f}× (RSS summed over the service, the forkserver and "
          "its reader workers, sampled every 0.1 s from /proc; PSS splits shared pages)")
    secs = m["seconds"]
    print("  RSS by process at the peak: " + ", ".join(f"{k} {mb(v)}" for k, v in m["peak_per"].items())
          + "; idle after: " + ", ".join(f"{k} {mb(v)}" for k, v in m["idle_after_per"].items()))
    print(f"  other processes on this machine during the burst: {others(m['others'], CORES)}")
    print(f"  files watched at once (state 'queue'): at most {m['peak_queue']} (bound {m['max_queue']})")
    if m["rescan_refill"]:
        t, done, _, q = m["rescan_refill"]
        print(f"  the rest waited for the rescan: at {t:.1f} s into the burst ({t + m['started_to_drop']:.1f} s after "
              f"start) the queue grew again to {q}, with {done} outcomes out")
    print("  RSS as outcomes passed: " + "; ".join(
        f"{k:,}: {mb(v)} ({', '.join(f'{r} {mb(x)}' for r, x in per.items())})" for k, v, per in m["growth"]))
    all_filed = counts.get("filed", 0) == m["n"] and m["done_files"] == m["n"] and st["waiting_in_intake"] == 0
    print(f"  all {m['n']} outcomes after {'—' if secs is None else f'{secs:.1f} s'}: {counts}; files in .done "
          f"{m['done_files']}; left in intake {st['waiting_in_intake']}; quarantine {st['quarantine']} → "
          + (f"all {m['n']:,} filed" if all_filed else "NOT all filed"))


def report_diagnosis(d: dict[str, Any]) -> None:
    b: Burst = d["burst"]
    tot, calls, takes = defaultdict(float, d["tot"]), Counter(d["calls"]), d["takes"]
    stable = b.notes["stable"]
    writer = tot["file_items"] - tot["read_wait"]
    active = sum(t1 - t0 for t0, t1, *_ in takes)
    span = takes[-1][1] - takes[0][0] if takes else 0.0
    sizes = [n for _, _, n, _ in takes]
    gaps = [takes[i + 1][0] - takes[i][1] for i in range(len(takes) - 1)]
    print(f"  instrumented `hudang watch` (in-process timers), same {b.forms}-file drop: all outcomes at "
          f"{b.seconds:.2f} s ({b.rate:.1f} forms/s); others' CPU {others(b.notes['others'], CORES)}")
    print(f"  first batch taken {b.seconds - span:.2f} s after the drop (window {stable:g} s + tick + event delivery); "
          f"then {len(takes)} batches (sizes {min(sizes)}–{max(sizes)}) over {span:.2f} s, "
          f"{active:.2f} s inside them, {sum(gaps):.2f} s between them")
    rows = [("claim rounds: journal, renames, folder syncs", tot["claim"], calls["claim"]),
            ("waiting for readers (results in order)", tot["read_wait"], calls["file_items"]),
            ("writer: checks, units, group commits", writer, calls["file_items"]),
            ("release (releaser thread): rename to .done", tot["release"], calls["release"]),
            ("_ready(): stat every watched file", tot["ready"], calls["ready"]),
            ("_scan() of folders", tot["scan"], calls["scan"]),
            ("_write_state()", tot["write_state"], calls["write_state"]),
            ("open_elsewhere(): every process's open files, per batch", tot["open_elsewhere"], calls["open_elsewhere"])]
    for name, secs, n in rows:
        if not n and name.startswith("open_elsewhere"):
            continue
        print(f"    {name:56} {secs:7.2f} s  {n:6d} calls")
    if d.get("threads"):
        gone = d["process_cpu"] - sum(d["threads"].values())
        print(f"  service process CPU {d['process_cpu']:.1f} s over the run; by thread: "
              + ", ".join(f"{k} {v:.1f} s" for k, v in sorted(d["threads"].items(), key=lambda kv: -kv[1]))
              + f"; threads that had ended (hudang-index commits …) {gone:.1f} s")
        ev = Counter(d["events"])
        hidden = sum(v for k, v in ev.items() if k.startswith(".processing/.done"))
        print(f"  watchdog events handled: {sum(ev.values())} ({hidden} of them under .processing/ and .done/, "
              f"the service's own moves); handler CPU {tot['hint_handler_cpu']:.2f} s; "
              + ", ".join(f"{k} {v}" for k, v in ev.most_common(8)))
    print("  per batch (files: claim / wait for readers / writer / release on its thread meanwhile, seconds):")
    for i, (t0, t1, n, p) in enumerate(takes):
        print(f"    batch {i + 1} at {t0 - takes[0][0]:5.2f} s, {n:3d} files: {p['claim']:.2f} / {p['read_wait']:.2f} / "
              f"{p['file_items'] - p['read_wait']:.2f} / {p['release']:.2f}  ({t1 - t0:.2f} s)")
    m = d["micro"]
    print(f"  on this disk, claiming costs {m['claim_ms']:.2f} ms a file in a round of 256, one release {m['release_ms']:.2f} ms, "
          f"one stat {m['stat_us']:.1f} µs (256 files); most files watched at once {d['max_seen']}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--serve-instrumented"]:
        return serve_instrumented(argv[2], argv[1])
    parser = c.parser(__doc__, rounds=2, seed=11)
    parser.add_argument("--forms", type=int, default=2000, help="forms in the burst (default 2000)")
    parser.add_argument("--latency-files", type=int, default=40, help="single files dropped (default 40)")
    parser.add_argument("--spacing", type=float, default=0.5, help="seconds between single drops (default 0.5)")
    parser.add_argument("--burst-10k", action=argparse.BooleanOptionalAction, default=True,
                        help="peak memory during a 10,000-file JSON burst (default on)")
    parser.add_argument("--diagnose", choices=["auto", "always", "never"], default="auto",
                        help="time the watcher's steps when a goal is not met (auto), always, or never")
    parser.add_argument("--diagnose-forms", type=int, default=1024, help="forms for the diagnosis (default 1024)")
    parser.add_argument("--workers", type=int, default=CORES, help=f"ingest reader processes (default {CORES}; "
                        "the service uses its default, the CPU count)")
    args = c.parse(parser, argv, "watch_bench", forms=90, latency_files=6, burst_10k=False, diagnose="never")
    began = time.perf_counter()
    c.header("hudang watch bench", burst=f"{args.forms} forms", rounds=args.rounds,
             single_drops=args.latency_files)
    with c.work_dir("watch", args.keep) as work:
        t = time.perf_counter()
        corpus, rosters, forms = c.make_corpus(work, args.forms, args.seed)
        t = time.perf_counter() - t
        kinds = Counter(p.suffix.lstrip(".").upper() for p in forms)
        size = sum(p.stat().st_size for p in forms)
        print(f"corpus: {len(forms)} forms ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
              f"{size / 1048576:.1f} MB, + {len(rosters)} rosters ingested into every fresh home; "
              f"generated in {t:.1f} s")

        print("\n1. drop-to-filed latency, single files")
        lat = run_latency(work, rosters, forms, args.latency_files, args.spacing)
        print(f"  config [watch] stable_seconds = {lat.stable:g} (default), rescan_seconds = {RESCAN:g}, "
              f"polling = false (inotify)")
        lat_ok = report_latency(lat, args.spacing)

        print(f"\n2. throughput: {args.forms}-file burst through the watcher vs `hudang ingest` of the same files")
        ingests, watches = throughput_rounds(work, corpus, rosters, len(forms), args.workers, args.rounds)
        tp_ok = report_throughput(ingests, watches)

        mem = None
        if args.burst_10k:
            print("\n3. memory: 10,000-file JSON burst into a running service")
            mem = run_memory(work, rosters, args.seed, 10_000)
            report_memory(mem)

        diag = None
        if args.diagnose == "always" or (args.diagnose == "auto" and not (lat_ok and tp_ok)):
            print("\nwhere the watcher's time goes" + (" (below a goal)" if not (lat_ok and tp_ok) else ""))
            diag = diagnose(work, corpus, rosters, forms, args.diagnose_forms, args.workers)
            report_diagnosis(diag)

        c.write_json(args.json, {
            "forms": len(forms), "stable_seconds": lat.stable, "rescan_seconds": RESCAN,
            "latency": {"ms": lat.ms, "p50_ms": pct(lat.ms, 50), "p95_ms": pct(lat.ms, 95), "goal_met": lat_ok,
                        "statuses": lat.statuses},
            "throughput": {"ingest": [{"seconds": r.seconds, "rate": r.rate, "statuses": r.statuses,
                                       "cpu_s": r.notes["cpu"], "others_cpu_s": r.notes["others"]} for r in ingests],
                           "watch": [{"seconds": r.seconds, "rate": r.rate, "statuses": r.statuses,
                                      "first_outcome_s": r.notes["first_outcome_s"], "cpu_s": r.notes["cpu"],
                                      "others_cpu_s": r.notes["others"],
                                      "timeline": r.notes["timeline"]} for r in watches],
                           "goal_met": tp_ok},
            "memory_10k": mem,
            "diagnosis": diag and {k: v for k, v in diag.items() if k != "burst"},
        }, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
