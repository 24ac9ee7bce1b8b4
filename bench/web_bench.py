"""Web benchmark (`make bench`): `hudang serve --workers 2` on a home of 100,000 records, people in browsers.

1. Office load: 20 logged-in sessions for 60 s, each opening a search, household or record page (chosen at
   random, equally) and then pausing 1–3 s as a person does. p95 per page type, errors (goal 0), household and
   record pages p95 ≤ 300 ms, search pages p95 ≤ the same queries' in-process p95 (`app.search` on one open
   Session, the kept-open case) + 100 ms.
2. Saturation: the same 20 sessions with no pauses: pages per second and p95.
   The load generator (threads in this process, one keep-alive connection per session) shares the 2 cores with
   the server: its CPU seconds are printed beside each phase.
3. Upload: 500 mixed forms (DOCX, JSON, PDF; make_samples' bench corpus) sent to `POST /api/v1/ingest` in
   requests of 50 files (the web's `ingest.upload`, as the 上传 page calls it) vs `hudang ingest` of the same
   files into an identical fresh home. Goal ≥ 0.8×.

The 100,000-record home is built as report_bench builds its archive (batch CSVs through the real intake) and kept
under build/bench/web-home-<records>-<seed>/ for later runs (--fresh rebuilds it).

    .venv/bin/python bench/web_bench.py [--quick] [--records 100000] [--sessions 20] [--seconds 60] [--forms 500]
"""

from __future__ import annotations

import http.client
import json
import random
import re
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import common as c
import report_bench as rb

from hudang.pipeline.app.ingest import BATCH_FILES
from hudang.pipeline.reports import figures
from hudang.settings import load_home

USER, PASSWORD = "bench主管", "bench-密码-2026"
QUERIES = ("渗漏水", "电梯 停运", "噪音", "门禁卡", "水管爆裂", "外墙渗水", "楼道灯", "车位", "垃圾", "宠物粪便",
           "投诉人:王先生", "渗漏水 -卫生间", "维修类别:水电", "严重程度:重大", "电梯 OR 门禁")
HOUSEHOLD_GOAL_MS = 300.0
SEARCH_MARGIN_MS = 100.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """One logged-in person: a keep-alive connection, the session and CSRF cookies, the page's CSRF token."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        self.cookies: dict[str, str] = {}
        self.token = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, str]:
        head = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "Referer": f"http://127.0.0.1:{self.port}/", **(headers or {})}
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            head["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):
            try:
                self.conn.request(method, urllib.parse.quote(path, safe="/?=&%"), body=body, headers=head)
                response = self.conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()   # a keep-alive connection the server closed: once more on a new one
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
        if found:
            self.token = found.group(1)
        return response.status, text

    def log_in(self) -> None:
        self.request("GET", "/login/")
        status, _ = self.request("POST", "/login/", {"username": USER, "password": PASSWORD, "next": "/",
                                                     "csrfmiddlewaretoken": self.token})
        if status != 302:
            raise SystemExit(f"login failed: HTTP {status}")
        self.request("GET", "/")   # the search page: the CSRF token after login


@dataclass
class Phase:
    times: dict[str, list[float]] = field(default_factory=lambda: {"search": [], "household": [], "record": []})
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    generator_cpu: float = 0.0

    def pages(self) -> int:
        return sum(len(v) for v in self.times.values())


def visit(browser: Browser, kind: str, rng: random.Random, targets: dict[str, list[str]]) -> tuple[bool, str]:
    if kind == "search":
        status, text = browser.request("POST", "/", {"q": rng.choice(QUERIES),
                                                     "csrfmiddlewaretoken": browser.token, "sort": "relevance"})
        return status == 200 and "共 " in text, f"search {status}"
    if kind == "household":
        status, text = browser.request("GET", f"/households/{rng.choice(targets['households'])}/")
        return status == 200 and "档案记录" in text, f"household {status}"
    rid = rng.choice(targets["records"])
    status, text = browser.request("GET", f"/records/{rid}/")
    return status == 200 and rid in text and "版本" in text, f"record {status}"


def load(port: int, sessions: int, seconds: float, pauses: bool, targets: dict[str, list[str]], seed: int) -> Phase:
    browsers = [Browser(port) for _ in range(sessions)]
    for b in browsers:
        b.log_in()
    phase, lock = Phase(), threading.Lock()
    start = time.monotonic()
    cpu0 = sum(c.cpu()[:1])

    def person(n: int, browser: Browser) -> None:
        rng = random.Random(seed * 1000 + n)
        while time.monotonic() - start < seconds:
            kind = rng.choice(("search", "household", "record"))
            t = time.perf_counter()
            try:
                ok, what = visit(browser, kind, rng, targets)
            except Exception as exc:  # noqa: BLE001 - every failure is counted, the run goes on
                ok, what = False, f"{kind} {type(exc).__name__}: {exc}"
            took = time.perf_counter() - t
            with lock:
                phase.times[kind].append(took)
                if not ok:
                    phase.errors.append(what)
            if pauses:
                time.sleep(rng.uniform(1.0, 3.0))

    threads = [threading.Thread(target=person, args=(n, b)) for n, b in enumerate(browsers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds = time.monotonic() - start
    phase.generator_cpu = sum(c.cpu()[:1]) - cpu0
    for b in browsers:
        b.conn.close()
    return phase


def cost(port: int, targets: dict[str, list[str]], seed: int, n: int) -> dict[str, float]:
    """The server's CPU per page of each type, one person opening ``n`` pages of it one after another: CPU
    seconds (the server's processes, from /proc), which waiting for a core on a shared machine does not
    inflate — so a goal missed under load can be told apart from a page that costs too much."""
    browser, rng, out = Browser(port), random.Random(seed), {}
    browser.log_in()
    for kind in ("search", "household", "record"):
        visit(browser, kind, rng, targets)   # warm: this worker's first page of the kind
        with c.metered() as meter:
            for _ in range(n):
                visit(browser, kind, rng, targets)
        out[kind] = 1000 * meter.ours_cpu / n
    browser.conn.close()
    return out


WORKERS = 0
"""gunicorn workers of the bench's server (``--workers``; 0: `hudang serve`'s own default, 2 a core)."""


def serve(home: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    workers = ["--workers", str(WORKERS)] if WORKERS else []
    with log.open("w") as out:
        server = subprocess.Popen([*c.hudang_cmd(), "--home", str(home), "serve", "--port", str(port), *workers],
                                  stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while True:
        try:
            http.client.HTTPConnection("127.0.0.1", port, timeout=5).request("GET", "/login/")
            return server
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"hudang serve did not start:\n{log.read_text()[-2000:]}") from None
            time.sleep(0.3)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=60)


def add_user(home: Path) -> str:
    listed = json.loads(c.hudang(home, "users", "list", "--json").stdout)["users"]
    if not any(u["name"] == USER for u in listed):
        proc = subprocess.run([*c.hudang_cmd(), "--home", str(home), "users", "add", USER, "--role", "主管",
                               "--password-stdin"], input=PASSWORD + "\n", capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(proc.stderr)
    return str(json.loads(c.hudang(home, "users", "token", USER, "--json").stdout)["token"])


def targets_of(home: Path, rng: random.Random, n: int = 500) -> dict[str, list[str]]:
    conn = sqlite3.connect(home.catalog_path if hasattr(home, "catalog_path") else load_home(home).catalog_path)
    ids = [r[0] for r in conn.execute("SELECT record_id FROM records WHERE voided = 0")]
    holds = [f"{r[0]}/{r[1]}" for r in conn.execute("SELECT DISTINCT estate, household FROM records WHERE voided = 0")]
    conn.close()
    return {"records": rng.sample(ids, min(n, len(ids))), "households": rng.sample(holds, min(n, len(holds)))}


def in_process_search_p95(home: Path) -> tuple[float, int]:
    """The same queries through `app.search` on one Session kept open (no HTTP, no page): p95 ms."""
    from hudang.pipeline.app.search import search
    from hudang.pipeline.app.session import Session

    took = []
    with Session(load_home(home), "bench") as s:
        search(s, QUERIES[0])   # warm
        for _ in range(3):
            for q in QUERIES:
                t = time.perf_counter()
                search(s, q, limit=20)
                took.append(time.perf_counter() - t)
    return 1000 * c.pct(took, 95), len(took)


def warm(port: int, token: str, n: int = 8) -> None:
    """A server that has been running: each gunicorn worker has loaded its views (Django imports them on a
    worker's first request), as `hudang ingest`'s figure includes its own start but not a server's."""
    def one() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        conn.request("GET", "/api/v1/due", headers={"Authorization": f"Token {token}"})
        conn.getresponse().read()
        conn.close()

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def send_upload(home: Path, work: Path, corpus: Path, forms: list[Path], per: int, more: bool,
                name: str) -> dict[str, Any]:
    """The corpus folder sent to a fresh server on ``home`` as the 上传 page sends a dropped folder: ``per`` files
    a request, each with its path in the folder; with ``more`` every request but the last says more follow (the
    page's way: one index commit for the upload), without it each request makes its own index commit (the
    web's way before). Wall, the server's CPU (gunicorn and its reader processes, from /proc), the sender's."""
    token = add_user(home)
    port = free_port()
    server = serve(home, port, work / f"serve-upload-{name}.log")
    statuses: dict[str, int] = {}
    try:
        warm(port, token)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        with c.metered() as meter:
            (me0, _), t = c.cpu(), time.perf_counter()
            for i in range(0, len(forms), per):
                boundary = f"hudangbench{i}"
                parts = []
                for path in forms[i:i + per]:
                    rel = path.relative_to(corpus.parent).as_posix()   # corpus/投诉处理单/00001.docx
                    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
                                 f'filename="{urllib.parse.quote(path.name)}"\r\nContent-Type: application/octet-stream'
                                 f'\r\n\r\n'.encode() + path.read_bytes() + b"\r\n")
                    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="paths"\r\n\r\n'
                                 f'{rel}\r\n'.encode())
                if more and i + per < len(forms):
                    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="more"\r\n\r\n1\r\n'.encode())
                body = b"".join(parts) + f"--{boundary}--\r\n".encode()
                conn.request("POST", "/api/v1/ingest", body=body,
                             headers={"Authorization": f"Token {token}",
                                      "Content-Type": f"multipart/form-data; boundary={boundary}"})
                response = conn.getresponse()
                answer = json.loads(response.read())
                if response.status != 200:
                    raise SystemExit(f"upload failed: {response.status} {answer}")
                for o in answer["outcomes"]:
                    statuses[o["status"]] = statuses.get(o["status"], 0) + 1
            web_s, client_cpu = time.perf_counter() - t, c.cpu()[0] - me0
        # searchable at once: every filed form is in the index when the last request has answered
        conn.request("GET", "/api/v1/search?form=" + urllib.parse.quote("投诉处理单") + "&limit=1",
                     headers={"Authorization": f"Token {token}"})
        indexed = json.loads(conn.getresponse().read()).get("total")
        conn.close()
    finally:
        stop(server)
    return {"seconds": web_s, "server_cpu_s": meter.ours_cpu, "client_cpu_s": client_cpu, "statuses": statuses,
            "others_share": meter.others_share, "load": meter.as_json(), "complaints_found": indexed}


def upload_vs_ingest(work: Path, n: int, seed: int, per: int) -> dict[str, Any]:
    """The corpus folder dropped on the 上传 page (through the API that calls the same `ingest.upload`) both
    ways — each request its own index commit (before), and one index commit for the upload (the page now) —
    vs `hudang ingest CORPUS`, each into an identical fresh home. Wall and CPU of each: the server's CPU
    (gunicorn and its reader processes) and the CLI's (with its reader processes) from /proc while each runs."""
    corpus, rosters, forms = c.make_corpus(work, n, seed)
    cli_home = work / "cli-home"
    runs: dict[str, Any] = {}
    for name, more in (("each", False), ("once", True)):
        home = work / f"web-home-{name}"
        c.fresh_home(home, rosters)
        runs[name] = send_upload(home, work, corpus, forms, per, more, name)
    c.fresh_home(cli_home, rosters)
    with c.metered() as cli_meter:
        (_, kids0), t = c.cpu(), time.perf_counter()
        done = json.loads(c.hudang(cli_home, "ingest", str(corpus), "--json").stdout)["outcomes"]
        cli_s, cli_waited = time.perf_counter() - t, c.cpu()[1] - kids0
    # its reader processes are the forkserver's children, not waited for by it: /proc sampled (the CLI's own last
    # half second may be missed there, its rusage has it)
    cli_cpu = max(cli_waited, cli_meter.ours_cpu)
    cli_statuses: dict[str, int] = {}
    for o in done:
        cli_statuses[o["status"]] = cli_statuses.get(o["status"], 0) + 1
    complaints = sum(1 for p in forms if p.parent.name == "投诉处理单")
    for run in runs.values():
        run["ratio"] = cli_s / run["seconds"]
        run["cpu_ratio"] = cli_cpu / max(1e-9, run["server_cpu_s"])
        run["all_found"] = run["complaints_found"] == complaints
    return {"forms": len(forms), "per_request": per, "web": runs, "cli_s": cli_s, "cli_cpu_s": cli_cpu,
            "cli_statuses": cli_statuses, "cli_load": cli_meter.as_json(), "cli_others_share": cli_meter.others_share,
            "complaints": complaints, "ratio": runs["once"]["ratio"]}


def report(name: str, phase: Phase, limit: dict[str, float]) -> dict[str, Any]:
    print(f"\n{name}: {phase.pages()} pages in {phase.seconds:.0f} s = {phase.pages() / phase.seconds:.1f} pages/s; "
          f"errors {len(phase.errors)} {c.met(not phase.errors)}; load generator CPU {phase.generator_cpu:.1f} s "
          f"({100 * phase.generator_cpu / phase.seconds:.0f}% of one core)")
    print(f"  {'page':10} {'n':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  goal")
    out: dict[str, Any] = {"pages": phase.pages(), "seconds": phase.seconds, "errors": phase.errors[:20],
                           "error_count": len(phase.errors), "generator_cpu_s": phase.generator_cpu}
    for kind, times in phase.times.items():
        ms = [1000 * t for t in times]
        p50, p95 = c.pct(ms, 50), c.pct(ms, 95)
        goal = f"p95 ≤ {limit[kind]:.0f} ms {c.met(p95 <= limit[kind])}" if kind in limit else ""
        print(f"  {kind:10} {len(ms):6} {p50:8.0f} {p95:8.0f} {max(ms, default=0):8.0f}  {goal}")
        out[kind] = {"n": len(ms), "p50_ms": p50, "p95_ms": p95}
    if phase.errors:
        print("  first errors: " + "; ".join(phase.errors[:5]))
    return out


def kept_home(args: Any) -> Path:
    """The kept home of ``--records`` records, built (report_bench's archive) unless it is there already."""
    root = c.BUILD / f"web-home-{args.records}-{args.seed}"
    c.BUILD.mkdir(parents=True, exist_ok=True)
    if args.fresh or not (root / ".bench-ready").is_file():
        print(f"  building {root.relative_to(c.ROOT)} (report_bench's archive) …", flush=True)
        _, secs = c.timed(lambda: rb.build_home(root, args.records, args.seed, figures.Month.parse("2026-10")))
        print(f"  built in {secs:.0f} s", flush=True)
    else:
        print(f"  reusing {root.relative_to(c.ROOT)}")
    return root


def pages(args: Any, work: Path) -> dict[str, Any]:
    """The office load and saturation phases on the kept home of ``--records`` records."""
    root = kept_home(args)
    home = load_home(root)
    add_user(root)
    rng = random.Random(args.seed)
    targets = targets_of(root, rng)
    conn = sqlite3.connect(home.catalog_path)
    live = conn.execute("SELECT COUNT(*) FROM records WHERE voided = 0").fetchone()[0]
    conn.close()
    print(f"  catalog: {live:,} live records; {len(targets['households'])} households and "
          f"{len(targets['records'])} records drawn for the pages")
    base_p95, base_n = in_process_search_p95(root)
    print(f"  search baseline: the {len(QUERIES)} queries in process on one open Session: p95 {base_p95:.0f} ms "
          f"(n {base_n})")
    limits = {"household": HOUSEHOLD_GOAL_MS, "record": HOUSEHOLD_GOAL_MS, "search": base_p95 + SEARCH_MARGIN_MS}
    summary: dict[str, Any] = {"records": live, "sessions": args.sessions, "search_baseline_p95_ms": base_p95}
    port = free_port()
    server = serve(root, port, work / "serve.log")
    try:
        per_page = cost(port, targets, args.seed + 2, 20 if not args.quick else 3)
        summary["server_cpu_ms_per_page"] = per_page
        print("  server CPU per page, one person, pages one after another: "
              + ", ".join(f"{k} {v:.0f} ms" for k, v in per_page.items()))
        with c.metered() as meter:
            office = load(port, args.sessions, args.seconds, True, targets, args.seed)
        summary["office"] = report(f"office load ({args.sessions} sessions, 1–3 s pauses)", office, limits)
        print(f"  {meter.text()}; CPU of the server's processes {meter.ours_cpu:.0f} s = "
              f"{1000 * meter.ours_cpu / max(1, office.pages()):.0f} ms a page")
        saturated = load(port, args.sessions, args.saturation_seconds, False, targets, args.seed + 1)
        summary["saturation"] = report(f"saturation ({args.sessions} sessions, no pauses)", saturated, {})
    finally:
        stop(server)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = c.parser(__doc__, seed=21)
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--saturation-seconds", type=float, default=30.0)
    parser.add_argument("--forms", type=int, default=500)
    parser.add_argument("--per-request", type=int, default=BATCH_FILES,
                        help=f"files per upload request (default {BATCH_FILES}, as the 上传 page sends them)")
    parser.add_argument("--fresh", action="store_true", help="rebuild the archive even when a kept one exists")
    parser.add_argument("--upload-only", action="store_true", help="only the upload part (no home, no page load)")
    parser.add_argument("--workers", type=int, default=WORKERS,
                        help=f"the server's gunicorn workers (default {WORKERS}; 0: hudang serve's default)")
    parser.add_argument("--build-only", action="store_true",
                        help="only build (or find) the kept home, to measure the pages later")
    args = c.parse(parser, argv, "web_bench", records=1500, sessions=5, seconds=8.0, saturation_seconds=5.0,
                   forms=60)
    began = time.perf_counter()
    globals()["WORKERS"] = args.workers
    c.header("web bench", records=f"{args.records:,}", sessions=args.sessions, seconds=args.seconds,
             workers=args.workers or "hudang serve's default")
    if args.build_only:
        kept_home(args)
        return 0
    summary: dict[str, Any] = {}
    with c.work_dir("web", args.keep) as work:
        if not args.upload_only:
            summary.update(pages(args, work))
        if args.forms:
            up = upload_vs_ingest(work, args.forms, args.seed, args.per_request)
            print(f"\nupload of {up['forms']} forms (the corpus folder, {args.per_request} files a request with their "
                  f"paths, {up['complaints']} of them complaints); hudang ingest {up['cli_s']:.1f} s = "
                  f"{up['forms'] / up['cli_s']:.1f} forms/s, CPU {up['cli_cpu_s']:.1f} s {up['cli_statuses']}, "
                  f"others {100 * up['cli_others_share']:.0f}%")
            for name, what in (("each", "an index commit a request (before)"),
                               ("once", "one index commit for the upload (more=1 but the last, as the page sends)")):
                w = up["web"][name]
                print(f"  web, {what}: {w['seconds']:.1f} s = {up['forms'] / w['seconds']:.1f} forms/s, server CPU "
                      f"{w['server_cpu_s']:.1f} s (+ sender {w['client_cpu_s']:.1f} s) {w['statuses']}, others "
                      f"{100 * w['others_share']:.0f}%; complaints found by search at once "
                      f"{w['complaints_found']} {c.met(w['all_found'])}\n"
                      f"    web/CLI rate {w['ratio']:.2f}× (goal ≥ 0.8× {c.met(w['ratio'] >= 0.8)}), by CPU "
                      f"{w['cpu_ratio']:.2f}× (the CLI figures include its process start)")
            summary["upload"] = up
    c.write_json(args.json, summary, began)
    return 0


if __name__ == "__main__":
    sys.exit(main())
