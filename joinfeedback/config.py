"""Every setting in one frozen dataclass: defaults, then a TOML file, then ``JOINFEEDBACK_*``, then flags.

Where each value came from is kept beside it, so ``joinfeedback config`` can show it with secrets masked.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from base.display import redact
from base.errors import UserError
from base.site import REAL_SITE

CONFIG_ENV = "JOINFEEDBACK_CONFIG"
DEFAULT_CONFIG_FILE = "joinfeedback.toml"
ENV_PREFIX = "JOINFEEDBACK_"
LOG_CONTEXT_ENV = "JOINFEEDBACK_LOG_CONTEXT"  # fields a parent process (the scheduler) bound, as JSON
# Short names two settings also answer to (README and deployments use JOINFEEDBACK_DB)
ENV_ALIASES = {"JOINFEEDBACK_DB": "db_url", "JOINFEEDBACK_CRAWL_PROFILE": "profile"}

PROFILES = ("polite", "local")  # crawler/settings.py; a Redis URL makes either one distributed
LOG_FORMATS = ("kv", "json")
LOG_FORMAT_ALIASES = {"text": "kv", "logfmt": "kv", "jsonl": "json"}
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
EMBEDDING_MODES = ("auto", "on", "off")  # analysis/text/embed.py
REPORT_LANGUAGES = ("zh-TW", "en")  # reports/i18n.py
MAX_SEED = 2**32 - 1  # numpy's RandomState takes no more (and no negative seed)
MAX_LOCK_TIMEOUT = 7 * 24 * 3600  # seconds; 0 already means "wait forever"

# A setting after coercion to its field's type (None: the catalogue left to its default).
SettingValue = str | int | float | bool | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class Config:
    """All settings of one invocation. ``sources`` says where each value came from."""

    db_url: str = "sqlite:///joinfeedback.db"
    base_url: str = REAL_SITE
    profile: str = "polite"  # polite | local
    spiders: tuple[str, ...] = ()  # empty: every spider
    jobdir: str = ""  # empty: no resumable job state
    redis_url: str = ""  # set: several crawl workers share one frontier through this Redis
    crawl_key: str = ""  # names one shared crawl in Redis; empty: a fresh one per crawl
    workers_wait_for: int = 0  # a worker of a shared crawl starts fetching once this many have joined
    crawl_flush_seconds: float = 5.0  # the crawl also stores its buffer when it is this old
    idea_years: str = ""  # proposals' open-data years read on every crawl ("2015-2020"); empty: live ones
    store_retry_seconds: float = 30.0  # how long a store waits for a database that went away
    download_timeout: float = 0.0  # seconds before a request counts as hung; 0: the profile's
    cron: str = "0 3 * * *"  # the schedule, 5 fields, or 6 with seconds first
    timezone: str = "Asia/Taipei"
    report_dir: str = "report"
    catalogue: str | None = (
        None  # None (or ""): the bundled catalogue; "none": no commitments; else a CSV path
    )
    seed: int = 0
    embeddings: str = "auto"  # auto (if installed, small corpora) | on | off: sentence embeddings in analysis
    lang: str = "zh-TW"  # the report's language: zh-TW | en (comments stay as written)
    lock_wait: bool = False
    lock_timeout: float = 0.0  # seconds to wait for the lock when lock_wait; 0: forever
    log_level: str = "WARNING"  # INFO adds each stage's own progress lines (Scrapy's included)
    log_format: str = "kv"  # kv (key=value lines) | json
    quiet: bool = False
    config_file: str = ""  # the TOML file read, if any (not itself a key of that file)
    sources: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def effective_items(self) -> list[tuple[str, str, str]]:
        """``(key, shown value, source)`` for every setting, passwords in URLs masked."""
        items = []
        for name in setting_names():
            value = getattr(self, name)
            items.append((name, redact(_show(value)), self.sources.get(name, "default")))
        return items

    def render(self) -> str:
        """The effective configuration as aligned text, for ``joinfeedback config``."""
        rows = self.effective_items()
        width = max(len(key) for key, _, _ in rows)
        header = f"# configuration file: {self.config_file or '(none)'}"
        return "\n".join([header, *(f"{key:<{width}} = {value}    # {src}" for key, value, src in rows)])


def setting_names() -> list[str]:
    return [f.name for f in fields(Config) if f.name not in {"sources", "config_file"}]


def env_name(key: str) -> str:
    return ENV_PREFIX + key.upper()


def load_config(path: Path | None = None, overrides: Mapping[str, object] | None = None) -> Config:
    """Build the configuration: defaults < file < environment < ``overrides`` (flags; ``None`` = not given).

    The file is ``path``, else ``$JOINFEEDBACK_CONFIG``, else ``./joinfeedback.toml`` when it exists.
    """
    values: dict[str, SettingValue] = {}
    sources: dict[str, str] = {}
    config_file = _locate(path)
    if config_file is not None:
        for key, (value, line) in _read_toml(config_file).items():
            values[key] = _coerce(key, value, where=f"{config_file}:{line}" if line else str(config_file))
            sources[key] = f"file {config_file}" + (f":{line}" if line else "")
    for key, value, var in _from_environment():
        values[key] = _coerce(key, value, where=f"environment variable {var}")
        sources[key] = f"env {var}"
    for key, value in (overrides or {}).items():
        if value is None:
            continue
        if key not in setting_names():
            raise UserError(f"unknown setting {key!r} given on the command line")
        values[key] = _coerce(key, value, where="command line")
        sources[key] = "command line"
    _normalise_spellings(values)
    # Each value has its field's type (_coerce follows _FIELD_TYPES); mypy cannot follow a field set by name.
    by_name: dict[str, Any] = dict(values)
    config = replace(Config(), **by_name, config_file=str(config_file or ""), sources=sources)
    _validate(config)
    return config


def _normalise_spellings(values: dict[str, SettingValue]) -> None:
    """Log formats by their other names (``text``, ``jsonl``…) and log levels in any case."""
    log_format = values.get("log_format")
    if isinstance(log_format, str):
        values["log_format"] = LOG_FORMAT_ALIASES.get(log_format, log_format)
    log_level = values.get("log_level")
    if isinstance(log_level, str):
        values["log_level"] = log_level.upper()


def child_environment(config: Config) -> dict[str, str]:
    """This process's environment with the configuration over it, for a child ``joinfeedback``."""
    env = {**os.environ, **to_environment(config)}
    if config.config_file:
        env[CONFIG_ENV] = config.config_file
    return env


def to_environment(config: Config) -> dict[str, str]:
    """The configuration as ``JOINFEEDBACK_*`` variables: a child ``joinfeedback`` sees the same settings."""
    env = {}
    for key in setting_names():
        value = getattr(config, key)
        if isinstance(value, tuple):
            env[env_name(key)] = ",".join(value)
        elif isinstance(value, bool):
            env[env_name(key)] = "true" if value else "false"
        elif value is None:
            env[env_name(key)] = ""
        else:
            env[env_name(key)] = str(value)
    # The short names too, so that a child reading either sees the same value
    env["JOINFEEDBACK_DB"] = config.db_url
    env["JOINFEEDBACK_CRAWL_PROFILE"] = config.profile
    return env


def _locate(path: Path | None) -> Path | None:
    if path is not None:
        chosen, origin = Path(path), "--config"
    elif os.environ.get(CONFIG_ENV):
        chosen, origin = Path(os.environ[CONFIG_ENV]), CONFIG_ENV
    else:
        default = Path(DEFAULT_CONFIG_FILE)
        return default if default.is_file() else None
    if not chosen.is_file():
        raise UserError(f"configuration file {chosen} (from {origin}) does not exist")
    return chosen


def _read_toml(path: Path) -> dict[str, tuple[object, int | None]]:
    """Top-level keys of the file with the line each was set on."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read configuration file {path}: {exc}") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"configuration file {path}: not valid TOML: {exc}") from exc
    known = setting_names()
    result: dict[str, tuple[object, int | None]] = {}
    for key, value in data.items():
        line = _line_of(text, key)
        if key not in known:
            where = f"{path}:{line}" if line else str(path)
            hint = _closest(key, known)
            raise UserError(f"{where}: unknown key {key!r}" + (f" (did you mean {hint!r}?)" if hint else ""))
        result[key] = (value, line)
    return result


def _line_of(text: str, key: str) -> int | None:
    pattern = re.compile(rf"^\s*(?:{re.escape(key)}|\"{re.escape(key)}\"|'{re.escape(key)}')\s*[=.]")
    for number, line in enumerate(text.splitlines(), start=1):
        if pattern.match(line):
            return number
    return None


def _closest(key: str, known: list[str]) -> str | None:
    import difflib

    matches = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    return matches[0] if matches else None


def environment_values() -> list[str]:
    """The values of every ``JOINFEEDBACK_*`` variable (so that secrets among them can be masked)."""
    return [value for name, value in os.environ.items() if name.startswith(ENV_PREFIX)]


def inherited_log_context() -> str:
    """The log fields a parent process bound (JSON), or ``""``; see :mod:`joinfeedback.ops.logging`."""
    return os.environ.get(LOG_CONTEXT_ENV, "")


def _from_environment() -> Iterator[tuple[str, str, str]]:
    known = set(setting_names())
    for alias, key in ENV_ALIASES.items():
        if os.environ.get(alias) and not os.environ.get(env_name(key)):
            yield key, os.environ[alias], alias
    for var, value in sorted(os.environ.items()):
        if not var.startswith(ENV_PREFIX) or var == CONFIG_ENV or var in ENV_ALIASES:
            continue
        key = var[len(ENV_PREFIX) :].lower()
        if key in known:
            yield key, value, var
        # Other JOINFEEDBACK_* variables belong to other parts (tests, the crawler's settings): ignore them.


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _coerce(key: str, value: object, *, where: str) -> SettingValue:
    """Turn a TOML value, an environment string or a flag value into the field's type."""
    try:
        coerced = _CONVERTERS[_FIELD_TYPES[key]](value)
    except _Unfit as unfit:
        raise UserError(f"{where}: {key} must be {unfit}, got {value!r}") from None
    if key in _EMPTY_IS_NONE and isinstance(value, str) and not value.strip():
        return None
    return coerced


class _Unfit(ValueError):
    """A value that cannot be read as its setting's type; the message says what it must be."""


def _as_bool(value: object) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Unfit("true or false")


def _as_int(value: object) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise _Unfit("an integer")


def _as_float(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _Unfit("a number")


def _as_names(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise _Unfit("a list of names")


def _as_text(value: object) -> str:
    if isinstance(value, Path):
        return str(value)
    if not isinstance(value, str):
        raise _Unfit("a string")
    return value


_CONVERTERS: dict[type, Callable[[object], SettingValue]] = {
    bool: _as_bool,
    int: _as_int,
    float: _as_float,
    tuple: _as_names,
    str: _as_text,
}


_EMPTY_IS_NONE = {"catalogue"}


_FIELD_TYPES: dict[str, type] = {
    "db_url": str,
    "base_url": str,
    "profile": str,
    "spiders": tuple,
    "jobdir": str,
    "redis_url": str,
    "crawl_key": str,
    "workers_wait_for": int,
    "crawl_flush_seconds": float,
    "idea_years": str,
    "store_retry_seconds": float,
    "download_timeout": float,
    "cron": str,
    "timezone": str,
    "report_dir": str,
    "catalogue": str,
    "seed": int,
    "embeddings": str,
    "lang": str,
    "lock_wait": bool,
    "lock_timeout": float,
    "log_level": str,
    "log_format": str,
    "quiet": bool,
}


def _validate(config: Config) -> None:
    def bad(key: str, message: str) -> UserError:
        return UserError(f"setting {key} (from {config.sources.get(key, 'default')}): {message}")

    if config.profile not in PROFILES:
        raise bad("profile", f"{config.profile!r} is not one of {', '.join(PROFILES)}")
    if config.redis_url and not re.match(r"^rediss?://|^unix://", config.redis_url):
        raise bad("redis_url", f"{redact(config.redis_url)!r} is not a redis:// URL")
    if not re.match(r"^https?://[^/\s]+", config.base_url):
        raise bad("base_url", f"{config.base_url!r} is not an http(s) URL")
    if config.log_level.upper() not in LOG_LEVELS:
        raise bad("log_level", f"{config.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
    if config.log_format not in LOG_FORMATS:
        raise bad("log_format", f"{config.log_format!r} is not one of {', '.join(LOG_FORMATS)}")
    if config.embeddings not in EMBEDDING_MODES:
        raise bad("embeddings", f"{config.embeddings!r} is not one of {', '.join(EMBEDDING_MODES)}")
    if config.lang not in REPORT_LANGUAGES:
        raise bad("lang", f"{config.lang!r} is not one of {', '.join(REPORT_LANGUAGES)}")
    if not math.isfinite(config.lock_timeout) or not 0 <= config.lock_timeout <= MAX_LOCK_TIMEOUT:
        raise bad(
            "lock_timeout", f"{config.lock_timeout!r} is not a number of seconds from 0 to {MAX_LOCK_TIMEOUT}"
        )
    if config.workers_wait_for < 0:
        raise bad("workers_wait_for", f"{config.workers_wait_for} is not a number of workers (0 or more)")
    for key in ("crawl_flush_seconds", "store_retry_seconds", "download_timeout"):
        seconds = getattr(config, key)
        if not math.isfinite(seconds) or seconds < 0:
            raise bad(key, f"{seconds!r} is not a number of seconds (0 or more)")
    if not 0 <= config.seed <= MAX_SEED:
        raise bad("seed", f"{config.seed} is not from 0 to {MAX_SEED}")
    try:
        from zoneinfo import ZoneInfo

        ZoneInfo(config.timezone)
    except (KeyError, ValueError, OSError) as exc:
        raise bad("timezone", f"{config.timezone!r} is not a known time zone") from exc
    from joinfeedback.cron import parse_cron

    try:
        parse_cron(config.cron, config.timezone)
    except UserError as exc:
        raise bad("cron", str(exc)) from exc


def _show(value: object) -> str:
    if value is None:
        return "(default)"
    if isinstance(value, tuple):
        return ", ".join(value) if value else "(all)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value == "":
        return "(unset)"
    return str(value)


__all__ = [
    "Config",
    "child_environment",
    "environment_values",
    "inherited_log_context",
    "load_config",
    "setting_names",
    "to_environment",
]
