"""`mishu` command line. Thin: parse arguments, call the core, print, translate errors to exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mishu.settings import Settings


class CLIError(Exception):
    """A user error: printed in zh-TW, exit code 2."""


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=None, default=str) + "\n")


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "data_dir", None):
        return Settings(data_dir=Path(args.data_dir))
    return Settings()


def _container(args: argparse.Namespace) -> Any:
    from mishu.app import Container

    return Container(_settings(args))


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
    out_rows: list[dict[str, Any]] = []
    scores: list[dict[str, float]] = []
    by_domain: dict[str, list[dict[str, float]]] = {}
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


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.service import AskError

    c = _container(args)
    ensure_index(c, quiet=args.json)
    c.ensure_sample_records()
    try:
        answer = c.assistant.ask(args.question, conversation_id=args.conversation, role=args.role,
                                 as_of=_parse_as_of(args.as_of))
    except AskError as e:
        raise CLIError(str(e)) from e
    if args.json:
        _print_json(answer.contract() | {"conversation_id": answer.conversation_id})
    else:
        print(answer.answer)
        if answer.draft is not None and answer.draft.docx_path:
            print(f"\nWord 草稿：{answer.draft.docx_path}")
        print(f"\n（對話編號 {answer.conversation_id}；接續提問請加 --conversation {answer.conversation_id}）")
    return 0


def cmd_draft(args: argparse.Namespace) -> int:
    from assistant.drafting import (
        CaseInputError,
        GongwenInputError,
        draft_from_request,
        draft_tender_notice,
        to_docx,
    )

    c = _container(args)
    c.ensure_sample_records()
    fields: dict[str, Any] = {}
    for item in args.field or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CLIError(f"--field 格式應為 欄位=值：{item}")
        fields[key.strip()] = value.strip()
    try:
        if args.kind == "tender_notice" and args.case:
            record = c.records.lookup_case(args.case)
            if record is None:
                raise CLIError(f"查無案號 {args.case}")
            draft: Any = draft_tender_notice(record, articles=c.articles)
        else:
            if args.case:
                record = c.records.lookup_case(args.case)
                if record is None:
                    raise CLIError(f"查無案號 {args.case}")
                fields = {"案號": record.case_no, "名稱": record.name, "類別": record.category,
                          "預算金額": record.budget, "招標方式": record.method} | fields
            draft = draft_from_request(args.kind, fields, subject=args.subject, recipient=args.recipient,
                                       articles=c.articles)
    except (CaseInputError, GongwenInputError, ValueError) as e:
        raise CLIError(str(e)) from e
    out = Path(args.out) if args.out else Path.cwd() / f"{args.kind}-draft.docx"
    to_docx(draft, out)
    model = draft.to_draft(docx_path=str(out))
    if args.json:
        _print_json(model.model_dump(mode="json"))
    else:
        print(model.markdown)
        print(f"\nWord 檔：{out}")
        if model.missing_fields:
            print("待補欄位：" + "、".join(model.missing_fields))
    return 0


def cmd_records_import(args: argparse.Namespace) -> int:
    from knowledge.records import import_file, load_sample

    c = _container(args)
    if args.sample:
        reports = load_sample(c.records_engine, mode="upsert" if args.upsert else "insert")
    else:
        if not args.table or not args.file:
            raise CLIError("請指定 --table 與檔案，或使用 --sample 匯入範例資料")
        path = Path(args.file)
        if not path.exists():
            raise CLIError(f"找不到檔案：{path}")
        try:
            reports = [import_file(c.records_engine, args.table, path, mode="upsert" if args.upsert else "insert")]
        except ValueError as e:
            raise CLIError(str(e)) from e
    failed = False
    for r in reports:
        print(r.summary_zh())
        for issue in r.errors[:50]:
            failed = True
            print(f"  第 {issue.line} 行 {issue.field}：{issue.reason}")
        if not r.ok:
            failed = True
    if failed:
        print("有錯誤，未匯入任何資料（整批回復）。", file=sys.stderr)
    return 1 if failed else 0


def cmd_eval_answers(args: argparse.Namespace) -> int:
    c = _container(args)
    rows = _read_jsonl(Path(args.dataset))
    ensure_index(c)
    c.ensure_sample_records()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for r in rows:
            answer = c.assistant.ask(r.get("query") or r["question"])
            fh.write(json.dumps({"id": r["id"], "answer": answer.contract()}, ensure_ascii=False) + "\n")
    print(f"已寫出 {len(rows)} 筆：{out}")
    return 0


def cmd_eval_all(args: argparse.Namespace) -> int:
    from evals.suite import DEFAULT_BASELINE
    from evals.suite import cmd_eval_all as run_all

    only = set(args.only.split(",")) if args.only else None
    return run_all(Path(args.out), Path(args.baseline) if args.baseline else DEFAULT_BASELINE, gate=args.gate,
                   settings=_settings(args), only=only)


def cmd_eval_baseline(args: argparse.Namespace) -> int:
    from evals.suite import DEFAULT_BASELINE, cmd_eval_baseline_update

    if not args.update:
        raise CLIError("更新基準需明確指定 --update（並以 --report 指定 report.json）")
    return cmd_eval_baseline_update(Path(args.report), Path(args.baseline) if args.baseline else DEFAULT_BASELINE)


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mishu.api.app import create_app

    settings = _settings(args)
    from mishu.app import Container

    c = Container(settings)
    ensure_index(c, quiet=False)
    c.ensure_sample_records()
    if args.workers > 1:
        if args.data_dir:
            import os

            os.environ["MISHU_DATA_DIR"] = str(Path(args.data_dir).resolve())
        uvicorn.run("mishu.api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers)
    else:
        uvicorn.run(create_app(settings), host=args.host, port=args.port)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from mishu.launcher import run_up

    settings = _settings(args)
    return run_up(settings, host=args.host, api_port=args.api_port, ui_port=args.ui_port)


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

    s = sub.add_parser("eval", help="評估（不加子命令＝完整評估套件，同 eval all）")
    s.add_argument("--out", default="var/eval")
    s.add_argument("--baseline")
    s.add_argument("--gate", action="store_true")
    s.add_argument("--only")
    s.set_defaults(fn=cmd_eval_all)
    esub = s.add_subparsers(dest="eval_cmd", required=False)
    e = esub.add_parser("retrieval", help="檢索評估")
    e.add_argument("--dataset", required=True)
    e.add_argument("--out", required=True)
    e.add_argument("--k", type=int, default=10)
    e.set_defaults(fn=cmd_eval_retrieval)
    e = esub.add_parser("answers", help="對資料集逐題提問，輸出答案物件")
    e.add_argument("--dataset", required=True)
    e.add_argument("--out", required=True)
    e.set_defaults(fn=cmd_eval_answers)
    e = esub.add_parser("all", help="完整評估套件（報告、基準比較、回歸門檻）")
    e.add_argument("--out", default="var/eval")
    e.add_argument("--baseline")
    e.add_argument("--gate", action="store_true", help="指標低於基準超過容許值時以非零結束")
    e.add_argument("--only", help="只跑部分：retrieval,answers,numeric,multiturn,drafting")
    e.set_defaults(fn=cmd_eval_all)
    e = esub.add_parser("baseline", help="更新基準報告（需 --update）")
    e.add_argument("--update", action="store_true")
    e.add_argument("--report", default="var/eval/report.json")
    e.add_argument("--baseline")
    e.set_defaults(fn=cmd_eval_baseline)

    s = sub.add_parser("ask", help="提問（附條文引用）")
    s.add_argument("question")
    s.add_argument("--json", action="store_true")
    s.add_argument("--conversation", help="接續的對話編號")
    s.add_argument("--role", choices=["staff", "hotline", "admin"], help="以此角色的權限查詢")
    s.add_argument("--as-of", help="以該日有效的法規版本回答")
    s.set_defaults(fn=cmd_ask)

    s = sub.add_parser("draft", help="擬稿：投標須知、函、簽（輸出 Markdown 與 .docx）")
    s.add_argument("kind", choices=["tender_notice", "letter", "memo"])
    s.add_argument("--case", help="案號（從紀錄資料庫帶入欄位）")
    s.add_argument("--field", action="append", help="欄位=值（可重複），如 --field 名稱=辦公桌椅採購")
    s.add_argument("--subject", help="主旨（函、簽）")
    s.add_argument("--recipient", help="受文者（函）")
    s.add_argument("--out", help=".docx 輸出路徑")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_draft)

    s = sub.add_parser("records", help="結構化紀錄")
    rsub = s.add_subparsers(dest="records_cmd", required=True)
    r = rsub.add_parser("import", help="從 CSV/JSON 匯入（逐列驗證，有錯誤則整批不匯入）")
    r.add_argument("file", nargs="?")
    r.add_argument("--table", help="資料表：cases, events, vendors, suspensions, consultations, ...")
    r.add_argument("--sample", action="store_true", help="匯入內建範例資料")
    r.add_argument("--upsert", action="store_true", help="已存在的資料以檔案內容更新")
    r.set_defaults(fn=cmd_records_import)

    s = sub.add_parser("serve", help="啟動 API 服務")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--workers", type=int, default=1)
    s.set_defaults(fn=cmd_serve)

    s = sub.add_parser("up", help="啟動 API 與網頁（首次會建立索引與範例資料）")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--api-port", type=int, default=8765)
    s.add_argument("--ui-port", type=int, default=8501)
    s.set_defaults(fn=cmd_up)

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
    raise SystemExit(main())
