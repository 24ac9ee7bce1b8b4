#!/usr/bin/env python3
"""Ingest benchmark (`make bench`): hudang's intake against a parse + fsync floor, and `rebuild`.

Figures are printed, never asserted (timed assertions do not belong in tests). The floor is measured
in the same run on the same files: parse with the same readers and worker count, then copy with the
archive's durable helpers. Everything is written under build/bench/, then removed.

    .venv/bin/python bench/ingest_bench.py [--quick] [--forms 2000] [--rebuild-records 10000] [--workers N]
                                           [--rounds 3] [--profile auto|always|never] [--keep] [--json F]
"""

from __future__ import annotations

import cProfile
import json
import os

# The latency probe wraps stages.admit in this process; workers must be forked to see it.
os.environ.setdefault("HUDANG_MP_START", "fork")
import random
import shutil
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import common as c
import make_samples as ms

from hudang.archive import durable
from hudang.archive.rebuild import rebuild_catalog
from hudang.errors import HudangError
from hudang.forms.definitions import load_forms
from hudang.forms.readers import read_document
from hudang.forms.readers.model import ReadLimits, SimpleVocabulary
from hudang.forms.table_kinds import load_table_kinds
from hudang.pipeline.intake import readers, runner, stages
from hudang.pipeline.intake.outcomes import FILED, Outcome
from hudang.settings import Home

GOAL_RATE = 150.0        # forms/s on 2 cores
GOAL_FLOOR_SHARE = 0.5   # of the floor's forms/s


@dataclass
class Run:
    """One timed way of taking in the corpus."""

    name: str
    forms: int
    seconds: float
    latencies: list[float] = field(default_factory=list)   # seconds, one per form
    statuses: Counter[str] = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)
    meter: c.Meter | None = None

    @property
    def rate(self) -> float:
        return self.forms / self.seconds

    def pct(self, q: int) -> float | None:
        """The q-th percentile of per-form latency (seconds), or None when it was not observable."""
        return c.pct(self.latencies, q) if len(self.latencies) >= 2 else None


# ---------------------------------------------------------------- ours

def run_cli(home: Path, corpus: Path, rosters: list[Path], workers: int, n: int) -> Run:
    """`hudang ingest CORPUS --json` as a user runs it: wall time including process start."""
    c.hudang(home, "init")
    c.hudang(home, "ingest", *map(str, rosters), "--json")
    with c.metered() as meter:
        proc, wall = c.timed(lambda: c.hudang(home, "ingest", str(corpus), "--workers", str(workers), "--json"))
    outcomes = json.loads(proc.stdout)["outcomes"]
    run = Run("ours: hudang ingest (CLI, wall)", n, wall, statuses=Counter(o["status"] for o in outcomes),
              meter=meter)
    run.notes["problems"] = Counter(e["code"] for o in outcomes for e in o["errors"])
    return run


@contextmanager
def instrumented(starts: dict[str, float], marks: dict[str, float]) -> Iterator[dict[str, float]]:
    """Stamp each file when its first stage starts (in the worker) and count the writer's fsyncs.

    Bench-only wrappers around `stages.admit`, `readers.read_stream` and `os.fsync`; restored on exit.
    Worker processes are forked, so they see the wrapped `stages.admit`.
    """
    admit, read_stream, fsync = stages.admit, readers.read_stream, os.fsync
    fs = {"calls": 0.0, "seconds": 0.0}

    def stamped_admit(item: stages.Item, limits: ReadLimits) -> stages.Item:
        item.bench_t0 = time.time()  # type: ignore[attr-defined]
        return admit(item, limits)

    def timed_read_stream(items: list[stages.Item], ctx: stages.Context, workers: int) -> Iterator[Any]:
        for r in read_stream(items, ctx, workers):
            item = r[0] if isinstance(r, tuple) else r
            starts[item.source] = getattr(item, "bench_t0", marks["start"])
            yield r
        marks["read_done"] = time.time()

    def counted_fsync(fd: int) -> None:
        t = time.perf_counter()
        fsync(fd)
        fs["calls"] += 1
        fs["seconds"] += time.perf_counter() - t

    stages.admit, readers.read_stream, os.fsync = stamped_admit, timed_read_stream, counted_fsync  # type: ignore[assignment]
    try:
        yield fs
    finally:
        stages.admit, readers.read_stream, os.fsync = admit, read_stream, fsync  # type: ignore[assignment]


def run_inprocess(home: Home, corpus: Path, workers: int, n: int) -> Run:
    """`runner.ingest` in this process; latency = outcome reported − that file's first stage started."""
    starts: dict[str, float] = {}
    marks: dict[str, float] = {}
    reported: list[tuple[str, float]] = []

    def on_outcome(out: Outcome) -> None:
        reported.append((out.source, time.time()))

    with instrumented(starts, marks) as fs, c.metered() as meter:
        marks["start"] = time.time()
        t0 = time.perf_counter()
        outcomes = runner.ingest(home, [corpus], workers=workers, on_outcome=on_outcome)
        seconds = time.perf_counter() - t0
        end = time.time()
    run = Run("ours: runner.ingest (in-process)", n, seconds, statuses=Counter(o.status for o in outcomes),
              meter=meter)
    run.latencies = [t - starts.get(src, marks["start"]) for src, t in reported]
    since_start = sorted(t - marks["start"] for _, t in reported)
    read_phase = marks.get("read_done", marks["start"]) - marks["start"]
    run.notes.update(
        problems=Counter(e["code"] for o in outcomes for e in o.errors),
        read_phase_s=read_phase, file_phase_s=end - marks.get("read_done", marks["start"]),
        first_outcome_s=since_start[0] if since_start else None,
        since_start_p50_s=statistics.median(since_start) if since_start else None,
        fsyncs=int(fs["calls"]), fsync_s=fs["seconds"])
    return run


# ---------------------------------------------------------------- floor

_VOCAB: SimpleVocabulary | None = None
_LIMITS = ReadLimits()


def _floor_init() -> None:
    global _VOCAB
    _VOCAB = stages.vocabulary(load_forms(), load_table_kinds())


def _floor_one(src: str, dest: str) -> tuple[float, str]:
    """Parse one file with the same reader, then copy it durably with the archive's own helpers
    (`durable.copy_file`: hashed, file fsync; then `durable.fsync_dir` of its folder)."""
    t0 = time.time()
    assert _VOCAB is not None
    try:
        read_document(Path(src), _VOCAB, _LIMITS)
        status = "parsed"
    except HudangError as exc:
        status = exc.code
    durable.copy_file(Path(src), Path(dest))
    durable.fsync_dir(Path(dest).parent)
    return t0, status


def run_floor(forms: list[Path], dest: Path, workers: int) -> Run:
    dest.mkdir()
    t0 = time.perf_counter()
    latencies, statuses = [], Counter[str]()
    with c.metered() as meter, ProcessPoolExecutor(max_workers=workers, initializer=_floor_init) as pool:
        futures = [pool.submit(_floor_one, str(p), str(dest / f"{i:05d}{p.suffix}")) for i, p in enumerate(forms)]
        for fut in as_completed(futures):
            started, status = fut.result()
            latencies.append(time.time() - started)
            statuses[status] += 1
    return Run("floor: parse + copy + fsync", len(forms), time.perf_counter() - t0, latencies, statuses,
               meter=meter)


def fsync_cost(folder: Path, n: int = 200) -> float:
    """Median seconds for one small write + fsync on this file system (`durable.write_bytes`)."""
    folder.mkdir()
    return statistics.median(c.timed(lambda i=i: durable.write_bytes(folder / f"{i}", b"x" * 2048))[1]
                             for i in range(n))


# ---------------------------------------------------------------- rebuild

def build_archive(work: Path, records: int, seed: int, workers: int) -> tuple[Home, float]:
    """A home holding `records` records made from bulk JSON forms; tops up if some are quarantined."""
    t0 = time.perf_counter()
    rng = random.Random(seed)
    rooms = ms.make_rooms(rng)
    src = work / "rebuild-src"
    rosters = ms.write_rosters(src / "rosters", rooms)
    filed, first = 0, 0
    with c.no_fsync():
        home = c.fresh_home(work / "rebuild-home", rosters)
        while filed < records:
            batch = src / f"forms-{first}"
            want = records - filed
            c.json_forms(batch, rng, rooms, first, want, complaints=first == 0)  # top-ups: no 编号 collisions
            outs = runner.ingest(home, [batch], workers=workers)
            filed += sum(o.status == FILED for o in outs)
            first += want
    shutil.rmtree(src)
    return home, time.perf_counter() - t0


def plain_walk(archive: Path) -> int:
    """The baseline: read and json.loads every fields.json and provenance.json, no SQLite."""
    n = 0
    for dirpath, _, filenames in os.walk(archive / "estates"):
        if "fields.json" in filenames:
            json.loads(Path(dirpath, "fields.json").read_text(encoding="utf-8"))
            json.loads(Path(dirpath, "provenance.json").read_text(encoding="utf-8"))
            n += 1
    return n


def run_rebuild(home: Home, rounds: int) -> dict[str, Any]:
    """The CLI, the API and the plain walk, alternated; seconds are the median of rounds."""
    plain_walk(home.archive)  # warm the page cache alike for all three
    got: dict[str, list[float]] = {"walk_s": [], "cli_s": [], "api_s": []}
    for _ in range(rounds):
        versions, secs = c.timed(lambda: plain_walk(home.archive))
        got["walk_s"].append(secs)
        os.sync()
        cli, secs = c.timed(lambda: json.loads(c.hudang(home.root, "rebuild", "--json").stdout))
        got["cli_s"].append(secs)
        os.sync()
        api, secs = c.timed(lambda: rebuild_catalog(home.archive, home.catalog_path))
        got["api_s"].append(secs)
    return {"versions": versions, "cli": cli, "api": api, "rounds": got,
            **{k: statistics.median(v) for k, v in got.items()}}


# ---------------------------------------------------------------- profiles

def profile_writer(home: Home, corpus: Path, workers: int) -> Callable[[cProfile.Profile], None]:
    """`runner.ingest` with the profiler paused while files are read: forked workers would inherit it."""
    def go(prof: cProfile.Profile) -> None:
        read_stream = readers.read_stream

        def paused(items: list[stages.Item], ctx: stages.Context, n: int) -> Iterator[Any]:
            stream = read_stream(items, ctx, n)
            while True:
                prof.disable()
                try:
                    result = next(stream, None)
                finally:
                    prof.enable()
                if result is None:
                    return
                yield result
        readers.read_stream = paused  # type: ignore[assignment]
        try:
            runner.ingest(home, [corpus], workers=workers)
        finally:
            readers.read_stream = read_stream  # type: ignore[assignment]
    return go


def profile_read_side(home: Home, forms: list[Path], per_kind: int = 60) -> Callable[[cProfile.Profile], None]:
    """The worker's stages (admit → snapshot → read → classify) serially on a sample of each kind."""
    ctx = stages.Context.load(home)
    sample = [p for ext in (".docx", ".json", ".pdf") for p in [f for f in forms if f.suffix == ext][:per_kind]]

    def go(_: cProfile.Profile) -> None:
        for path in sample:
            readers.read_one(stages.Item(path=path, root=path.parent.parent, source=str(path)), ctx)
    return go


# ---------------------------------------------------------------- report

def combine(runs: list[Run]) -> Run:
    """Rounds of one kind: the median time, every form's latency, the last round's counts and notes."""
    seconds = statistics.median(r.seconds for r in runs)
    merged = Run(runs[0].name, runs[0].forms, seconds, [x for r in runs for x in r.latencies],
                 runs[-1].statuses, runs[-1].notes, runs[-1].meter)
    merged.notes["rounds"] = [r.rate for r in runs]
    merged.notes["statuses"] = [dict(r.statuses) for r in runs]
    return merged


def ms_(seconds: float | None) -> float | None:
    return None if seconds is None else 1000 * seconds


def print_table(runs: list[Run], floor: Run) -> None:
    table = c.Table([("forms", "forms", "d"), ("seconds", "seconds", ".2f"), ("rate", "forms/s", ".1f"),
                     ("p50", "p50 ms", ",.0f"), ("p95", "p95 ms", ",.0f")], baseline=floor.name,
                    ratios=["rate", "p50"], width=36)
    for r in [*runs, floor]:
        table.add(r.name, r.meter.text() if r.meter else "", forms=r.forms, seconds=r.seconds, rate=r.rate,
                  p50=ms_(r.pct(50)), p95=ms_(r.pct(95)))
    table.print()


def ingest_rounds(work: Path, corpus: Path, rosters: list[Path], forms: list[Path], workers: int,
                  rounds: int) -> tuple[Run, Run, Run, list[Run]]:
    """Ours (CLI and in-process) and the floor, each on a fresh home/folder; order reversed every round."""
    got: dict[str, list[Run]] = {"cli": [], "api": [], "floor": []}
    for r in range(rounds):
        for which in ("cli", "api", "floor") if r % 2 == 0 else ("floor", "api", "cli"):
            os.sync()  # nobody else's dirty pages in the next run's fsyncs
            if which == "cli":
                got[which].append(run_cli(work / f"home-cli-{r}", corpus, rosters, workers, len(forms)))
            elif which == "api":
                got[which].append(run_inprocess(c.fresh_home(work / f"home-api-{r}", rosters), corpus, workers,
                                                len(forms)))
            else:
                got[which].append(run_floor(forms, work / f"floor-copy-{r}", workers))
    return combine(got["cli"]), combine(got["api"]), combine(got["floor"]), got["api"]


def report_ingest(cli: Run, api: Run, floor: Run, api_rounds: list[Run], workers: int, cores: int) -> bool:
    """Print the table, outcome counts, where the time went and the goal lines; True if below a goal."""
    print_table([cli, api], floor)
    print(f"  forms/s per round: CLI {' / '.join(f'{x:.1f}' for x in cli.notes['rounds'])};"
          f" in-process {' / '.join(f'{x:.1f}' for x in api.notes['rounds'])};"
          f" floor {' / '.join(f'{x:.1f}' for x in floor.notes['rounds'])}")
    print("  seconds and forms/s: median of rounds; p50/p95: every form of every round."
          " CLI latency is not observable from outside the process.\n")
    for r in (cli, api, floor):
        problems = f"  problems: {dict(r.notes['problems'])}" if r.notes.get("problems") else ""
        print(f"outcomes, {r.name}: {' | '.join(map(str, r.notes['statuses']))}{problems}")
    print()
    for i, n in enumerate(r.notes for r in api_rounds):
        print(f"in-process round {i + 1}: last file read at {n['read_phase_s']:.2f} s ({workers} workers, filing "
              f"alongside), filing done {n['file_phase_s']:.2f} s later; first outcome at {n['first_outcome_s']:.2f} s, median at "
              f"{n['since_start_p50_s']:.2f} s; writer fsyncs {n['fsyncs']} ({n['fsyncs'] / api.forms:.1f}/form, "
              f"{n['fsync_s']:.2f} s waiting; plus two syncfs per group of 64)")
    print("floor: 2 fsyncs per form (file, folder), in the workers")
    print(f"CLI process start (`hudang --help`, best of 3): {c.startup_seconds():.2f} s\n")
    need = GOAL_FLOOR_SHARE * floor.rate
    print(f"goal ≥ {GOAL_RATE:.0f} forms/s on 2 cores:  CLI {cli.rate:.1f} {c.met(cli.rate >= GOAL_RATE)}; "
          f"in-process {api.rate:.1f} {c.met(api.rate >= GOAL_RATE)}")
    print(f"goal ≥ {GOAL_FLOOR_SHARE}× floor ({need:.1f} forms/s): CLI {cli.rate / floor.rate:.2f}× "
          f"{c.met(cli.rate >= need)}; in-process {api.rate / floor.rate:.2f}× {c.met(api.rate >= need)}")
    if cores != 2:
        print(f"  (measured on {cores} cores; the goal is stated for 2)")
    return min(cli.rate, api.rate) < max(GOAL_RATE, need)


def report_rebuild(rb: dict[str, Any], build_s: float) -> None:
    print(f"  built in {build_s:.1f} s: {rb['cli']['records']} records, {rb['versions']} versions, "
          f"{rb['cli']['imports']} imports (page cache warm for all three below)")
    table = c.Table([("records", "records", "d"), ("seconds", "seconds", ".2f"), ("rate", "records/s", ".0f")],
                    baseline="baseline: walk + json.loads", ratios=["rate"], width=36)
    for name, count, secs in (("hudang rebuild (CLI, wall)", rb["cli"]["records"], rb["cli_s"]),
                              ("rebuild_catalog (in-process)", rb["api"]["records"], rb["api_s"]),
                              ("baseline: walk + json.loads", rb["versions"], rb["walk_s"])):
        table.add(name, records=count, seconds=secs, rate=count / secs)
    table.print()
    print("  seconds per round: " + "; ".join(f"{k.removesuffix('_s')} " + " / ".join(f"{x:.2f}" for x in v)
                                            for k, v in rb["rounds"].items()))


def run_profiles(work: Path, corpus: Path, rosters: list[Path], forms: list[Path], workers: int,
                 rebuild_home: Home) -> None:
    phome = c.fresh_home(work / "home-prof", rosters)
    jobs = [
        ("profile-ingest.txt", f"runner.ingest of {len(forms)} forms, {workers} workers: the writer process, "
         "profiler paused while workers read", profile_writer(phome, corpus, workers)),
        ("profile-read.txt", "read side: admit → snapshot → read → classify, 60 files of each kind, serially",
         profile_read_side(phome, forms)),
        ("profile-rebuild.txt", "rebuild_catalog, in-process",
         lambda _: rebuild_catalog(rebuild_home.archive, rebuild_home.catalog_path)),
    ]
    for name, title, fn in jobs:
        top = c.profile_to(c.BUILD / name, title, fn)
        print(f"build/bench/{name} — {title}; top by own time:\n    " + "\n    ".join(top))


def main(argv: list[str] | None = None) -> int:
    parser = c.parser(__doc__, rounds=3, seed=11)
    parser.add_argument("--forms", type=int, default=2000, help="mixed forms to ingest (default 2000)")
    parser.add_argument("--rebuild-records", type=int, default=10000, help="records for rebuild (default 10000)")
    parser.add_argument("--workers", type=int, default=c.CORES, help=f"reader processes (default cores = {c.CORES})")
    parser.add_argument("--profile", choices=["auto", "always", "never"], default="auto",
                        help="cProfile ours when below a goal (auto), always, or never")
    args = c.parse(parser, argv, "ingest_bench", forms=150, rebuild_records=300, profile="never")
    began = time.perf_counter()
    c.header("hudang ingest bench", reader_workers=args.workers, forms=args.forms, rounds=args.rounds)
    with c.work_dir("ingest", args.keep) as work:
        (corpus, rosters, forms), gen_s = c.timed(lambda: c.make_corpus(work, args.forms, args.seed))
        kinds = Counter(p.suffix.lstrip(".").upper() for p in forms)
        size = sum(p.stat().st_size for p in forms)
        print(f"corpus: {len(forms)} forms ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}), "
              f"{size / 1048576:.1f} MB, + {len(rosters)} rosters ingested first; generated in {gen_s:.1f} s")
        os.sync()
        fsync_s = fsync_cost(work / "fsync-probe")
        print(f"disk: one small write + fsync takes {1000 * fsync_s:.2f} ms (median of 200)\n")

        cli, api, floor, api_rounds = ingest_rounds(work, corpus, rosters, forms, args.workers, args.rounds)
        below = report_ingest(cli, api, floor, api_rounds, args.workers, c.CORES)

        print(f"\nrebuild: building an archive of {args.rebuild_records} records from bulk JSON forms "
              "(set-up only: fsync skipped, then one sync) …")
        home, build_s = build_archive(work, args.rebuild_records, args.seed + 1, args.workers)
        rb = run_rebuild(home, args.rounds)
        report_rebuild(rb, build_s)

        if args.profile == "always" or (args.profile == "auto" and below):
            print("\nprofiling ours" + (" (below goal)" if below else "") + " …")
            run_profiles(work, corpus, rosters, forms, args.workers, home)

        c.write_json(args.json, {
            "workers": args.workers, "forms": len(forms), "fsync_ms": 1000 * fsync_s,
            "runs": {r.name: {"seconds": r.seconds, "rate": r.rate, "rounds": r.notes["rounds"],
                              "p50_ms": ms_(r.pct(50)), "p95_ms": ms_(r.pct(95)), "statuses": r.notes["statuses"],
                              "meter": r.meter and r.meter.as_json()} for r in (cli, api, floor)},
            "in_process_rounds": [{k: v for k, v in r.notes.items() if k not in ("problems", "rounds")}
                                  for r in api_rounds],
            "rebuild": rb}, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
