"""`mishu` command line. Thin: parse arguments, call the core, print, translate errors to exit codes."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from mishu.settings import Settings

if TYPE_CHECKING:
    from mishu.app import Container


class CLIError(Exception):
    """A user error: printed in zh-TW, exit code 2."""


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, indent=None, default=str) + "\n")


def _settings(args: argparse.Namespace) -> Settings:
    if getattr(args, "data_dir", None):
        return Settings(data_dir=Path(args.data_dir))
    return Settings()


def _container(args: argparse.Namespace) -> Container:
    from mishu.app import Container

    settings = _settings(args)
    check_data_dir(Path(settings.data_dir))
    return Container(settings)


def check_data_dir(data_dir: Path) -> None:
    """A data dir that cannot be written stops the command with a clear message before anything opens it;
    a full disk only warns (searches and answers still work; writes are refused one by one)."""
    from core.storage import check_writable

    problem = check_writable(data_dir)
    if problem is not None and problem.kind == "read_only":
        raise CLIError(f"{data_dir}：{problem.message}")
    if problem is not None:
        print(f"警告：{data_dir}：{problem.message}", file=sys.stderr)


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


def _ready(c: Container, quiet: bool = True) -> None:
    """``Container.ensure_ready`` (index on first use), with a progress bar and a message unless ``quiet``."""
    if quiet:
        c.ensure_ready()
    else:
        c.ensure_ready(progress=_progress_bar(),
                       announce=lambda: print("索引是空的，先建立預設知識庫索引…", file=sys.stderr))


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


def cmd_upload(args: argparse.Namespace) -> int:
    """The API's upload, from the shell: same validation, sidecar and refusals (knowledge.uploads)."""
    from core.access import AccessLevel
    from core.vocab import Domain
    from knowledge.uploads import Incoming, UploadError

    c = _container(args)
    files = []
    for p in args.files:
        try:
            files.append(Incoming(Path(p).name, Path(p).read_bytes()))
        except OSError as e:
            raise CLIError(f"無法讀取 {p}：{e.strerror or e}") from e
    try:
        result = c.uploads.save(files, access_level=AccessLevel(args.access_level) if args.access_level else None,
                                domain=Domain(args.domain) if args.domain else None, replace=args.replace,
                                uploaded_by="cli")
    except UploadError as e:
        raise CLIError(e.message) from e
    print("已存入：" + ("、".join(result.saved) or "（無）") + "；內容未變更：" + ("、".join(result.unchanged) or "（無）"))
    if result.saved and not args.no_ingest:
        report = c.indexer.ingest(c.uploads.ingest_paths(list(c.settings.sources)))
        print(report.summary_zh())
        for f in report.failed:
            print(f"  略過 {f.path}：{f.reason}")
    return 0


def _parse_as_of(value: str | None) -> Any:
    if not value:
        return None
    from core.dates import parse_date

    try:
        return parse_date(value)
    except ValueError as e:
        raise CLIError(str(e)) from e


def cmd_search(args: argparse.Namespace) -> int:
    c = _container(args)
    _ready(c, quiet=args.json)
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


def _read_rows(path: Path) -> list[dict[str, Any]]:
    from evals.datasets_io import DatasetError, read_query_rows

    try:
        return read_query_rows(path)
    except DatasetError as e:
        raise CLIError(str(e)) from e


def cmd_eval_retrieval(args: argparse.Namespace) -> int:
    from evals.runner import rank_rows, retrieval_summary

    c = _container(args)
    rows = _read_rows(Path(args.dataset))
    _ready(c)
    ranked = list(rank_rows(c.retriever, rows, args.k))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("".join(json.dumps({"id": r.row["id"], "ranked": [{"title": t, "no": n} for t, n in r.ranked]},
                                      ensure_ascii=False) + "\n" for r in ranked), encoding="utf-8")
    summary = retrieval_summary(ranked, args.k)
    if summary:
        _print_json(summary)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.llm_agent import LLMUnavailable
    from assistant.service import AskError

    c = _container(args)
    _ready(c, quiet=args.json)
    c.ensure_sample_records()
    try:
        answer = c.assistant.ask(args.question, conversation_id=args.conversation, role=args.role,
                                 as_of=_parse_as_of(args.as_of))
    except (AskError, LLMUnavailable) as e:
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
    from assistant.drafting import CaseInputError, GongwenInputError, to_docx
    from assistant.drafting.service import DraftingError, DraftRequest

    c = _container(args)
    c.ensure_sample_records()
    fields: dict[str, Any] = {}
    for item in args.field or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise CLIError(f"--field 格式應為 欄位=值：{item}")
        fields[key.strip()] = value.strip()
    request = DraftRequest(args.kind, case_no=args.case, case=fields, subject=args.subject, recipient=args.recipient)
    try:
        draft = c.drafting.draft(request)
    except (DraftingError, CaseInputError, GongwenInputError) as e:
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
    rows = _read_rows(Path(args.dataset))
    _ready(c)
    c.ensure_sample_records()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for r in rows:
            # --role when given; else the item's own role (records items carry one); else staff
            answer = c.assistant.ask(r.get("query") or r["question"], role=args.role or r.get("role") or "staff")
            fh.write(json.dumps({"id": r["id"], "answer": answer.contract()}, ensure_ascii=False) + "\n")
    print(f"已寫出 {len(rows)} 筆：{out}")
    return 0


def cmd_eval_all(args: argparse.Namespace) -> int:
    from mishu.evalcli import cmd_eval_all as run_all
    from mishu.evalcli import default_baseline

    settings = _settings(args)
    only = set(args.only.split(",")) if args.only else None
    return run_all(Path(args.out), Path(args.baseline) if args.baseline else default_baseline(settings),
                   gate=args.gate, settings=settings, only=only)


def cmd_eval_baseline(args: argparse.Namespace) -> int:
    from mishu.evalcli import cmd_eval_baseline_update, default_baseline

    if not args.update:
        raise CLIError("更新基準需明確指定 --update（並以 --report 指定 report.json）")
    return cmd_eval_baseline_update(Path(args.report),
                                    Path(args.baseline) if args.baseline else default_baseline(_settings(args)))


# One BLAS/OpenMP thread per API worker: the workers and the request threads already use the cores, and
# nested thread pools only add contention. Set before numpy is imported in the worker processes.
_SERVE_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def _one_thread_per_worker() -> None:
    import os

    for name in _SERVE_THREAD_ENV:
        os.environ.setdefault(name, "1")
    os.environ.setdefault("MISHU_EMBED_THREADS", "1")
    try:  # this process may have imported numpy already (single-worker serve)
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except ImportError:
        pass


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from mishu.api.app import create_app

    settings = _settings(args)
    try:
        settings.api_key_roles()  # a malformed or short key stops start-up here, before indexing
    except ValueError as e:
        raise CLIError(f"無法啟動／cannot start：{e}") from None
    from mishu.app import Container

    warning = settings.llm_endpoint_warning()
    if warning:
        print(warning, file=sys.stderr)
    warn_if_shared(Path(settings.data_dir))
    check_data_dir(Path(settings.data_dir))
    c = Container(settings)
    _ready(c, quiet=False)
    c.ensure_sample_records()
    _one_thread_per_worker()  # after a first index, which may use every core
    if args.workers > 1:
        if args.data_dir:
            import os

            os.environ["MISHU_DATA_DIR"] = str(Path(args.data_dir).resolve())
        uvicorn.run("mishu.api.app:create_app", factory=True, host=args.host, port=args.port, workers=args.workers,
                    access_log=args.access_log)
    else:
        uvicorn.run(create_app(_settings(args)), host=args.host, port=args.port, access_log=args.access_log)
    return 0


def cmd_up(args: argparse.Namespace) -> int:
    from mishu.launcher import run_up

    settings = _settings(args)
    return run_up(settings, host=args.host, api_port=args.api_port, ui_port=args.ui_port)


def _accounts(args: argparse.Namespace) -> Any:
    from core.accounts import AccountStore

    return AccountStore(_settings(args).users_file)


def cmd_users(args: argparse.Namespace) -> int:
    """`mishu users add|list|passwd|remove`: the pages' login accounts (the file the pages read)."""
    from core.accounts import ROLE_ZH, AccountError

    store = _accounts(args)
    try:
        if args.users_cmd == "list":
            rows = [{"username": a.username, "name": a.name, "role": a.role,
                     "must_change_password": a.must_change_password, "locked": a.locked}
                    for a in store.accounts()]
            if args.json:
                _print_json(rows)
            elif not rows:
                print(f"尚無帳號（{store.path}）；mishu up 第一次啟動時會建立 admin。")
            for r in rows if not args.json else []:
                state = "已鎖定" if r["locked"] else ("待變更一次性密碼" if r["must_change_password"] else "正常")
                print(f"{r['username']:<20}{r['name']}\t{ROLE_ZH[r['role']]}（{r['role']}）\t{state}")
            return 0
        if args.users_cmd == "add":
            password = store.add(args.username, args.role, args.name or "")
            what = f"已新增帳號 {args.username.strip().lower()}（{ROLE_ZH[args.role]}）"
        elif args.users_cmd == "passwd":
            password = store.reset_password(args.username)
            what = f"已重設帳號 {args.username.strip().lower()} 的密碼（並解除鎖定）"
        else:
            store.remove(args.username)
            print(f"已刪除帳號 {args.username.strip().lower()}。")
            return 0
    except AccountError as exc:
        raise CLIError(str(exc)) from None
    print(f"{what}。一次性密碼（只顯示這一次；第一次登入時必須變更）：\n{password}")
    return 0


def cmd_backup(args: argparse.Namespace) -> int:
    from mishu.backup import BackupError, backup

    try:
        m = backup(_settings(args), Path(args.out))
    except BackupError as e:
        raise CLIError(str(e)) from e
    print(f"已備份 {len(m['files'])} 個檔案到 {args.out}")
    for note in m["skipped"]:
        print(f"未包含：{note}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from mishu.backup import BackupError, restore

    try:
        m = restore(_settings(args), Path(args.archive))
    except BackupError as e:
        raise CLIError(str(e)) from e
    print(f"已從 {args.archive}（{m['created']}）還原 {len(m['files'])} 個檔案；原有資料移到資料目錄的 .pre-restore-*")
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from mishu.evalcli import run_benchmark

    _print_json(run_benchmark(Path(args.work_dir) if args.work_dir else None, queries=args.queries))
    return 0


# --- parser ----------------------------------------------------------------------------------------
_Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"  # what add_subparsers() returns


def _add_ingest(sub: _Subparsers) -> None:
    s = sub.add_parser("ingest", help="建立或更新索引")
    s.add_argument("paths", nargs="*", help="檔案或資料夾；預設為內建知識庫")
    s.add_argument("--json", action="store_true")
    s.add_argument("--quiet", action="store_true")
    s.add_argument("--strict", action="store_true", help="有檔案失敗時以非零結束")
    s.add_argument("--no-prune", action="store_true", help="不移除已刪除來源的索引")
    s.set_defaults(fn=cmd_ingest)


def _add_upload(sub: _Subparsers) -> None:
    s = sub.add_parser("upload", help="上傳文件到資料目錄的 uploads（同 API：存取等級、類別、檢查），並重新索引")
    s.add_argument("files", nargs="+", help="PDF、DOCX、MD、TXT、HTML 檔")
    s.add_argument("--access-level", choices=["public", "restricted", "secret"],
                   help="存取等級；新檔未指定時為 restricted（限閱）")
    s.add_argument("--domain", choices=["procurement", "archives", "emergency", "template", "plan"],
                   help="文件類別；未指定時由內容推斷，無法推斷則拒收")
    s.add_argument("--replace", action="store_true", help="同名但內容不同時覆蓋舊檔")
    s.add_argument("--no-ingest", action="store_true", help="只存檔，不重新索引")
    s.set_defaults(fn=cmd_upload)


def _add_backup(sub: _Subparsers) -> None:
    s = sub.add_parser("backup", help="備份資料目錄（紀錄、稽核、上傳檔、索引）為 .tar.gz")
    s.add_argument("out", help="備份檔路徑，例如 mishu-backup.tar.gz")
    s.set_defaults(fn=cmd_backup)


def _add_restore(sub: _Subparsers) -> None:
    s = sub.add_parser("restore", help="從備份檔還原資料目錄（請先停止服務）")
    s.add_argument("archive", help="mishu backup 產生的 .tar.gz")
    s.set_defaults(fn=cmd_restore)


def _add_search(sub: _Subparsers) -> None:
    s = sub.add_parser("search", help="檢索條文")
    s.add_argument("query")
    s.add_argument("--k", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.add_argument("--as-of", help="以該日有效的版本檢索（2024-05-01 或 113.05.01）")
    s.add_argument("--domain", choices=["procurement", "archives", "emergency", "template", "plan"])
    s.set_defaults(fn=cmd_search)


def _add_eval(sub: _Subparsers) -> None:
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
    e.add_argument("--role", choices=["staff", "hotline", "admin"],
                   help="以此角色的權限提問（未指定時用題目的 role 欄位，否則 staff）")
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


def _add_ask(sub: _Subparsers) -> None:
    s = sub.add_parser("ask", help="提問（附條文引用）")
    s.add_argument("question")
    s.add_argument("--json", action="store_true")
    s.add_argument("--conversation", help="接續的對話編號")
    s.add_argument("--role", choices=["staff", "hotline", "admin"], help="以此角色的權限查詢")
    s.add_argument("--as-of", help="以該日有效的法規版本回答")
    s.set_defaults(fn=cmd_ask)


def _add_draft(sub: _Subparsers) -> None:
    s = sub.add_parser("draft", help="擬稿：投標須知、函、簽（輸出 Markdown 與 .docx）")
    s.add_argument("kind", choices=["tender_instructions", "tender_notice", "letter", "memo"],
                   help="tender_instructions＝投標須知（tender_notice 同義）、letter＝函、memo＝簽")
    s.add_argument("--case", help="案號（從紀錄資料庫帶入欄位）")
    s.add_argument("--field", action="append", help="欄位=值（可重複），如 --field 名稱=辦公桌椅採購")
    s.add_argument("--subject", help="主旨（函、簽）")
    s.add_argument("--recipient", help="受文者（函）")
    s.add_argument("--out", help=".docx 輸出路徑")
    s.add_argument("--json", action="store_true")
    s.set_defaults(fn=cmd_draft)


def _add_records(sub: _Subparsers) -> None:
    s = sub.add_parser("records", help="結構化紀錄")
    rsub = s.add_subparsers(dest="records_cmd", required=True)
    r = rsub.add_parser("import", help="從 CSV/JSON 匯入（逐列驗證，有錯誤則整批不匯入）")
    r.add_argument("file", nargs="?")
    r.add_argument("--table", help="資料表：cases, events, vendors, suspensions, consultations, ...")
    r.add_argument("--sample", action="store_true", help="匯入內建範例資料")
    r.add_argument("--upsert", action="store_true", help="已存在的資料以檔案內容更新")
    r.set_defaults(fn=cmd_records_import)


def _add_serve(sub: _Subparsers) -> None:
    s = sub.add_parser("serve", help="啟動 API 服務")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8765)
    s.add_argument("--workers", type=int, default=1)
    s.add_argument("--access-log", action="store_true",
                   help="印出每個請求（含查詢字串，可能含統編或問題）；預設不印，稽核紀錄另存")
    s.set_defaults(fn=cmd_serve)


def _add_up(sub: _Subparsers) -> None:
    s = sub.add_parser("up", help="啟動 API 與網頁（首次會建立索引、範例資料與管理者帳號）")
    s.add_argument("--host", default="127.0.0.1",
                   help="非本機位址需設定 MISHU_TLS_CERT_FILE/MISHU_TLS_KEY_FILE 或 MISHU_BEHIND_PROXY=true")
    s.add_argument("--api-port", type=int, default=8765)
    s.add_argument("--ui-port", type=int, default=8501)
    s.set_defaults(fn=cmd_up)


def _add_users(sub: _Subparsers) -> None:
    s = sub.add_parser("users", help="頁面登入帳號：新增、列出、重設密碼、刪除")
    usub = s.add_subparsers(dest="users_cmd", required=True)
    u = usub.add_parser("add", help="新增帳號（印出一次性密碼）")
    u.add_argument("username", help="2 到 20 個英文小寫字母、數字、_ 或 -")
    u.add_argument("--role", required=True, choices=["staff", "hotline", "admin"])
    u.add_argument("--name", help="顯示的姓名")
    u.set_defaults(fn=cmd_users)
    u = usub.add_parser("list", help="列出帳號")
    u.add_argument("--json", action="store_true")
    u.set_defaults(fn=cmd_users)
    u = usub.add_parser("passwd", help="重設密碼（印出一次性密碼，並解除鎖定）")
    u.add_argument("username")
    u.set_defaults(fn=cmd_users)
    u = usub.add_parser("remove", help="刪除帳號（最後一個管理者不能刪）")
    u.add_argument("username")
    u.set_defaults(fn=cmd_users)


def _add_bench(sub: _Subparsers) -> None:
    s = sub.add_parser("bench", help="效能量測：冷索引、重新索引、查詢延遲")
    s.add_argument("--work-dir")
    s.add_argument("--queries", type=int, default=200)
    s.set_defaults(fn=cmd_bench)


# the subcommands in the order `mishu --help` lists them
_COMMANDS: tuple[Callable[[_Subparsers], None], ...] = (
    _add_ingest, _add_upload, _add_backup, _add_restore, _add_search, _add_eval, _add_ask, _add_draft, _add_records,
    _add_serve, _add_up, _add_users, _add_bench)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mishu", description="mishu（秘書）：秘書處知識助理")
    p.add_argument("--data-dir", help="資料目錄（預設 ~/.mishu 或 MISHU_DATA_DIR）")
    sub = p.add_subparsers(dest="cmd", required=True)

    for add in _COMMANDS:
        add(sub)
    return p


def private_files() -> None:
    """Files mishu creates are readable by their owner only: the index holds restricted and secret text,
    the records and audit files hold questions and consultations (review F-12). Children (API workers, the
    pages) inherit the mask."""
    import os

    os.umask(0o077)


def warn_if_shared(data_dir: Path) -> None:
    """An existing data dir that other accounts can enter is named, with the command that fixes it."""
    try:
        mode = data_dir.stat().st_mode
    except OSError:
        return
    if mode & 0o077:
        print(f"警告：資料夾 {data_dir} 其他帳號也能讀取（權限 {oct(mode & 0o777)}），其中有限閱與密件內容；"
              f"建議執行 chmod -R go-rwx {data_dir}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    private_files()
    try:
        return int(args.fn(args) or 0)
    except CLIError as e:
        print(f"錯誤：{e}", file=sys.stderr)
        return 2
    except Exception as e:  # a full disk or a read-only data dir met mid-command: a message, not a trace
        from core.storage import check_writable, storage_problem

        problem = storage_problem(e) or check_writable(Path(_settings(args).data_dir))
        if problem is None:
            raise
        print(f"錯誤：{problem.message}（{e}）", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("已中斷；先前的索引仍可使用。", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
