"""Conversation pass rate on the DEV conversation sets (until `mishu eval all` reports it per kind).

A turn is right when one of its gold articles is among its first 3 citations and every key fact is stated
(a key fact may be a list of alternative spellings); a conversation passes when every turn is right.
Reads only dev sets: evals/datasets/multiturn_dev.jsonl and evals/datasets/dev2/conversations.jsonl.

    MISHU_DATA_DIR=/tmp/mishu-x python scripts/conv_eval_dev.py [--verbose] [--only dc-007,mt-001]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEV_SETS = [ROOT / "evals/datasets/multiturn_dev.jsonl", ROOT / "evals/datasets/dev2/conversations.jsonl"]


def _squash(s: str) -> str:
    return "".join(s.split())


def turn_right(turn: dict[str, Any], ans: dict[str, Any]) -> tuple[bool, list[str]]:
    why: list[str] = []
    if bool(ans.get("refused")) != bool(turn.get("refuse", False)):
        why.append("refused" if ans.get("refused") else "not refused")
    gold = {(g["title"], g["no"]) for g in turn.get("gold") or []}
    top3 = list(dict.fromkeys((c["title"], c["no"]) for c in ans.get("citations") or []))[:3]
    if gold and not turn.get("refuse") and not gold & set(top3):
        why.append("gold not in top3: " + ",".join(f"{t}{n}" for t, n in top3))
    hay = [_squash(ans.get("answer") or "")] + [
        _squash(c.get("quote") or "") for c in ans.get("citations") or []
    ]
    for kf in turn.get("key_facts") or []:
        alts = kf if isinstance(kf, list) else [kf]
        if not any(_squash(a) in h for a in alts for h in hay):
            why.append(f"missing {alts[0]}")
    return not why, why


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    only = {x for x in args.only.split(",") if x}
    from mishu.app import Container
    from mishu.settings import Settings

    c = Container(Settings())
    c.ensure_ready()
    assistant = c.assistant
    convs: dict[str, list[bool]] = defaultdict(list)
    turns_ok = turns_n = kf_hit = kf_n = 0
    for path in DEV_SETS:
        for line in path.read_text(encoding="utf-8").splitlines():
            conv = json.loads(line)
            if only and conv["id"] not in only:
                continue
            kind = conv.get("kind") or "multiturn_dev"
            cid: str | None = None
            ok_all = True
            for n, turn in enumerate(conv["turns"], 1):
                a = assistant.ask(turn["query"], conversation_id=cid)
                cid = a.conversation_id
                ans = a.contract()
                ok, why = turn_right(turn, ans)
                turns_n += 1
                turns_ok += ok
                for kf in turn.get("key_facts") or []:
                    kf_n += 1
                    kf_hit += not any(
                        f"missing {(kf if isinstance(kf, list) else [kf])[0]}" == w for w in why
                    )
                ok_all &= ok
                if args.verbose and not ok:
                    print(
                        f"  {conv['id']}#{n} {turn['query']}\n     {why}\n     facts={ans.get('facts')} "
                        f"clarify={ans.get('clarify')}\n     {ans['answer'][:200]!r}"
                    )
            convs[kind].append(ok_all)
            if args.verbose:
                print(f"{'PASS' if ok_all else 'FAIL'} {conv['id']} ({kind})")
    total = [x for v in convs.values() for x in v]
    for kind, v in sorted(convs.items()):
        print(f"{kind:<16} {sum(v)}/{len(v)} = {sum(v) / len(v):.3f}")
    print(f"{'overall':<16} {sum(total)}/{len(total)} = {sum(total) / max(len(total), 1):.3f}")
    print(
        f"turns right {turns_ok}/{turns_n}; key-fact coverage {kf_hit}/{kf_n} = {kf_hit / max(kf_n, 1):.3f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
