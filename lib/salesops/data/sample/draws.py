"""Random draws shared by the simulation: indices by probability, and weighted picks among candidates."""

from __future__ import annotations

import numpy as np


def draw_index(rng, options, probabilities, n) -> np.ndarray:
    """``n`` indices into ``options``, each drawn with ``probabilities`` (weights, normalised here)."""
    return rng.choice(len(options), n, p=np.asarray(probabilities) / np.sum(probabilities))


def pick_weighted(rng, event_keys, cand_keys, cand_weights) -> np.ndarray:
    """For each event, a candidate with the same key drawn with probability ∝ weight; -1 when there is none."""
    n = len(event_keys)
    u = rng.random(n)
    if len(cand_keys) == 0 or n == 0:
        return np.full(n, -1, dtype=np.int64)
    order = np.argsort(cand_keys, kind="stable")
    keys = cand_keys[order]
    cum = np.cumsum(cand_weights[order])
    lo = np.searchsorted(keys, event_keys, side="left")
    hi = np.searchsorted(keys, event_keys, side="right")
    base = np.where(lo > 0, cum[np.maximum(lo - 1, 0)], 0.0)
    total = np.where(hi > 0, cum[np.maximum(hi - 1, 0)], 0.0) - base
    ok = (hi > lo) & (total > 0)
    pos = np.searchsorted(cum, base + u * total, side="right")
    pos = np.clip(pos, lo, np.maximum(hi - 1, lo))
    return np.where(ok, order[np.minimum(pos, len(order) - 1)], -1)
