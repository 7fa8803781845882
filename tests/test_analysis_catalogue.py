"""Catalogue CSV loading: the bundled catalogue and every kind of bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from analysis.catalogue import BUNDLED, load_catalogue, resolve_catalogue
from base.errors import UserError


def write(tmp_path: Path, content: str | bytes, name: str = "cat.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def test_bundled_catalogue_loads() -> None:
    catalogue = resolve_catalogue(None)
    assert catalogue is not None
    assert catalogue.name == "ogp2020"
    assert catalogue.codes[:2] == ["1.1", "1.2"]
    assert len(catalogue.codes) == 12
    assert "資料開放" in catalogue.commitments[0].keywords
    assert catalogue.source == str(BUNDLED)


def test_bundled_commitments_have_english_titles_beside_the_catalogue() -> None:
    """The English titles live with the catalogue's data, one per commitment, under its id and title."""
    import csv

    from analysis.catalogue import BUNDLED_TITLES_EN, bundled_titles_en
    from reports.i18n import Translator

    catalogue = resolve_catalogue(None)
    assert catalogue is not None
    with BUNDLED_TITLES_EN.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert [(r["id"], r["title"]) for r in rows] == [(c.code, c.title) for c in catalogue.commitments]
    english = Translator("en")
    assert (
        english.commitment_title("政府資料開放與運用法制化")
        == bundled_titles_en()["政府資料開放與運用法制化"]
    )
    assert english.commitment_title("一個別的承諾") == "一個別的承諾"  # other catalogues keep their titles
    assert Translator("zh-TW").commitment_title("政府資料開放與運用法制化") == "政府資料開放與運用法制化"
    assert all(title.isascii() and title for title in bundled_titles_en().values())


def test_none_means_no_catalogue() -> None:
    assert resolve_catalogue("none") is None


def test_bom_and_empty_keywords_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "\ufeffid,title,description,keywords\nX,標題,說明,\nY,另一個,,a; b ;\n")
    catalogue = load_catalogue(path)
    assert catalogue.name == "cat"
    assert catalogue.commitments[0].keywords == ()
    assert catalogue.commitments[1].keywords == ("a", "b")


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("", "empty"),
        ("id,title,description\nX,t,d\n", "missing column(s) keywords"),
        ("id,title,description,keywords,extra\nX,t,d,k,e\n", "unexpected column(s) extra"),
        ("title,id,description,keywords\nX,t,d,k\n", "out of order"),
        ("id,title,description,keywords\nX,t,d,k\nX,u,d,k\n", "line 3, column id: duplicate id 'X'"),
        ("id,title,description,keywords\nX,t,d\n", "line 2: expected 4 columns"),
        ("id,title,description,keywords\n,t,d,k\n", "line 2, column id: empty id"),
        ("id,title,description,keywords\nX,,d,k\n", "line 2, column title"),
        ("id,title,description,keywords\n", "no commitments"),
        ("id,title,description,keywords\nnone,t,d,k\n", "reserved"),
    ],
)
def test_bad_catalogues_name_file_and_place(tmp_path: Path, content: str, expected: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(UserError) as info:
        load_catalogue(path)
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_bad_encoding_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, b"id,title,description,keywords\nX,t,d,k\n" + "Y,標題,d,k\n".encode("big5"))
    with pytest.raises(UserError, match=r"line 3: not valid UTF-8"):
        load_catalogue(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot read"):
        load_catalogue(tmp_path / "nope.csv")
