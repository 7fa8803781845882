"""Which items an analysis, a report or an export covers: consultations, a period, a source.

One definition, read by ``analysis.run`` (what is analysed), ``reports`` (what is shown) and the exports,
so that ``--policy``, ``--since``, ``--until`` and ``--source`` mean the same everywhere.

One rule for what a selection may be, shared by every command that takes one (``analyze``, ``report``,
``export``, ``suggest-examples``, ``crawl --policy``):

- a consultation id that is not a uuid is bad input: :func:`policy_ids` refuses it (exit 2), before
  anything is read or stored; upper-case uuids are the same consultation as their lower-case form;
- a well-formed selection that holds nothing is :class:`NothingSelected` (exit 1): one line saying what
  was asked and that nothing was done, raised before anything is stored or written.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from base.errors import UserError
from base.taiwan import TAIPEI, TAIPEI_OFFSET

SOURCES = ("all", "crawled", "imported")
# join.gov.tw names a consultation by a uuid in its URL (/policies/detail/{uuid}, docs/site-shapes.md)
POLICY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
POLICY_EXAMPLE = "031e9918-59d5-4a1a-b105-96af228f3147"


class NothingSelected(UserError):
    """A well-formed selection that holds nothing: said in one line, exit 1, nothing stored or written."""

    exit_code = 1


def policy_ids(values: Iterable[str], flag: str = "--policy") -> tuple[str, ...]:
    """Consultation ids as given on a command line, checked and in their one form (lower case, each once).

    Raises ``UserError`` (exit 2) naming the first value that is not a uuid.
    """
    out: list[str] = []
    for value in values:
        text = value.strip()
        if not POLICY_ID.fullmatch(text):
            raise UserError(
                f"{flag} {value!r}: not a consultation id (a uuid such as {POLICY_EXAMPLE}, "
                "as in https://join.gov.tw/policies/detail/<uuid>)"
            )
        if text.lower() not in out:
            out.append(text.lower())
    return tuple(out)


def taipei_day(moment: datetime | None) -> date | None:
    """The calendar day in Taipei; a naive item time is Taipei wall time (SQLite drops offsets)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.date()
    if moment.tzinfo is UTC:  # as stored times are read back (``models.UTCDateTime``): a sixth of astimezone
        return (moment + TAIPEI_OFFSET).date()
    return moment.astimezone(TAIPEI).date()


@dataclass(frozen=True, slots=True)
class ItemScope:
    """``policies``: consultation uuids (their comments only; proposals and imported items belong to no
    consultation); ``since``/``until``: inclusive days, Taipei time (an item without a time is outside a
    bounded period); ``source``: ``crawled`` (comments, proposals), ``imported`` (files) or ``all``."""

    policies: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    source: str = "all"
    _wanted: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source {self.source!r} is not one of {', '.join(SOURCES)}")
        # a uuid in upper case names the same consultation
        object.__setattr__(self, "policies", tuple(dict.fromkeys(p.lower() for p in self.policies)))
        object.__setattr__(self, "_wanted", frozenset(self.policies))

    @property
    def is_everything(self) -> bool:
        return not self.policies and self.since is None and self.until is None and self.source == "all"

    def admits(self, kind: str, policy_uuid: str | None, created_at: datetime | None) -> bool:
        if self.source == "crawled" and kind == "import":
            return False
        if self.source == "imported" and kind != "import":
            return False
        if self.policies and (kind != "comment" or (policy_uuid or "").lower() not in self._wanted):
            return False
        if self.since is not None or self.until is not None:
            day = taipei_day(created_at)
            if day is None:
                return False
            if self.since is not None and day < self.since:
                return False
            if self.until is not None and day > self.until:
                return False
        return True

    def within(self, outer: ItemScope) -> ItemScope | None:
        """The items both scopes admit, as one scope; None when no item can be in both."""
        if self.policies and outer.policies:
            policies = tuple(p for p in self.policies if p in outer._wanted)
            if not policies:
                return None
        else:
            policies = self.policies or outer.policies
        since = max((d for d in (self.since, outer.since) if d is not None), default=None)
        until = min((d for d in (self.until, outer.until) if d is not None), default=None)
        if since is not None and until is not None and since > until:
            return None
        sources = {self.source, outer.source} - {"all"}
        if len(sources) > 1:
            return None
        source = sources.pop() if sources else "all"
        if policies and source == "imported":  # imported items belong to no consultation
            return None
        return ItemScope(policies, since, until, source)

    def describe(self) -> dict[str, str | list[str]]:
        """For run manifests and report headers: only what narrows the scope."""
        out: dict[str, str | list[str]] = {}
        if self.policies:
            out["policies"] = list(self.policies)
        if self.since is not None:
            out["since"] = self.since.isoformat()
        if self.until is not None:
            out["until"] = self.until.isoformat()
        if self.source != "all":
            out["source"] = self.source
        return out

    @classmethod
    def described(cls, described: Mapping[str, object]) -> ItemScope:
        """The scope :meth:`describe` wrote (a run manifest's ``scope``); anything unreadable is ignored."""
        policies = described.get("policies")
        since, until = described.get("since"), described.get("until")
        source = described.get("source")
        return cls(
            tuple(str(p) for p in policies) if isinstance(policies, list) else (),
            _day(since),
            _day(until),
            source if isinstance(source, str) and source in SOURCES else "all",
        )

    def flags(self) -> str:
        """The scope as the command-line options that ask for it (``""`` for everything)."""
        parts = []
        if self.policies:
            parts.append("--policy " + " ".join(self.policies))
        if self.since is not None:
            parts.append(f"--since {self.since.isoformat()}")
        if self.until is not None:
            parts.append(f"--until {self.until.isoformat()}")
        if self.source != "all":
            parts.append(f"--source {self.source}")
        return " ".join(parts)

    def nothing(self, what: str, consequence: str) -> NothingSelected:
        """The one-line refusal for a selection that holds nothing, e.g. ``nothing("items", "no run
        stored")`` → ``--policy … selects no items: no run stored`` (for everything: ``the database holds
        no items: …``)."""
        asked = self.flags()
        where = f"{asked} selects no {what}" if asked else f"the database holds no {what}"
        return NothingSelected(f"{where}: {consequence}")


def _day(value: object) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


EVERYTHING = ItemScope()

__all__ = [
    "EVERYTHING",
    "POLICY_ID",
    "SOURCES",
    "ItemScope",
    "NothingSelected",
    "policy_ids",
    "taipei_day",
]
