"""The web's forms: fields and their checks declared once; messages in Chinese."""

from __future__ import annotations

from typing import Any

from django import forms

SORTS = (("relevance", "按相关度"), ("date", "按日期（新→旧）"))


class DateInput(forms.DateInput):
    """A date picker: it reads only ISO values (2026-10-01), whatever the locale would write."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None, format: str = "%Y-%m-%d") -> None:
        super().__init__(attrs, format=format)


REASON_LENGTH = (2, 200)
"""A reason written into the audit log (查看完整信息, 作废, 移档, 搁置, 完整导出): at least 2 characters, at most 200."""
ADDRESS_HINT = "如：金第花园/3-2-1201"


def household_field(label: str = "住户", *, required: bool = True, hint: str = ADDRESS_HINT,
                    autofocus: bool = False) -> forms.CharField:
    """A household typed as 项目/房号 (any alias or room spelling; the app resolves it)."""
    attrs: dict[str, Any] = {"placeholder": hint, **({"autofocus": True} if autofocus else {})}
    return forms.CharField(label=label, required=required, max_length=100, widget=forms.TextInput(attrs=attrs))


def reason_field(label: str = "原因", hint: str | None = None, *, required: bool = True) -> forms.CharField:
    low, high = REASON_LENGTH
    return forms.CharField(label=label, required=required, min_length=low if required else None, max_length=high,
                           widget=forms.TextInput(attrs={"placeholder": hint} if hint else None))


def check_period(form: forms.Form, data: dict[str, Any]) -> None:
    """A period's 截止日期 (``date_to``) is not before its 起始日期 (``date_from``)."""
    since, until = data.get("date_from"), data.get("date_to")
    if since and until and since > until:
        form.add_error("date_to", "截止日期早于起始日期")


class SearchForm(forms.Form):
    q = forms.CharField(label="检索式", required=False, max_length=500,
                        widget=forms.TextInput(attrs={"placeholder": "如：漏水 卫生间、投诉人:张三、\"电梯 停运\"",
                                                      "autofocus": True}))
    form = forms.ChoiceField(label="表单", required=False)
    estate = forms.ChoiceField(label="项目", required=False)
    household = household_field(required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=DateInput)
    date_to = forms.DateField(label="截止日期", required=False, widget=DateInput)
    sort = forms.ChoiceField(label="排序", choices=SORTS, required=False, initial="relevance")
    page = forms.IntegerField(required=False, min_value=1, max_value=500, widget=forms.HiddenInput)

    def __init__(self, *args: Any, form_choices: list[tuple[str, str]], estate_choices: list[str],
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["form"].choices = [("", "全部表单"), *form_choices]  # type: ignore[attr-defined]
        self.fields["estate"].choices = [("", "全部项目"), *((e, e) for e in estate_choices)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_period(self, data)
        return data


class HouseholdPickForm(forms.Form):
    address = household_field(hint="如：金第花园/3-2-1201、金第 3栋2单元1201", autofocus=True)


class RevealForm(forms.Form):
    reason = reason_field("查看完整信息的原因", "如：核实业主身份办理过户")


class DocumentUploadForm(forms.Form):
    """上传文件 for one household: 题名 and 类别 (the choices of the 文件 definition)."""

    household = household_field()
    title = forms.CharField(label="题名", max_length=200, widget=forms.TextInput(attrs={"placeholder": "如：业主来函"}))
    category = forms.ChoiceField(label="类别", required=False)
    author = forms.CharField(label="责任者", required=False, max_length=100,
                             widget=forms.TextInput(attrs={"placeholder": "来函人或发文单位，如：区住建局"}))

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "（默认）"), *((c, c) for c in categories)]  # type: ignore[attr-defined]


# ---------------------------------------------------------------- 新建 / 更正 / 结案 / 回访 (webrecords)

ISO_DATE = DateInput(format="%Y-%m-%d")     # an <input type=date> shows only ISO values


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


NOT_FILLED = "（不填）"


def _entry_field(spec: Any, *, clearable: bool = False) -> forms.Field:
    """One field of a form definition as a web field. Every field is optional here: the intake's own checks
    (records.enter / edit / act) decide, so their Chinese messages are the ones shown beside the field."""
    attrs: dict[str, Any] = {}
    if spec.type == "multiline":
        widget: forms.Widget = forms.Textarea(attrs={"rows": 3})
    elif spec.type == "date":
        widget = DateInput(format="%Y-%m-%d")
    elif spec.type == "datetime":
        widget = DateTimeInput(format="%Y-%m-%dT%H:%M")
    elif spec.type == "choice":
        # 更正 may empty an optional choice again (one with a default would just take its default back)
        blank = [("", NOT_FILLED)] if clearable and not spec.required and not spec.default else []
        widget = forms.RadioSelect(choices=[*((c, c) for c in spec.choices), *blank])
    else:
        if spec.type in ("number", "money"):
            attrs["inputmode"] = "decimal"
        elif spec.type == "phone":
            attrs["inputmode"] = "tel"
        widget = forms.TextInput(attrs=attrs)
    field = forms.CharField(label=spec.label, required=False, widget=widget, strip=True,
                            max_length=None if spec.type == "choice" else 2000)
    field.mark_required = spec.required  # type: ignore[attr-defined]
    return field


def datetime_value(value: str) -> str:
    """A datetime-local input sends 2026-10-05T09:30; the forms' own spelling is 2026-10-05 09:30."""
    if len(value) >= 16 and value[4] == "-" and value[10] == "T":
        return value.replace("T", " ", 1)
    return value


class EntryForm(forms.Form):
    """A form definition as a web form (catalogue.form_fields): a form added as TOML appears with no code."""

    use_required_attribute = False

    def __init__(self, specs: list[Any], *args: Any, clearable: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {s.name: s for s in specs}
        for spec in specs:
            self.fields[spec.name] = _entry_field(spec, clearable=clearable)

    def values(self) -> dict[str, str]:
        """What was typed, as the intake spells it (empty fields left out)."""
        out: dict[str, str] = {}
        for name, spec in self.specs.items():
            raw = str(self.data.get(name, "") or "").strip()
            if raw:
                out[name] = datetime_value(raw) if spec.type == "datetime" else raw
        return out

    def edits(self, was: dict[str, str]) -> dict[str, str]:
        """更正: each field sent whose value differs from what the record holds. A field sent empty is
        cleared — the CLI's ``hudang record edit ID 字段=`` (queue.edit: an empty value is no value, so a
        required one gets the intake's 缺少必填项 message and one with a default takes its default, as a form
        received without it would). A field not sent at all is left as it is."""
        typed = self.values()
        sent = [name for name in self.specs if name in self.data]
        return {name: typed.get(name, "") for name in sent if typed.get(name, "") != (was.get(name) or "")}

    def show_errors(self, fields: dict[str, str]) -> None:
        for name, message in fields.items():
            if name in self.fields:
                self.add_error(name, message)
            else:
                self.add_error(None, f"{name}：{message}")


def form_value(spec_type: str, value: str) -> str:
    """A stored value as the input shows it (datetime-local wants the T)."""
    if spec_type == "datetime" and len(value) >= 16 and value[10] == " ":
        return value[:10] + "T" + value[11:16]
    return value


class ReasonForm(forms.Form):
    reason = reason_field(hint="如：重复录入")


class MoveForm(forms.Form):
    address = household_field("移至住户", hint="如：金第花园/3-2-1201、金第 3栋2单元1201")
    reason = reason_field(hint="如：房号填错，应为 3-2-1201")


class AttachForm(forms.Form):
    file = forms.FileField(label="附件文件")
    note = forms.CharField(label="说明", required=False, max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": "如：现场照片"}))


class ExportForm(forms.Form):
    purpose = forms.ChoiceField(label="用途", choices=[(p, p) for p in ("查阅", "诉讼", "移交")], initial="查阅",
                                widget=forms.RadioSelect)
    full = forms.BooleanField(label="导出完整个人信息（须填写原因，记入审计）", required=False)
    reason = reason_field(hint="导出完整信息时必填", required=False)
    date_from = forms.DateField(label="起始日期", required=False, widget=ISO_DATE)
    date_to = forms.DateField(label="截止日期", required=False, widget=ISO_DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        check_period(self, data)
        if data.get("full") and len((data.get("reason") or "").strip()) < REASON_LENGTH[0]:
            self.add_error("reason", "导出完整个人信息必须写明原因")
        return data


class MoveoutForm(forms.Form):
    person = forms.CharField(label="迁出人", max_length=50)
    date = forms.DateField(label="迁出日期", widget=ISO_DATE)


class LendForm(forms.Form):
    to = forms.CharField(label="借阅人", max_length=50)
    purpose = forms.CharField(label="借阅事由", max_length=100)
    due = forms.DateField(label="应还日期", widget=ISO_DATE)


class LendReturnForm(forms.Form):
    date = forms.DateField(label="归还日期", required=False, widget=ISO_DATE)


class LoansForm(forms.Form):
    """借阅登记 list: which day decides 逾期, one estate of the user's or all of them."""

    as_of = forms.DateField(label="日期", required=False, widget=ISO_DATE)
    estate = forms.ChoiceField(label="项目", required=False)
    open_only = forms.BooleanField(label="只看未归还的", required=False)

    def __init__(self, *args: Any, estates: list[str], limited: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = [("", "我负责的项目" if limited else "全部项目"),  # type: ignore[attr-defined]
                                         *((e, e) for e in estates)]


class CertificateForm(forms.Form):
    as_of = forms.DateField(label="截至日期", widget=ISO_DATE)


class DueForm(forms.Form):
    as_of = forms.DateField(label="日期", required=False, widget=ISO_DATE)
    estate = forms.ChoiceField(label="项目", required=False)

    def __init__(self, *args: Any, estates: list[str], limited: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["estate"].choices = [("", "我负责的项目" if limited else "全部项目"),  # type: ignore[attr-defined]
                                         *((e, e) for e in estates)]
