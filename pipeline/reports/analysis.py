"""The 文字分析说明: paragraphs written by rules from the month's figures and the cases behind them.

Every number in the text is taken from the same figures the tables print, so the two always agree.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from hudang.pipeline.dunning.fees import LETTER_AFTER_TEXT
from hudang.pipeline.reports.figures import Details

MAX_CASES = 8   # numbers named in one sentence before "等"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.2f}%"


def yuan(value: str | None) -> str:
    return "—" if value is None else f"¥{Decimal(value):,.2f}"


def change(now: int, before: int, unit: str = "件") -> str:
    """较上月 wording for a count: 增加/减少 N 件（±x.x%）, 持平."""
    if now == before:
        return "与上月持平"
    word = "增加" if now > before else "减少"
    share = f"，{'+' if now > before else '−'}{abs(now - before) / before * 100:.1f}%" if before else ""
    return f"较上月（{before}{unit}）{word}{abs(now - before)}{unit}{share}"


def points(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return ""
    diff = (now - before) * 100
    if abs(diff) < 0.005:
        return "，与上月持平"
    return f"，较上月（{pct(before)}）{'上升' if diff > 0 else '下降'}{abs(diff):.2f}个百分点"


def _names(rows: list[dict[str, Any]]) -> str:
    shown = "、".join(r["number"] for r in rows[:MAX_CASES])
    return shown + (f"等{len(rows)}件" if len(rows) > MAX_CASES else "")


def _counted(counter: Counter[str]) -> str:
    return "、".join(f"{k}{n}件" for k, n in counter.most_common())


def _movements(cur: dict[str, Any], prev: dict[str, Any]) -> list[str]:
    """The largest changes among the category breakdowns, named with their counts."""
    moves: list[tuple[int, str]] = []
    for label, now_map, before_map in (
            ("投诉类别", cur["complaints"]["by_category"], prev["complaints"]["by_category"]),
            ("被投诉部门", cur["complaints"]["by_department"], prev["complaints"]["by_department"]),
            ("严重程度", cur["complaints"]["by_severity"], prev["complaints"]["by_severity"]),
            ("维修类别", cur["repairs"]["by_category"], prev["repairs"]["by_category"])):
        for key in {*now_map, *before_map}:
            a, b = now_map.get(key, 0), before_map.get(key, 0)
            if a != b:
                moves.append((abs(a - b), f"{label}“{key}”由{b}件{'增至' if a > b else '减至'}{a}件"
                                          f"（{'+' if a > b else '−'}{abs(a - b)}件）"))
    moves.sort(key=lambda m: (-m[0], m[1]))
    return [text for _, text in moves[:3]]


def analysis(figs: dict[str, Any], prev: dict[str, Any], details: Details, month_chinese: str) -> list[str]:
    """The paragraphs of 文字分析说明, in the order management reads them."""
    c, r, s = figs["complaints"], figs["repairs"], figs["satisfaction"]
    pc, pr, ps = prev["complaints"], prev["repairs"], prev["satisfaction"]
    out: list[str] = []

    # 1. totals and movements
    text = (f"一、总体情况。{month_chinese}共受理投诉{c['total']}件，{change(c['total'], pc['total'])}；"
            f"受理报修{r['total']}件，{change(r['total'], pr['total'])}；新入住登记"
            f"{figs['registrations']['total']}户，{change(figs['registrations']['total'], prev['registrations']['total'], '户')}。")
    moves = _movements(figs, prev)
    if moves:
        text += "变化最大的是：" + "；".join(moves) + "。"
    elif c["total"] or r["total"]:
        text += "各分类数量与上月相同。"
    out.append(text)

    # 2. complaints and missed deadlines
    month_numbers = {x.archive_no for x in details.cases.complaints}
    open_late = [x for x in details.overdue if x["archive_no"] in month_numbers]
    earlier = [x for x in details.overdue if x["archive_no"] not in month_numbers]
    missed = details.late_closed + open_late
    if c["total"]:
        text = (f"二、投诉处理。本月投诉已办结{c['closed']}件，处理率{pct(c['handling_rate'])}{points(c['handling_rate'], pc['handling_rate'])}；"
                f"其中在时限内办结{c['on_time']}件，及时率{pct(c['timely_rate'])}{points(c['timely_rate'], pc['timely_rate'])}"
                f"（时限：{details.limits.get('complaint', '')}）。")
        if missed:
            text += (f"未在时限内办结{len(missed)}件（超时办结{len(details.late_closed)}件，"
                     f"至月末超期未办结{len(open_late)}件）：按严重程度为{_counted(Counter(x['severity'] for x in missed))}；"
                     f"按投诉类别为{_counted(Counter(x['category'] for x in missed))}；"
                     f"按被投诉部门为{_counted(Counter(x['department'] for x in missed))}。涉及案件：")
            text += "；".join(f"{x['number']}（{x['room']}，{x['severity']}，{x['department']}，"
                             + (f"超时{x['over']}办结" if x["status"] == "超时办结"
                                else f"至月末仍未办结，已超期{x['over']}") + "）"
                             for x in missed[:MAX_CASES])
            text += (f"等{len(missed)}件。" if len(missed) > MAX_CASES else "。")
        else:
            text += "本月投诉无超出时限的情况。"
        if c["total"] - c["closed"] - len(open_late) > 0:
            text += f"另有{c['total'] - c['closed'] - len(open_late)}件尚未办结但仍在时限内。"
    else:
        text = "二、投诉处理。本月未受理投诉。"
    if earlier:
        text += f"以前月份受理、至本月末仍未办结且已超期的投诉还有{len(earlier)}件（{_names(earlier)}），须一并督办。"
    out.append(text)

    # 3. repairs and return visits against the 100% goal
    if r["total"]:
        text = (f"三、维修与回访。本月报修{r['total']}件，月末前完成{r['completed']}件，完成率{pct(r['completion_rate'])}"
                f"{points(r['completion_rate'], pr['completion_rate'])}。")
        if r["completed"]:
            goal = "达到" if r["revisited"] == r["completed"] else "未达到"
            text += (f"已完成的维修中已回访{r['revisited']}件，回访率{pct(r['revisit_rate'])}，{goal}程序规定的100%回访要求"
                     f"{points(r['revisit_rate'], pr['revisit_rate'])}；在时限内回访（{details.limits.get('repair', '')}）"
                     f"{r['revisit_on_time']}件，回访及时率{pct(r['revisit_timely_rate'])}；"
                     f"返修{r['rework']}件，返修率{pct(r['rework_rate'])}。")
            missing = [v for v in details.visits if v["status"].startswith("未回访")]
            late = [v for v in details.visits if v["status"] == "回访超时"]
            if missing:
                text += f"未回访{len(missing)}件（{_names(missing)}）"
                text += "；" if late else "。"
            if late:
                text += f"回访超时{len(late)}件（{_names(late)}）。"
        else:
            text += "本月报修尚无完成的，回访率不适用。"
    else:
        text = "三、维修与回访。本月未受理报修，完成率、回访率等不适用。"
    out.append(text)

    # 4. satisfaction
    if s["with_result"]:
        unhappy = s["with_result"] - s["satisfied"]
        text = (f"四、满意度。本月投诉和报修中有回访结果的{s['with_result']}件，满意及基本满意{s['satisfied']}件，"
                f"满意率{pct(s['satisfaction_rate'])}{points(s['satisfaction_rate'], ps['satisfaction_rate'])}；"
                f"不满意{unhappy}件。")
    else:
        text = "四、满意度。本月投诉和报修均无回访结果，满意率无法统计。"
    out.append(text)

    # 5. fees
    fees, pfees = figs["fees"], prev["fees"]
    if fees:
        text = (f"五、收费情况。本月应收{yuan(fees['billed'])}，至月末实收{yuan(fees['collected'])}，"
                f"收缴率{pct(fees['collection_rate'])}"
                f"{points(fees['collection_rate'], pfees['collection_rate']) if pfees else ''}。")
        if fees["collection_rate"] is not None and fees["collection_rate"] < 1:
            owed = Decimal(fees["billed"]) - Decimal(fees["collected"])
            text += f"本月费用尚有{yuan(str(owed))}未收。"
    else:
        text = f"五、收费情况。尚未导入{figs['month']}的收费台账，本月收缴率无法统计。"
    out.append(text)

    # 6. follow-up
    todo: list[str] = []
    if open_late or earlier:
        by_dept = Counter(x["department"] for x in details.overdue)
        todo.append(f"督促{_counted(by_dept)}办结超期投诉（{_names(details.overdue)}）")
    if details.late_closed:
        todo.append(f"对超时办结的{len(details.late_closed)}件投诉查明原因、落实整改")
    missing_visits = [v for v in details.visits if v["status"] == "未回访（已超时）"]
    pending_visits = [v for v in details.visits if v["status"] == "未回访（未到期）"]
    if missing_visits:
        todo.append(f"立即对{len(missing_visits)}件已超时未回访的维修补做回访（{_names(missing_visits)}）")
    if pending_visits:
        todo.append(f"在期限内完成{len(pending_visits)}件尚未到期的维修回访（{_names(pending_visits)}）")
    if r["rework"]:
        todo.append(f"分析{r['rework']}件返修的原因，提高一次修复率")
    if s["with_result"] and s["satisfied"] < s["with_result"]:
        todo.append(f"对{s['with_result'] - s['satisfied']}件不满意的回访进行复访和改进")
    if fees and fees["collection_rate"] is not None and fees["collection_rate"] < 1:
        todo.append(f"对本月欠费住户按程序进行电话、短信催缴，逾期{LETTER_AFTER_TEXT}以上的发催缴函")
    if r["total"] and r["completed"] < r["total"]:
        todo.append(f"跟进{r['total'] - r['completed']}件未完成的报修")
    if todo:
        out.append("六、需跟进事项。" + "；".join(f"（{i}）{t}" for i, t in enumerate(todo, 1)) + "。")
    else:
        out.append("六、需跟进事项。本月各项指标均符合程序要求，无须专项跟进，请继续保持。")
    return out
