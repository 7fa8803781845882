"""How a run placed its items, for the methods page: the views and their weights, the ``none`` mode and
what leaving each commitment out in turn measured for each mode (read from the run's manifest)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

VIEW_ORDER = ("naive", "lexical", "semantic")
MODE_ORDER = ("strict", "balanced", "generous")


@dataclass(frozen=True, slots=True)
class ModeFigures:
    mode: str
    precision: float
    recall: float
    chosen: bool


@dataclass(frozen=True, slots=True)
class AssignmentMethod:
    views: list[tuple[str, int]]  # view name, percent of the weight
    mode: str
    modes: list[ModeFigures]


def assignment_method(manifest: Mapping[str, object]) -> AssignmentMethod | None:
    """The run's assignment figures, or ``None`` for a run without a catalogue (or an older run)."""
    summary = manifest.get("summary")
    if not isinstance(summary, Mapping):
        return None
    weights, mode, measured = (
        summary.get("view_weights"),
        summary.get("none_mode"),
        summary.get("none_measured"),
    )
    if not isinstance(weights, Mapping) or not isinstance(mode, str) or not isinstance(measured, Mapping):
        return None
    views = [(name, round(100 * _number(weights[name]))) for name in VIEW_ORDER if name in weights]
    modes = []
    for name in MODE_ORDER:
        figures = measured.get(name)
        if isinstance(figures, list | tuple) and len(figures) == 2:
            modes.append(ModeFigures(name, _number(figures[0]), _number(figures[1]), name == mode))
    return AssignmentMethod(views, mode, modes)


def _number(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


__all__ = ["AssignmentMethod", "ModeFigures", "assignment_method"]
