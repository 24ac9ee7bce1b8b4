"""The dunning ladder (SPEC §8) at every boundary, and amounts in Chinese capitals."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hudang.forms.values import money_upper
from hudang.pipeline.dunning.fees import (
    STEP_ESCALATION,
    STEP_LETTER,
    STEP_NONE,
    STEP_REMINDER,
    STEP_WAITING,
    FeeRow,
    Reminder,
    add_months,
    standing,
)

D = dt.date.fromisoformat


def row(period: str, due: str = "300", paid: str = "0", paid_on: str | None = None, item: str = "物业服务费") -> FeeRow:
    return FeeRow("金第花园", "3-2-1201", item, period, Decimal(due), Decimal(paid), D(paid_on) if paid_on else None)


def told(day: str, method: str = "电话", number: str | None = None) -> Reminder:
    return Reminder("金第花园", "3-2-1201", D(day), method, letter_number=number)


def step(rows: list[FeeRow], reminders: list[Reminder], as_of: str) -> str:
    return standing("金第花园", "3-2-1201", rows, reminders, D(as_of)).step


# (name, rows, reminders, as-of, expected step)
LADDER = [
    ("no arrears", [row("2026-05", paid="300", paid_on="2026-06-02")], [], "2026-11-26", STEP_NONE),
    ("period not yet over: its last day is not before D", [row("2026-11")], [], "2026-11-30", STEP_NONE),
    ("overdue from the day after the period's last day", [row("2026-11")], [], "2026-12-01", STEP_REMINDER),
    ("February's last day", [row("2026-02")], [], "2026-02-28", STEP_NONE),
    ("February's last day, day after", [row("2026-02")], [], "2026-03-01", STEP_REMINDER),
    ("no reminder → reminder list", [row("2026-05")], [], "2026-11-26", STEP_REMINDER),
    ("call less than three months ago → waiting", [row("2026-05")], [told("2026-09-01")], "2026-11-26",
     STEP_WAITING),
    ("exactly three calendar months → letter", [row("2026-05")], [told("2026-08-26")], "2026-11-26", STEP_LETTER),
    ("a day short of three months → waiting", [row("2026-05")], [told("2026-08-27")], "2026-11-26", STEP_WAITING),
    # 05-31 + 3 months = 08-31; 91 days after is 08-30, still too early: months, not 90 days.
    ("month end + 3 months (91 days is too early)", [row("2026-04")], [told("2026-05-31")], "2026-08-30",
     STEP_WAITING),
    ("month end + 3 months, on the day", [row("2026-04")], [told("2026-05-31")], "2026-08-31", STEP_LETTER),
    # 01-31 + 3 months = 04-30, only 89 days: a 90-day rule would wrongly wait.
    ("clamped to a shorter month (89 days suffice)", [row("2025-12")], [told("2026-01-31")], "2026-04-30",
     STEP_LETTER),
    ("SMS counts like a call", [row("2026-05")], [told("2026-07-01", "短信")], "2026-11-26", STEP_LETTER),
    ("上门-only reminder counts like a call", [row("2026-05")], [told("2026-07-01", "上门")], "2026-11-26",
     STEP_LETTER),
    ("partial payment still overdue", [row("2026-05", paid="299.99", paid_on="2026-06-10")],
     [told("2026-07-01")], "2026-11-26", STEP_LETTER),
    ("debt paid before D", [row("2026-05", paid="300", paid_on="2026-11-25")], [told("2026-07-01")],
     "2026-11-26", STEP_NONE),
    ("payment on D counts", [row("2026-05", paid="300", paid_on="2026-11-26")], [told("2026-07-01")],
     "2026-11-26", STEP_NONE),
    ("payment dated after D does not count", [row("2026-05", paid="300", paid_on="2026-11-27")],
     [told("2026-07-01")], "2026-11-26", STEP_LETTER),
    ("the row overdue at the call was paid; a newer debt was never reminded",
     [row("2026-03", paid="300", paid_on="2026-09-01"), row("2026-09")], [told("2026-05-10")], "2026-11-26",
     STEP_REMINDER),
    ("an old call whose debt is paid does not make a letter due for a new debt",
     [row("2026-03", paid="300", paid_on="2026-06-01"), row("2026-05")], [told("2026-04-10"), told("2026-10-01")],
     "2026-11-26", STEP_WAITING),
    ("row not yet overdue at the call does not count for the letter", [row("2026-07")], [told("2026-07-15")],
     "2026-11-26", STEP_REMINDER),
    ("letter already sent after the call, < 30 days → waiting", [row("2026-05")],
     [told("2026-07-01"), told("2026-11-01", "函件", "〔2026〕催字第001号")], "2026-11-26", STEP_WAITING),
    ("letter 30 days old and still unpaid → escalation", [row("2026-05")],
     [told("2026-07-01"), told("2026-10-27", "函件", "〔2026〕催字第001号")], "2026-11-26", STEP_ESCALATION),
    ("letter 29 days old → waiting", [row("2026-05")],
     [told("2026-07-01"), told("2026-10-28", "函件", "〔2026〕催字第001号")], "2026-11-26", STEP_WAITING),
    ("letter's debt paid; new debt → reminder", [row("2026-05", paid="300", paid_on="2026-09-01"), row("2026-09")],
     [told("2026-07-01"), told("2026-08-01", "函件")], "2026-11-26", STEP_REMINDER),
    ("qualifies for a letter and escalation: escalation wins", [row("2026-01"), row("2026-05")],
     [told("2026-02-10"), told("2026-03-20", "函件"), told("2026-06-10")], "2026-11-26", STEP_ESCALATION),
    ("a reminder dated after D does not exist yet", [row("2026-05")], [told("2026-12-01")], "2026-11-26",
     STEP_REMINDER),
    ("overpaying one row never offsets another",
     [row("2026-05", paid="600", paid_on="2026-06-01"), row("2026-06")], [], "2026-11-26", STEP_REMINDER),
    ("a payment without a date counts as paid", [row("2026-05", paid="300")], [told("2026-07-01")],
     "2026-11-26", STEP_NONE),
]


@pytest.mark.parametrize(("rows", "reminders", "as_of", "expected"), [case[1:] for case in LADDER],
                         ids=[case[0] for case in LADDER])
def test_ladder(rows: list[FeeRow], reminders: list[Reminder], as_of: str, expected: str) -> None:
    assert step(rows, reminders, as_of) == expected


def test_arrears_and_periods_are_the_overdue_rows_at_d() -> None:
    rows = [row("2026-05", paid="100", paid_on="2026-06-01"), row("2026-06", due="250.50"),
            row("2026-06", due="80", item="停车费"), row("2026-07", paid="900", paid_on="2026-07-02"),
            row("2026-11")]
    s = standing("金第花园", "3-2-1201", rows, [], D("2026-11-26"))
    assert s.arrears == Decimal("530.50")          # 200 + 250.50 + 80; the overpaid July offsets nothing
    assert s.periods == ["2026-05", "2026-06"]      # November's period is not over
    assert s.reason


def test_letter_reason_names_the_reminder() -> None:
    s = standing("金第花园", "3-2-1201", [row("2026-05")], [told("2026-07-10", "短信")], D("2026-11-26"))
    assert s.step == STEP_LETTER and s.basis is not None and s.basis.date == D("2026-07-10")
    assert "2026-07-10" in s.reason and "短信" in s.reason


@pytest.mark.parametrize(("day", "months", "expected"), [
    ("2026-11-30", 3, "2027-02-28"), ("2027-11-30", 3, "2028-02-29"), ("2026-01-31", 1, "2026-02-28"),
    ("2026-08-26", 3, "2026-11-26"), ("2026-12-15", 3, "2027-03-15")])
def test_add_months(day: str, months: int, expected: str) -> None:
    assert add_months(D(day), months) == D(expected)


# ---------------------------------------------------------------- 大写

@pytest.mark.parametrize(("amount", "expected"), [
    # SPEC §8's vectors
    ("1234.50", "壹仟贰佰叁拾肆元伍角"), ("1200", "壹仟贰佰元整"), ("1004.05", "壹仟零肆元零伍分"),
    ("10", "壹拾元整"), ("0.05", "伍分"), ("100000", "壹拾万元整"), ("1000000.01", "壹佰万元零壹分"),
    # and more
    ("0", "零元整"), ("0.50", "伍角"), ("0.55", "伍角伍分"), ("1.01", "壹元零壹分"), ("15", "壹拾伍元整"),
    ("110", "壹佰壹拾元整"), ("1010", "壹仟零壹拾元整"), ("1001", "壹仟零壹元整"), ("100010", "壹拾万零壹拾元整"),
    ("105000", "壹拾万伍仟元整"), ("10000001", "壹仟万零壹元整"), ("100001000", "壹亿零壹仟元整"),
    ("120000000.10", "壹亿贰仟万元壹角"), ("1680.32", "壹仟陆佰捌拾元叁角贰分"), ("3600.00", "叁仟陆佰元整"),
    ("20304.5", "贰万零叁佰零肆元伍角"),
])
def test_money_upper(amount: str, expected: str) -> None:
    assert money_upper(Decimal(amount)) == expected


_DIGIT = {c: i for i, c in enumerate("零壹贰叁肆伍陆柒捌玖")}
_PLACE = {"拾": 10, "佰": 100, "仟": 1000}


def _parse_upper(text: str) -> Decimal:
    """An independent reader of capitals, to check the writer on any amount."""
    yuan_text, _, frac = text.partition("元") if "元" in text else ("", "", text)
    yi, wan, section, digit = 0, 0, 0, 0
    for ch in yuan_text:
        if ch in _DIGIT:
            digit = _DIGIT[ch]
        elif ch in _PLACE:
            section += digit * _PLACE[ch]
            digit = 0
        elif ch == "万":
            wan += (section + digit) * 10000
            section = digit = 0
        elif ch == "亿":
            yi += (wan + section + digit) * 100000000
            wan = section = digit = 0
    total = yi + wan + section + digit
    cents = 0
    for m in re.finditer(r"([壹贰叁肆伍陆柒捌玖])([角分])", frac):
        cents += _DIGIT[m[1]] * (10 if m[2] == "角" else 1)
    return Decimal(total) + Decimal(cents) / 100


@given(st.integers(min_value=0, max_value=99_999_999_999))
def test_money_upper_reads_back(cents: int) -> None:
    amount = Decimal(cents) / 100
    text = money_upper(amount)
    assert _parse_upper(text) == amount.quantize(Decimal("0.01"))
    assert not re.search("零零|零元|零[万亿]|^零[^元]", text.replace("零元整", "")), text
    assert text.endswith(("整", "角", "分"))
