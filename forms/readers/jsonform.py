"""JSON forms exported by other systems: `{"表单": "投诉处理单", "字段": {标签: 值}}` (or `form`/`fields`)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from hudang.errors import Problem, UnreadableFile
from hudang.forms.readers.model import Extraction, RawRecord, Vocabulary

_FORM_KEYS = ("表单", "form")
_FIELDS_KEYS = ("字段", "fields")
_JSON_TYPES = {dict: "对象", list: "列表", str: "文本", int: "数字", float: "数字", bool: "布尔值",
               type(None): "空值（null）"}


def read_json(path: Path, vocab: Vocabulary) -> Extraction:
    data = _load(path)
    if not isinstance(data, dict):
        _bad(path, f"JSON 的最外层应为对象 {{…}}，实际是{_kind(data)}。每个文件只能放一张表单。")
    form = next((data[k] for k in _FORM_KEYS if k in data), None)
    raw_fields = next((data[k] for k in _FIELDS_KEYS if k in data), None)
    if raw_fields is None:
        _bad(path, "缺少“字段”（fields）对象，应为 {\"表单\": \"…\", \"字段\": {\"标签\": \"值\"}}。")
    if not isinstance(raw_fields, dict):
        _bad(path, f"“字段”（fields）应为对象（标签: 值），实际是{_kind(raw_fields)}。")
    fields: dict[str, str] = {}
    warnings: list[Problem] = []
    lines: list[str] = []
    for label, value in raw_fields.items():
        text = as_text(value)
        lines.append(f"{label}：{text}")
        key = vocab.normalize(str(label))
        if not key:
            warnings.append(Problem(None, "empty_label", "“字段”中有一项标签为空，已忽略。"))
        elif key in fields:
            warnings.append(Problem(key, "duplicate_label",
                                    f"“{key}”在“字段”中出现多次，已采用第一次出现的内容，请核对。"))
        else:
            fields[key] = text
    hint = (as_text(form).strip() or None) if form is not None else None
    if hint:
        lines.insert(0, f"表单：{hint}")
    return Extraction(kind="form", records=[RawRecord(fields)], text="\n".join(lines),
                      form_hint=hint, detected_type="json", warnings=warnings)


def as_text(value: Any) -> str:
    """A JSON value as the text a form would hold: null → '', 1201.0 → '1201', true → '是'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return format(Decimal(repr(value)), "f")
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(not isinstance(v, dict | list) for v in value):
        return "、".join(as_text(v) for v in value)
    return json.dumps(value, ensure_ascii=False)   # nested objects are kept as written


def _load(path: Path) -> Any:
    raw = path.read_bytes()
    text = _decode(raw)
    if text is None:
        _bad(path, "文件编码无法识别，请保存为 UTF-8 或 GB18030 编码。")
    try:
        return json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        _bad(path, f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列附近（{_reason(exc.msg)}）。")
    except ValueError:   # an integer past Python's 4,300 digits, or NaN/Infinity
        _bad(path, "JSON 中有无法读取的数值（数字超过 4300 位，或写成 NaN/Infinity），请改为正常的数字或文字。")


def _no_constant(name: str) -> Any:
    raise ValueError(name)


def _decode(raw: bytes) -> str | None:
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _reason(msg: str) -> str:
    reasons = {"Expecting value": "缺少值", "Expecting ',' delimiter": "缺少逗号",
               "Expecting ':' delimiter": "缺少冒号", "Extra data": "结尾有多余内容",
               "Unterminated string": "引号未闭合", "Invalid control character": "文本中有控制字符",
               "Expecting property name enclosed in double quotes": "键名须用英文双引号",
               "Invalid \\escape": "转义字符错误"}
    return next((zh for en, zh in reasons.items() if msg.startswith(en)), "无法解析")


def _kind(value: Any) -> str:
    return _JSON_TYPES.get(type(value), "其他类型")


def _bad(path: Path, reason: str) -> NoReturn:
    raise UnreadableFile(f"JSON 表单无法读取：{reason}", code="bad_json", path=str(path))
