"""Fit the answerability logistic regression (assistant/answerability.py) on the dev sets only.

    MISHU_DATA_DIR=/tmp/mishu-x python scripts/fit_answerability.py [--write]

Items: the legacy dev questions (answers_dev.jsonl, retrieval_dev.jsonl) and dev2's questions_*.jsonl (label:
answerable = not ``refuse``); never the test split. The legacy dev sets hold no local-fact, other-law or
missing-annex questions, so dev2 is needed to weigh those features; the held-out view is a stratified 5-fold
cross-validation over the same items (each item scored by a model that did not see it), reported per source.
Features come from Composer.evidence over the same search the assistant runs.
Model: scikit-learn LogisticRegression (L2, C=1.0, class_weight="balanced", lbfgs), fit on the items that pass
the composer's floor (answerability.floor_passed: in domain, some support; the model decides only those). The
threshold is the highest one whose false-refusal rate on all answerable dev items (the floor's refusals
included, exact article look-ups answered) stays at or below 5%. ``--write`` stores the
weights, threshold and the fit's numbers in assistant/data/answerability.json.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from assistant.answerability import DATA, FEATURES, floor_passed
from assistant.nlu import understand
from mishu.app import Container
from mishu.settings import Settings

ROOT = Path(__file__).resolve().parent.parent / "evals" / "datasets"
FILES = [
    "answers_dev.jsonl",
    "retrieval_dev.jsonl",
    "dev2/questions_procurement.jsonl",
    "dev2/questions_archives.jsonl",
    "dev2/questions_emergency.jsonl",
    "dev2/questions_general.jsonl",
]
MAX_FALSE_REFUSALS = 0.05


def rows() -> list[dict[str, object]]:
    out = []
    for f in FILES:
        for line in (ROOT / f).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append({**json.loads(line), "_file": f})
    return out


def refused(p: np.ndarray, t: float, floor: np.ndarray, exact: np.ndarray) -> np.ndarray:
    """The composer's verdict: an exact look-up is answered; else the domain floor and the model decide."""
    return ~(exact | (floor & (p >= t)))


def threshold(p: np.ndarray, y: np.ndarray, floor: np.ndarray, exact: np.ndarray) -> float:
    """The highest probability cut that refuses at most MAX_FALSE_REFUSALS of the answerable items."""
    best = 0.0
    for t in sorted(set(np.round(p, 3))):
        if np.mean(refused(p, float(t), floor, exact)[y == 1]) <= MAX_FALSE_REFUSALS:
            best = float(t)
    return best


def rates(r: np.ndarray, y: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    return {"no_answer_refused": round(float(np.mean(r[mask & (y == 0)])), 3),
            "false_refusals": round(float(np.mean(r[mask & (y == 1)])), 3)}


def main(argv: list[str]) -> int:
    c = Container(Settings(today=date(2026, 12, 1)))
    c.ensure_ready()
    vocab = c.toolbox.kb.vocabulary(None)
    X, y, src, floor, exact = [], [], [], [], []
    for it in rows():
        q = str(it["query"])
        u = understand(q, vocab)
        tc = c.toolbox.call("search_regulations", {"query": u.text, "k": 8})
        hits = tc.result.hit_dicts() if hasattr(tc.result, "hit_dicts") else []
        ev = c.assistant.composer.evidence(q, u.text, hits, all_features=True)
        X.append([ev.features[f] for f in FEATURES])
        y.append(0 if it.get("refuse") else 1)
        src.append("dev2" if str(it["_file"]).startswith("dev2/") else "legacy")
        floor.append(floor_passed(ev.in_domain, ev.features))
        exact.append(any("exact" in (h.get("matched") or []) for h in hits[:1]))
    Xa, ya, sa, fa, ea = np.array(X), np.array(y), np.array(src), np.array(floor), np.array(exact)
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000).fit(Xa[fa], ya[fa])
    p = lr.predict_proba(Xa)[:, 1]
    best = threshold(p, ya, fa, ea)
    cv = p.copy()
    cv[fa] = cross_val_predict(LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000), Xa[fa], ya[fa],
                               cv=StratifiedKFold(5, shuffle=True, random_state=0), method="predict_proba")[:, 1]
    every = np.ones(len(ya), dtype=bool)
    r_fit, r_cv = refused(p, best, fa, ea), refused(cv, best, fa, ea)
    out = {
        "_about": "Answerability logistic regression (assistant/answerability.py), fit by scripts/fit_answerability.py "
        "on dev only: "
        + ", ".join(FILES)
        + ". scikit-learn LogisticRegression(C=1.0, class_weight='balanced'); "
        "fit on the items that pass the floor (answerability.floor_passed); "
        f"threshold = highest probability cut with at most {MAX_FALSE_REFUSALS:.0%} false refusals on dev. "
        "'fit' is in-sample; 'cross_validated' scores each item by a 5-fold model that did not see it.",
        "weights": {f: round(float(w), 4) for f, w in zip(FEATURES, lr.coef_[0], strict=True)},
        "bias": round(float(lr.intercept_[0]), 4),
        "threshold": round(best, 3),
        "fit": {
            "items": len(ya),
            "answerable": int(ya.sum()),
            "no_answer": int((ya == 0).sum()),
            "past_the_floor": int(fa.sum()),
            **{f"dev_{k}": v for k, v in rates(r_fit, ya, every).items()},
            **{f"{s}_{k}": v for s in ("legacy", "dev2") for k, v in rates(r_fit, ya, sa == s).items()},
        },
        "cross_validated": {f"{s}_{k}": v for s in ("legacy", "dev2") for k, v in rates(r_cv, ya, sa == s).items()},
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if "--write" in argv:
        DATA.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
