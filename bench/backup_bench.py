#!/usr/bin/env python3
"""Backup benchmark (`make bench`): `hudang backup create` and `backup verify` on a home of 100,000 records.

Prints, never asserts. In one run:
- the home is built the way the report bench builds its archive (`report_bench.build_home`: CSV batches of
  complaints, repairs and registrations over 12 months, filed through the real intake, fsync off during set-up);
- first generation: `hudang backup create DEST --init` (CLI, wall and CPU), what it says it copied, and the
  bytes that really landed on DEST's disk (files of the generation whose inode no earlier generation has);
- a night's work: ~1% new records (complaints, repairs and registrations of the last month, new numbers)
  filed through the same intake;
- second generation: `hudang backup create DEST` — seconds and bytes again, and the ratio of second to first;
- `hudang backup verify DEST` (the latest generation) — seconds;
- the baseline: `cp -a` of the whole home (what a plain copy of it costs, every night).

    .venv/bin/python bench/backup_bench.py [--quick] [--records 100000] [--new-share 0.01] [--keep] [--json F]
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import common as c
import report_bench as rb

from hudang.pipeline.intake import runner
from hudang.pipeline.reports import figures


def timed_cli(home: Path, *args: str) -> tuple[dict[str, Any], float, float]:
    """`hudang --home HOME ARGS… --json`: its JSON, wall seconds, CPU seconds (user + system, children included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc, wall = c.timed(lambda: c.hudang(home, *args, "--json"))
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return json.loads(proc.stdout), wall, cpu


def new_bytes(generation: Path, seen: set[tuple[int, int]]) -> tuple[int, int, int]:
    """Bytes, allocated bytes (whole blocks, what `du` counts) and files of `generation` that take new room on
    disk: files whose inode is not in `seen` (hard links to an earlier generation cost nothing). Adds this
    generation's inodes to `seen`. Folders are not counted."""
    size = blocks = files = 0
    for dirpath, _, filenames in os.walk(generation):
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                size += st.st_size
                blocks += st.st_blocks * 512
                files += 1
    return size, blocks, files


def folder_bytes(path: Path) -> int:
    return sum(os.lstat(os.path.join(d, n)).st_size for d, _, names in os.walk(path) for n in names)


def night_of_work(home_root: Path, records: int, seed: int, last: figures.Month) -> int:
    """`records` new records of the last month, as the report bench's CSV rows with numbers of their own."""
    rng = random.Random(seed + 1)
    with tempfile.TemporaryDirectory(dir=c.BUILD) as tmp:
        for form, share in rb.WEIGHTS.items():
            target = Path(tmp) / rb.FOLDERS[form]
            target.mkdir()
            with open(target / f"新增-{last.label}.csv", "w", newline="", encoding="utf-8") as fh:
                out = csv.writer(fh)
                out.writerow(rb.HEADERS[form])
                for n in range(round(records * share)):
                    row = rb.MAKERS[form](rng, n, last)
                    if form != "registration":
                        row[0] = f"N{row[0]}"   # TS000001 is the base archive's: these are new cases
                    out.writerow(row)
        from hudang.settings import load_home

        with c.no_fsync():
            outcomes = runner.ingest(load_home(home_root), [Path(tmp)], workers=2)
    return sum(1 for o in outcomes for r in (o.rows or []) if r.status == "filed")


def main(argv: list[str] | None = None) -> int:
    parser = c.parser(__doc__, seed=8)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--new-share", type=float, default=0.01, help="new records before the second generation")
    parser.add_argument("--month", default="2026-10")
    args = c.parse(parser, argv, "backup_bench", records=1200)
    began = time.perf_counter()
    month = figures.Month.parse(args.month)
    c.header("backup bench", records=f"{args.records:,}", new_share=args.new_share)
    with c.work_dir("backup", args.keep) as work:
        root, dest = work / "home", work / "backups"
        print("  building the home (report_bench.build_home) …")
        _, build_s = c.timed(lambda: rb.build_home(root, args.records, args.seed, month))
        home_bytes = folder_bytes(root)
        print(f"  built in {build_s:.0f} s; home {home_bytes / 2**20:.0f} MiB")
        dest.mkdir()
        seen: set[tuple[int, int]] = set()

        with c.metered() as m1:
            first, first_s, first_cpu = timed_cli(root, "backup", "create", str(dest), "--init")
        first_disk, first_alloc, first_files = new_bytes(Path(first["path"]), seen)
        print(f"  first generation {first['generation']}: {first['records']:,} records, {first['units']:,} units")

        added = night_of_work(root, round(args.records * args.new_share), args.seed, month)
        print(f"  a night's work: {added:,} new records filed")

        with c.metered() as m2:
            second, second_s, second_cpu = timed_cli(root, "backup", "create", str(dest))
        second_disk, second_alloc, second_files = new_bytes(Path(second["path"]), seen)

        with c.metered() as m3:
            checked, verify_s, verify_cpu = timed_cli(root, "backup", "verify", str(dest))
        ok = all(g["ok"] for g in checked["generations"])

        plain = work / "plain-copy"
        with c.metered() as m4:
            _, copy_s = c.timed(lambda: subprocess.run(["cp", "-a", str(root), str(plain)], check=True))

        baseline = "baseline: cp -a of the whole home"
        table = c.Table([("seconds", "wall s", ".2f"), ("cpu", "CPU s", ".2f"), ("mib", "new MiB", ".1f"),
                         ("alloc", "alloc MiB", ".1f"), ("files", "new files", ".0f")], baseline=baseline,
                        ratios=["seconds", "mib"], width=48)
        table.add("backup create: first generation", m1.text(), seconds=first_s, cpu=first_cpu,
                  mib=first_disk / 2**20, alloc=first_alloc / 2**20, files=first_files)
        table.add(f"backup create: second (+{added:,} records)", m2.text(), seconds=second_s, cpu=second_cpu,
                  mib=second_disk / 2**20, alloc=second_alloc / 2**20, files=second_files)
        table.add("backup verify (latest generation)", m3.text(), seconds=verify_s, cpu=verify_cpu)
        table.add(baseline, m4.text(), seconds=copy_s, mib=home_bytes / 2**20)
        table.print()
        print(f"  hudang says: first copied {first['files_copied']:,} files {first['bytes_copied'] / 2**20:.1f} MiB, "
              f"linked {first['files_linked']:,}; second copied {second['files_copied']:,} files "
              f"{second['bytes_copied'] / 2**20:.1f} MiB, linked {second['files_linked']:,}")
        print("  new MiB: sizes of the files that are not hard links to an earlier generation; alloc MiB: the "
              "blocks they take (what du counts)")
        print(f"  second / first: seconds {second_s / first_s:.3f}, bytes {second_disk / first_disk:.4f}, "
              f"allocated {second_alloc / first_alloc:.4f}; "
              f"verify {'clean' if ok else 'FOUND PROBLEMS'} "
              f"({sum(g['checked'] for g in checked['generations']):,} archive files checked)")
        c.write_json(args.json, {
            "records": args.records, "added": added, "home_bytes": home_bytes, "build_s": build_s,
            "first": {"seconds": first_s, "cpu": first_cpu, "disk_bytes": first_disk,
                      "allocated_bytes": first_alloc, "files": first_files,
                      "reported": first},
            "second": {"seconds": second_s, "cpu": second_cpu, "disk_bytes": second_disk,
                       "allocated_bytes": second_alloc, "files": second_files,
                       "reported": second},
            "ratio_seconds": second_s / first_s, "ratio_bytes": second_disk / first_disk,
            "verify": {"seconds": verify_s, "cpu": verify_cpu, "ok": ok}, "cp_a_seconds": copy_s,
            "meters": {"first": m1.as_json(), "second": m2.as_json(), "verify": m3.as_json()}}, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
