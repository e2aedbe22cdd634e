"""The exact dense search (knowledge.dense) returns the order of a full stable sort without sorting every row."""

from __future__ import annotations

import numpy as np

from knowledge.dense import DenseMatrix, _best_first


def _full(m: DenseMatrix, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
    sims = m.matrix @ vector
    out: list[tuple[str, float]] = []
    for i in np.argsort(-sims, kind="stable"):
        if m.chunk_ids[i] not in {c for c, _ in out}:
            out.append((m.chunk_ids[i], float(sims[i])))
            if len(out) >= n:
                break
    return out


def test_best_first_is_the_stable_order_with_ties() -> None:
    rng = np.random.default_rng(0)
    for _ in range(100):
        sims = (rng.integers(0, 12, 2000) / 12).astype(np.float32)  # many ties, also at the cut
        assert list(_best_first(sims, 40)) == np.argsort(-sims, kind="stable").tolist()
    assert list(_best_first(np.array([0.5, 0.5], dtype=np.float32), 3)) == [0, 1]


def test_query_matches_a_full_sort_also_when_rows_of_one_chunk_crowd_the_top() -> None:
    rng = np.random.default_rng(1)
    rows = rng.normal(size=(3000, 16)).astype(np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    v = rows[0].copy()
    rows[:200] = v  # 200 identical rows of chunk c0: the head holds fewer chunks than asked
    ids = ["c0"] * 200 + [f"c{1 + j // 4}" for j in range(2800)]
    m = DenseMatrix(ids, rows)
    for n in (1, 5, 30, 200):
        assert m.query(v, n) == _full(m, v, n)
