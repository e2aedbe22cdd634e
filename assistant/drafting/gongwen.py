"""公文 drafts: 函 and 簽.

What the corpus fixes (公文程式條例, knowledge/sources/archives/official-document-formats-act.json):
- 第2條: 公文類別 令、呈、咨、函、公告、其他公文; 函 is used 「各機關間公文往復，或人民與機關間之申請與答復」.
- 第6條: 公文應記明國曆年、月、日 and 發文字號 (so both are always present, filled or 【待補】).
- 第7條: 分段敘述，冠以數字，由左而右之橫行格式; 第8條: 文字簡淺明確，加具標點符號.
- 第9條: 副本; 第10條: 附件在二種以上時，應冠以數字; 第12條: 密件.

What it does not: the 主旨／說明／辦法 layout of a 函, the 簽 layout (簽 於…、主旨／說明／擬辦), 速別, 密等及
解密條件, and the 期望語 (請查照、請鑒核 …) come from the Executive Yuan 文書處理手冊, which is NOT in the
corpus (knowledge/SOURCES.md, "Not found"). The layout below follows that common practice as generally
used by Taiwanese agencies; it is not quoted from a source in the knowledge base, and the draft says so.

Missing inputs are written 【待補：…】 and listed in ``missing_fields``; nothing is invented. Dates are
accepted as ISO or ROC text (``core.dates.parse_date``) and printed as 中華民國115年11月27日.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from assistant.calculators import ArticleIndex, QuotedCitation
from core.dates import parse_date, roc_full
from core.money import format_twd
from core.numerals import int_to_cn

from .models import GongwenDraft, pending

Direction = Literal["上行", "平行", "下行"]
Speed = Literal["最速件", "速件", "普通件"]

ACT = "公文程式條例"
PRACTICE_NOTE = ("主旨／說明／辦法（擬辦）之分段、速別、密等及期望語係依文書處理手冊之一般實務；"
                 "文書處理手冊未收錄於知識庫，請依本府最新規定核對。")
ENDINGS: dict[str, str] = {"上行": "請鑒核", "平行": "請查照", "下行": "請查照"}
# 期望語 already written by the user (checked before adding one).
_KNOWN_ENDINGS = ("請查照", "請鑒核", "請核示", "請審核", "請照辦", "請核備", "請備查", "請查照辦理", "請查照見復",
                  "請惠允", "請同意", "請核准", "請鑒察", "請轉知", "請配合辦理", "請查明見復", "請核定", "請惠予",
                  "請查收", "請卓參", "請察照", "請 查照", "請 鑒核", "請審查")
_ENCLOSE = ("檢送", "檢附", "如附件", "附件", "隨函")


class GongwenInputError(ValueError):
    """Bad 公文 input (zh-TW message)."""


def _date(v: Any) -> Any:
    if isinstance(v, str):
        try:
            return parse_date(v)
        except ValueError as exc:
            raise ValueError(str(exc)) from None
    return v


def _strs(v: Any) -> Any:
    if v is None or v == "":
        return []
    if isinstance(v, str):
        return [v]
    return v


def _text(v: Any) -> Any:
    if isinstance(v, str):
        return v.strip() or None
    return v


class _Base(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str | None = None  # 發文機關 / 簽 的機關
    unit: str | None = None  # 承辦單位
    subject: str | None = None  # 主旨
    explanations: list[str] = []  # 說明 一、二、…
    issued_on: date | None = None
    contact: str | None = None  # 承辦人
    phone: str | None = None
    case_name: str | None = None
    budget: int | None = None

    v_text = field_validator("agency", "unit", "subject", "contact", "phone", "case_name", mode="before")(_text)
    v_date = field_validator("issued_on", mode="before")(_date)
    v_list = field_validator("explanations", mode="before")(_strs)

    @classmethod
    def _from(cls, data: dict[str, Any], keys: dict[str, str]) -> Any:
        values: dict[str, Any] = {}
        unknown = []
        for k, v in data.items():
            attr = keys.get(k, k)
            if attr in ("__case__",):
                for ck, cv in (v or {}).items():
                    cattr = _CASE_KEYS.get(ck)
                    if cattr and cattr not in values and cattr in cls.model_fields:
                        values[cattr] = cv
                continue
            if attr not in cls.model_fields:
                unknown.append(k)
                continue
            if attr == "explanations" and "explanations" in values:
                values[attr] = _strs(values[attr]) + _strs(v)
                continue
            values[attr] = v
        if unknown:
            raise GongwenInputError(f"無法辨識的公文欄位：{'、'.join(unknown)}")
        try:
            return cls(**values)
        except ValidationError as exc:
            raise GongwenInputError("公文資料有誤：" + "；".join(
                f"{_ZH_NAMES.get(str(e['loc'][0]), e['loc'][0]) if e['loc'] else '?'}："
                f"{str(e.get('msg', '')).removeprefix('Value error, ')}" for e in exc.errors())) from None


_CASE_KEYS = {"機關": "agency", "單位": "unit", "名稱": "case_name", "預算金額": "budget"}
_COMMON_KEYS = {"機關": "agency", "發文機關": "agency", "單位": "unit", "承辦單位": "unit", "主旨": "subject",
                "說明": "explanations", "purpose": "explanations", "日期": "issued_on", "發文日期": "issued_on", "date": "issued_on",
                "承辦人": "contact", "聯絡電話": "phone", "電話": "phone", "case": "__case__", "案件": "__case__"}
_ZH_NAMES = {"agency": "發文機關", "unit": "承辦單位", "subject": "主旨", "explanations": "說明", "issued_on": "日期",
             "recipient": "受文者", "doc_no": "發文字號", "direction": "行文方向", "speed": "速別",
             "secrecy": "密等及解密條件或保密期限", "attachments": "附件", "copies": "副本", "actions": "辦法",
             "proposals": "擬辦", "approvers": "陳核層級", "address": "地址", "budget": "預算金額"}


class LetterInput(_Base):
    """A 函: 受文者 and 主旨 are what the user must supply; the rest is filled or 待補."""

    recipient: str | None = None  # 受文者
    doc_no: str | None = None  # 發文字號
    direction: Direction | None = None  # 上行 / 平行 / 下行
    speed: Speed | None = None
    secrecy: str | None = None  # 密等及解密條件或保密期限
    attachments: list[str] = []
    actions: list[str] = []  # 辦法
    main_recipients: list[str] = []  # 正本 (defaults to 受文者)
    copies: list[str] = []  # 副本
    address: str | None = None

    v_text2 = field_validator("recipient", "doc_no", "secrecy", "address", mode="before")(_text)
    v_list2 = field_validator("attachments", "actions", "main_recipients", "copies", mode="before")(_strs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LetterInput:
        keys = {**_COMMON_KEYS, "受文者": "recipient", "recipient": "recipient", "發文字號": "doc_no",
                "行文方向": "direction", "速別": "speed", "密等": "secrecy", "密等及解密條件或保密期限": "secrecy",
                "附件": "attachments", "辦法": "actions", "正本": "main_recipients", "副本": "copies",
                "地址": "address"}
        out: LetterInput = cls._from(data, keys)
        return out


class MemoInput(_Base):
    """A 簽 (internal memo to superiors)."""

    proposals: list[str] = []  # 擬辦
    approvers: list[str] = []  # 陳核層級, e.g. ["科長", "副處長", "處長"]

    v_list2 = field_validator("proposals", "approvers", mode="before")(_strs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MemoInput:
        keys = {**_COMMON_KEYS, "擬辦": "proposals", "陳核": "approvers", "陳核層級": "approvers"}
        out: MemoInput = cls._from(data, keys)
        return out


# --- shared pieces --------------------------------------------------------------------------------------
class _Acc:
    def __init__(self) -> None:
        self.missing: list[str] = []
        self.notes: list[str] = [PRACTICE_NOTE]
        self.warnings: list[str] = []

    def need(self, name: str) -> str:
        if name not in self.missing:
            self.missing.append(name)
        return pending(name)


def _numbered(items: list[str]) -> list[str]:
    """公文程式條例第7條: 分段敘述，冠以數字 (一、二、…); a single item is written without a number."""
    cleaned = [_sentence(i) for i in items if i and i.strip()]
    if len(cleaned) == 1:
        return cleaned
    return [f"{int_to_cn(n)}、{t}" for n, t in enumerate(cleaned, 1)]


def _sentence(text: str) -> str:
    t = text.strip()
    t = re.sub(r"^(?:[一二三四五六七八九十]+、|\d+[.、])", "", t).strip()
    return t if t.endswith(("。", "：", "？", "！")) else t + "。"


def _subject(subject: str, ending: str) -> str:
    """主旨 as one sentence ending with a 期望語 (added only when the user wrote none)."""
    s = subject.strip().rstrip("。.")
    if s.startswith("簽請") and ending == "請核示":
        return s + "。"
    if any(s.endswith(e) or s.endswith(e + "。") for e in _KNOWN_ENDINGS):
        return s + "。"
    return f"{s}，{ending}。"


def _date_line(d: date | None, on: date | None, acc: _Acc, what: str) -> str:
    if d is not None:
        return roc_full(d)
    if on is not None:
        acc.notes.append(f"{what}未提供，暫以草擬日填列，發文時請以實際日期為準。")
        return roc_full(on)
    return acc.need(what)


def _short_agency(agency: str) -> str:
    """臺中市政府秘書處 -> 秘書處 (the 簽 names the drafting office inside the city government)."""
    for prefix in ("臺中市政府", "台中市政府"):
        if agency.startswith(prefix) and len(agency) > len(prefix):
            return agency[len(prefix):]
    return agency


def _cite_act(articles: ArticleIndex | None, no: str, quote: str) -> QuotedCitation | None:
    if articles is None:
        return None
    return articles.quote(ACT, no, quote)


def _citations(articles: ArticleIndex | None, kind: str) -> list[QuotedCitation]:
    pairs = [("6", "公文應記明國曆年、月、日。"), ("7", "公文得分段敘述，冠以數字，採由左而右之橫行格式。"),
             ("8", "公文文字應簡淺明確，並加具標點符號。")]
    if kind == "letter":
        pairs = [("2", "四、函：各機關間公文往復，或人民與機關間之申請與答復時用之。"),
                 ("6", "機關公文，應記明發文字號。")] + pairs
    out = [_cite_act(articles, no, q) for no, q in pairs]
    return [c for c in out if c is not None]


# --- 函 -------------------------------------------------------------------------------------------------
def draft_letter(letter: LetterInput, *, on: date | None = None,
                 articles: ArticleIndex | None = None) -> GongwenDraft:
    """Draft a 函 (公文程式條例第2條第1項第4款). ``on`` is the drafting date, used for 發文日期 when none is given."""
    acc = _Acc()
    agency = letter.agency or acc.need("發文機關")
    lines = [f"# {agency}　函（草稿）", ""]
    lines.append(f"地址：{letter.address or acc.need('機關地址')}")
    lines.append(f"承辦人：{letter.contact or acc.need('承辦人')}" + (f"（{letter.unit}）" if letter.unit else ""))
    lines.append(f"電話：{letter.phone or acc.need('聯絡電話')}")
    lines.append("")
    lines.append(f"受文者：{letter.recipient or acc.need('受文者')}")
    lines.append(f"發文日期：{_date_line(letter.issued_on, on, acc, '發文日期')}")
    lines.append(f"發文字號：{letter.doc_no or acc.need('發文字號')}")
    lines.append(f"速別：{letter.speed or acc.need('速別')}")
    lines.append(f"密等及解密條件或保密期限：{letter.secrecy or acc.need('密等及解密條件或保密期限')}")
    subject_text = letter.subject or ""
    implies_enclosure = any(k in subject_text for k in _ENCLOSE) or any(
        any(k in e for k in _ENCLOSE) for e in letter.explanations)
    if letter.attachments:
        att = letter.attachments
        lines.append("附件：" + ("、".join(f"{n}.{a}" for n, a in enumerate(att, 1)) if len(att) > 1 else att[0]))
    elif implies_enclosure:
        lines.append(f"附件：{acc.need('附件')}")
    lines.append("")
    if letter.direction is None:
        ending = "請查照"
        acc.notes.append("未指定行文方向，期望語暫用「請查照」（平行、下行文）；如為上行文請改為「請鑒核」等。")
    else:
        ending = ENDINGS[letter.direction]
    lines.append("## 主旨")
    lines.append(_subject(letter.subject, ending) if letter.subject else acc.need("主旨"))
    lines.append("")
    lines.append("## 說明")
    items = list(letter.explanations)
    lines += _numbered(items) if items else [acc.need("說明")]
    if letter.actions:
        lines += ["", "## 辦法"]
        lines += _numbered(letter.actions)
    lines.append("")
    mains = letter.main_recipients or ([letter.recipient] if letter.recipient else [])
    lines.append(f"正本：{'、'.join(mains) if mains else acc.need('正本')}")
    if letter.copies:
        lines.append(f"副本：{'、'.join(letter.copies)}")
    lines.append("")
    lines.append("（機關首長署名；依公文程式條例第3條蓋用印信或簽署）")
    lines += ["", "## 待補欄位", ""]
    lines += [f"- {m}" for m in acc.missing] or ["- （無）"]
    lines += ["", "## 檢核提醒", ""]
    lines += [f"- ⚠ {w}" for w in acc.warnings] + [f"- {n}" for n in acc.notes]
    lines.append("- 本草稿由 mishu 產生，送出前請承辦人核對內容、引據條文及發文字號")
    return GongwenDraft(kind="letter", title=f"{agency}　函（草稿）", markdown="\n".join(lines) + "\n",
                        missing_fields=acc.missing, warnings=acc.warnings, notes=acc.notes,
                        citations=_citations(articles, "letter"))


# --- 簽 -------------------------------------------------------------------------------------------------
# Items a 簽 on these topics cannot do without (added to 說明 as 待補 when the user gave none).
_MEMO_TOPIC_ITEMS: tuple[tuple[str, str, str], ...] = (
    ("底價", "預估金額及分析", "底價應依圖說、規範、契約並考量成本、市場行情及政府機關決標資料逐項編列（政府採購法第46條第1項）"),
    ("限制性招標", "前次招標經過（公告日期、開標結果及流標或廢標原因）", "政府採購法第22條第1項各款之適用事實"),
)


def draft_memo(memo: MemoInput, *, on: date | None = None, articles: ArticleIndex | None = None) -> GongwenDraft:
    """Draft a 簽 (「簽　於秘書處○○科」, 主旨／說明／擬辦, 陳核)."""
    acc = _Acc()
    office = _short_agency(memo.agency) if memo.agency else acc.need("機關")
    unit = memo.unit or acc.need("承辦單位")
    title = f"簽　於{office}{unit}"
    lines = [f"# {title}（草稿）", ""]
    lines.append(f"日期：{_date_line(memo.issued_on, on, acc, '簽辦日期')}")
    lines.append("")
    lines.append("## 主旨")
    lines.append(_subject(memo.subject, "請核示") if memo.subject else acc.need("主旨"))
    lines.append("")
    lines.append("## 說明")
    items = list(memo.explanations)
    topic_text = (memo.subject or "") + "".join(items)
    for keyword, item, why in _MEMO_TOPIC_ITEMS:
        if keyword in topic_text and not any(item.split("（")[0] in i for i in items):
            extra = f"{item}：{acc.need(item)}"
            if keyword == "底價" and memo.budget is not None:
                extra = f"{item}：預算金額{format_twd(memo.budget)}；{acc.need(item)}"
            items.append(extra)
            acc.notes.append(f"{item}：{why}。")
    lines += _numbered(items) if items else [acc.need("說明")]
    lines.append("")
    lines.append("## 擬辦")
    lines += _numbered(memo.proposals) if memo.proposals else [acc.need("擬辦")]
    lines.append("")
    if memo.approvers:
        chain = memo.approvers
        lines.append("敬陳　" + chain[0] + "".join(f"　轉陳　{a}" for a in chain[1:]))
    else:
        lines.append(f"敬陳　{acc.need('陳核層級')}")
    lines.append("")
    lines.append(f"承辦人：{memo.contact or acc.need('承辦人')}" + (f"　電話：{memo.phone}" if memo.phone else ""))
    lines += ["", "## 待補欄位", ""]
    lines += [f"- {m}" for m in acc.missing] or ["- （無）"]
    lines += ["", "## 檢核提醒", ""]
    lines += [f"- ⚠ {w}" for w in acc.warnings] + [f"- {n}" for n in acc.notes]
    lines.append("- 本草稿由 mishu 產生，送出前請承辦人核對內容及引據條文")
    return GongwenDraft(kind="memo", title=f"{title}（草稿）", markdown="\n".join(lines) + "\n",
                        missing_fields=acc.missing, warnings=acc.warnings, notes=acc.notes,
                        citations=_citations(articles, "memo"))
