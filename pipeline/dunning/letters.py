"""Formal dunning letters (催缴函): number, render, convert, file, and the files for the post room.

One run at an as-of date D: the ladder (``fees.dunning``) names the households due a letter; each
gets a number (〔2026〕催字第015号, per estate and year, never reused because numbers come from the
letters already filed), a DOCX from the template, a PDF from batched LibreOffice calls, and a 函件
record in its household's file — which is itself a 函件 in the ladder, so a second run sends nothing.
Then a merged print file in room order and the 特快专递 mailing list. Tracking the post afterwards
is `tracking`'s.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hudang.archive.estates import Place
from hudang.archive.locks import letters_lock
from hudang.archive.paths import safe_component
from hudang.archive.store import Archive, Filing
from hudang.clock import now, stamp
from hudang.errors import HudangError, ToolMissing
from hudang.forms import sheets
from hudang.forms.definitions import FormRegistry
from hudang.forms.values import money_upper
from hudang.pipeline.dunning import fees
from hudang.pipeline.dunning.tracking import NUMBER_RE, letter_number
from hudang.settings import Home

log = logging.getLogger("hudang.letters")

TEMPLATE = "dunning_letter.docx"
MailingListDone = Callable[[Path, list[str | None]], None]   # (the list's path, the numbers on it in order)


def cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def next_serials(archive: Archive, year: int) -> dict[str, int]:
    """Per estate, the serial after the highest letter number of ``year`` ever filed (voided ones count)."""
    out: dict[str, int] = {}
    for row in archive.conn.execute("SELECT estate, number FROM records WHERE form = 'letter'"):
        m = NUMBER_RE.fullmatch(row["number"] or "")
        if m and int(m[1]) == year:
            out[row["estate"]] = max(out.get(row["estate"], 1), int(m[2]) + 1)
    return out


def owner_and_phone(archive: Archive, estate: str, key: str) -> tuple[str, str]:
    """The current owner (pipeline/household/owners.py: after any 过户), else 业主 (SPEC §8); phone from
    that owner's latest registration."""
    from hudang.pipeline.household import owners

    owner, phone, _ = owners.current_owner(archive.conn, estate, key)
    return owner or "业主", phone


def _display(archive: Archive, estate: str, key: str) -> str:
    row = archive.conn.execute("SELECT display FROM rooms WHERE estate = ? AND key = ?", (estate, key)).fetchone()
    return row["display"] if row else archive.estates.household(f"{estate}/{key}").display


@dataclass
class Letter:
    """Everything one letter says, decided before anything is written."""

    standing: fees.Standing
    number: str | None
    owner: str
    phone: str
    display: str
    deadline: dt.date
    docx: Path | None = None
    pdf: Path | None = None
    record_id: str | None = None

    estate_code: str = ""

    @property
    def stem(self) -> str:
        """Unique within a run: numbers and room keys repeat across estates, so the estate's code leads."""
        m = NUMBER_RE.fullmatch(self.number or "")
        serial = f"{m[1]}-{m[2]}" if m else "draft"
        return safe_component(f"催缴函-{self.estate_code}-{serial}-{self.standing.key}")

    def rows(self) -> list[dict[str, str]]:
        day = self.standing.day
        return [{"item": r.item, "period": r.period, "due": f"{r.due:.2f}", "paid": f"{r.paid_at(day):.2f}",
                 "owed": f"{r.owed_at(day):.2f}"} for r in self.standing.overdue]


def _reminder_text(basis: fees.Reminder | None) -> str:
    if basis is None:
        return ""
    how = "上门" if basis.method == "上门" else f"通过{basis.method}" if basis.method in fees.CALLS \
        else f"以{basis.method}方式"
    return f"我中心已于{cn_date(basis.date)}{how}提醒您缴纳欠费，截至本函发出之日，上述费用仍未缴清。"


def context_for(letter: Letter, home: Home, as_of: dt.date) -> dict[str, Any]:
    """The template's data: every variable the built-in template declares (tested against it)."""
    s = letter.standing
    contact = home.contact(s.estate)
    return {"company": contact.company, "service_centre": contact.service_centre or contact.company,
            "number": letter.number or "（草稿）", "owner": letter.owner, "estate": s.estate, "room": letter.display,
            "as_of_text": cn_date(as_of), "rows": letter.rows(), "amount": f"{s.arrears:.2f}",
            "amount_upper": money_upper(s.arrears), "periods": "、".join(s.periods),
            "reminder_text": _reminder_text(s.basis), "deadline_text": cn_date(letter.deadline),
            "payment": list(home.dunning.payment), "phone": contact.phone, "address": contact.address,
            "date_text": cn_date(as_of), "seal": ""}


def _render_one(args: tuple[bytes, str, dict[str, Any], str, str | None]) -> str:
    from hudang.forms.documents import Template  # docx: loaded by the runs that write letters only

    data, name, context, dest, seal = args
    template = Template(Path(name), data)
    images = {"seal": (Path(seal), 40.0)} if seal else None
    template.render(context, Path(dest), images)
    return dest


def render_all(jobs: list[tuple[bytes, str, dict[str, Any], str, str | None]], workers: int,
               progress: Callable[[str], None] | None = None) -> None:
    """Render letters, in worker processes when there are many (docxtpl is CPU-bound, ~20 ms a letter)."""
    if workers <= 1 or len(jobs) < 40:
        for job in jobs:
            _render_one(job)
            if progress:
                progress("docx")
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(_render_one, jobs, chunksize=16):
            if progress:
                progress("docx")


def _letter_text(letter: Letter, context: dict[str, Any]) -> str:
    """What the search index reads of a letter: its words, not its layout."""
    lines = [f"催缴函 {letter.number}", f"{context['owner']} 业主", f"{context['estate']}{context['room']}",
             *(f"{r['item']} {r['period']} 欠费 {r['owed']}" for r in context["rows"]),
             f"欠费合计 {context['amount']} 元 大写 {context['amount_upper']}",
             f"缴费期限 {context['deadline_text']}"]
    return "\n".join(lines)


def _filing(letter: Letter, as_of: dt.date, context: dict[str, Any], run_id: str) -> Filing:
    s = letter.standing
    assert letter.docx is not None and letter.number is not None
    values = {"函号": letter.number, "函件类型": "催缴函", "项目": s.estate, "房号": letter.display,
              "收件人": letter.owner, "函件日期": as_of.isoformat(), "欠费金额": f"{s.arrears:.2f}",
              "大写金额": context["amount_upper"], "所属期间": "、".join(s.periods),
              "欠费明细": "；".join(f"{r['item']} {r['period']} 应收{r['due']} 实收{r['paid']} 欠费{r['owed']}"
                                   for r in context["rows"]),
              "缴费期限": letter.deadline.isoformat(),
              "催缴依据": f"{s.basis.date} {s.basis.method}" if s.basis else ""}
    sha = hashlib.sha256(letter.docx.read_bytes()).hexdigest()
    provenance = {"source_name": letter.docx.name, "sha256": sha, "received_at": stamp(),
                  "generated": {"by": "letters dunning", "as_of": as_of.isoformat(), "run": run_id,
                                "reason": s.reason}}
    extra = [(letter.pdf.name, letter.pdf)] if letter.pdf else []
    return Filing(form_id="letter", form_code="HJ", place=Place(s.estate, s.key, letter.display), values=values,
                  raw=dict(values), text=_letter_text(letter, context), provenance=provenance,
                  original=letter.docx, number=letter.number, form_date=as_of.isoformat(), extra_files=extra)


@dataclass
class DunningRun:
    as_of: dt.date
    letters: list[Letter]
    ladder: fees.Dunning
    outputs: dict[str, str | None]
    warnings: list[str]
    timings: dict[str, float] = field(default_factory=dict)   # seconds per phase, for the bench and the log


def dunning_run(home: Home, archive: Archive, forms: FormRegistry, as_of: dt.date, *, estate: str | None = None,
                dry_run: bool = False, workers: int | None = None,
                progress: Callable[[str], None] | None = None,
                on_mailing_list: MailingListDone | None = None) -> DunningRun:
    """The whole job; with ``dry_run`` nothing is written and no number is reserved.

    ``on_mailing_list`` hears of the 特快专递 list (full names and phones) so the caller can audit it."""
    with letters_lock(home).hold():
        ladder = fees.dunning(archive.conn, as_of, estate)
        serials = {} if dry_run else next_serials(archive, as_of.year)
        letters = []
        deadline = as_of + dt.timedelta(days=home.dunning.deadline_days)
        for s in ladder.letters:
            owner, phone = owner_and_phone(archive, s.estate, s.key)
            number = None
            if not dry_run:
                serial = serials.get(s.estate, 1)
                serials[s.estate] = serial + 1
                number = letter_number(as_of.year, serial)
            letters.append(Letter(s, number, owner, phone, _display(archive, s.estate, s.key), deadline,
                                  estate_code=archive.estates.code(s.estate)))
        run = DunningRun(as_of, letters, ladder, {"folder": None, "print_pdf": None, "mailing_list": None}, [])
        if as_of > now().date():
            run.warnings.append(f"计算日期 {as_of} 晚于今天：此后的缴费尚未入账，请核对后再寄出")
        if dry_run or not letters:
            return run
        _produce(home, archive, forms, run, workers or os.cpu_count() or 1, progress, on_mailing_list)
        return run


def _produce(home: Home, archive: Archive, forms: FormRegistry, run: DunningRun, workers: int,
             progress: Callable[[str], None] | None, on_mailing_list: MailingListDone | None) -> None:
    as_of = run.as_of
    run_id = now().strftime("%Y%m%d-%H%M%S")
    folder = home.outputs_dir / "催缴函" / f"{as_of.isoformat()}_{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    from hudang.forms import office
    from hudang.forms.documents import Template
    from hudang.pipeline.intake import backlog

    template = Template.load(TEMPLATE, home.templates_dir)
    seal = home.dunning.seal_image
    if seal and not Path(seal).is_absolute():
        seal = str(home.root / seal)
    if seal and not Path(seal).is_file():
        run.warnings.append(f"找不到公章图片 {seal}，催缴函未加盖电子章")
        seal = ""
    contexts = {}
    jobs = []
    stems = [letter.stem for letter in run.letters]
    if len(set(stems)) != len(stems):
        raise HudangError("internal: two letters of one run would share a file name")
    for letter in run.letters:
        letter.docx = folder / f"{letter.stem}.docx"
        contexts[letter.number] = context_for(letter, home, as_of)
        jobs.append((template.data, str(template.path), contexts[letter.number], str(letter.docx), seal or None))
    clock = time.perf_counter()
    render_all(jobs, workers, progress)
    run.timings["docx"] = time.perf_counter() - clock
    clock = time.perf_counter()
    try:
        conversion = office.to_pdf([letter.docx for letter in run.letters if letter.docx], folder,
                                   instances=home.office.pdf_instances, batch=home.office.pdf_batch,
                                   timeout=home.office.timeout,
                                   on_done=(lambda doc, pdf: progress("pdf")) if progress else None)
        for letter in run.letters:
            letter.pdf = conversion.pdfs.get(letter.docx) if letter.docx else None
        if conversion.failed:
            run.warnings.append(f"{len(conversion.failed)} 封催缴函的 PDF 未能生成（LibreOffice 转换失败），"
                                f"已保留 DOCX：{'、'.join(p.name for p in conversion.failed[:5])}")
    except ToolMissing as exc:
        run.warnings.append(f"{exc.message}；本次只生成了 DOCX 催缴函")
    run.timings["pdf"] = time.perf_counter() - clock
    clock = time.perf_counter()
    filings = [_filing(letter, as_of, contexts[letter.number], run_id) for letter in run.letters]
    with archive.writer():
        step = max(1, home.limits.group_commit * 4)
        for start in range(0, len(filings), step):
            for letter, filed in zip(run.letters[start:start + step], archive.file(filings[start:start + step]),
                                     strict=True):
                letter.record_id = filed.record_id or filed.duplicate_of
                if progress:
                    progress("filed")
    run.timings["file"] = time.perf_counter() - clock
    clock = time.perf_counter()
    backlog.index_records(home, archive.conn, forms, [letter.record_id for letter in run.letters if letter.record_id])
    run.timings["index"] = time.perf_counter() - clock
    clock = time.perf_counter()
    run.outputs["folder"] = str(folder)
    run.outputs["print_pdf"] = _merge(run.letters, folder)
    run.outputs["mailing_list"] = _mailing_list(home, run.letters, folder, on_mailing_list)
    run.timings["print_and_list"] = time.perf_counter() - clock
    log.info("催缴函 %d 封：%s", len(run.letters), " ".join(f"{k}={v:.1f}s" for k, v in run.timings.items()))


def _merge(letters: list[Letter], folder: Path) -> str | None:
    """One print file, letters in estate and room order (the post room stuffs envelopes in that order)."""
    from pypdf import PdfWriter

    ordered = sorted((letter for letter in letters if letter.pdf),
                     key=lambda letter: (letter.standing.estate, fees.room_order(letter.standing.key)))
    if not ordered:
        return None
    writer = PdfWriter()
    for letter in ordered:
        writer.append(str(letter.pdf))
    dest = folder / "催缴函-合并打印.pdf"
    with open(dest, "wb") as fh:
        writer.write(fh)
    return str(dest)


def _mailing_list(home: Home, letters: list[Letter], folder: Path, done: MailingListDone | None) -> str:
    """The 特快专递 list with full names, addresses and phones (so the post can deliver); ``done`` audits it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "特快专递寄件清单"
    ws.append(["序号", "收件人", "地址", "邮编", "联系电话", "函号", "项目", "房号", "欠费金额（元）"])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ordered = sorted(letters, key=lambda letter: (letter.standing.estate, fees.room_order(letter.standing.key)))
    for i, letter in enumerate(ordered, 1):
        s = letter.standing
        contact = home.contact(s.estate)
        address = f"{contact.address or s.estate}{letter.display}"
        ws.append([i, letter.owner, address, contact.postcode, letter.phone, letter.number, s.estate,
                   letter.display, float(s.arrears)])
        ws.cell(row=i + 1, column=9).number_format = "0.00"
    for col, width in zip("ABCDEFGHI", (6, 12, 40, 8, 15, 22, 14, 18, 14), strict=True):
        ws.column_dimensions[col].width = width
    dest = folder / "特快专递寄件清单.xlsx"
    sheets.save(wb, dest, private=True)  # full names, addresses and phones
    if done is not None:
        done(dest, [letter.number for letter in ordered])
    return str(dest)
