"""Charts as inline SVG drawn by matplotlib, with a Traditional-Chinese font so labels are not boxes.

A page holds a :class:`Chart`, made by a :class:`Drawer`: :func:`draw_here` draws it at once; a large
report's charts are drawn by a forked child meanwhile (``reports.chart_child``).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, Protocol, cast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from numpy.typing import ArrayLike

log = logging.getLogger(__name__)

CJK_FONT_CANDIDATES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
)
PALETTE = ("#1f6f8b", "#99c1b9", "#e07a5f", "#f2cc8f", "#81b29a", "#3d405b")
SVG_START = re.compile(r"^.*?(<svg\b)", re.DOTALL)
P = ParamSpec("P")


class Chart:
    """A chart on a page, as inline SVG: drawn at once, or by a chart child that sends it later (its drawer
    gives it with :meth:`drawn` before the page is written)."""

    __slots__ = ("_svg",)

    def __init__(self, svg: str | None = None) -> None:
        self._svg = svg

    def drawn(self, svg: str) -> None:
        self._svg = svg

    @property
    def svg(self) -> str:
        if self._svg is None:
            raise RuntimeError("a chart was read before it was drawn")
        return self._svg


class Drawer(Protocol):
    """Draws ``chart(*args, **kwargs)`` (one of this module's chart functions) as a :class:`Chart`."""

    def __call__(self, chart: Callable[P, str], /, *args: P.args, **kwargs: P.kwargs) -> Chart: ...


def draw_here(chart: Callable[P, str], /, *args: P.args, **kwargs: P.kwargs) -> Chart:
    """The chart drawn in this process, now."""
    return Chart(chart(*args, **kwargs))


@cache
def cjk_font_family() -> str | None:
    """Register the first CJK font found with matplotlib; ``None`` (labels still draw) if none."""
    from matplotlib import font_manager

    for path in CJK_FONT_CANDIDATES:
        if not path.is_file():
            continue
        try:
            font_manager.fontManager.addfont(str(path))
            # A .ttc registers its first face (JP for Noto); ask for the TC family by name when present.
            names = {f.name for f in font_manager.fontManager.ttflist if f.fname == str(path)}
            for preferred in ("Noto Sans CJK TC", "Noto Sans CJK JP", "WenQuanYi Micro Hei"):
                if preferred in names:
                    return preferred
            return sorted(names)[0] if names else None
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("cannot register CJK font %s: %s", path, exc)
    log.warning("no CJK font found; chart labels in Chinese may render as boxes")
    return None


def use_report_style() -> None:
    """Headless drawing, a CJK font first, and settings that make the SVG stable and self-contained."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    family = cjk_font_family()
    pyplot.rcParams.update(
        {
            "font.family": [family, "DejaVu Sans"] if family else ["DejaVu Sans"],
            "svg.fonttype": "path",  # glyphs as paths: the SVG needs no font on the reader's device
            "svg.hashsalt": "joinfeedback",  # stable ids → identical output for identical data
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
        }
    )


def _new_chart(width: float, height: float) -> tuple[Figure, Axes]:
    # matplotlib is imported on first use: loading it is slow and only the report draws.
    use_report_style()
    from matplotlib import pyplot

    return pyplot.subplots(figsize=(width, height))


def _to_svg(figure: Figure, title: str) -> str:
    from matplotlib import pyplot

    use_report_style()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    pyplot.close(figure)
    svg = SVG_START.sub(r"\1", buffer.getvalue(), count=1)
    # Accessible name for the chart; the title is our own string, escaped for XML anyway.
    safe_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    svg = svg.replace("<svg ", '<svg role="img" aria-label="' + safe_title.replace('"', "&quot;") + '" ', 1)
    return svg


def _on_date_axis(moments: Iterable[date]) -> ArrayLike:
    """Dates as x values: matplotlib converts them through its units registry, which its type stubs
    (numeric arrays only) do not describe."""
    return cast("ArrayLike", list(moments))


def bar_chart(labels: Sequence[str], series: Sequence[tuple[str, Sequence[int]]], title: str) -> str:
    """Horizontal grouped bars (one group per label), largest at the top."""
    n = max(1, len(labels))
    figure, axes = _new_chart(7.0, 0.45 * n + 1.2)
    height = 0.8 / max(1, len(series))
    for index, (name, values) in enumerate(series):
        positions = [row + index * height for row in range(len(labels))]
        axes.barh(positions, values, height=height, label=name, color=PALETTE[index % len(PALETTE)])
    axes.set_yticks([row + height * (len(series) - 1) / 2 for row in range(len(labels))], labels)
    axes.invert_yaxis()
    if len(series) > 1:
        axes.legend(loc="lower right", frameon=False)
    axes.set_title(title, loc="left")
    return _to_svg(figure, title)


def time_chart(
    days: Sequence[date], counts: Sequence[int], title: str, ylabel: str, *, width: float = 0.9
) -> str:
    """Bars over time; ``width`` in days (7 for weekly counts)."""
    figure, axes = _new_chart(7.0, 2.6)
    if days:
        bar = width * 0.85 if width > 1 else (width if len(days) < 200 else 1.0)
        axes.bar(
            _on_date_axis(days),
            list(counts),
            width=bar,
            color=PALETTE[0],
            align="edge" if width > 1 else "center",
        )
    axes.set_ylabel(ylabel)
    axes.set_title(title, loc="left")
    figure.autofmt_xdate()
    return _to_svg(figure, title)


def history_chart(series: Sequence[tuple[str, Sequence[tuple[date, int]]]], title: str, ylabel: str) -> str:
    """One line per named series of (moment, value) points: endorsements over time."""
    figure, axes = _new_chart(7.0, 3.2)
    for index, (name, points) in enumerate(series):
        if points:
            axes.plot(
                _on_date_axis(p[0] for p in points),
                [p[1] for p in points],
                marker="o",
                markersize=3,
                label=name,
                color=PALETTE[index % len(PALETTE)],
            )
    axes.set_ylabel(ylabel)
    if len(series) > 1:
        axes.legend(loc="upper left", frameon=False, fontsize=8)
    axes.set_title(title, loc="left")
    figure.autofmt_xdate()
    return _to_svg(figure, title)


def share_chart(labels: Sequence[str], values: Sequence[int], title: str) -> str:
    """A single stacked horizontal bar: parts of a whole, readable on a narrow screen."""
    from matplotlib.ticker import FuncFormatter

    figure, axes = _new_chart(7.0, 1.4)
    total = max(1, sum(values))
    left = 0.0
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        share = value / total
        axes.barh([0], [share], left=left, color=PALETTE[index % len(PALETTE)], label=f"{label} {share:.0%}")
        left += share
    axes.set_xlim(0, 1)
    axes.set_yticks([])
    axes.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:.0%}"))
    axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.35), ncol=len(labels), frameon=False)
    axes.set_title(title, loc="left")
    return _to_svg(figure, title)


__all__ = [
    "Chart",
    "Drawer",
    "bar_chart",
    "cjk_font_family",
    "draw_here",
    "history_chart",
    "share_chart",
    "time_chart",
    "use_report_style",
]
