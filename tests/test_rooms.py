"""Room spellings → household keys (SPEC §2): examples, rejections and round-trip properties."""

from __future__ import annotations  # noqa: I001 -- ruff sees hudang.archive (package-dir) as third-party

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hudang.forms.rooms import Room, is_public, parse_key, parse_room, room_from_parts
from hudang.errors import ValueProblem

SPELLINGS = [
    ("3栋2单元1201", "3-2-1201"),
    ("3栋2单元1201室", "3-2-1201"),
    ("3-2-1201", "3-2-1201"),
    ("3-2-1201室", "3-2-1201"),
    ("3幢2单元1201室", "3-2-1201"),
    ("3号楼2单元1201", "3-2-1201"),
    ("3号2单元1201", "3-2-1201"),
    ("3#2单元1201", "3-2-1201"),
    ("3#楼2单元1201室", "3-2-1201"),
    ("3栋-2单元-1201", "3-2-1201"),
    ("3/2/1201", "3-2-1201"),
    ("3—2—1201", "3-2-1201"),
    ("3－2－1201", "3-2-1201"),
    ("3栋2单元1201号", "3-2-1201"),
    ("3栋2单元1201房", "3-2-1201"),
    ("3栋2单元1201房间", "3-2-1201"),
    ("03栋02单元1201", "3-2-1201"),
    ("A座1201", "A-1201"),
    ("A栋1201室", "A-1201"),
    ("a座1201", "A-1201"),
    ("a-1201", "A-1201"),
    ("B2栋1单元301", "B2-1-301"),
    ("12A栋301", "12A-301"),
    ("3-1201", "3-1201"),
    ("3-1201号", "3-1201"),
    ("３栋２单元１２０１", "3-2-1201"),
    ("Ａ座１２０１室", "A-1201"),
    ("3 栋 2 单元 1201", "3-2-1201"),
    ("  3\u3000栋2 单元 12 01 室 ", "3-2-1201"),
    ("三栋二单元1201", "3-2-1201"),
    ("十二栋1单元502", "12-1-502"),
    ("二十三号楼1单元502", "23-1-502"),
    ("九十九栋1201", "99-1201"),
    ("十栋十单元101", "10-10-101"),
    ("两栋两单元101", "2-2-101"),
    ("3棟2單元1201室", "3-2-1201"),
    ("三號樓二單元1201", "3-2-1201"),
    ("3栋2单元0101", "3-2-0101"),
    ("3栋2单元B101", "3-2-B101"),
]


@pytest.mark.parametrize(("text", "key"), SPELLINGS)
def test_spellings_give_the_key(text: str, key: str) -> None:
    assert parse_room(text).key == key


def test_fields_and_building_word() -> None:
    assert parse_room("3号楼2单元1201") == Room("3", "2", "1201", "号楼")
    assert parse_room("3#2单元1201").building_word == "号楼"
    assert parse_room("A座1201") == Room("A", None, "1201", "座")
    assert parse_room("3-2-1201") == Room("3", "2", "1201", None)
    assert parse_room("3幢2单元1201").building_word == "幢"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "abc", "3栋", "3栋2单元", "1201", "1201室", "1201号", "一百栋1201", "一百零一栋2单元1201",
     "十十栋1201", "0栋1201", "3栋0单元1201", "3楼2单元1201", "公共区域", "张三", "3-2-1-1201",
     "3栋2单元1201室内", "2026-11-03 09:30", "13812345678"],
)
def test_rejections(text: str) -> None:
    with pytest.raises(ValueProblem) as info:
        parse_room(text)
    assert info.value.code == "bad_room"
    assert "房号" in info.value.message


def test_rejection_message_names_the_text_and_the_form() -> None:
    with pytest.raises(ValueProblem) as info:
        parse_room("abc")
    assert info.value.message == "无法识别房号“abc”：应为“3栋2单元1201室”或“3-2-1201”的形式"


def test_rejection_of_large_chinese_building_says_why() -> None:
    with pytest.raises(ValueProblem) as info:
        parse_room("一百零一栋2单元1201")
    assert "一至九十九" in info.value.message and "一百零一" in info.value.message


def test_rejection_message_masks_a_phone() -> None:
    with pytest.raises(ValueProblem) as info:
        parse_room("13812345678")
    assert "13812345678" not in info.value.message and "138****5678" in info.value.message


def test_display() -> None:
    room = parse_room("3-2-1201")
    assert room.display() == "3栋2单元1201室"
    assert room.display("幢") == "3幢2单元1201室"
    assert room.display("号楼") == "3号楼2单元1201室"
    assert parse_room("a-1201").display("座") == "A座1201室"


def test_parse_key() -> None:
    assert parse_key("3-2-1201") == Room("3", "2", "1201")
    assert parse_key("A-1201") == Room("A", None, "1201")
    assert parse_key("商业街-S101") == Room("商业街", None, "S101")
    assert parse_key("商業街-S101").key == "商业街-S101"
    for bad in ["", "3", "3--1201", "3-2-1-1201", "3-2-12 01/..", "../x-1"]:
        with pytest.raises(ValueProblem):
            parse_key(bad)


def test_room_refuses_parts_unsafe_for_paths() -> None:
    for bad in [("3", None, "../1201"), ("3/4", None, "1201"), ("3", "2-1", "1201"), ("", None, "1201")]:
        with pytest.raises(ValueProblem):
            Room(*bad)


def test_room_from_roster_parts() -> None:
    assert room_from_parts("3栋", "2单元", "1201室") == Room("3", "2", "1201", "栋")
    assert room_from_parts("3", "2", "1201") == Room("3", "2", "1201")
    assert room_from_parts("A座", "", "1201") == Room("A", None, "1201", "座")
    assert room_from_parts("三號樓", None, "0101") == Room("3", None, "0101", "号楼")
    shop = room_from_parts("商业街", None, "S101")
    assert shop.key == "商业街-S101" and shop.display() == "商业街S101"
    with pytest.raises(ValueProblem):
        room_from_parts("地下车库", None, "B1-023")


@pytest.mark.parametrize("text", ["公共区域", "公共", "访客", " 公共 区域 ", "公共區域", "訪客", "公共区域（大堂）"])
def test_public(text: str) -> None:
    assert is_public(text)


@pytest.mark.parametrize("text", ["3-2-1201", "", "张三", "区域公共"])
def test_not_public(text: str) -> None:
    assert not is_public(text)


def test_public_words_are_configurable() -> None:
    assert is_public("物业办公室", public_words=("物业",))
    assert not is_public("访客", public_words=("物业",))


# --- properties -----------------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"


def _cn(n: int) -> str:
    """1–99 in Chinese numerals, written out independently of the parser."""
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _CN_DIGITS[tens] + "十")
    return head + ("" if ones == 0 else _CN_DIGITS[ones])


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


buildings = st.one_of(st.integers(1, 99).map(str), st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
units = st.one_of(st.none(), st.integers(1, 9).map(str))
numbers = st.one_of(
    st.integers(101, 3399).map(str),
    st.builds(lambda floor, door: f"{floor:02d}{door:02d}", st.integers(1, 33), st.integers(1, 12)),
)
rooms = st.builds(Room, buildings, units, numbers)
words = st.sampled_from(["栋", "座", "幢", "号楼"])


@given(rooms, words)
def test_display_round_trips(room: Room, word: str) -> None:
    assert parse_room(room.display(word)).key == room.key


@given(rooms)
def test_key_round_trips(room: Room) -> None:
    assert parse_room(room.key).key == room.key
    assert parse_key(room.key) == replace(room, building_word=None)


@given(st.integers(1, 99), units, numbers, words)
def test_chinese_numeral_buildings(building: int, unit: str | None, number: str, word: str) -> None:
    unit_text = "" if unit is None else f"{_cn(int(unit))}单元"
    expected = Room(str(building), unit, number).key
    assert parse_room(f"{_cn(building)}{word}{unit_text}{number}").key == expected


@given(rooms, words)
def test_fullwidth_display_round_trips(room: Room, word: str) -> None:
    assert parse_room(_fullwidth(room.display(word))).key == room.key
    assert parse_room(_fullwidth(room.key)).key == room.key


@given(rooms, words, st.data())
def test_spaces_and_case_do_not_matter(room: Room, word: str, data: st.DataObject) -> None:
    text = room.display(word).lower()
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=4)))
    for i, cut in enumerate(cuts):
        text = text[: cut + i] + " " + text[cut + i:]
    assert parse_room(text).key == room.key
