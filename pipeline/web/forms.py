"""The web's forms: fields and their checks declared once; messages in Chinese."""

from __future__ import annotations

from typing import Any

from django import forms

SORTS = (("relevance", "按相关度"), ("date", "按日期（新→旧）"))


class DateInput(forms.DateInput):
    input_type = "date"


class SearchForm(forms.Form):
    q = forms.CharField(label="检索式", required=False, max_length=500,
                        widget=forms.TextInput(attrs={"placeholder": "如：漏水 卫生间、投诉人:张三、\"电梯 停运\"",
                                                      "autofocus": True}))
    form = forms.ChoiceField(label="表单", required=False)
    estate = forms.ChoiceField(label="项目", required=False)
    household = forms.CharField(label="住户", required=False, max_length=100,
                                widget=forms.TextInput(attrs={"placeholder": "如：金第花园/3-2-1201"}))
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
        since, until = data.get("date_from"), data.get("date_to")
        if since and until and since > until:
            self.add_error("date_to", "截止日期早于起始日期")
        return data


class HouseholdPickForm(forms.Form):
    address = forms.CharField(label="住户", max_length=100,
                              widget=forms.TextInput(attrs={"placeholder": "如：金第花园/3-2-1201、金第 3栋2单元1201",
                                                            "autofocus": True}))


class RevealForm(forms.Form):
    reason = forms.CharField(label="查看完整信息的原因", min_length=2, max_length=200,
                             widget=forms.TextInput(attrs={"placeholder": "如：核实业主身份办理过户"}))


class DocumentUploadForm(forms.Form):
    """上传文件 for one household: 题名 and 类别 (the choices of the 文件 definition)."""

    household = forms.CharField(label="住户", max_length=100,
                                widget=forms.TextInput(attrs={"placeholder": "如：金第花园/3-2-1201"}))
    title = forms.CharField(label="题名", max_length=200, widget=forms.TextInput(attrs={"placeholder": "如：业主来函"}))
    category = forms.ChoiceField(label="类别", required=False)

    def __init__(self, *args: Any, categories: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", "（默认）"), *((c, c) for c in categories)]  # type: ignore[attr-defined]
