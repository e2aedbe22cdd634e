"""Fit the answerability logistic regression (assistant/answerability.py) on the dev sets only.

    MISHU_DATA_DIR=/tmp/mishu-x python scripts/fit_answerability.py [--write]

Items: evals/datasets/dev2/questions_*.jsonl, evals/datasets/answers_dev.jsonl and retrieval_dev.jsonl (label:
answerable = not ``refuse``). Features come from Composer.evidence over the same search the assistant runs.
Model: scikit-learn LogisticRegression (L2, C=1.0, class_weight="balanced", lbfgs). The threshold is the
highest one whose false-refusal rate on the answerable dev items stays at or below 4%. ``--write`` stores the
weights, threshold and the fit's numbers in assistant/data/answerability.json.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.answerability import DATA, FEATURES
from assistant.nlu import understand
from mishu.app import Container
from mishu.settings import Settings

ROOT = Path(__file__).resolve().parent.parent / "evals" / "datasets"
FILES = [
    "dev2/questions_procurement.jsonl",
    "dev2/questions_archives.jsonl",
    "dev2/questions_emergency.jsonl",
    "dev2/questions_general.jsonl",
    "answers_dev.jsonl",
    "retrieval_dev.jsonl",
]
MAX_FALSE_REFUSALS = 0.04


def rows() -> list[dict[str, object]]:
    out = []
    for f in FILES:
        for line in (ROOT / f).read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append({**json.loads(line), "_file": f})
    return out


def main(argv: list[str]) -> int:
    c = Container(Settings(today=date(2026, 12, 1)))
    c.ensure_ready()
    X, y = [], []
    for it in rows():
        q = str(it["query"])
        u = understand(q)
        tc = c.toolbox.call("search_regulations", {"query": u.text, "k": 8})
        hits = tc.result if isinstance(tc.result, list) else []
        ev = c.assistant.composer.evidence(q, u.text, hits)
        X.append([ev.features[f] for f in FEATURES])
        y.append(0 if it.get("refuse") else 1)
    Xa, ya = np.array(X), np.array(y)
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(Xa, ya)
    p = lr.predict_proba(Xa)[:, 1]
    best = 0.0
    for t in sorted(set(np.round(p, 3))):
        if np.mean(p[ya == 1] < t) <= MAX_FALSE_REFUSALS:
            best = float(t)
    refused = float(np.mean(p[ya == 0] < best))
    false_ref = float(np.mean(p[ya == 1] < best))
    out = {
        "_about": "Answerability logistic regression (assistant/answerability.py), fit by scripts/fit_answerability.py "
        "on dev only: "
        + ", ".join(FILES)
        + ". scikit-learn LogisticRegression(C=1.0, class_weight='balanced'); "
        f"threshold = highest probability cut with at most {MAX_FALSE_REFUSALS:.0%} false refusals on dev.",
        "weights": {f: round(float(w), 4) for f, w in zip(FEATURES, lr.coef_[0], strict=True)},
        "bias": round(float(lr.intercept_[0]), 4),
        "threshold": round(best, 3),
        "fit": {
            "items": len(y),
            "answerable": int(ya.sum()),
            "no_answer": int((ya == 0).sum()),
            "dev_no_answer_refused": round(refused, 3),
            "dev_false_refusals": round(false_ref, 3),
        },
    }
    print(json.dumps(out, ensure_ascii=False, indent=2))
    if "--write" in argv:
        DATA.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
