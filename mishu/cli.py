"""`mishu` command line. Thin: parse arguments, call the core, print, translate errors to exit codes."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mishu.settings import Settings


class CLIError(Exception):
    """A user error: printed in zh-TW, exit code 2."""


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=None, default=str) + "\n")


def _container(args: argparse.Namespace) -> Any:
    from mishu.app import Container

    overrides: dict[str, Any] = {}
    if getattr(args, "data_dir", None):
        overrides["data_dir"] = Path(args.data_dir)
    return Container(Settings(**overrides))


def _progress_bar() -> Callable[[str, int, int], None]:
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def update(stage: str, done: int, total: int) -> None:
        if not sys.stderr.isatty() and total < 50:
            return
        bar = bars.get(stage)
        if bar is None:
            bar = bars[stage] = tqdm(total=total, desc=stage, unit="項", file=sys.stderr, leave=False)
        bar.total = total
        bar.n = done
        bar.refresh()
        if done >= total:
            bar.close()

    return update


def ensure_index(c: Any, quiet: bool = True) -> None:
    """Index the shipped sources on first use so every command works on a fresh machine."""
    if c.kb.is_empty():
        if not quiet:
            print("索引是空的，先建立預設知識庫索引…", file=sys.stderr)
        c.indexer.ingest(list(c.settings.sources), progress=None if quiet else _progress_bar())


# --- commands --------------------------------------------------------------------------------------
def cmd_ingest(args: argparse.Namespace) -> int:
    c = _container(args)
    paths = [Path(p) for p in args.paths] or list(c.settings.sources)
    report = c.indexer.ingest(paths, progress=None if args.quiet else _progress_bar(), prune=not args.no_prune)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary_zh())
        for f in report.failed:
            print(f"  略過 {f.path}：{f.reason}")
    return 1 if report.failed and args.strict else 0


def _parse_as_of(value: str | None) -> Any:
    if not value:
        return None
    from ingest.zh import parse_date

    try:
        return parse_date(value)
    except ValueError as e:
        raise CLIError(str(e)) from e


def cmd_search(args: argparse.Namespace) -> int:
    c = _container(args)
    ensure_index(c, quiet=args.json)
    if args.k < 1 or args.k > 100:
        raise CLIError("--k 必須介於 1 到 100")
    try:
        hits = c.retriever.search(args.query, args.k, as_of=_parse_as_of(args.as_of), domain=args.domain)
    except ValueError as e:
        raise CLIError(str(e)) from e
    if args.json:
        _print_json([h.model_dump() for h in hits])
    else:
        for i, h in enumerate(hits, 1):
            body = h.text.replace("\n", " ")
            print(f"{i:>2}. {h.title}{h.label}（{h.amended or '日期不詳'}） {h.score:.4f}\n    {body[:120]}")
    return 0


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        raise CLIError(f"找不到資料集：{path}")
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as e:
            raise CLIError(f"{path} 第 {n} 行不是合法的 JSON：{e.msg}") from e
        if not isinstance(obj, dict) or "id" not in obj or not (obj.get("query") or obj.get("question")):
            raise CLIError(f"{path} 第 {n} 行缺少 id 或 query 欄位")
        rows.append(obj)
    return rows


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    from evals.metrics import aggregate, keys, retrieval_item_scores

    c = _container(args)
    rows = _read_jsonl(Path(args.dataset))
    ensure_index(c)
    out_rows, scores, by_domain = [], [], {}
    for r in rows:
        hits = c.retriever.search(r.get("query") or r["question"], args.k)
        ranked = [{"title": h.title, "no": h.no} for h in hits]
        out_rows.append({"id": r["id"], "ranked": ranked})
        gold = r.get("gold")
        if gold and not r.get("refuse"):
            s = retrieval_item_scores(keys(ranked), keys(gold), args.k)
            scores.append(s)
            by_domain.setdefault(r.get("domain", "?"), []).append(s)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps(o, ensure_ascii=False) + "\n" for o in out_rows), encoding="utf-8")
    if scores:
        summary = {"overall": aggregate(scores)} | {d: aggregate(v) for d, v in sorted(by_domain.items())}
        _print_json(summary)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from evals.bench import run_benchmark

    _print_json(run_benchmark(Path(args.work_dir) if args.work_dir else None, queries=args.queries))
    return 0


# --- parser ----------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mishu", description="mishu（秘書）：秘書處知識助理")
    p.add_argument("--data-dir", help="資料目錄（預設 ~/.mishu 或 MISHU_DATA_DIR）")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("ingest", help="建立或更新索引")
    s.add_argument("paths", nargs="*", help="檔案或資料夾；預設為內建知識庫")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--strict", action="store_true", help="有檔案失敗時以非零結束")
    s.add_argument("--no-prune", action="store_true", help="不移除已刪除來源的索引")
    s.set_defaults(fn=cmd_ingest)

    s = sub.add_parser("search", help="檢索條文")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.add_argument("--as-of", help="以該日有效的版本檢索（2024-05-01 或 113.05.01）")
    s.add_argument("--domain", choices=["procurement", "archives", "emergency", "template", "plan"])
    s.set_defaults(fn=cmd_search)

    s = sub.add_parser("eval", help="評估")
    esub = s.add_subparsers(dest="eval_cmd", required=True)
    e = esub.add_parser("retrieval", help="檢索評估")
    e.add_argument("--dataset", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--k", type=int, default=10)
    e.set_defaults(fn=cmd_eval_retrieval)

    s = sub.add_parser("bench", help="效能量測：冷索引、重新索引、查詢延遲")
    s.add_argument("--work-dir")
    s.add_argument("--queries", type=int, default=200)
    s.set_defaults(fn=cmd_bench)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.fn(args) or 0)
    except CLIError as e:
        print(f"錯誤：{e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中斷；先前的索引仍可使用。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    t = time.time()
    raise SystemExit(main())
