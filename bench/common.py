"""What every bench shares: options, timing, load figures, work folders, the hudang CLI and figure tables.

A bench measures product code; this module only surrounds it. It imports hudang lazily (inside functions),
because some benches set environment variables (a fixed "now", the multiprocessing start method) that hudang
reads when it is first imported.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hudang.settings import Home

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench"
SAMPLES = ROOT / "samples"
if str(SAMPLES) not in sys.path:
    sys.path.insert(0, str(SAMPLES))   # make_samples, scanning: the generators the tests and the demo use
CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


# ---------------------------------------------------------------- options

def parser(doc: str | None, *, rounds: int | None = None, seed: int = 11) -> argparse.ArgumentParser:
    """The options every bench takes: --quick, --rounds (where rounds make sense), --json, --keep, --seed."""
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0])
    p.add_argument("--quick", action="store_true",
                   help="small sizes and one round: checks that the bench runs, its figures are not for the record")
    if rounds is not None:
        p.add_argument("--rounds", type=int, default=rounds, help=f"rounds; medians are reported (default {rounds})")
    p.add_argument("--json", type=Path, default=None, help="where the figures go (default build/bench/NAME.json)")
    p.add_argument("--keep", action="store_true", help="keep the work folder under build/bench/")
    p.add_argument("--seed", type=int, default=seed)
    return p


def parse(p: argparse.ArgumentParser, argv: Sequence[str] | None, name: str, **quick: Any) -> argparse.Namespace:
    """Parse; with --quick, every option named in `quick` that was left at its default takes the quick value."""
    args = p.parse_args(argv)
    if args.quick:
        for key, value in {"rounds": 1, **quick}.items():
            if hasattr(args, key) and getattr(args, key) == p.get_default(key):
                setattr(args, key, value)
    if args.json is None:
        args.json = BUILD / f"{name}{'-quick' if args.quick else ''}.json"
    return args


# ---------------------------------------------------------------- timing

def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    """The value of fn() and the wall seconds it took."""
    t = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t


def cpu() -> tuple[float, float]:
    """CPU seconds (user + system) of this process, and of its children that have been waited for."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def cpu_timed(fn: Callable[[], Any]) -> tuple[Any, float, float, float]:
    """The value, wall seconds, own CPU seconds and children's CPU seconds of fn()."""
    (me0, kids0), t = cpu(), time.perf_counter()
    value = fn()
    wall = time.perf_counter() - t
    me1, kids1 = cpu()
    return value, wall, me1 - me0, kids1 - kids0


@dataclass
class Rounds:
    """Seconds of each round and the last round's value."""

    seconds: list[float]
    value: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def text(self) -> str:
        return ", ".join(f"{s:.3f}" for s in self.seconds)


def rounds(fn: Callable[[], Any], n: int) -> Rounds:
    """fn() n times (at least once)."""
    got = Rounds([])
    for _ in range(max(1, n)):
        got.value, secs = timed(fn)
        got.seconds.append(secs)
    return got


def pct(values: Sequence[float], q: int) -> float:
    """The q-th percentile (inclusive method); the one value when there is one, NaN when none."""
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def met(ok: bool) -> str:
    return "met" if ok else "NOT MET"


# ---------------------------------------------------------------- load and CPU of the machine

def load() -> str:
    """The load averages (1, 5, 15 min), as `uptime` prints them."""
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}/{fifteen:.1f}"


class Meter:
    """While a run is timed: the load average before and after, and the CPU time used by processes outside this
    bench's process tree (on a shared machine a test suite alongside halves the figures) and inside it.

    Samples /proc every 0.5 s in a thread; processes living under 0.5 s are missed, kernel threads skipped."""

    def __init__(self, every: float = 0.5) -> None:
        self.every = every
        self.first: dict[tuple[int, str], int] = {}
        self.last: dict[tuple[int, str], int] = {}
        self.ours: set[tuple[int, str]] = set()
        self.others_cpu = self.ours_cpu = self.wall = 0.0
        self.load_before, self.load_after = os.getloadavg()[0], 0.0
        self._stop = threading.Event()
        self._sample(initial=True)
        self.t0 = time.monotonic()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _sample(self, initial: bool = False) -> None:
        table: dict[tuple[int, str], tuple[int, int]] = {}
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open(f"/proc/{name}/stat") as fh:
                    data = fh.read()
            except OSError:
                continue
            rest = data[data.rindex(")") + 2:].split()  # state ppid … utime(11) stime(12) … starttime(19)
            if rest[1] == "2" or name == "2":
                continue  # kernel threads
            table[(int(name), rest[19])] = (int(rest[1]), int(rest[11]) + int(rest[12]))
        by_pid = {key[0]: key for key in table}
        kids: dict[int, list[int]] = {}
        for (pid, _), (ppid, _) in table.items():
            kids.setdefault(ppid, []).append(pid)
        todo = [os.getpid()]
        while todo:
            p = todo.pop()
            if p in by_pid:
                self.ours.add(by_pid[p])
            todo.extend(kids.get(p, []))
        for key, (_, ticks) in table.items():
            self.first.setdefault(key, ticks if initial else 0)
            self.last[key] = ticks

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def stop(self) -> Meter:
        """Stop sampling; others_cpu is what others used, ours_cpu what this bench's child processes used."""
        if not self._stop.is_set():
            self._stop.set()
            self._thread.join()
            self._sample()
            hz = os.sysconf("SC_CLK_TCK")
            self.others_cpu = max(0, sum(t - self.first[k] for k, t in self.last.items() if k not in self.ours)) / hz
            self.ours_cpu = sum(t - self.first[k] for k, t in self.last.items()
                                if k in self.ours and k[0] != os.getpid()) / hz
            self.wall = time.monotonic() - self.t0
            self.load_after = os.getloadavg()[0]
        return self

    @property
    def others_share(self) -> float:
        """Others' CPU as a share of all the cores over the run."""
        return self.others_cpu / max(1e-9, self.wall * CORES)

    def text(self) -> str:
        return f"load {self.load_before:.1f}→{self.load_after:.1f}, others {100 * self.others_share:.0f}% CPU"

    def as_json(self) -> dict[str, float]:
        return {"load_before": self.load_before, "load_after": self.load_after, "others_cpu_s": self.others_cpu,
                "ours_cpu_s": self.ours_cpu, "wall_s": self.wall}


@contextmanager
def metered() -> Iterator[Meter]:
    """A Meter around the block, stopped when it ends."""
    meter = Meter()
    try:
        yield meter
    finally:
        meter.stop()


# ---------------------------------------------------------------- figure tables

@dataclass
class Row:
    name: str
    values: dict[str, float | None]
    note: str = ""      # e.g. the load figures of this row's run


@dataclass
class Table:
    """Rows of figures; each `ratio` column divides a row's figure by the baseline row's (same run)."""

    columns: list[tuple[str, str, str]]               # (key, header, format) e.g. ("rate", "forms/s", ".1f")
    baseline: str | None = None                       # the name of the baseline row
    ratios: list[str] = field(default_factory=list)   # keys given as ratio-to-baseline columns
    rows: list[Row] = field(default_factory=list)
    width: int = 44

    def add(self, name: str, note: str = "", **values: float | None) -> Table:
        self.rows.append(Row(name, values, note))
        return self

    def ratio(self, row: Row, key: str) -> float | None:
        base = next((r for r in self.rows if r.name == self.baseline), None)
        mine, theirs = row.values.get(key), base.values.get(key) if base else None
        return None if mine is None or not theirs else mine / theirs

    def print(self) -> None:
        heads = [h for _, h, _ in self.columns] + [f"{dict((k, h) for k, h, _ in self.columns)[k]} ×base"
                                                   for k in self.ratios]
        widths = [max(9, len(h)) for h in heads]
        print(f"{'':{self.width}} " + " ".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True)))
        for row in self.rows:
            cells = [("—" if row.values.get(k) is None else format(row.values[k], f)) for k, _, f in self.columns]
            cells += [("—" if (x := self.ratio(row, k)) is None else f"{x:.2f}×") for k in self.ratios]
            print(f"{row.name[:self.width]:{self.width}} " + " ".join(f"{c:>{w}}" for c, w in zip(cells, widths,
                                                                                                    strict=True))
                  + (f"  {row.note}" if row.note else ""))
        if self.baseline and self.ratios:
            print(f"  ×base: the row's figure divided by the baseline's ({self.baseline}), measured in this run")


# ---------------------------------------------------------------- work folders, homes, the CLI

@contextmanager
def work_dir(prefix: str, keep: bool) -> Iterator[Path]:
    """A fresh folder under build/bench/ (the file system a real data home would be on), removed unless keep."""
    BUILD.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir=BUILD))
    try:
        yield work
    finally:
        if keep:
            print(f"kept {work.relative_to(ROOT)}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def fresh_home(root: Path, rosters: Sequence[Path] = ()) -> Home:
    """A new data home (`init_home`), its rosters filed first through the real intake."""
    from hudang.pipeline.intake import runner
    from hudang.settings import init_home

    home, _ = init_home(root)
    if rosters:
        outs = runner.ingest(home, list(rosters), workers=1)
        assert all(o.status == "imported" for o in outs), [o.status for o in outs]
    return home


def set_config(root: Path, section: str, key: str, value: Any) -> Home:
    """Set one key of a home's config.toml, as an archivist edits it, and load the home as hudang will."""
    from hudang.settings import load_home

    config = root / "config.toml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    current, done = "", False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("["):
            current = stripped.strip("[]")
        elif current == section and stripped.split("=")[0].strip() == key:
            lines[i] = f"{key} = {json.dumps(value) if isinstance(value, str) else value}\n"
            done = True
    if not done:
        raise SystemExit(f"config.toml has no [{section}] {key}")
    config.write_text("".join(lines), encoding="utf-8")
    return load_home(root)


@contextmanager
def no_fsync() -> Iterator[None]:
    """Set-up only: file without waiting on the disk (fsync and syncfs skipped); one `sync` follows."""
    from hudang.archive import store

    real, real_syncfs = os.fsync, store.sync_filesystem
    os.fsync = lambda fd: None
    store.sync_filesystem = lambda path: None  # type: ignore[assignment]
    try:
        yield
    finally:
        os.fsync, store.sync_filesystem = real, real_syncfs  # type: ignore[assignment]
        os.sync()


def hudang_cmd() -> list[str]:
    """The installed `hudang` script, as a user runs it."""
    script = Path(sys.executable).with_name("hudang")
    return [str(script)] if script.exists() else [sys.executable, "-m", "hudang.pipeline"]


def hudang(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """`hudang --home HOME ARGS…`; a failure ends the bench with hudang's own message."""
    proc = subprocess.run([*hudang_cmd(), "--home", str(home), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"hudang {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return proc


def startup_seconds(tries: int = 3) -> float:
    """`hudang --help` wall time, best of `tries`: the process start every CLI figure includes."""
    return min(timed(lambda: subprocess.run([*hudang_cmd(), "--help"], capture_output=True))[1] for _ in range(tries))


def code_state() -> str:
    """The commit measured, and any uncommitted change to the .py files the figures depend on."""
    def git(*a: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(ROOT), *a], capture_output=True, text=True).stdout.strip()
        except OSError:
            return ""
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = [p for p in git("diff", "--name-only", "HEAD").splitlines() if p.endswith(".py")]
    if not changed:
        return f"code: {head}"
    digest = hashlib.sha256(git("diff", "HEAD", "--", *changed).encode()).hexdigest()[:12]
    return f"code: {head} + uncommitted changes to {len(changed)} .py files (diff sha256 {digest}): {', '.join(changed)}"


def header(title: str, **facts: Any) -> None:
    """The first lines of every bench: what runs, on how many cores, at which commit and load."""
    print(f"{title} — {CORES} cores available; " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in facts.items()))
    print(f"{code_state()}; {load()}")


def write_json(path: Path, summary: dict[str, Any], began: float) -> None:
    """The figures as JSON (next to the profiles), and the bench's own time."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"code": code_state(), "cores": CORES, **summary}, ensure_ascii=False, indent=2,
                               default=str), encoding="utf-8")
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    print(f"\nbench time {time.perf_counter() - began:.0f} s (before clean-up); {load()}; figures in {shown}")


# ---------------------------------------------------------------- corpora

def make_corpus(work: Path, n: int, seed: int) -> tuple[Path, list[Path], list[Path]]:
    """`make_bench_corpus`'s n mixed forms (DOCX, JSON, PDF); its rosters moved beside it, so the corpus
    folder holds exactly the n forms."""
    import make_samples as ms

    corpus = work / "corpus"
    paths = ms.make_bench_corpus(corpus, n, seed)
    (work / "rosters").mkdir()
    rosters = [Path(shutil.move(p, work / "rosters" / p.name)) for p in paths if p.parent == corpus]
    forms = [p for p in paths if p.parent != corpus]
    return corpus, rosters, forms


def json_forms(dest: Path, rng: random.Random, rooms: list[Any], first: int, n: int, *, complaints: bool = True,
               prefix: str = "") -> None:
    """n JSON forms (the cheapest to read) for `rooms`: half registrations, half complaints unless told not."""
    import make_samples as ms

    seq: dict[str, int] = {}
    for i in range(first, first + n):
        if not complaints or rng.random() < 0.5:
            form = "registration"
            fields = ms.registration_fields(rng, rng.choice(rooms), ms.rand_time(rng, *ms.MOVE_IN).date())
        else:
            form = "complaint"
            opened = ms.rand_time(rng, *ms.CASE_DAYS)
            seq[f"{opened:%Y%m}"] = seq.get(f"{opened:%Y%m}", 0) + 1
            fields, _ = ms.complaint_case(rng, rooms, opened, f"TS-{opened:%Y%m}-{seq[f'{opened:%Y%m}']:04d}")
        pairs = ms.present(rng, form, fields, vary=False)
        ms.write(dest / ms.FORM_NAMES[form] / f"{prefix}{i + 1:05d}.json", ms.json_bytes(form, pairs))


# ---------------------------------------------------------------- profiles

def profile_to(path: Path, title: str, fn: Callable[[cProfile.Profile], Any], top: int = 15) -> list[str]:
    """Run fn under cProfile (fn may pause it); write the top entries by cumulative and by own time to `path`;
    return the first own-time lines for the terminal."""
    prof = cProfile.Profile()
    prof.enable()
    try:
        fn(prof)
    finally:
        prof.disable()
    out = io.StringIO()
    out.write(f"# {title}\n\n## top {top} by cumulative time\n")
    pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(top)
    out.write(f"\n## top {top} by own time\n")
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(top)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(out.getvalue(), encoding="utf-8")
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values()) or 1.0
    rows = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:7]
    return [f"{v[2]:7.2f}s {100 * v[2] / total:4.0f}%  {v[1]:>8} calls  {Path(k[0]).name}:{k[1]}({k[2]})"
            for k, v in rows]
