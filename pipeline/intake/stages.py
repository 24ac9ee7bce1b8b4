"""The intake stages, each a plain function from one item to the next or to a `Rejection`.

producers: `discover` walks the paths given.  stages: `admit` → `snapshot` → `read` → `classify`.
The runner (pipeline/intake/runner.py) chains them, turns a Rejection into its outcome, and hands what
survives to the single writer, which validates against the catalog and files.
"""

from __future__ import annotations

import hashlib
import os
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hudang.archive.paths import safe_filename
from hudang.clock import stamp
from hudang.errors import Problem, UnreadableFile
from hudang.forms.definitions import FormDef, FormRegistry
from hudang.forms.readers import is_temp_file, read_document
from hudang.forms.readers.model import Extraction, ReadLimits, SimpleVocabulary
from hudang.forms.values import normalize_label
from hudang.pipeline.intake import tables
from hudang.pipeline.intake.outcomes import IGNORED, QUARANTINED


class Rejection(Exception):
    """An item leaves the pipeline early with this outcome (quarantined, duplicate, ignored)."""

    def __init__(self, status: str, problems: list[Problem], **detail: object) -> None:
        super().__init__(status)
        self.status = status
        self.problems = problems
        self.detail = detail

    def __reduce__(self):  # type: ignore[no-untyped-def]
        # Rejections travel back from reader worker processes.
        return (_rebuild_rejection, (self.status, self.problems, self.detail))


def _rebuild_rejection(status: str, problems: list[Problem], detail: dict[str, object]) -> Rejection:
    return Rejection(status, problems, **detail)


def reject(code: str, message: str, field: str | None = None) -> Rejection:
    return Rejection(QUARANTINED, [Problem(field, code, message)])


@dataclass
class Item:
    """One intake file on its way through the stages."""

    path: Path                  # where it was found
    root: Path                  # the path given (or the intake folder): form folders are looked for below it
    source: str                 # the name shown in outcomes
    in_intake: bool = False
    origin: Path | None = None      # where the file was dropped, when it was claimed from the intake folder
    claim_id: str | None = None     # the intake service's claim (so a restart recognises its own filing)
    forced_form: str | None = None   # a retried quarantine file keeps the form it was read as
    sha256: str | None = None
    size: int = 0
    snapshot: Path | None = None   # our private copy: the bytes we parse are the bytes we archive
    received_at: str = ""
    extraction: Extraction | None = None
    form: FormDef | None = None
    table: tables.TableKind | None = None
    warnings: list[Problem] = field(default_factory=list)

    def provenance(self) -> dict[str, object]:
        where = self.origin or self.path
        return {"source_name": where.name, "source_path": str(where), "sha256": self.sha256,
                "size": self.size, "received_at": self.received_at,
                "detected_type": self.extraction.detected_type if self.extraction else None,
                "converted_from": self.extraction.converted_from if self.extraction else None,
                **({"claim": self.claim_id} if self.claim_id else {})}


# ---- producer ----

def discover(paths: list[Path]) -> Iterator[Item]:
    """Every file under the paths given, in a stable order; hidden folders are skipped."""
    for given in paths:
        root = given if given.is_dir() else given.parent
        if given.is_dir() and not given.is_symlink():
            for dirpath, dirnames, filenames in os.walk(given):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    path = Path(dirpath) / name
                    yield Item(path=path, root=root, source=str(path))
        else:
            yield Item(path=given, root=root, source=str(given))


# ---- stages ----

def admit(item: Item, limits: ReadLimits) -> Item:
    """Refuse what is not an ordinary, readable file of acceptable size, before opening it."""
    if is_temp_file(item.path):
        raise Rejection(IGNORED, [Problem(None, "temp_file", "临时文件或隐藏文件，不予接收")])
    if item.in_intake and item.path.is_symlink():
        raise reject("not_regular_file", "收件夹里的符号链接不予接收（可能指向收件夹以外的文件）")
    try:
        st = os.stat(item.path)  # follows symlinks: a broken one fails here
    except FileNotFoundError:
        kind = "符号链接指向的文件不存在" if item.path.is_symlink() else "文件不存在"
        raise reject("unreadable", f"无法读取：{kind}") from None
    except OSError as exc:
        raise reject("unreadable", f"无法读取文件：{exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        what = "命名管道（FIFO）" if stat.S_ISFIFO(st.st_mode) else "设备或特殊文件"
        raise reject("not_regular_file", f"不是普通文件（{what}），无法接收")
    if st.st_size == 0:
        raise reject("empty_file", "文件为空（0 字节）")
    if st.st_size > limits.max_bytes:
        raise reject("too_large", f"文件过大（{st.st_size / 1048576:.1f} MB，上限 {limits.max_bytes / 1048576:.0f} MB）")
    item.size = st.st_size
    return item


def snapshot(item: Item, snapshots: Path) -> Item:
    """Copy the file once into our own folder, hashing as we go."""
    folder = snapshots / uuid.uuid4().hex
    folder.mkdir(parents=True)
    dest = folder / safe_filename(item.path.name)
    digest = hashlib.sha256()
    try:
        with open(item.path, "rb") as fin, open(dest, "wb") as fout:
            while block := fin.read(1 << 20):
                digest.update(block)
                fout.write(block)
    except OSError as exc:
        dest.unlink(missing_ok=True)
        raise reject("unreadable", f"读取文件失败：{exc.strerror or exc}") from None
    item.snapshot = dest
    item.sha256 = digest.hexdigest()
    item.received_at = stamp()
    return item


def read(item: Item, vocab: SimpleVocabulary, limits: ReadLimits) -> Item:
    assert item.snapshot is not None
    try:
        # Sniffing works on content; the snapshot keeps the source's extension for legacy conversion.
        item.extraction = read_document(item.snapshot, vocab, limits)
    except UnreadableFile as exc:
        raise reject(exc.code, exc.message) from None
    item.warnings.extend(item.extraction.warnings)
    return item


def _folder_form(item: Item, forms: FormRegistry, stop: Path | None) -> FormDef | None:
    """The nearest enclosing folder named like a form, looking no higher than the path given."""
    folder = (item.origin or item.path).parent
    while True:
        form = forms.get(folder.name)
        if form:
            return form
        if folder == item.root or folder == stop or folder.parent == folder:
            return None
        folder = folder.parent


def _title_form(text: str | None, forms: FormRegistry) -> FormDef | None:
    if not text:
        return None
    exact = forms.get(text)
    if exact:
        return exact
    title = normalize_label(text)
    best: tuple[int, FormDef] | None = None
    for form in forms:
        for name in (form.name, *form.aliases):
            spelled = normalize_label(name)
            if len(spelled) >= 3 and spelled in title and (best is None or len(spelled) > best[0]):
                best = (len(spelled), form)
    return best[1] if best else None


def _label_form(ext: Extraction, forms: FormRegistry) -> FormDef | None:
    labels = set(ext.header or ()) | {k for rec in ext.records for k in rec.fields}
    scored = []
    for form in forms:
        matched = {form.labels[label] for label in labels if label in form.labels}
        required = {f.name for f in form.fields if f.required}
        scored.append((len(matched & required), len(matched), form))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    if not scored or scored[0][1] < 2:
        return None
    return scored[0][2]


def classify(item: Item, forms: FormRegistry, intake_root: Path | None) -> Item:
    """Import table by header; otherwise form type by folder, then title/metadata, then labels."""
    ext = item.extraction
    assert ext is not None
    if ext.kind == "table":
        item.table = tables.table_kind(ext.header)
        if item.table:
            return item
    if ext.kind == "scan":
        return recognise(item, forms)
    forms = forms.intake()
    stop = intake_root if item.in_intake else None
    item.form = ((forms.get(item.forced_form) if item.forced_form else None) or _folder_form(item, forms, stop) or _title_form(ext.form_hint, forms)
                 or _title_form(ext.title, forms) or _label_form(ext, forms))
    if item.form is None:
        raise reject("unknown_form", "无法判断表单类型：文件夹名、标题和栏目名都对不上已知表单"
                                     "（可放入以表单名命名的文件夹，如“投诉处理单/”）")
    if not ext.records:
        raise reject("no_fields", f"按“{item.form.name}”读取，但没有找到任何栏目和填写内容")
    return item


def recognise(item: Item, forms: FormRegistry) -> Item:
    """A scan: split at separator sheets, read QR codes, OCR each document (here, in the reader worker)."""
    from hudang.forms.scans import read_scan

    assert item.snapshot is not None and item.extraction is not None
    detected = "pdf" if item.extraction.detected_type == "pdf" else "image"
    try:
        item.extraction.scan = read_scan(item.snapshot, detected, forms, item.snapshot.parent / "scan")
    except UnreadableFile as exc:
        raise reject(exc.code, exc.message) from None
    return item


def vocabulary(forms: FormRegistry) -> SimpleVocabulary:
    return SimpleVocabulary(forms.all_labels() | tables.LABELS, normalize_label)
