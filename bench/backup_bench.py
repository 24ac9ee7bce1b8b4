#!/usr/bin/env python3
"""Backup benchmark (`make bench`): `hudang backup create`, `verify` and `restore` on a home of 100,000 records.

Prints, never asserts. In one run:
- the home is built the way the report bench builds its archive (`report_bench.build_home`: CSV batches of
  complaints, repairs and registrations over 12 months, filed through the real intake, fsync off during set-up);
  with `--home PATH` a home built that way before (e.g. kept by `--keep`) is used instead: it is copied with
  `cp -a` into the work folder first, and that copy is the baseline;
- first generation: `hudang backup create DEST --init` (CLI, wall and CPU), and what it took on DEST's disk;
- a night's work: ~1% new records (complaints, repairs and registrations of the last month, new numbers)
  filed through the same intake;
- second generation: `hudang backup create DEST` — seconds and disk again, and the ratio of second to first;
- `hudang backup verify DEST` (the latest generation: every unit it lists re-hashed in the store);
- `hudang backup restore DEST TARGET` (the home materialised from the store, the index rebuilt, verified);
- the baseline: `cp -a` of the whole home (what a plain copy of it costs, every night).

    .venv/bin/python bench/backup_bench.py [--quick] [--records 100000] [--new-share 0.01] [--home PATH] [--keep]
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


def new_bytes(root: Path, seen: set[tuple[int, int]]) -> tuple[int, int, int, int]:
    """What took new room under ``root`` since the last call: bytes and allocated bytes (whole blocks, what
    `du` counts) of files whose inode is not in ``seen`` (a hard link costs nothing), how many such files,
    and the allocated bytes of new folders. Adds what it found to ``seen``."""
    size = blocks = files = folders = 0
    for dirpath, _, filenames in os.walk(root):
        st = os.lstat(dirpath)
        if (st.st_dev, st.st_ino) not in seen:
            seen.add((st.st_dev, st.st_ino))
            folders += st.st_blocks * 512
        for name in filenames:
            st = os.lstat(os.path.join(dirpath, name))
            key = (st.st_dev, st.st_ino)
            if key not in seen:
                seen.add(key)
                size += st.st_size
                blocks += st.st_blocks * 512
                files += 1
    return size, blocks, files, folders


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
    parser.add_argument("--home", type=Path, help="a home report_bench.build_home made before (copied, not changed)")
    args = c.parse(parser, argv, "backup_bench", records=1200)
    began = time.perf_counter()
    month = figures.Month.parse(args.month)
    c.header("backup bench", records=f"{args.records:,}", new_share=args.new_share)
    with c.work_dir("backup", args.keep) as work:
        root, dest = work / "home", work / "backups"
        if args.home:
            print(f"  copying the prebuilt home {args.home} (cp -a: the baseline) …")
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with c.metered() as m4:
                _, copy_s = c.timed(lambda: subprocess.run(["cp", "-a", str(args.home), str(root)], check=True))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            _, copy_alloc, _, copy_dirs = new_bytes(root, set())
            build_s = 0.0
        else:
            print("  building the home (report_bench.build_home) …")
            _, build_s = c.timed(lambda: rb.build_home(root, args.records, args.seed, month))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            with c.metered() as m4:
                _, copy_s = c.timed(lambda: subprocess.run(["cp", "-a", str(root), str(work / "plain-copy")],
                                                           check=True))
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            _, copy_alloc, _, copy_dirs = new_bytes(work / "plain-copy", set())
            subprocess.run(["rm", "-rf", str(work / "plain-copy")], check=True)
        copy_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        home_bytes = folder_bytes(root)
        print(f"  home {home_bytes / 2**20:.0f} MiB of files (built in {build_s:.0f} s); cp -a {copy_s:.1f} s")
        dest.mkdir()
        seen: set[tuple[int, int]] = set()

        with c.metered() as m1:
            first, first_s, first_cpu = timed_cli(root, "backup", "create", str(dest), "--init")
        first_disk, first_alloc, first_files, first_dirs = new_bytes(dest, seen)
        print(f"  first generation {first['generation']}: {first['records']:,} records, {first['units']:,} units")

        added = night_of_work(root, round(args.records * args.new_share), args.seed, month)
        print(f"  a night's work: {added:,} new records filed")

        with c.metered() as m2:
            second, second_s, second_cpu = timed_cli(root, "backup", "create", str(dest))
        second_disk, second_alloc, second_files, second_dirs = new_bytes(dest, seen)
        print(f"  second generation: {second['units_new']:,} new units, {second['units_shared']:,} shared")

        with c.metered() as m3:
            checked, verify_s, verify_cpu = timed_cli(root, "backup", "verify", str(dest))
        ok = all(g["ok"] for g in checked["generations"])

        target = work / "restored"
        with c.metered() as m5:
            restored, restore_s, restore_cpu = timed_cli(root, "backup", "restore", str(dest), str(target))

        baseline = "baseline: cp -a of the whole home"
        table = c.Table([("seconds", "wall s", ".1f"), ("cpu", "CPU s", ".1f"), ("mib", "new MiB", ".1f"),
                         ("alloc", "alloc MiB", ".1f"), ("files", "new files", ".0f")], baseline=baseline,
                        ratios=["seconds", "alloc"], width=48)
        table.add("backup create: first generation", m1.text(), seconds=first_s, cpu=first_cpu,
                  mib=first_disk / 2**20, alloc=(first_alloc + first_dirs) / 2**20, files=first_files)
        table.add(f"backup create: second (+{added:,} records)", m2.text(), seconds=second_s, cpu=second_cpu,
                  mib=second_disk / 2**20, alloc=(second_alloc + second_dirs) / 2**20, files=second_files)
        table.add("backup verify (latest generation)", m3.text(), seconds=verify_s, cpu=verify_cpu)
        table.add("backup restore (index rebuilt, verified)", m5.text(), seconds=restore_s, cpu=restore_cpu)
        table.add(baseline, m4.text(), seconds=copy_s, cpu=copy_cpu, mib=home_bytes / 2**20,
                  alloc=(copy_alloc + copy_dirs) / 2**20)
        table.print()
        print(f"  hudang says: first copied {first['files_copied']:,} files {first['bytes_copied'] / 2**20:.1f} MiB; "
              f"second copied {second['files_copied']:,} files {second['bytes_copied'] / 2**20:.1f} MiB, "
              f"linked {second['files_linked']:,} unchanged files of the home")
        print("  new MiB: sizes of the files on DEST that were not there before (hard links cost nothing); "
              "alloc MiB: the blocks they and the new folders take (what du counts)")
        print(f"  second / first: seconds {second_s / first_s:.3f}, CPU {second_cpu / max(first_cpu, 1e-9):.3f}, "
              f"allocated {(second_alloc + second_dirs) / (first_alloc + first_dirs):.4f}; "
              f"verify {'clean' if ok else 'FOUND PROBLEMS'} "
              f"({sum(g['checked'] for g in checked['generations']):,} archive files checked); restore "
              f"{restored['records']:,} records, verify {'clean' if restored['verify_ok'] else 'FOUND PROBLEMS'}")
        c.write_json(args.json, {
            "records": args.records, "added": added, "home_bytes": home_bytes, "build_s": build_s,
            "first": {"seconds": first_s, "cpu": first_cpu, "disk_bytes": first_disk,
                      "allocated_bytes": first_alloc + first_dirs, "files": first_files, "reported": first},
            "second": {"seconds": second_s, "cpu": second_cpu, "disk_bytes": second_disk,
                       "allocated_bytes": second_alloc + second_dirs, "files": second_files, "reported": second},
            "ratio_seconds": second_s / first_s,
            "verify": {"seconds": verify_s, "cpu": verify_cpu, "ok": ok},
            "restore": {"seconds": restore_s, "cpu": restore_cpu, "ok": restored["verify_ok"]},
            "cp_a": {"seconds": copy_s, "cpu": copy_cpu},
            "meters": {"first": m1.as_json(), "second": m2.as_json(), "verify": m3.as_json(),
                       "restore": m5.as_json()}}, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
