"""Fault injection: parse a spec like ``500=0.1,429=0.05,maxfail=3,permanent=0.05,layout=after:200`` and
decide, deterministically from the seed, the URL and how often that URL was asked for, what goes wrong.

Transient faults hit one URL at most ``maxfail`` times, so a crawler that retries always completes;
``permanent`` picks a share of detail/comment paths that fail (500) every time; ``layout`` switches HTML
pages to a changed layout for good after N requests.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field

from base.errors import UserError

TRANSIENT = ("500", "503", "429", "slow", "hang", "truncate", "malformed", "challenge")
ALL_RATE = 0.03
PERMANENT_KINDS = frozenset({"policy_detail", "board", "idea_detail"})


@dataclass(frozen=True, slots=True)
class FaultSpec:
    rates: tuple[tuple[str, float], ...] = ()
    maxfail: int = 2
    permanent: float = 0.0
    layout_after: int | None = None
    hang_seconds: float = 20.0
    text: str = ""

    @classmethod
    def parse(cls, spec: str | None) -> FaultSpec:
        rates: dict[str, float] = {}
        all_rate: float | None = None
        maxfail, permanent, layout_after, hang = 2, 0.0, None, 20.0
        for raw in filter(None, (p.strip() for p in (spec or "").split(","))):
            name, has_value, value = raw.partition("=")
            name = name.strip().lower()
            try:
                if name == "all":
                    all_rate = float(value) if has_value else ALL_RATE
                elif name == "maxfail":
                    maxfail = int(value)
                elif name == "permanent":
                    permanent = float(value)
                elif name in {"hang_seconds", "hangsecs"}:
                    hang = float(value)
                elif name == "layout":
                    layout_after = int(value.removeprefix("after:")) if has_value else 0
                elif name in TRANSIENT:
                    rates[name] = float(value) if has_value else ALL_RATE
                else:
                    raise UserError(
                        f"replica faults: unknown fault {name!r} in {spec!r} "
                        f"(known: {', '.join(TRANSIENT)}, all, maxfail, permanent, layout, hang_seconds)"
                    )
            except ValueError:
                raise UserError(f"replica faults: bad value in {raw!r} (in {spec!r})") from None
        if all_rate is not None:
            for name in TRANSIENT:
                if name != "hang":
                    rates.setdefault(name, all_rate)
        if any(not 0 <= r <= 1 for r in rates.values()) or sum(rates.values()) > 1 or not 0 <= permanent <= 1:
            raise UserError(f"replica faults: rates must be within 0..1 and sum to at most 1 (in {spec!r})")
        if maxfail < 0:
            raise UserError(f"replica faults: maxfail must be >= 0 (in {spec!r})")
        ordered = tuple((n, rates[n]) for n in TRANSIENT if rates.get(n))
        return cls(ordered, maxfail, permanent, layout_after, hang, spec or "")


@dataclass(frozen=True, slots=True)
class Fault:
    name: str  # one of TRANSIENT, or "permanent"
    roll: float  # a second deterministic number in [0, 1) to pick variants and delays


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the parts (not Python's salted ``hash``)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


@dataclass(slots=True)
class FaultInjector:
    spec: FaultSpec
    seed: int
    attempts: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    injected: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def is_permanent(self, kind: str, path: str) -> bool:
        return (
            self.spec.permanent > 0
            and kind in PERMANENT_KINDS
            and unit(self.seed, "permanent", path) < self.spec.permanent
        )

    def layout_changed(self) -> bool:
        return self.spec.layout_after is not None and self.requests > self.spec.layout_after

    def decide(self, kind: str, path: str, url: str) -> tuple[Fault | None, bool]:
        """Count one request for ``url``; return (fault or None, whether the changed layout applies)."""
        with self.lock:
            self.requests += 1
            changed = self.layout_changed()
            attempt = self.attempts[url]
            self.attempts[url] += 1
            if self.is_permanent(kind, path):
                self.injected["permanent"] += 1
                return Fault("permanent", 0.0), changed
            if not self.spec.rates or self.failures[url] >= self.spec.maxfail:
                return None, changed
            u = unit(self.seed, url, attempt)
            for name, rate in self.spec.rates:
                if u < rate:
                    self.failures[url] += 1
                    self.injected[name] += 1
                    return Fault(name, unit(self.seed, url, attempt, "variant")), changed
                u -= rate
            return None, changed
