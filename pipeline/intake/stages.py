"""The reader-side intake stages, each a plain function from one item to the next or to a `Rejection`.

producers: `discover` walks the paths given.  stages: `admit` → `snapshot` → `read` → `classify`.
The readers (pipeline/intake/readers.py) chain them in worker processes and hand every item, or its
rejection, in order to the single writer (pipeline/intake/writer.py), which checks against the catalog,
files, and turns each rejection into its outcome.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from hudang.archive.paths import safe_filename
from hudang.clock import stamp
from hudang.errors import Problem, Rejection, UnreadableFile, disk_full, disk_full_message, os_reason
from hudang.escapes import escape_surrogates, has_surrogates, name_bytes, printable_name
from hudang.forms.definitions import FormDef, FormRegistry, load_forms
from hudang.forms.import_profiles import Profiles, load_profiles
from hudang.forms.readers import read_document
from hudang.forms.readers.admission import check_name, check_size, is_hidden
from hudang.forms.readers.model import Extraction, ReadLimits, SimpleVocabulary, renamed
from hudang.forms.table_kinds import HeaderMap, TableKind, TableKinds, header_key, load_table_kinds
from hudang.forms.values import normalize_label
from hudang.pipeline.intake.leftovers import owner_tag
from hudang.pipeline.intake.outcomes import IGNORED, QUARANTINED
from hudang.settings import Home


def reject(code: str, message: str, field: str | None = None) -> Rejection:
    return Rejection(QUARANTINED, [Problem(field, code, message)])


@dataclass(frozen=True)
class TableOptions:
    """What the clerk said about import tables on the command line (SPEC §12)."""

    estate: str | None = None
    profile: str | None = None
    sheet: str | None = None


@dataclass
class Item:
    """One intake file on its way through the stages."""

    path: Path                  # where it was found
    root: Path                  # the path given (or the intake folder): form folders are looked for below it
    source: str                 # the name shown in outcomes
    in_intake: bool = False
    found_inside: bool = False      # found by walking a folder (not named by the user): links are not followed
    origin: Path | None = None      # where the file was dropped, when it was claimed from the intake folder
    claim_id: str | None = None     # the intake service's claim (so a restart recognises its own filing)
    forced_form: str | None = None   # a retried quarantine file keeps the form it was read as
    options: TableOptions | None = None   # `ingest --estate/--profile/--sheet` for import tables
    document: dict[str, str] | None = None  # filed as a 文件: household, 题名, 类别 (given, or from its folder)
    unlisted: str | None = None     # a folder the walk could not list: why (it is reported, never read)
    ocr_later: bool = False     # a scan is not recognised here but parked for the OCR queue (a web upload)
    sha256: str | None = None
    size: int = 0
    snapshot: Path | None = None   # our private copy: the bytes we parse are the bytes we archive
    received_at: str = ""
    extraction: Extraction | None = None
    form: FormDef | None = None
    table: TableKind | None = None
    columns: HeaderMap | None = None      # import tables: which header cell is which column
    warnings: list[Problem] = field(default_factory=list)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)   # names its snapshot folder, whichever process reads it

    def provenance(self) -> dict[str, object]:
        where = self.origin or self.path
        raw_name = name_bytes(where.name)   # a name that is not UTF-8: its bytes, so it can be told exactly
        return {"source_name": printable_name(where.name), "source_path": printable_name(str(where)),
                **({"source_name_bytes": raw_name} if raw_name else {}), "sha256": self.sha256,
                "size": self.size, "received_at": self.received_at,
                "detected_type": self.extraction.detected_type if self.extraction else None,
                "converted_from": self.extraction.converted_from if self.extraction else None,
                **({"claim": self.claim_id} if self.claim_id else {})}


@dataclass(frozen=True)
class Context:
    """Everything the stages need, read once and passed explicitly."""

    home: Home
    forms: FormRegistry
    tables: TableKinds
    vocab: SimpleVocabulary
    limits: ReadLimits
    profiles: Profiles = field(default_factory=Profiles)

    @classmethod
    def load(cls, home: Home) -> Context:
        forms, tables = load_forms([home.forms_dir]), load_table_kinds()
        profiles = load_profiles(tables, home.profiles_dir)
        limits = ReadLimits.of(home.limits, home.office, home.ocr, str(home.layouts_dir))
        return cls(home, forms, tables, vocabulary(forms, tables, profiles), limits, profiles)

    owner: str = field(default_factory=owner_tag)   # the run (not the worker) its private copies belong to

    @property
    def snapshots(self) -> Path:
        """This run's private copies: run/snapshots/<owner>/, swept at the next start once the run is gone."""
        return self.home.run_dir / "snapshots" / self.owner


# ---- producer ----

def discover(paths: list[Path], document: dict[str, str] | None = None) -> Iterator[Item]:
    """Every file under the paths given, in a stable order; hidden folders are skipped.

    A path the user names is used as given (a linked home or a NAS mount is fine); a link found *inside*
    a folder is never followed — not into a linked folder, not to a linked file — but gets its outcome."""
    for given in paths:
        root = given if given.is_dir() else given.parent
        if given.is_dir():
            unlisted: list[OSError] = []   # a folder that cannot be listed gets an outcome, never silence
            for dirpath, dirnames, filenames in os.walk(given, onerror=unlisted.append):
                yield from _unlisted(unlisted, root, document)
                links = [d for d in dirnames if os.path.islink(os.path.join(dirpath, d))]
                dirnames[:] = sorted(d for d in dirnames if not is_hidden(d) and d not in links)
                for name in sorted([*filenames, *(d for d in links if not is_hidden(d))]):
                    path = Path(dirpath) / name
                    yield Item(path=path, root=root, source=printable_name(str(path)), found_inside=True,
                               document=dict(document) if document else None)
            yield from _unlisted(unlisted, root, document)
        else:
            yield Item(path=given, root=root, source=printable_name(str(given)),
                       document=dict(document) if document else None)


def _unlisted(errors: list[OSError], root: Path, document: dict[str, str] | None) -> Iterator[Item]:
    """Folders the walk could not list (no permission, a path past PATH_MAX), each as an item to report."""
    while errors:
        exc = errors.pop(0)
        path = Path(os.fsdecode(exc.filename)) if exc.filename is not None else root
        yield Item(path=path, root=root, source=printable_name(str(path)), found_inside=True,
                   document=dict(document) if document else None, unlisted=os_reason(exc))


# ---- stages ----

def admit(item: Item, limits: ReadLimits) -> Item:
    """Refuse what is not an ordinary, readable file of acceptable size, before opening it."""
    if item.unlisted is not None:   # nothing of it was read: reported, not quarantined (there is no file)
        raise Rejection(IGNORED, [Problem(None, "unreadable_folder",
                                          f"文件夹无法打开：{item.unlisted}，其中的文件都未接收"
                                          f"（请移到可读取的、较浅的文件夹后重新接收）")])
    try:
        check_name(item.path)
    except UnreadableFile as exc:
        raise Rejection(IGNORED, [Problem(None, exc.code, exc.message)]) from None
    if item.found_inside and item.path.is_symlink():
        # Ignored, not quarantined: there is nothing to fix and retry, and no bytes of ours to keep.
        raise Rejection(IGNORED, [Problem(None, "symlink", "是符号链接，文件夹中的链接不跟随，未接收"
                                                           "（如需接收，请直接指定链接所指的文件）")])
    if item.in_intake and item.path.is_symlink():
        raise reject("not_regular_file", "收件夹里的符号链接不予接收（可能指向收件夹以外的文件）")
    try:
        st = os.stat(item.path)  # follows symlinks: a broken one fails here
    except FileNotFoundError:
        if item.path.is_symlink():
            raise reject("unreadable", "无法读取：符号链接指向的文件不存在") from None
        # gone between listing and reading (moved or deleted meanwhile): nothing to keep or retry
        raise Rejection(IGNORED, [Problem(None, "vanished", "文件在读取前已被移走或删除，未接收")]) from None
    except OSError as exc:
        raise reject("unreadable", f"无法读取文件：{os_reason(exc)}") from None
    if not stat.S_ISREG(st.st_mode):
        # Ignored, not quarantined (like a link): no bytes to keep, nothing a retry could ever read
        what = "命名管道（FIFO）" if stat.S_ISFIFO(st.st_mode) else "设备或特殊文件"
        raise Rejection(IGNORED, [Problem(None, "not_regular_file", f"不是普通文件（{what}），未接收")])
    try:
        check_size(st.st_size, limits)
    except UnreadableFile as exc:
        raise reject(exc.code, exc.message) from None
    item.size = st.st_size
    return item


def snapshot(item: Item, snapshots: Path) -> Item:
    """Copy the file once into our own folder, hashing as we go."""
    folder = snapshots / item.key
    if folder.exists():  # left by a reader process that died on this file: start again
        shutil.rmtree(folder, ignore_errors=True)
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
        if disk_full(exc):  # our disk, not the file: said so, and the file can simply be taken in again
            raise reject("disk_full", disk_full_message(exc)) from None
        if isinstance(exc, FileNotFoundError):   # gone after it was listed: nothing to keep or retry
            raise Rejection(IGNORED, [Problem(None, "vanished", "文件在读取前已被移走或删除，未接收")]) from None
        raise reject("unreadable", f"读取文件失败：{os_reason(exc)}") from None
    item.snapshot = dest
    item.sha256 = digest.hexdigest()
    item.received_at = stamp()
    return item


def read(item: Item, vocab: SimpleVocabulary, limits: ReadLimits, profiles: Profiles | None = None) -> Item:
    assert item.snapshot is not None
    chosen = profiles.get(item.options.profile) if profiles and item.options and item.options.profile else None
    try:
        # Sniffing works on content; the snapshot keeps the source's extension for legacy conversion.
        item.extraction = read_document(item.snapshot, vocab, limits,
                                        header_row=chosen.header_row if chosen else None)
    except UnreadableFile as exc:  # named as dropped, not as our snapshot's safe name
        raise reject(exc.code, renamed(exc.message, item.snapshot.name, item.path.name)) from None
    if chosen is None and profiles is not None and item.extraction.kind == "table":
        item.extraction = _profile_header_row(item.snapshot, item.extraction, vocab, limits, profiles)
    item.extraction.warnings = [Problem(w.field, w.code, renamed(w.message, item.snapshot.name, item.path.name))
                                for w in item.extraction.warnings]
    item.warnings.extend(item.extraction.warnings)
    item.warnings.extend(_escape_text(item.extraction))
    return item


def _profile_header_row(path: Path, ext: Extraction, vocab: SimpleVocabulary, limits: ReadLimits,
                        profiles: Profiles) -> Extraction:
    """A profile chosen automatically keeps its header row too (SPEC §12): where the guessed header fits no
    profile that names a header row, the file is read again at each such profile's row, and taken at it when
    exactly one profile fits there."""
    sheets = [ext, *ext.alternatives]
    fitted: list[Extraction] = []
    for profile in profiles:
        if not profile.header_row:
            continue
        if any(c.header_row == profile.header_row and profile.fits(c.header_cells or []) for c in sheets):
            return ext                      # the guess already is this profile's header
        try:
            again = read_document(path, vocab, limits, header_row=profile.header_row)
        except UnreadableFile:
            continue
        if any(profile.fits(c.header_cells or []) and (not profile.sheet or c.sheet in (None, profile.sheet))
               for c in (again, *again.alternatives)):
            fitted.append(again)
    return fitted[0] if len(fitted) == 1 else ext


def _escape_text(ext: Extraction) -> list[Problem]:
    """Lone surrogates (``"\\udc00"`` in a JSON form) cannot be stored as UTF-8: each becomes the text
    ``\\udc00``, and the field it was in is named in a warning."""
    problems: list[Problem] = []
    for rec in ext.records:
        if not any(has_surrogates(k) or has_surrogates(v) for k, v in rec.fields.items()):
            continue
        fields: dict[str, str] = {}
        for key, value in rec.fields.items():
            name = escape_surrogates(key)
            if has_surrogates(key) or has_surrogates(value):
                problems.append(Problem(name, "bad_characters",
                                        f"“{name}”含无法保存的字符（孤立的 Unicode 代理码位），"
                                        f"已按转义文本保存为“{escape_surrogates(value)[:80]}”，请核对原文件"))
            fields[name] = escape_surrogates(value)
        rec.fields = fields
        if rec.cells is not None:
            rec.cells = [escape_surrogates(c) for c in rec.cells]
    ext.text = escape_surrogates(ext.text)
    for attr in ("title", "form_hint"):
        value = getattr(ext, attr)
        if value is not None:
            setattr(ext, attr, escape_surrogates(value))
    for attr in ("header", "header_cells"):
        value = getattr(ext, attr)
        if value is not None:
            setattr(ext, attr, [escape_surrogates(v) for v in value])
    return problems


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


def _document_folder(item: Item, forms: FormRegistry, stop: Path | None) -> dict[str, str] | None:
    """``文件/<项目>/<房号>/[<类别>/]name``: a document for that household, titled by its file name."""
    folder_name = next((f.intake_folder for f in forms if f.free and f.intake_folder), None)
    where = item.origin or item.path
    top = stop or item.root
    try:
        parts = (top.name, *where.parent.relative_to(top).parts)
    except ValueError:
        return None
    if folder_name is None or folder_name not in parts:
        return None
    after = parts[len(parts) - 1 - parts[::-1].index(folder_name) + 1:]
    if len(after) < 2:
        raise reject("document_folder", f"“{folder_name}/”下的文件应放在“{folder_name}/项目/房号/”文件夹中"
                                        f"（如 {folder_name}/金第花园/3-2-1201/），才能知道归入哪一户")
    return {"household": f"{after[0]}/{after[1]}", "title": Path(where.name).stem,
            **({"category": after[2]} if len(after) > 2 else {}), "from": "folder"}


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


def classify(item: Item, forms: FormRegistry, tables: TableKinds, intake_root: Path | None,
             limits: ReadLimits | None = None, profiles: Profiles | None = None) -> Item:
    """A 文件 by request or folder; else import table by header; else form type by folder, title, labels."""
    ext = item.extraction
    assert ext is not None
    if item.document is None and not item.forced_form:
        item.document = _document_folder(item, forms, intake_root if item.in_intake else None)
    if item.document is not None:
        return recognise(item, forms, limits) if ext.kind == "scan" else item
    if ext.kind == "table":
        from hudang.pipeline.intake.choose import choose_table

        if choose_table(item, tables, profiles or Profiles(), forms):
            return item
    if ext.kind == "scan":
        # ocr_later: parked as it is (the writer sees no reading) for the OCR queue to read beside the writer
        return item if item.ocr_later else recognise(item, forms, limits)
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


def recognise(item: Item, forms: FormRegistry, limits: ReadLimits | None = None) -> Item:
    """A scan: split at separator sheets, read QR codes, OCR each document (here, in the reader worker)."""
    from hudang.forms.scans import read_scan

    assert item.snapshot is not None and item.extraction is not None
    detected = "pdf" if item.extraction.detected_type == "pdf" else "image"
    try:
        item.extraction.scan = read_scan(item.snapshot, detected, forms, item.snapshot.parent / "scan",
                                          limits=limits)
    except UnreadableFile as exc:
        raise reject(exc.code, exc.message) from None
    return item


@dataclass(frozen=True)
class TableVocabulary(SimpleVocabulary):
    """Form labels and import headers; a header with a unit in brackets (`建筑面积(㎡)`) is a label too."""

    def is_label(self, normalized: str) -> bool:
        return normalized in self.labels or header_key(normalized) in self.labels


def vocabulary(forms: FormRegistry, tables: TableKinds, profiles: Profiles | None = None) -> SimpleVocabulary:
    """Labels of the forms read by labels (a free 文件's field names are no labels to look for in a document),
    import headers, and the headers of the home's import profiles."""
    labelled = FormRegistry(tuple(f for f in forms if not f.free))
    extra = profiles.labels if profiles is not None else frozenset()
    return TableVocabulary(labelled.all_labels() | tables.labels | extra, normalize_label)
