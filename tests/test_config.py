"""Configuration: defaults < TOML file < JOINFEEDBACK_* environment < command-line overrides; clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from base.display import redact
from base.errors import UserError
from joinfeedback.config import Config, load_config, setting_names, to_environment


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No JOINFEEDBACK_* from the caller's shell, and no ./joinfeedback.toml from the caller's folder."""
    import os

    for var in list(os.environ):
        if var.startswith("JOINFEEDBACK_"):
            monkeypatch.delenv(var)
    monkeypatch.chdir(tmp_path)


def write(tmp_path: Path, text: str, name: str = "jf.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_any_source() -> None:
    config = load_config()
    assert config == Config()
    assert config.config_file == ""
    assert {source for _, _, source in config.effective_items()} == {"default"}
    assert [key for key, _, _ in config.effective_items()] == setting_names()


def test_precedence_file_then_environment_then_overrides(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        'db_url = "sqlite:///file.db"\nseed = 7\nprofile = "local"\nquiet = true\n'
        'spiders = ["policies", "ideas"]\n',
    )
    monkeypatch.setenv("JOINFEEDBACK_SEED", "8")
    monkeypatch.setenv("JOINFEEDBACK_PROFILE", "polite")
    config = load_config(path, {"profile": "local", "db_url": None})
    assert config.db_url == "sqlite:///file.db"  # file only (None override = flag not given)
    assert config.seed == 8  # env beats file
    assert config.profile == "local"  # flag beats env
    assert config.quiet is True
    assert config.spiders == ("policies", "ideas")
    sources = {key: source for key, _, source in config.effective_items()}
    assert sources["db_url"] == f"file {path}:1"
    assert sources["seed"] == "env JOINFEEDBACK_SEED"
    assert sources["profile"] == "command line"
    assert sources["report_dir"] == "default"


def test_config_file_from_environment_and_default_location(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "seed = 3\n", name="joinfeedback.toml")
    assert load_config().seed == 3  # ./joinfeedback.toml is read when present
    other = write(tmp_path, "seed = 4\n", name="other.toml")
    monkeypatch.setenv("JOINFEEDBACK_CONFIG", str(other))
    assert load_config().seed == 4
    assert load_config().config_file == str(other)


def test_environment_types_are_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINFEEDBACK_QUIET", "yes")
    monkeypatch.setenv("JOINFEEDBACK_LOCK_TIMEOUT", "2.5")
    monkeypatch.setenv("JOINFEEDBACK_SPIDERS", "policies, ideas")
    monkeypatch.setenv("JOINFEEDBACK_DB", "sqlite:///alias.db")  # the short name
    monkeypatch.setenv("JOINFEEDBACK_TEST_SOMETHING", "x")  # other parts' variables are not settings
    config = load_config()
    assert (config.quiet, config.lock_timeout, config.spiders) == (True, 2.5, ("policies", "ideas"))
    assert config.db_url == "sqlite:///alias.db"


def test_unknown_key_names_file_line_and_suggests(tmp_path: Path) -> None:
    path = write(tmp_path, 'seed = 1\n\nbase_ulr = "https://join.gov.tw"\n')
    with pytest.raises(UserError, match=rf"{path}:3: unknown key 'base_ulr' \(did you mean 'base_url'\?\)"):
        load_config(path)


def test_wrong_type_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, 'db_url = "sqlite:///x.db"\nseed = "seven"\n')
    with pytest.raises(UserError, match=rf"{path}:2: seed must be an integer, got 'seven'"):
        load_config(path)


def test_wrong_type_in_environment_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOINFEEDBACK_QUIET", "perhaps")
    with pytest.raises(
        UserError, match="environment variable JOINFEEDBACK_QUIET: quiet must be true or false"
    ):
        load_config()


def test_unparsable_toml_names_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, 'seed = 1\nbase_url = "unterminated\n')
    with pytest.raises(UserError, match=rf"{path}: not valid TOML: .*line 2"):
        load_config(path)


def test_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"configuration file .*nope.toml \(from --config\) does not exist"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"profile": "fast"}, "setting profile .*'fast' is not one of polite, local"),
        ({"redis_url": "127.0.0.1:6379"}, "redis_url .* is not a redis:// URL"),
        ({"cron": "61 * * * *"}, "setting cron .*cron expression '61 \\* \\* \\* \\*'"),
        ({"cron": "* * *"}, "has 3 fields; expected 5"),
        ({"log_format": "xml"}, "log_format"),
        ({"base_url": "join.gov.tw"}, "base_url .* is not an http"),
        ({"timezone": "Mars/Olympus"}, "not a known time zone"),
        ({"colour": "red"}, "unknown setting 'colour' given on the command line"),
    ],
)
def test_invalid_values_are_refused(overrides: dict[str, str], message: str) -> None:
    with pytest.raises(UserError, match=message):
        load_config(overrides=overrides)


def test_seconds_level_cron_is_accepted() -> None:
    assert load_config(overrides={"cron": "*/5 * * * * *"}).cron == "*/5 * * * * *"


def test_secrets_are_masked_in_effective_items() -> None:
    config = load_config(
        overrides={
            "db_url": "postgresql+psycopg://team:s3cret@db.example/jf",
            "redis_url": "redis://:hunter2@127.0.0.1:6379/0",
        }
    )
    shown = {key: value for key, value, _ in config.effective_items()}
    assert shown["db_url"] == "postgresql+psycopg://team:***@db.example/jf"
    assert shown["redis_url"] == "redis://:***@127.0.0.1:6379/0"
    assert "s3cret" not in config.render()
    assert "hunter2" not in config.render()
    assert redact("sqlite:///joinfeedback.db") == "sqlite:///joinfeedback.db"


def test_to_environment_round_trips(monkeypatch: pytest.MonkeyPatch) -> None:
    original = load_config(
        overrides={
            "seed": 5,
            "spiders": ["ideas"],
            "quiet": True,
            "lock_timeout": 1.5,
            "catalogue": "none",
            "cron": "*/5 * * * * *",
        }
    )
    for var, value in to_environment(original).items():
        monkeypatch.setenv(var, value)
    assert load_config() == original


def test_the_deploy_example_is_a_valid_configuration() -> None:
    example = Path(__file__).resolve().parents[1] / "deploy" / "joinfeedback.toml.example"
    config = load_config(example)
    assert config.cron == "0 3 * * *"
    assert config.timezone == "Asia/Taipei"
    assert config.spiders == ()
    assert config.lock_timeout == 0.0
    assert (
        config.catalogue is None
    )  # "" means the bundled catalogue, as analysis.run_analysis(catalogue=None)
    assert {source.split(":")[0] for _, _, source in config.effective_items()} == {f"file {example}"}
