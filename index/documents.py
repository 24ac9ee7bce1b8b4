"""Index documents made from the catalog and the archive: personal data only as keyed hashes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hudang.forms.definitions import FormRegistry
from hudang.forms.values import mask_id, mask_phone, mask_text, to_halfwidth
from hudang.index.analysis import VALUE_SEP, normalize
from hudang.patterns import lazy

_ID_RE = lazy(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_RE = lazy(r"(?<!\d)(?:\+?86[\s-]?)?(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}[\s-]?\d{7,8})(?!\d)")


def pii_token(key: bytes, kind: str, value: str) -> str:
    """A keyed hash: the index can match a number without ever holding it."""
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def pii_tokens(key: bytes, kind: str, value: str) -> list[str]:
    value = to_halfwidth(value).strip()
    if kind == "id":
        return [pii_token(key, "id", value.upper())]
    digits = re.sub(r"\D", "", value)
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return [pii_token(key, "phone", digits), pii_token(key, "last4", digits[-4:])] if len(digits) >= 7 else []


def free_text_pii(key: bytes, text: str) -> list[str]:
    """ID- and phone-shaped numbers typed into free text are found the same way."""
    tokens = [t for m in _ID_RE.finditer(text) for t in pii_tokens(key, "id", m.group(1))]
    tokens += [t for m in _PHONE_RE.finditer(text) for t in pii_tokens(key, "phone", m.group(1))]
    return tokens


def _masked(value: str, ftype: str, id_type: str | None) -> str:
    if ftype == "phone":
        return mask_phone(value)
    if ftype == "id_number":
        return mask_id(value, id_type)
    return mask_text(value)


def _line_key(line: str) -> str:
    return re.sub(r"\s+", "", normalize(line))


def make_doc(row: sqlite3.Row, version: sqlite3.Row, text: str, forms: FormRegistry, key: bytes,
             current: bool) -> dict[str, Any]:
    values: dict[str, str] = json.loads(version["fields"])
    form = next((f for f in forms if f.id == row["form"]), None)
    types = {f.name: (f.type, f.id_type_field) for f in form.fields} if form else {}
    order = {name: i for i, name in enumerate(types)}
    values = dict(sorted(values.items(), key=lambda kv: order.get(kv[0], len(order))))
    secrets = []  # literal ID/phone values, masked wherever else they were typed (passports, licences …)
    for name, value in values.items():
        ftype, id_field = types.get(name, ("text", None))
        if ftype in ("phone", "id_number") and len(value) >= 5:
            secrets.append((value, _masked(value, ftype, values.get(id_field or "") or None)))

    def scrub(text: str) -> str:
        text = mask_text(text)
        for value, shown in secrets:
            text = re.sub(re.escape(value), shown, text, flags=re.IGNORECASE)
        return text

    lines, labelled, pii, per_field = [], [], [], {}
    for name, value in values.items():
        ftype, id_field = types.get(name, ("text", None))
        if ftype in ("phone", "id_number"):
            pii += pii_tokens(key, "id" if ftype == "id_number" else "phone", value)
            shown = f"{name}：{_masked(value, ftype, values.get(id_field or '') or None)}"
            lines.append(shown)
            labelled.append(shown)  # found through the keyed hash, not by label
        else:
            per_field[name] = value
            flat = " ".join(scrub(value).split("\n"))
            lines.append(f"{name}：{flat}")
            labelled.append(f"{name}{VALUE_SEP}{flat}")  # the label's marker, then its value (投诉人:张三)
    # The extracted text of a form repeats its fields ("投诉人：张三"): index each such line once.
    seen = {_line_key(line) for line in lines} | {_line_key(form.name if form else row["form"])}
    masked_text = "\n".join(line for line in scrub(text).splitlines() if _line_key(line) not in seen)
    pii += free_text_pii(key, to_halfwidth(text)) + [t for v in per_field.values()
                                                     for t in free_text_pii(key, to_halfwidth(v))]
    heading = " ".join(x for x in (form.name if form else row["form"], row["estate"], row["household"],
                                   row["archive_no"], row["number"] or "") if x)
    body = "\n".join([heading, *lines, masked_text])
    searched = "\n".join([heading, *labelled, masked_text])
    date = (row["form_date"] or (version["received_at"] or "")[:10]).replace("-", "")
    doc: dict[str, Any] = {
        "doc_id": f"{row['record_id']}/v{version['version']}", "record_id": row["record_id"],
        "version": version["version"], "current": current, "form": row["form"], "estate": row["estate"],
        "household": f"{row['estate']}/{row['household']}", "hkey": row["household"],  # where it is filed now
        "archive_no": row["archive_no"], "number": (row["number"] or "").lower(),
        "content": searched, "grams": searched, "pii": " ".join(sorted(set(pii))), "text": body,
    }
    if date.isdigit() and len(date) == 8:
        doc["date"] = int(date)
    return doc


def record_docs(conn: sqlite3.Connection, archive_root: Path, record_id: str, forms: FormRegistry,
                key: bytes) -> list[dict[str, Any]]:
    """Every version of a record as documents; none for a voided record (it drops out of search)."""
    row = conn.execute("SELECT * FROM records WHERE record_id = ?", (record_id,)).fetchone()
    if row is None or row["voided"]:
        return []
    docs = []
    for v in conn.execute("SELECT * FROM versions WHERE record_id = ? ORDER BY version", (record_id,)):
        try:
            text = (archive_root / v["path"] / "text.txt").read_text(encoding="utf-8")
        except OSError:
            text = ""
        docs.append(make_doc(row, v, text, forms, key, v["version"] == row["current_version"]))
    return docs


def all_record_ids(conn: sqlite3.Connection) -> Iterator[str]:
    for r in conn.execute("SELECT record_id FROM records WHERE voided = 0 ORDER BY record_id"):
        yield r["record_id"]
