"""Estates, their aliases and rosters, and where a form's room text leads (SPEC §2)."""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass

from hudang.errors import NotFound, ValueProblem
from hudang.forms.places import PUBLIC_WORDS
from hudang.forms.rooms import Room, import_room, is_public, parse_key, parse_room
from hudang.forms.values import to_halfwidth, to_simplified

PUBLIC_KEY = "公共"
PUBLIC_DISPLAY = "公共区域"


def normalize_name(text: str) -> str:
    """Estate names compare after Traditional→Simplified, full→half width, no white space."""
    return re.sub(r"\s+", "", to_simplified(to_halfwidth(text))).lower()


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a new estate's name (it names the estate's folder in the archive), or None."""
    name = name.strip()
    if not name or any(ch in name for ch in "/\\") or any(ord(ch) < 32 or ord(ch) == 127 for ch in name) \
            or name.startswith("."):
        return f"项目名称“{name}”无效：不能为空，不能以“.”开头，也不能含“/”“\\”或控制字符"
    if len(name) > 60:
        return f"项目名称“{name[:20]}…”无效：超过 60 个字"
    return None


@dataclass(frozen=True)
class Place:
    """Where a record is filed: estate, household key and its display form."""

    estate: str
    key: str
    display: str

    @property
    def address(self) -> str:
        return f"{self.estate}/{self.key}"


class Estates:
    """Lookups over the catalog's estates and rooms."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def resolve(self, spelled: str) -> str | None:
        row = self.conn.execute("SELECT name FROM estate_names WHERE spelled = ?",
                                (normalize_name(spelled),)).fetchone()
        return row["name"] if row else None

    def has_roster(self, estate: str) -> bool:
        row = self.conn.execute("SELECT has_roster FROM estates WHERE name = ?", (estate,)).fetchone()
        return bool(row and row["has_roster"])

    def code(self, estate: str) -> str:
        row = self.conn.execute("SELECT code FROM estates WHERE name = ?", (estate,)).fetchone()
        return str(row["code"]) if row else "E00"

    def names(self) -> list[sqlite3.Row]:
        return list(self.conn.execute(
            "SELECT e.name, e.code, e.has_roster, (SELECT COUNT(*) FROM rooms r WHERE r.estate = e.name) AS rooms,"
            " (SELECT group_concat(spelled, '、') FROM estate_names n WHERE n.name = e.name"
            "  AND n.spelled != lower(e.name)) AS aliases FROM estates e ORDER BY e.name"))

    def place(self, estate: str, text: str, public_words: tuple[str, ...] = PUBLIC_WORDS) -> Place:
        """The household a room text names; a roster, when the estate has one, must list it."""
        if is_public(text, public_words):
            return Place(estate, PUBLIC_KEY, PUBLIC_DISPLAY)
        try:
            room: Room | None = parse_room(text)
        except ValueProblem:
            room = None
        if room is not None:
            row = self.conn.execute("SELECT key, display FROM rooms WHERE estate = ? AND key = ?",
                                    (estate, room.key)).fetchone()
            if row:
                return Place(estate, row["key"], row["display"])
        # Non-residential units (商铺, 车位) keep the roster's own text: match it as written.
        plain = re.sub(r"[\s\-]", "", to_simplified(to_halfwidth(text))).upper()
        row = self.conn.execute("SELECT key, display FROM rooms WHERE estate = ? AND raw = ?",
                                (estate, plain)).fetchone()
        if row:
            return Place(estate, row["key"], row["display"])
        if room is None:
            parse_room(text)  # raises the parser's own message
        assert room is not None
        if self.has_roster(estate):
            raise ValueProblem(f"房号“{room.display()}”不在{estate}的房屋清单中（请核对楼栋、单元、房号）",
                               code="room_not_on_roster")
        return Place(estate, room.key, room.display())

    def household(self, address: str, *, strict: bool = False) -> Place:
        """Parse ``ESTATE/KEY`` as commands accept it: any alias, any room spelling.

        ``strict`` (commands that write) holds the address to the roster, as filing does."""
        estate_text, sep, room_text = address.partition("/")
        if not sep or not room_text:
            raise ValueProblem(f"住户地址“{address}”应写作“项目/房号”，例如 金第花园/3-2-1201", code="bad_household")
        estate = self.resolve(estate_text)
        if estate is None:
            raise ValueProblem(f"未知的项目“{estate_text}”", code="unknown_estate")
        if normalize_name(room_text) in (normalize_name(w) for w in (PUBLIC_KEY, PUBLIC_DISPLAY)):
            return Place(estate, PUBLIC_KEY, PUBLIC_DISPLAY)
        row = self.conn.execute("SELECT key, display FROM rooms WHERE estate = ? AND key = ?",
                                (estate, room_text)).fetchone()
        if row:
            return Place(estate, row["key"], row["display"])
        try:
            return self.place(estate, room_text, ())
        except ValueProblem as problem:
            if strict:
                raise
            # Reading only: a room off the roster is still shown when something was filed for it (before
            # the roster came); otherwise the roster's own answer stands, not "无法识别户号".
            room = self._any_spelling(room_text)
            if room is None or not self._has_history(estate, room.key):
                if problem.code == "room_not_on_roster":   # reading: no such household (the web's 404)
                    raise NotFound(problem.message, code=problem.code) from None
                raise problem from None
            return Place(estate, room.key, room.display())

    @staticmethod
    def _any_spelling(text: str) -> Room | None:
        for parse in (parse_room, parse_key):
            try:
                return parse(text)
            except ValueProblem:
                continue
        return None

    def _has_history(self, estate: str, key: str) -> bool:
        """Anything stored for this household: a record, a fee row or a reminder."""
        return any(self.conn.execute(f"SELECT 1 FROM {table} WHERE estate = ? AND household = ? LIMIT 1",
                                     (estate, key)).fetchone() for table in ("records", "fee_rows", "reminders"))


def roster_room(building: str, unit: str, number: str, room_format: str | None = None) -> dict[str, str]:
    """A roster row's room: its key, display form and the raw text used to match shops and spaces."""
    raw = re.sub(r"[\s\-]", "", to_simplified(to_halfwidth(f"{building}{unit}{number}"))).upper()
    room, display = import_room(building, unit, number, room_format)
    return {"key": room.key, "display": display, "word": room.building_word or "", "raw": raw}


def known_names(conn: sqlite3.Connection) -> list[tuple[str, str]]:
    """Every estate spelling (compared form) with its estate, longest first, to find one inside a text."""
    rows = conn.execute("SELECT spelled, name FROM estate_names").fetchall()
    return sorted(((r["spelled"], r["name"]) for r in rows), key=lambda r: -len(r[0]))


def find_estate(conn: sqlite3.Connection, text: str) -> str | None:
    """The known estate whose name or alias appears in ``text`` (a title row, a file name), longest first."""
    spelled = normalize_name(text)
    return next((name for s, name in known_names(conn) if len(s) >= 2 and s in spelled), None)
