"""Tests for hudang.forms.values: every accepted spelling, every error code, and the masks (SPEC §3, §5, §7)."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hudang.errors import ValueProblem
from hudang.forms.values import (
    PII_TYPES,
    check_id_number,
    check_resident_id,
    check_uscc,
    mask_id,
    mask_phone,
    mask_text,
    normalize_label,
    normalize_phone,
    parse_date,
    parse_datetime,
    parse_money,
    parse_number,
    to_halfwidth,
    to_simplified,
)

# Computed here, independently of the module, so a wrong table in the module cannot pass its own test.
WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]


def id_check(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of GB 11643."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, WEIGHTS, strict=True)) % 11]


def make_id(region: str = "110105", born: str = "19491231", seq: str = "002") -> str:
    first17 = region + born + seq
    return first17 + id_check(first17)


def wrong_check(value: str) -> str:
    return value[:17] + ("1" if value[17] != "1" else "2")


def raises(code: str, func, *args):  # type: ignore[no-untyped-def]
    with pytest.raises(ValueProblem) as info:
        func(*args)
    assert info.value.code == code, info.value.message
    return info.value


VALID_ID = make_id()
OTHER_ID = make_id("340102", "19900307", "123")
USCC = "91350100M000100Y43"


def test_known_examples_agree_with_test_algorithm() -> None:
    assert VALID_ID == "11010519491231002X"
    assert WEIGHTS == [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def test_pii_types() -> None:
    assert PII_TYPES == {"id_number", "phone"}


# ---------------------------------------------------------------- text and labels

def test_to_halfwidth() -> None:
    assert to_halfwidth("１２３ＡＢｃ：－／．（）\u3000！～") == "123ABc:-/.() !~"
    assert to_halfwidth("汉字ok") == "汉字ok"


def test_to_simplified() -> None:
    assert to_simplified("聯絡電話") == "联络电话"
    assert to_simplified("金第花園") == "金第花园"
    assert to_simplified("plain ascii") == "plain ascii"
    long_text = "投訴內容：" + "樓上漏水" * 40
    assert to_simplified(long_text) == "投诉内容：" + "楼上漏水" * 40


@pytest.mark.parametrize(("raw", "expected"), [
    ("投訴人 ：", "投诉人"),
    ("聯絡電話：", "联络电话"),
    ("联系电话:", "联系电话"),
    ("联 系 电 话", "联系电话"),
    ("\u3000证件号码\u3000：", "证件号码"),
    ("*投诉人", "投诉人"),
    ("投诉人*：", "投诉人"),
    ("★投诉内容（必填）：", "投诉内容"),
    ("投诉内容【必填】", "投诉内容"),
    ("（必填）投诉内容", "投诉内容"),
    ("备注(选填):", "备注"),
    ("\ufeff项目", "项目"),
    ("ＡＢ栋", "AB栋"),
    ("费用(元)", "费用(元)"),  # a unit in brackets is part of the label, not a required-field mark
])
def test_normalize_label(raw: str, expected: str) -> None:
    assert normalize_label(raw) == expected


# ---------------------------------------------------------------- dates

@pytest.mark.parametrize("raw", [
    "2026-11-03", "2026/11/3", "2026.11.03", "2026年11月3日", "2026年11月03日", "2026年11月3号", "2026年11月3",
    "20261103", "２０２６－１１－０３", "２０２６年１１月３日", "  2026-11-03  ", "2026 年 11 月 3 日",
    "2026-11-03 00:00:00", "2026-11-03T00:00:00", "2026-11-03 00:00",
])
def test_parse_date_forms(raw: str) -> None:
    assert parse_date(raw) == dt.date(2026, 11, 3)


@pytest.mark.parametrize("raw", [
    "", "   ", "昨天", "2026-11", "26-11-03", "2026-11/03", "2026-02-30", "2026-13-01", "2026-00-10",
    "20260230", "1899-12-31", "2100-01-01", "2026-11-03 14:30", "2026-11-03 00:00:01", "202611031", "2026-11-034",
])
def test_parse_date_rejects(raw: str) -> None:
    raises("bad_date", parse_date, raw)


def test_parse_date_message_names_the_impossible_date() -> None:
    assert "2026年2月30日" in raises("bad_date", parse_date, "2026-02-30").message


def test_leap_day() -> None:
    assert parse_date("2024-02-29") == dt.date(2024, 2, 29)
    raises("bad_date", parse_date, "2025-02-29")


@pytest.mark.parametrize(("raw", "expected"), [
    ("2026-11-03 14:30", (14, 30, 0)),
    ("2026-11-03 14:30:05", (14, 30, 5)),
    ("2026-11-03T14:30:05", (14, 30, 5)),
    ("2026-11-03 14:30:05.250", (14, 30, 5)),
    ("2026/11/3 9:05", (9, 5, 0)),
    ("2026.11.03 14:30", (14, 30, 0)),
    ("20261103 14:30", (14, 30, 0)),
    ("2026年11月3日14时30分", (14, 30, 0)),
    ("2026年11月3日 14时30分05秒", (14, 30, 5)),
    ("2026年11月3日14点30分", (14, 30, 0)),
    ("2026年11月3日14点30", (14, 30, 0)),
    ("2026-11-03 14点", (14, 0, 0)),
    ("2026-11-03 14点整", (14, 0, 0)),
    ("2026/11/3 下午2:30", (14, 30, 0)),
    ("2026/11/3 下午 2:30", (14, 30, 0)),
    ("2026-11-03 下午14:30", (14, 30, 0)),
    ("2026-11-03 上午9:05", (9, 5, 0)),
    ("2026年11月3日下午2点半", (14, 30, 0)),
    ("2026-11-03 晚上8:00", (20, 0, 0)),
    ("2026-11-03 中午12:10", (12, 10, 0)),
    ("2026-11-03 中午1点", (13, 0, 0)),
    ("2026-11-03 凌晨12:30", (0, 30, 0)),
    ("2026-11-03 2:30 PM", (14, 30, 0)),
    ("2026-11-03 12:05am", (0, 5, 0)),
    ("２０２６－１１－０３　１４：３０", (14, 30, 0)),
    ("2026-11-03 14：30", (14, 30, 0)),
    ("２０２６年１１月３日下午２点３０分", (14, 30, 0)),
    ("  2026-11-03 14:30  ", (14, 30, 0)),
])
def test_parse_datetime_forms(raw: str, expected: tuple[int, int, int]) -> None:
    assert parse_datetime(raw) == (dt.datetime(2026, 11, 3, *expected), False)


@pytest.mark.parametrize("raw", ["2026-11-03", "2026年11月3日", "20261103", "2026/11/3 "])
def test_parse_datetime_date_only(raw: str) -> None:
    assert parse_datetime(raw) == (dt.datetime(2026, 11, 3), True)


def test_parse_datetime_explicit_offsets_become_office_time() -> None:
    assert parse_datetime("2026-11-03T06:30:00Z") == (dt.datetime(2026, 11, 3, 14, 30), False)
    assert parse_datetime("2026-11-03T14:30:00+08:00") == (dt.datetime(2026, 11, 3, 14, 30), False)
    assert parse_datetime("2026-11-03T20:00:00-05:00") == (dt.datetime(2026, 11, 4, 9, 0), False)


def test_parse_datetime_ignores_server_timezone() -> None:
    if not hasattr(time, "tzset"):
        pytest.skip("no tzset on this platform")
    saved = os.environ.get("TZ")
    try:
        os.environ["TZ"] = "America/New_York"
        time.tzset()
        assert parse_datetime("2026-11-03 14:30") == (dt.datetime(2026, 11, 3, 14, 30), False)
        assert parse_datetime("2026-11-03T06:30:00Z")[0] == dt.datetime(2026, 11, 3, 14, 30)
    finally:
        if saved is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.parametrize("raw", [
    "", "下午", "14:30", "2026-11-03 25:00", "2026-11-03 24:00", "2026-11-03 14:60", "2026-11-03 14:30:61",
    "2026-11-03 上午14:30", "2026-11-03 晚上12点", "2026-11-03 下午2:30 PM", "2026-11-03 later",
    "2026-02-30 10:00", "2026-11-0314:30", "2026-11-03 14:30:05 extra",
])
def test_parse_datetime_rejects(raw: str) -> None:
    raises("bad_datetime", parse_datetime, raw)


def test_date_messages_never_echo_a_phone() -> None:
    message = raises("bad_date", parse_date, "13812345678").message
    assert "13812345678" not in message and "138****5678" in message


# ---------------------------------------------------------------- money and numbers

@pytest.mark.parametrize(("raw", "expected"), [
    ("1234.5", "1234.50"), ("1234", "1234.00"), ("¥1,234.50", "1234.50"), ("￥1234.50", "1234.50"),
    ("1234.50元", "1234.50"), ("1234元整", "1234.00"), ("RMB 12", "12.00"), ("rmb12", "12.00"),
    ("人民币 1,000,000.00 元", "1000000.00"), ("１２３４．５", "1234.50"), ("￥１，２３４．５０", "1234.50"),
    (" 12.5 ", "12.50"), ("0.005", "0.01"), ("0", "0.00"), ("-0", "0.00"),
    ("-12.5", "-12.50"), ("-¥12", "-12.00"), ("¥-12", "-12.00"), ("－１２", "-12.00"), ("+3", "3.00"),
])
def test_parse_money(raw: str, expected: str) -> None:
    value = parse_money(raw)
    assert value == Decimal(expected) and str(value) == expected


@pytest.mark.parametrize("raw", ["", "元", "¥", "abc", "12.3.4", "1,23", "12,3456", "--5", "1e5", "12 34", ".5",
                                 "NaN", "Infinity", "12$"])
def test_parse_money_rejects(raw: str) -> None:
    raises("bad_money", parse_money, raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1234", "1234"), ("1234.5", "1234.5"), ("1,234.5", "1234.5"), ("１２３４．５", "1234.5"), ("-3", "-3"),
    ("1234度", "1234"), ("12.5m³", "12.5"), ("12.5立方米", "12.5"), ("12.5 吨", "12.5"), ("1201.0", "1201.0"), ("0", "0"),
])
def test_parse_number(raw: str, expected: str) -> None:
    assert parse_number(raw) == Decimal(expected)


@pytest.mark.parametrize("raw", ["", "abc", "12a", "1.2.3", "约100", "NaN", "12 34", "度"])
def test_parse_number_rejects(raw: str) -> None:
    raises("bad_number", parse_number, raw)


# ---------------------------------------------------------------- phones

@pytest.mark.parametrize(("raw", "expected"), [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("138-1234-5678", "13812345678"),
    ("+86 138 1234 5678", "13812345678"), ("+8613812345678", "13812345678"), ("0086-13812345678", "13812345678"),
    ("8613812345678", "13812345678"), ("１３８１２３４５６７８", "13812345678"), ("+86-199-1234-5678", "19912345678"),
    ("0552-12345678", "055212345678"), ("0552-1234567", "05521234567"), ("(0552)1234567", "05521234567"),
    ("（0552）1234567", "05521234567"), ("010-12345678", "01012345678"), ("020 8765 4321", "02087654321"),
    ("0755-2345678", "07552345678"), ("+86 552 1234567", "05521234567"), ("+86 10 12345678", "01012345678"),
    ("０５５２－１２３４５６７８", "055212345678"),
])
def test_normalize_phone(raw: str, expected: str) -> None:
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", [
    "", "12345", "12812345678", "1381234567", "138123456789", "23812345678", "0552-123456", "0552-123456789",
    "010-1234567890", "0112-1234567", "0552-01234567", "055212345", "+1 212 555 0100", "138-1234-567x",
])
def test_normalize_phone_rejects(raw: str) -> None:
    raises("bad_phone", normalize_phone, raw)


def test_bad_phone_message_is_masked() -> None:
    message = raises("bad_phone", normalize_phone, "138123456789").message
    assert "138123456789" not in message and "13812345678" not in message
    assert "手机号" in message and "区号" in message and "12位" in message


@pytest.mark.parametrize(("raw", "expected"), [
    ("13812345678", "138****5678"), ("+86 138-1234-5678", "138****5678"), ("055212345678", "0552-****5678"),
    ("0552-12345678", "0552-****5678"), ("0552-1234567", "0552-****4567"), ("01012345678", "010-****5678"),
    ("(020)87654321", "020-****4321"), ("abcdefgh", "ab****gh"), ("12345", "*****"),
])
def test_mask_phone(raw: str, expected: str) -> None:
    assert mask_phone(raw) == expected


# ---------------------------------------------------------------- identity documents

def test_check_resident_id_valid() -> None:
    assert check_resident_id(VALID_ID) == VALID_ID
    assert check_resident_id(VALID_ID.lower()) == VALID_ID
    assert check_resident_id(OTHER_ID) == OTHER_ID
    assert check_resident_id(" " + OTHER_ID[:6] + " " + OTHER_ID[6:] + " ") == OTHER_ID
    assert check_resident_id(to_halfwidth(OTHER_ID).translate({c: c + 0xFEE0 for c in range(0x30, 0x3A)})) == OTHER_ID
    assert check_resident_id("110105491231002") == "110105491231002"  # old form, born 1949-12-31


@pytest.mark.parametrize(("raw", "code"), [
    ("", "bad_id_length"),
    ("1101051949123100", "bad_id_length"),
    ("1101051949123100211", "bad_id_length"),
    ("11010519491231002Y", "bad_id_length"),
    ("1101051949123100X2", "bad_id_length"),
    ("11010519491231002X.0", "bad_id_length"),
    ("110101199003071234.0", "bad_id_length"),
    ("11010549123100X", "bad_id_length"),
    (make_id(born="19491331"), "bad_id_birth"),
    (make_id(born="19490230"), "bad_id_birth"),
    (make_id(born="18991231"), "bad_id_birth"),
    (make_id(born="20990101"), "bad_id_birth"),
    ("110105491331002", "bad_id_birth"),
    (wrong_check(VALID_ID), "bad_id_check"),
    (wrong_check(OTHER_ID), "bad_id_check"),
    ("1.10101E+17", "id_float"),
    ("1.10101e+17", "id_float"),
    ("1.10101E17", "id_float"),
    ("３.１０１０１Ｅ＋１７", "id_float"),
])
def test_check_resident_id_rejects(raw: str, code: str) -> None:
    raises(code, check_resident_id, raw)


def test_id_float_message_says_digits_are_lost() -> None:
    message = raises("id_float", check_resident_id, "1.10101E+17").message
    assert "Excel" in message and "丢失" in message and "文本" in message


@pytest.mark.parametrize(("raw", "code"), [
    (wrong_check(OTHER_ID), "bad_id_check"), (make_id(born="20990101"), "bad_id_birth"), (OTHER_ID + "1", "bad_id_length"),
])
def test_id_messages_never_hold_the_full_number(raw: str, code: str) -> None:
    message = raises(code, check_resident_id, raw).message
    assert raw[:17] not in message and raw[-12:] not in message


def test_id_check_message_shows_the_masked_number() -> None:
    assert "340102********" in raises("bad_id_check", check_resident_id, wrong_check(OTHER_ID)).message


def test_future_birth_uses_office_date() -> None:
    tomorrow = dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).date() + dt.timedelta(days=1)
    raises("bad_id_birth", check_resident_id, make_id(born=tomorrow.strftime("%Y%m%d")))


def test_check_uscc() -> None:
    assert check_uscc(USCC) == USCC
    assert check_uscc(USCC.lower()) == USCC
    assert check_uscc(" 91350100 M000100Y43 ") == USCC
    for bad in ("", USCC[:-1], USCC + "1", USCC[:-1] + "4", "91350100I000100Y43", "91350100M000100O43"):
        raises("bad_uscc", check_uscc, bad)


@pytest.mark.parametrize(("raw", "id_type", "expected"), [
    (VALID_ID.lower(), "身份证", VALID_ID),
    (VALID_ID, None, VALID_ID),
    (VALID_ID, "", VALID_ID),
    (VALID_ID, "身份證", VALID_ID),
    (VALID_ID, "居民身份证", VALID_ID),
    (USCC.lower(), "营业执照", USCC),
    ("e12345678", "护照", "E12345678"),
    ("G 1234 5678", "护照", "G12345678"),
    ("AB123", "护照", "AB123"),
    ("H12345678", "港澳台通行证", "H12345678"),
    ("c12345678", "港澳台通行证", "C12345678"),
    ("12345678", "港澳台通行证", "12345678"),
    ("H1234567890", "港澳台通行证", "H1234567890"),
    ("CA1234567", "港澳台通行证", "CA1234567"),
])
def test_check_id_number(raw: str, id_type: str | None, expected: str) -> None:
    assert check_id_number(raw, id_type) == expected


@pytest.mark.parametrize(("raw", "id_type", "code"), [
    (wrong_check(VALID_ID), None, "bad_id_check"),
    ("1.10101E+17", "身份证", "id_float"),
    ("1.10101E+17", "护照", "id_float"),
    (USCC[:-1] + "4", "营业执照", "bad_uscc"),
    ("E123", "护照", "bad_passport"),
    ("E1234567890123456789", "护照", "bad_passport"),
    ("E-123456", "护照", "bad_passport"),
    ("1234567", "港澳台通行证", "bad_permit"),
    ("H123456789012", "港澳台通行证", "bad_permit"),
    ("HKG12345678", "港澳台通行证", "bad_permit"),
    ("12345678H", "港澳台通行证", "bad_permit"),
    (VALID_ID, "驾驶证", "bad_id_type"),
])
def test_check_id_number_rejects(raw: str, id_type: str | None, code: str) -> None:
    raises(code, check_id_number, raw, id_type)


@pytest.mark.parametrize(("value", "id_type", "expected"), [
    ("110101199003071234", None, "110101********1234"),
    ("110101199003071234", "身份证", "110101********1234"),
    (VALID_ID.lower(), None, "110105********002X"),
    ("110105491231002", "身份证", "110105*****1002"),
    (USCC, "营业执照", "91**************43"),
    (USCC, None, "91**************43"),
    ("E12345678", "护照", "E1*****78"),
    ("H12345678", "港澳台通行证", "H1*****78"),
    ("1234567", "护照", "*******"),
])
def test_mask_id(value: str, id_type: str | None, expected: str) -> None:
    assert mask_id(value, id_type) == expected


# ---------------------------------------------------------------- free text

@pytest.mark.parametrize(("text", "expected"), [
    ("电话13812345678", "电话138****5678"),
    ("电话 138 1234 5678 请回电", "电话 138****5678 请回电"),
    ("电话138-1234-5678。", "电话138****5678。"),
    ("+86 13812345678", "138****5678"),
    ("座机0552-12345678转801", "座机0552-****5678转801"),
    ("座机(0552)1234567", "座机0552-****4567"),
    ("北京010-12345678", "北京010-****5678"),
    ("身份证11010519491231002x", "身份证110105********002X"),
    ("身份证110105491231002", "身份证110105*****1002"),
    ("身份证 110105 19491231 002X", "身份证 110105********002X"),
    ("全角１３８１２３４５６７８", "全角138****5678"),
])
def test_mask_text_masks(text: str, expected: str) -> None:
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", [
    "2026-11-03 14:30 来电", "20261103", "编号TS-20261103-001", "3-2-1201室楼上漏水", "费用¥1,234.50元",
    "读数12345678", "订单号1381234567890123456789", "1234567890123456", "共10户，每户138元", "A座1201",
    "2026年11月3日14时30分", "13812345678901",
])
def test_mask_text_leaves_other_numbers(text: str) -> None:
    assert mask_text(text) == text


@pytest.mark.parametrize(("text", "expected"), [
    ("护照E12345678", "护照E1*****78"),
    ("持护照号码：E12345678，电话13812345678", "持护照号码：E1*****78，电话138****5678"),
    ("Passport No. G12345678", "Passport No. G1*****78"),
    ("港澳通行证C12345678已过期", "港澳通行证C1*****78已过期"),
    ("回乡证 H1234567801", "回乡证 H1*******01"),
    ("台胞证 12345678", "台胞证 12****78"),
    ("护照ＥＡ１２３４５６７", "护照ＥＡ*****６７"),
])
def test_mask_text_masks_other_documents_after_their_name(text: str, expected: str) -> None:
    """SPEC §7: passports and 港澳/台 permits in free text keep their first 2 and last 2."""
    assert mask_text(text) == expected


@pytest.mark.parametrize("text", ["合同编号C12345678", "护照已过期，待补", "通行证办理中"])
def test_mask_text_leaves_numbers_not_after_a_document_name(text: str) -> None:
    assert mask_text(text) == text


def test_mask_text_two_numbers_and_mixed() -> None:
    text = f"业主{VALID_ID}于2026-11-03来电，电话13812345678/13987654321，房号3-2-1201，编号TS-20261103-001"
    assert mask_text(text) == ("业主110105********002X于2026-11-03来电，电话138****5678/139****4321，"
                               "房号3-2-1201，编号TS-20261103-001")


# ---------------------------------------------------------------- properties

ids = st.builds(
    lambda region, born, seq: make_id(str(region), born.strftime("%Y%m%d"), f"{seq:03d}"),
    st.integers(110000, 829999), st.dates(dt.date(1900, 1, 1), dt.date(2020, 12, 31)), st.integers(0, 999))
mobiles = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)


@given(ids)
def test_any_valid_id_passes_and_masks(value: str) -> None:
    assert check_resident_id(value) == value
    assert check_resident_id(value.lower()) == value
    assert check_id_number(value, None) == value
    assert re.fullmatch(r"[0-9]{6}\*{8}[0-9]{3}[0-9X]", mask_id(value))
    assert mask_id(value) == value[:6] + "********" + value[-4:]
    if value[-1] != "0":
        raises("bad_id_check", check_resident_id, value[:17] + "0")


@given(mobiles, st.sampled_from(["", "+86", "+86 ", "+86-", "0086", "0086 ", "86"]),
       st.sampled_from([" ", "-", "", "　"]), st.booleans())
def test_mobile_formats_normalise(number: str, prefix: str, sep: str, fullwidth: bool) -> None:
    written = prefix + number[:3] + sep + number[3:7] + sep + number[7:]
    if fullwidth:
        written = written.translate({c: c + 0xFEE0 for c in range(0x21, 0x7F)})
    assert normalize_phone(written) == number
    assert mask_phone(written) == number[:3] + "****" + number[-4:]


fillers = st.sampled_from(["来电反映", "楼上漏水", "2026-11-03", "3-2-1201", "TS-20261103-001", "¥1,234.50",
                           "Room A", "（已回访）", "x", "X", "", "2026年11月3日14时30分"])
separators = st.sampled_from([" ", "，", "：", "\n", "、", "电话", "/", "("])


@given(st.lists(st.one_of(fillers, ids, mobiles, mobiles.map(lambda m: f"{m[:3]} {m[3:7]} {m[7:]}")),
                max_size=8), separators)
def test_mask_text_hides_every_id_and_mobile(parts: list[str], sep: str) -> None:
    out = mask_text(sep.join(parts))
    spaceless = out.replace(" ", "")
    for part in parts:
        digits = part.replace(" ", "")
        if re.fullmatch(r"1[3-9][0-9]{9}|[0-9]{17}[0-9X]", digits):
            assert digits not in spaceless
    assert not re.search(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", out)
    assert not re.search(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])", out)
    for keep in ("2026-11-03", "3-2-1201", "TS-20261103-001", "¥1,234.50"):
        assert out.count(keep) >= sum(p == keep for p in parts)
