"""Parse, check and mask single field values as an office types them.

Forms arrive with full-width digits, 年月日 dates, ``¥`` amounts, ``+86`` phones and Excel-mangled IDs; every
parser here accepts those spellings and otherwise raises `ValueProblem` with a stable code and a Chinese
message for the archivist. Messages never hold a full ID or phone number (SPEC §7): they go through the masks.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from hudang.errors import ValueProblem
from hudang.patterns import lazy

PII_TYPES: frozenset[str] = frozenset({"id_number", "phone"})
"""Field types holding personal data (SPEC §7): shown masked everywhere but `record show --reveal`."""

CST = dt.timezone(dt.timedelta(hours=8), "CST")
"""Office time. A fixed offset, so the server's own zone is never consulted."""

_HALFWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


# ---------------------------------------------------------------- text and labels

def to_halfwidth(text: str) -> str:
    """Map full-width ASCII and the ideographic space to half-width; one char to one char, so offsets hold."""
    return text.translate(_HALFWIDTH)


# Every word zhconv's zh-hans table turns into something else (zhconv 1.4.3, pinned; tests/test_startup.py
# checks the file against the installed zhconv). zhconv converts by longest match, and a match is a word of the
# text, so a text holding none of these words comes out of zhconv as it went in: it is returned without
# loading zhconv's dictionary (all the tables of every locale, a tenth of a `hudang search`).
_CHANGES_FILE = Path(__file__).parent / "tables" / "zh_hans_changes.txt"
_changes: tuple[frozenset[str], frozenset[str], int] | None = None


def _changing_words() -> tuple[frozenset[str], frozenset[str], int]:
    """The words zhconv changes, their first characters, and the longest word's length."""
    global _changes
    if _changes is None:
        words = frozenset(_CHANGES_FILE.read_text(encoding="utf-8").splitlines())
        _changes = words, frozenset(w[0] for w in words), max(map(len, words))
    return _changes


def _unchanged(text: str) -> bool:
    """True when zhconv would return `text` unchanged: none of the words it changes occurs in it."""
    words, firsts, longest = _changing_words()
    if firsts.isdisjoint(text):
        return True
    n = len(text)
    for i, ch in enumerate(text):
        if ch in firsts:   # a few in a hundred characters of ordinary text
            for j in range(i + 1, min(i + longest, n) + 1):
                if text[i:j] in words:
                    return False
    return True


def _zhconv() -> Any:
    import zhconv  # deferred: the command line imports it at start (hudang.pipeline.cli), others when needed

    return zhconv


def _convert(text: str) -> str:
    return text if _unchanged(text) else str(_zhconv().convert(text, "zh-hans"))


@lru_cache(maxsize=8192)
def _simplified_cached(text: str) -> str:
    return _convert(text)


def to_simplified(text: str) -> str:
    """Traditional to Simplified, so 金第花園 and 金第花园 name the same thing; labels and names are cached."""
    if text.isascii():
        return text
    if len(text) <= 64:
        return _simplified_cached(text)
    return _convert(text)


_MARKERS = "*★☆※"
_NOTE = r"[(\[【〔<](?:必填项?|必须填写|选填|可选|非必填|可不填)[)\]】〕>]"
_REQUIRED_NOTE = re.compile(f"^{_NOTE}|{_NOTE}$")


def normalize_label(text: str) -> str:
    """The form of a label that matches across Traditional/Simplified, width, spacing and required-field marks."""
    s = to_simplified(unicodedata.normalize("NFKC", text.translate(_INVISIBLE)))
    s = "".join(s.split())
    previous = None
    while s != previous:
        previous = s
        s = _REQUIRED_NOTE.sub("", s.rstrip(":").strip(_MARKERS))
    return s


def _compact(raw: str) -> str:
    """Half-width, no white space: the form identifiers are checked in."""
    return "".join(to_halfwidth(raw).translate(_INVISIBLE).split())


def _show(raw: str) -> str:
    """Echo a bad value in a message safely: PII-shaped numbers masked, long digit runs cut, length capped."""
    s = mask_text(" ".join(raw.split()))
    s = re.sub(r"[0-9]{9,}", lambda m: _keep_ends(m.group(), 2, 2), s)
    return s if len(s) <= 30 else s[:29] + "…"


# ---------------------------------------------------------------- dates and times

_DATE_RE = lazy(  # a date ending in a digit must not run into the time's digits
    r"(?P<y>[0-9]{4})(?P<sep>[-/.])(?P<m>[0-9]{1,2})(?P=sep)(?P<d>[0-9]{1,2})(?![0-9])"
    r"|(?P<cy>[0-9]{4})年(?P<cm>[0-9]{1,2})月(?P<cd>[0-9]{1,2})(?:[日号]|(?![0-9]))"
    r"|(?P<ny>[0-9]{4})(?P<nm>[0-9]{2})(?P<nd>[0-9]{2})(?![0-9])")
_TIME_RE = lazy(
    r"(?P<period>凌晨|早上|早晨|上午|中午|下午|傍晚|晚上|夜里|夜间)?"
    r"(?:(?P<h>[0-9]{1,2}):(?P<mi>[0-9]{2})(?::(?P<s>[0-9]{2})(?:\.[0-9]{1,6})?)?"
    r"|(?P<ch>[0-9]{1,2})[时点](?:(?P<half>半)|整|(?P<cmi>[0-9]{1,2})(?:分(?:(?P<cs>[0-9]{1,2})秒?)?)?)?)"
    r"(?P<ampm>[AaPp][Mm])?(?P<tz>Z|[+-][0-9]{2}:?[0-9]{2})?")
_MIDNIGHT_RE = lazy(r"[T ]?00:00(?::00(?:\.0{1,6})?)?")
_AM = {"凌晨", "早上", "早晨", "上午", "am"}
_PM = {"下午", "傍晚", "晚上", "夜里", "夜间", "pm"}
_NIGHT = {"晚上", "夜里", "夜间"}
_DATE_HINT = "应为 2026-11-03、2026/11/3、2026.11.03、2026年11月3日 或 20261103 这样的日期"
_TIME_HINT = "应为日期加时间，如 2026-11-03 14:30、2026年11月3日14时30分、2026/11/3 下午2:30"


def _prep_when(raw: str) -> str:
    s = to_halfwidth(raw).translate(_INVISIBLE).strip()
    return re.sub(r"\s*([年月日号])\s*", r"\1", s)


def _date_of(m: re.Match[str], code: str) -> dt.date:
    y, mo, d = (m.group(a) or m.group("c" + a) or m.group("n" + a) for a in ("y", "m", "d"))
    year, month, day = int(y), int(mo), int(d)
    if not 1900 <= year <= 2099:
        raise ValueProblem(f"日期的年份 {year} 超出范围（应在1900至2099年之间）", code=code)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ValueProblem(f"日期不存在：{year}年{month}月{day}日，请核对月份和日", code=code) from None


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)   # Excel's day 0 (its 1900 leap-year bug included)
_SERIAL_RE = lazy(r"\d{1,7}(?:\.\d+)?")
_SERIAL_AUTO = lazy(r"\d{5}(?:\.\d+)?")
_FIRST_SERIAL, _LAST_SERIAL = 20_000, 80_000   # 1954-10-03 … 2119-01-10: a five-digit number where a date is meant
_MAX_SERIAL = 2_958_465                        # 9999-12-31, Excel's last day


def excel_serial(raw: str, serial_dates: bool | None = None) -> dt.datetime | None:
    """An Excel date serial where a date is meant (a cell without a date format: 45000 → 2023-03-15, a
    fraction is the time of day), else None. By default only a five-digit number from 1954 to 2119 is one;
    ``serial_dates=True`` (an import profile saying so) takes any day number, ``False`` none."""
    if serial_dates is False:
        return None
    s = to_halfwidth(raw).strip()
    if not (_SERIAL_RE if serial_dates else _SERIAL_AUTO).fullmatch(s):
        return None
    number = float(s)
    low, high = (1, _MAX_SERIAL) if serial_dates else (_FIRST_SERIAL, _LAST_SERIAL)
    if not low <= number <= high:
        return None
    moment = _EXCEL_EPOCH + dt.timedelta(days=number)
    return moment.replace(microsecond=0) + dt.timedelta(seconds=round(moment.microsecond / 1e6))


def parse_date(raw: str) -> dt.date:
    """A date in any spelling the office uses; also Excel's "2026-11-03 00:00:00" for a date cell."""
    s = _prep_when(raw)
    m = _DATE_RE.match(s)
    if not m:
        raise ValueProblem(f"日期无法识别：“{_show(raw)}”，{_DATE_HINT}", code="bad_date")
    day = _date_of(m, "bad_date")
    rest = s[m.end():].strip()
    if rest and not _MIDNIGHT_RE.fullmatch(rest):
        raise ValueProblem(f"日期无法识别：“{_show(raw)}”，这里只填日期，不带时间；{_DATE_HINT}", code="bad_date")
    return day


def parse_datetime(raw: str) -> tuple[dt.datetime, bool]:
    """Naive office-time datetime and whether only a date was given (the caller warns then, SPEC §3)."""
    s = _prep_when(raw)
    m = _DATE_RE.match(s)
    if not m:
        raise ValueProblem(f"时间无法识别：“{_show(raw)}”，{_TIME_HINT}", code="bad_datetime")
    day = _date_of(m, "bad_datetime")
    rest = s[m.end():].strip()
    if rest[:1] in ("T", "t"):
        rest = rest[1:]
    rest = "".join(rest.split())
    if not rest:
        return dt.datetime.combine(day, dt.time()), True
    t = _TIME_RE.fullmatch(rest)
    if not t:
        raise ValueProblem(f"时间无法识别：“{_show(raw)}”，{_TIME_HINT}", code="bad_datetime")
    hour = int(t["h"] or t["ch"])
    minute = 30 if t["half"] else int(t["mi"] or t["cmi"] or 0)
    second = int(t["s"] or t["cs"] or 0)
    if t["period"] and t["ampm"]:
        raise ValueProblem(f"时间“{_show(raw)}”同时写了“{t['period']}”和“{t['ampm']}”，请只保留一种", code="bad_datetime")
    period = t["period"] or (t["ampm"] or "").lower()
    if (period in _AM and hour > 12) or (period in _NIGHT and hour == 12):
        raise ValueProblem(f"时间“{_show(raw)}”前后矛盾（{period}{hour}点），请改用24小时制，如 00:30、14:30",
                           code="bad_datetime")
    if period in ("凌晨", "am") and hour == 12:
        hour = 0
    elif (period == "中午" and hour < 11) or (period in _PM and hour < 12):
        hour += 12
    try:
        when = dt.datetime.combine(day, dt.time(hour, minute, second))
    except ValueError:
        raise ValueProblem(f"时间不存在：{hour}时{minute}分{second}秒（时0–23，分、秒0–59）",
                           code="bad_datetime") from None
    if t["tz"]:
        when = when.replace(tzinfo=_offset(t["tz"])).astimezone(CST).replace(tzinfo=None)
    return when, False


def _offset(tz: str) -> dt.timezone:
    if tz == "Z":
        return dt.UTC
    sign = -1 if tz[0] == "-" else 1
    digits = tz[1:].replace(":", "")
    return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


# ---------------------------------------------------------------- amounts and readings

_AMOUNT_RE = lazy(r"(?P<sign>[-+]?)(?P<int>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?P<frac>\.[0-9]+)?")
_CURRENCY_PREFIX = lazy(r"^([-+]?)(?:¥|RMB|CNY|人民币)", re.IGNORECASE)
_CURRENCY_SUFFIX = lazy(r"(?:元整?|圆整?|块钱?|RMB|CNY)$", re.IGNORECASE)
_SPLIT_DIGITS = lazy(r"[0-9]\s+[0-9]")  # "12 34" is two numbers, not 1234
_UNIT_SUFFIX = lazy(r"(?:千瓦时|kwh|立方米|立方|m3|m³|度|吨|方|个|件|台|把|套|只|箱)$", re.IGNORECASE)


def _amount(s: str) -> Decimal | None:
    """The signed number in cleaned text, or None; thousands separators must group by three."""
    m = _AMOUNT_RE.fullmatch(s)
    if not m:
        return None
    value = Decimal(m["sign"] + m["int"].replace(",", "") + (m["frac"] or ""))
    return value.copy_abs() if value.is_zero() else value  # "-0" is no debt


def parse_money(raw: str) -> Decimal:
    """Yuan to the fen, from ``1234.5``, ``¥1,234.50``, ``1234.50元``, ``RMB 12``; a sign only when written."""
    s = _compact(raw).replace("￥", "¥").replace("\u2212", "-")
    s = _CURRENCY_SUFFIX.sub("", _CURRENCY_PREFIX.sub(r"\1", s))
    value = None if _SPLIT_DIGITS.search(to_halfwidth(raw)) else _amount(s)
    if value is None:
        raise ValueProblem(f"金额无法识别：“{_show(raw)}”，应为 1234.50、¥1,234.50 或 1234.50元 这样的数字",
                           code="bad_money")
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


_UPPER_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UPPER_PLACES = ("仟", "佰", "拾", "")
_UPPER_GROUPS = ("", "万", "亿", "万亿")


def _upper_group(n: int) -> str:
    """0 < n < 10000 in capitals: inner zeros read once as 零, trailing zeros silent (1010 → 壹仟零壹拾)."""
    out: list[str] = []
    zero = False
    for digit, place in zip(f"{n:04d}", _UPPER_PLACES, strict=True):
        if digit == "0":
            zero = bool(out)
            continue
        if zero:
            out.append("零")
            zero = False
        out.append(_UPPER_DIGITS[int(digit)] + place)
    return "".join(out)


def money_upper(amount: Decimal) -> str:
    """An amount in Chinese capitals (大写) as on a bill: 1004.05 → 壹仟零肆元零伍分, 1200 → 壹仟贰佰元整.

    No 人民币 prefix (the letter's wording adds it). 整 follows 元 only; a zero 角 before a 分 reads 零."""
    cents = int((amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) * 100).to_integral_value())
    if cents < 0:
        raise ValueError("negative amount")
    yuan, jiao, fen = cents // 100, cents // 10 % 10, cents % 10
    parts: list[str] = []
    groups = []
    rest = yuan
    while rest:
        groups.append(rest % 10000)
        rest //= 10000
    if len(groups) > len(_UPPER_GROUPS):
        raise ValueError("amount too large")
    gap = False  # a zero group, or a group below 1000, between non-zero groups reads 零
    for level in range(len(groups) - 1, -1, -1):
        group = groups[level]
        if group == 0:
            gap = bool(parts)
            continue
        if parts and (gap or group < 1000):
            parts.append("零")
        parts.append(_upper_group(group) + _UPPER_GROUPS[level])
        gap = False
    if yuan:
        parts.append("元")
    if not jiao and not fen:
        return "".join(parts) + "整" if yuan else "零元整"
    if jiao:
        parts.append(_UPPER_DIGITS[jiao] + "角")
    elif yuan:
        parts.append("零")
    if fen:
        parts.append(_UPPER_DIGITS[fen] + "分")
    return "".join(parts)


def parse_number(raw: str) -> Decimal:
    """A reading or quantity as written (``1,234.5``, ``1234度``); not rounded, a sign only when written."""
    s = _UNIT_SUFFIX.sub("", _compact(raw).replace("\u2212", "-"))
    value = None if _SPLIT_DIGITS.search(to_halfwidth(raw)) else _amount(s)
    if value is None:
        raise ValueProblem(f"数值无法识别：“{_show(raw)}”，应为 1234 或 1234.5 这样的数字", code="bad_number")
    return value


# ---------------------------------------------------------------- phones

_MOBILE_RE = lazy(r"1[3-9][0-9]{9}")
# Area codes: 010 and 020–029 have three digits, every other has four (03xx–09xx).
_LANDLINE_RE = lazy(r"(010|02[0-9]|0[3-9][0-9]{2})([1-9][0-9]{6,7})")
_PHONE_SEPARATORS = lazy(r"[-\u2010-\u2015()\s]")


def _phone_digits(raw: str) -> str | None:
    """The stored digits of a valid phone, or None."""
    digits = _PHONE_SEPARATORS.sub("", to_halfwidth(raw).translate(_INVISIBLE))
    if digits.startswith(("+86", "0086")):
        digits = digits[3:] if digits[0] == "+" else digits[4:]
        if not _MOBILE_RE.fullmatch(digits) and digits[:1] != "0":
            digits = "0" + digits  # +86 552 1234567: the trunk 0 of the area code is dropped abroad
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE_RE.fullmatch(digits[2:]):
        digits = digits[2:]
    if _MOBILE_RE.fullmatch(digits) or _LANDLINE_RE.fullmatch(digits):
        return digits
    return None


def normalize_phone(raw: str) -> str:
    """Digits only (``13812345678``, ``055212345678``) after dropping +86, spaces, dashes and brackets."""
    digits = _phone_digits(raw)
    if digits is None:
        count = sum(c.isdigit() for c in to_halfwidth(raw))
        raise ValueProblem(f"电话号码格式不正确（{mask_phone(raw)}，共{count}位数字）：应为11位手机号（1开头）"
                           "或带区号的固定电话，如 0552-1234567", code="bad_phone")
    return digits


def mask_phone(value: str) -> str:
    """``138****5678`` or ``0552-****5678``; anything unparseable keeps only its first and last two."""
    digits = _phone_digits(value)
    if digits is None:
        return _keep_ends(_compact(value), 2, 2)
    if _MOBILE_RE.fullmatch(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    area, local = _LANDLINE_RE.fullmatch(digits).groups()  # type: ignore[union-attr]
    return f"{area}-****{local[-4:]}"  # always four stars, as SPEC §7 shows: the length is not told


# ---------------------------------------------------------------- identity documents

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_EXCEL_FLOAT = lazy(r"[0-9](?:\.[0-9]+)?[eE]\+?[0-9]+")
_RESIDENT_SHAPE = lazy(r"[0-9]{15}|[0-9]{17}[0-9X]")
_ID_KINDS = {
    "身份证": "resident", "居民身份证": "resident", "二代身份证": "resident", "身份证号": "resident",
    "营业执照": "uscc", "统一社会信用代码": "uscc",
    "护照": "passport",
    "港澳台通行证": "permit", "港澳通行证": "permit", "往来港澳通行证": "permit", "回乡证": "permit",
    "港澳居民来往内地通行证": "permit", "台胞证": "permit", "台湾通行证": "permit",
    "台湾居民来往大陆通行证": "permit", "港澳台居民来往内地通行证": "permit",
}


def _keep_ends(s: str, head: int, tail: int) -> str:
    """Keep the ends, star the middle; when fewer than four would be hidden, star it all."""
    if len(s) - head - tail < 4:
        return "*" * len(s)
    return s[:head] + "*" * (len(s) - head - tail) + s[-tail:]


def _id_kind(id_type: str | None) -> str | None:
    label = normalize_label(id_type or "") or "身份证"
    return _ID_KINDS.get(label)


def _reject_excel_float(s: str) -> None:
    if _EXCEL_FLOAT.fullmatch(s):
        raise ValueProblem("证件号码被 Excel 当成数字存成了科学计数法（如 1.10101E+17），后面的数字已经丢失，"
                           "无法恢复；请把该列设为“文本”格式后，按证件原件重新录入完整号码", code="id_float")


def _birth_ok(s: str) -> bool:
    """The birth date inside a 15/18-digit 身份证 number is a real day from 1900 to today."""
    birth = s[6:14] if len(s) == 18 else "19" + s[6:12]
    try:
        born = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return False
    return dt.date(1900, 1, 1) <= born <= dt.datetime.now(CST).date()


def is_resident_id(raw: str) -> bool:
    """Whether ``raw`` is a valid 居民身份证 number (birth date, and the check digit when 18 long)."""
    try:
        check_resident_id(raw)
    except ValueProblem:
        return False
    return True


def check_resident_id(raw: str) -> str:
    """A 居民身份证 number per GB 11643 (18 with MOD 11-2 check, or old 15); returned upper-case."""
    s = _compact(raw).upper()
    _reject_excel_float(s)
    if len(s) not in (15, 18):
        raise ValueProblem(f"身份证号码应为18位（旧版为15位），现为{len(s)}位（{mask_id(s, '身份证')}）",
                           code="bad_id_length")
    if not _RESIDENT_SHAPE.fullmatch(s):
        raise ValueProblem(f"身份证号码只能是数字（18位的最后一位可以是X）：{mask_id(s, '身份证')}",
                           code="bad_id_length")
    if not _birth_ok(s):
        raise ValueProblem(f"身份证号码中的出生日期（{'第7–14位' if len(s) == 18 else '第7–12位'}）"
                           f"不是有效的日期，或早于1900年、晚于今天：{mask_id(s, '身份证')}", code="bad_id_birth")
    if len(s) == 18 and _ID_CHECK[sum(int(c) * w for c, w in zip(s[:17], _ID_WEIGHTS, strict=True)) % 11] != s[17]:
        raise ValueProblem(f"身份证号码校验位不符（{mask_id(s, '身份证')}），可能有数字录错或前后颠倒，"
                           "请与证件原件核对", code="bad_id_check")
    return s


def check_uscc(raw: str) -> str:
    """A 统一社会信用代码 per GB 32100-2015 (the number on a 营业执照); returned upper-case."""
    s = _compact(raw).upper()
    if len(s) != 18:
        raise ValueProblem(f"统一社会信用代码应为18位，现为{len(s)}位", code="bad_uscc")
    if any(c not in _USCC_CHARS for c in s):
        raise ValueProblem(f"统一社会信用代码含有不允许的字符（只用数字和除 I、O、Z、S、V 外的大写字母）：{mask_id(s, '营业执照')}",
                           code="bad_uscc")
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(s[:17], _USCC_WEIGHTS, strict=True))
    if _USCC_CHARS[(31 - total % 31) % 31] != s[17]:
        raise ValueProblem(f"统一社会信用代码校验位不符（{mask_id(s, '营业执照')}），请与营业执照核对", code="bad_uscc")
    return s


def check_id_number(raw: str, id_type: str | None) -> str:
    """Check a 证件号码 by its 证件类型 (身份证 when blank) and return it in stored form."""
    kind = _id_kind(id_type)
    s = _compact(raw).upper()
    _reject_excel_float(s)
    if kind == "resident":
        return check_resident_id(s)
    if kind == "uscc":
        return check_uscc(s)
    if kind == "passport":
        if not re.fullmatch(r"[A-Z0-9]{5,17}", s):
            raise ValueProblem(f"护照号码应为5–17位字母或数字，现为{len(s)}位（{mask_id(s, '护照')}）",
                               code="bad_passport")
        return s
    if kind == "permit":
        if not (8 <= len(s) <= 11 and re.fullmatch(r"[A-Z]{0,2}[0-9]{6,10}", s)):
            raise ValueProblem(f"通行证号码应为8–11位：字母开头加数字（如 H12345678、C12345678）或8位数字（台胞证），"
                               f"现为{len(s)}位（{mask_id(s, '港澳台通行证')}）", code="bad_permit")
        return s
    raise ValueProblem(f"证件类型“{_show(id_type or '')}”无法识别，应为 身份证、护照、港澳台通行证 或 营业执照",
                       code="bad_id_type")


def mask_id(value: str, id_type: str | None = None) -> str:
    """身份证 keeps its first 6 and last 4 (``110101********1234``); other documents their first and last 2."""
    s = _compact(value).upper()
    kind = _id_kind(id_type) if id_type else None
    if (kind == "resident" and len(s) in (15, 18)) or (id_type is None and _RESIDENT_SHAPE.fullmatch(s)):
        return _keep_ends(s, 6, 4)
    return _keep_ends(s, 2, 2)


# ---------------------------------------------------------------- free text

_PII_IN_TEXT = lazy(
    r"(?<![0-9])(?:"
    r"(?P<id18>[0-9]{17}[0-9Xx]|[0-9]{6} [0-9]{8} [0-9]{3}[0-9Xx])"
    r"|(?P<mobile>(?:(?:\+?86|0086)[ -]?)?1[3-9][0-9][ -]?[0-9]{4}[ -]?[0-9]{4})"
    r"|(?P<id15>[0-9]{15})"
    r"|(?P<landline>(?:(?:\+?86|0086)[ -]?)?(?:\(0[0-9]{2,3}\)|0[0-9]{2,3})[ -]?[0-9]{7,8})"
    r")(?![0-9])")


# Other documents are told by the word before them (a bare letter-and-digits run may be any 编号):
# 护照/Passport, 港澳/往来港澳通行证, 回乡证, 台胞证/台湾居民来往大陆通行证, 通行证 — SPEC §7: first 2 and last 2.
_DOC_IN_TEXT = lazy(
    r"(?:护照|passport|通行证|回乡证|台胞证)[ :：]{0,2}(?:号码|号|no\.?|number)?[ :：#]{0,3}"
    r"(?<![A-Za-z0-9])(?P<doc>[A-Za-z]{0,2}[0-9][A-Za-z0-9]{5,11})(?![A-Za-z0-9])", re.IGNORECASE)


def mask_text(text: str, *, valid_ids_only: bool = False) -> str:
    """Mask ID- and phone-shaped numbers in free text, and document numbers after the document's name;
    dates, amounts, rooms and 编号 are left as they are. A run of 15/18 digits is ID-shaped when it holds
    a real birth date (a mistyped check digit is still hidden); ``valid_ids_only`` (file names, where
    long digit runs are usually timestamps) also asks for the check digit."""
    probe = to_halfwidth(text)  # same length as text, so match offsets apply to the original
    spans = [(m.start("doc"), m.end("doc"), _keep_ends(text[m.start("doc"):m.end("doc")], 2, 2))
             for m in _DOC_IN_TEXT.finditer(probe)]
    for m in _PII_IN_TEXT.finditer(probe):
        if any(s < m.end() and m.start() < e for s, e, _ in spans):
            continue
        if m["id18"] or m["id15"]:
            digits = _compact(m.group()).upper()
            if not _birth_ok(digits) or (valid_ids_only and not is_resident_id(digits)):
                continue   # 201709141528061846 is a timestamp, not a person
            spans.append((m.start(), m.end(), mask_id(m.group(), "身份证")))
        else:
            spans.append((m.start(), m.end(), mask_phone(m.group())))
    out: list[str] = []
    last = 0
    for start, end, masked in sorted(spans):
        out += [text[last:start], masked]
        last = end
    out.append(text[last:])
    return "".join(out)
