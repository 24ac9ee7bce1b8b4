"""Charts for the monthly report, drawn with matplotlib in a Noto CJK font so Chinese labels show."""

from __future__ import annotations

from pathlib import Path
from typing import Any

CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
THIS_COLOUR, LAST_COLOUR = "#2F5597", "#A6A6A6"
COMPLAINT_COLOUR, REPAIR_COLOUR = "#C00000", "#2F5597"


_FONT_READY = False


def _figure(width: float, height: float) -> Any:
    """A bare Agg figure (no pyplot: its import and global state are not needed here) in the CJK font."""
    global _FONT_READY
    import matplotlib
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    if not _FONT_READY:
        if CJK_FONT.is_file():
            font_manager.fontManager.addfont(str(CJK_FONT))
            matplotlib.rcParams["font.family"] = [font_manager.FontProperties(fname=str(CJK_FONT)).get_name()]
        matplotlib.rcParams["axes.unicode_minus"] = False  # ASCII hyphen: no missing-glyph box for "−"
        matplotlib.rcParams["font.size"] = 9
        _FONT_READY = True
    return Figure(figsize=(width, height), dpi=150)


def category_bars(panels: list[tuple[str, dict[str, int], dict[str, int]]], path: Path,
                  this_label: str, last_label: str) -> Path:
    """One panel per breakdown: grouped bars, this month beside last month."""
    fig = _figure(7.2, 5.6)
    axes = fig.subplots(2, 2)
    for ax, (title, now, before) in zip(axes.flat, panels, strict=False):
        keys = list(dict.fromkeys([*now, *before]))
        ax.set_title(title, fontsize=10)
        ax.spines[["top", "right"]].set_visible(False)
        if not keys:
            ax.text(0.5, 0.5, "两个月均无数据", ha="center", va="center", transform=ax.transAxes, color="#666666")
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        xs = range(len(keys))
        width = 0.38
        bars_now = ax.bar([x - width / 2 for x in xs], [now.get(k, 0) for k in keys], width,
                          label=this_label, color=THIS_COLOUR)
        bars_before = ax.bar([x + width / 2 for x in xs], [before.get(k, 0) for k in keys], width,
                             label=last_label, color=LAST_COLOUR)
        ax.bar_label(bars_now, fontsize=7, padding=1)
        ax.bar_label(bars_before, fontsize=7, padding=1, color="#555555")
        ax.set_xticks(list(xs))
        ax.set_xticklabels([k if len(k) <= 5 else k[:5] + "…" for k in keys], rotation=30 if len(keys) > 4 else 0,
                           fontsize=8)
        ax.yaxis.get_major_locator().set_params(integer=True)
        ax.margins(y=0.15)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, labels, loc="upper center", ncol=2, frameon=False, fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.savefig(path, format="png")
    return path


def trend_lines(trend: list[dict[str, Any]], path: Path) -> Path:
    """Complaints and repairs per month over the last 12 months."""
    fig = _figure(7.2, 3.0)
    ax = fig.subplots()
    labels = [f"{int(t['month'][5:])}月" if t["month"][5:] != "01" and i else f"{t['month'][:4]}年{int(t['month'][5:])}月"
              for i, t in enumerate(trend)]
    xs = range(len(trend))
    above = [t["repairs"] >= t["complaints"] for t in trend]   # the larger value's label goes above its point
    for key, name, colour, marker in (("complaints", "投诉", COMPLAINT_COLOUR, "o"),
                                      ("repairs", "报修", REPAIR_COLOUR, "s")):
        ys = [t[key] for t in trend]
        ax.plot(list(xs), ys, marker=marker, markersize=4, color=colour, label=name, linewidth=1.6)
        for x, y in zip(xs, ys, strict=True):
            if not y:
                continue
            up = above[x] == (key == "repairs")
            ax.annotate(str(y), (x, y), textcoords="offset points", xytext=(0, 5 if up else -11), ha="center",
                        fontsize=7, color=colour)
    ax.set_xticks(list(xs))
    ax.set_xticklabels(labels, fontsize=8)
    ax.set_ylabel("件数", rotation=0, labelpad=14, va="center")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_ylim(bottom=0)
    ax.margins(y=0.2)
    ax.grid(axis="y", color="#DDDDDD", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    ax.legend(frameon=False, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2)
    fig.tight_layout()
    fig.savefig(path, format="png")
    return path
