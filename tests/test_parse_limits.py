"""F-07: parsing hostile files is bounded. Real loaders and parser in the real child process.

- the Markdown heading, 編章節 and date-line patterns are linear on long lines (the review's ReDoS line
  '# a' + 12,000 blanks + 'b' took about 45 minutes per line before);
- a DOCX zip bomb is refused before python-docx inflates it, and a ZIP with too many members too;
- the child process stops a file at its memory, CPU or wall-time limit with a zh-TW reason, and the next
  file is parsed by a fresh child;
- pypdf is at least 6.6 (the CVEs listed in the review), and a lock file pins every dependency by hash.
"""

from __future__ import annotations

import io
import re
import time
import tomllib
import zipfile
from pathlib import Path

import pytest

from ingest.models import IngestError
from ingest.sandbox import ParseLimits, SandboxedParser
from ingest.structure import classify_line, parse_text

ROOT = Path(__file__).resolve().parent.parent
SMALL_MD = "---\ndomain: procurement\n---\n# 採購作業要點\n\n第1條 招標應公開。\n\n第2條 決標應公告。\n"


@pytest.mark.parametrize(
    "line",
    [
        "# a" + " " * 50_000 + "b",  # the review's heading line, at 50,000 characters
        "# " + "a " * 25_000 + "#",
        "###### 第一章 a" + " " * 50_000 + "b",
        "第一章 a" + " " * 50_000 + "b",
        "第1條 a" + " " * 50_000 + "b",
        "民國1年1月1日" + " " * 50_000 + "b",
        "(一)a" + " \t" * 25_000 + "b",
        "1.1 a" + " " * 50_000 + "b",
    ],
)
def test_a_50000_character_line_parses_quickly(line: str) -> None:
    assert len(line) >= 50_000
    t = time.perf_counter()
    classify_line(line)
    parsed = parse_text("# 標題\n" + line + "\n第1條 測試。\n第2條 測試。\n")
    assert time.perf_counter() - t < 2.0  # linear patterns: about 0.1 s here (minutes to hours before)
    assert parsed.sections


def test_review_redos_document_parses_in_the_child(tmp_path: Path) -> None:
    """F-07 reproduction: ten 12,000-blank heading lines in one Markdown upload."""
    path = tmp_path / "redos.md"
    path.write_text(
        "---\ndomain: procurement\n---\n# 採購\n" + ("# a" + " " * 12000 + "b\n") * 10, encoding="utf-8"
    )
    t = time.perf_counter()
    with SandboxedParser(ParseLimits(cpu_s=20, wall_s=30)) as parser:
        (doc,) = parser.parse(path)
    assert time.perf_counter() - t < 20 and doc.sections


def test_markdown_headings_keep_their_meaning() -> None:
    """The shorter heading pattern classifies lines as the old one did."""
    cases = {
        "# 總則": ("md", 1, "總則"),
        "### 第 1 條": ("article", 0, ""),
        "## 第一章 總則 ##": ("part", 1, "總則"),
        "####### x": None,
        "#tag": None,
        "#": None,
        "## 附錄 ##  ": ("md", 2, "附錄"),
    }
    for line, want in cases.items():
        m = classify_line(line)
        got = None if m is None else (m.kind, m.level, m.title)
        assert got == want, (line, got)


# --- DOCX: ZIP limits before python-docx --------------------------------------------------------------
def _docx_with_body(body_xml_chunks: int, chunk: bytes) -> bytes:
    import docx

    buf = io.BytesIO()
    docx.Document().save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out_buf = io.BytesIO()
    with zipfile.ZipFile(out_buf, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            if info.filename != "word/document.xml":
                out.writestr(info, src.read(info))
                continue
            xml = src.read(info).decode()
            head, _, rest = xml.partition("<w:body>")
            with out.open("word/document.xml", "w") as w:
                w.write((head + "<w:body>").encode())
                for _ in range(body_xml_chunks):
                    w.write(chunk)
                w.write(("</w:body>" + rest.partition("</w:body>")[2]).encode())
    return out_buf.getvalue()


def test_docx_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path) -> None:
    """F-07 reproduction: document.xml of 210 MB compressed to well under 1 MB."""
    chunk = b"<w:p><w:r><w:t>a</w:t></w:r></w:p>" * 30_000
    data = _docx_with_body(210 * 1024 * 1024 // len(chunk) + 1, chunk)
    assert len(data) < 2 * 1024 * 1024
    path = tmp_path / "bomb.docx"
    path.write_bytes(data)
    with SandboxedParser() as parser, pytest.raises(IngestError, match="解壓縮後超過上限 200 MB"):
        parser.parse(path)


def test_docx_with_too_many_members_is_refused(tmp_path: Path) -> None:
    from ingest.loaders.word import MAX_ZIP_MEMBERS, check_zip_limits

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for i in range(MAX_ZIP_MEMBERS + 1):
            zf.writestr(f"m/{i}.xml", b"")
    with pytest.raises(IngestError, match="超過上限 5,000 個"):
        check_zip_limits(tmp_path / "many.docx", buf.getvalue())


def test_zip_size_is_counted_while_inflating_not_taken_from_the_header(tmp_path: Path) -> None:
    """A central directory may claim small sizes; the inflated bytes are what is counted."""
    from ingest.loaders.word import check_zip_limits

    data = _docx_with_body(40, b"<w:p/>" * 10_000)  # about 2.4 MB inflated
    check_zip_limits(tmp_path / "ok.docx", data)
    with pytest.raises(IngestError, match="壓縮炸彈"):
        check_zip_limits(tmp_path / "ok.docx", data, max_total=1024 * 1024)


# --- the child's limits ------------------------------------------------------------------------------
def _write_small(tmp_path: Path) -> Path:
    path = tmp_path / "procurement" / "small.md"
    path.parent.mkdir(exist_ok=True)
    path.write_text(SMALL_MD, encoding="utf-8")
    return path


def test_memory_limit_stops_the_file_and_the_next_file_parses(tmp_path: Path) -> None:
    huge = tmp_path / "array.json"  # 40 MB of JSON that needs about 200 MB of Python objects
    huge.write_text("[" + "0," * 20_000_000 + "0]", encoding="ascii")
    small = _write_small(tmp_path)
    with SandboxedParser(ParseLimits(memory_mb=256)) as parser:
        with pytest.raises(IngestError, match=r"記憶體上限（256 MB）"):
            parser.parse(huge)
        (doc,) = parser.parse(small)
    assert [s.no for s in doc.sections] == ["1", "2"]


def _slow_text(tmp_path: Path) -> Path:
    path = tmp_path / "procurement" / "slow.txt"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        ("採購稽核" + "甲" * 60 + "。\n") * 60_000, encoding="utf-8"
    )  # several CPU seconds to parse
    return path


def test_cpu_limit_stops_the_file(tmp_path: Path) -> None:
    slow, small = _slow_text(tmp_path), _write_small(tmp_path)
    with SandboxedParser(ParseLimits(cpu_s=1, wall_s=120)) as parser:
        with pytest.raises(IngestError, match=r"CPU 時間上限（1 秒）"):
            parser.parse(slow)
        assert parser.parse(small)


def test_wall_time_limit_stops_the_file(tmp_path: Path) -> None:
    slow, small = _slow_text(tmp_path), _write_small(tmp_path)
    with SandboxedParser(ParseLimits(wall_s=0.5)) as parser:
        t = time.perf_counter()
        with pytest.raises(IngestError, match=r"解析逾時：超過 0.5 秒"):
            parser.parse(slow)
        assert time.perf_counter() - t < 5
        assert parser.parse(small)


def test_indexer_reports_a_limit_and_indexes_the_other_files(tmp_path: Path) -> None:
    from mishu.app import Container
    from mishu.settings import Settings

    src = tmp_path / "src"
    (src / "procurement").mkdir(parents=True)
    (src / "procurement" / "small.md").write_text(SMALL_MD, encoding="utf-8")
    (src / "procurement" / "slow.txt").write_text(
        ("採購稽核" + "甲" * 60 + "。\n") * 60_000, encoding="utf-8"
    )
    c = Container(Settings(_env_file=None, data_dir=tmp_path / "data", sources=[src], parse_timeout_s=0.5))
    report = c.indexer.ingest([src])
    assert [Path(p).name for p in report.added] == ["small.md"]
    (failure,) = report.failed
    assert failure.path.endswith("slow.txt") and "解析逾時" in failure.reason


# --- dependencies ------------------------------------------------------------------------------------
def test_pypdf_is_at_least_6_6_and_every_dependency_is_locked_by_hash() -> None:
    import pypdf

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["dependencies"]
    assert "pypdf>=6.6" in deps
    assert tuple(int(x) for x in pypdf.__version__.split(".")[:2]) >= (6, 6)
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\$", lock, re.M))
    assert int(pinned["pypdf"].split(".")[0]) >= 6 and "python-docx" in pinned and "fastapi" in pinned
    blocks = re.split(r"\n(?=[A-Za-z0-9_.-]+==)", lock.split("\n", 2)[2])
    assert all("--hash=sha256:" in b for b in blocks if "==" in b)


def test_the_lock_pins_every_dependency_of_pyproject() -> None:
    """A dependency added to pyproject.toml without running scripts/lock.sh fails here."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [
        *project["dependencies"],
        *(d for extra in project["optional-dependencies"].values() for d in extra),
    ]
    names = {re.split(r"[\[<>=!~; ]", d, maxsplit=1)[0].lower().replace("_", "-") for d in wanted}
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    pinned = {
        n.lower().replace("_", "-") for n in re.findall(r"^([A-Za-z0-9_.-]+)(?:\[[^\]]*\])?==", lock, re.M)
    }
    assert names - pinned == {"torch"}  # torch: the CPU build is installed by scripts/setup.sh
