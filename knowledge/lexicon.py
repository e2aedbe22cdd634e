"""Domain vocabulary: law-title abbreviations and terms the Chinese tokenizer must keep whole."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from core.vocab import QUESTION_STOP_BIGRAMS
from knowledge.tables import load_aliases

# alias -> exact title_zh (knowledge/data/lexicon/aliases.json, one reason per entry). Longest aliases match first.
ALIASES: dict[str, str] = {a.alias: a.title for a in load_aliases()}

# laws whose 施行細則 exists in the corpus: "<law>細則" / "<law>施行細則"
LAWS_WITH_RULES = {
    "政府採購法": "政府採購法施行細則",
    "採購法": "政府採購法施行細則",
    "檔案法": "檔案法施行細則",
    "消防法": "消防法施行細則",
    "災害防救法": "災害防救法施行細則",
}

TERMS = """
押標金 保證金 履約保證金 保固保證金 差額保證金 預付款還款保證 等標期 公告金額 查核金額 巨額採購 巨額 小額採購
未達公告金額 限制性招標 選擇性招標 公開招標 公開評選 公開取得 書面報價 企劃書 最有利標 最低標 底價 決標 開標
流標 廢標 撤銷決標 解除契約 終止契約 停權 刊登政府採購公報 政府採購公報 異議 申訴 調解 履約爭議 驗收 保固 分批辦理
統包 共同供應契約 替代方案 評選委員會 工作小組 專家學者 採購評選委員會 監辦 主會計 電子領標 電子投標 公開閱覽
招標文件 投標須知 投標廠商 合格廠商 廠商資格 特定資格 基本資格 資格審查 規格 同等品 減價 比減價格 議價 比價
協商 複數決標 分項決標 優先採購 身心障礙 庇護工場 環境保護產品 中小企業 技術服務 專業服務 資訊服務 社會福利服務
設計競賽 服務費用 建造費用 百分比法 採購人員 利益衝突 迴避 請託關說 檔案 檔案管理 保存年限 銷毀 銷毀目錄 移轉
國家檔案 機關檔案 機密檔案 解密 檔案應用 閱覽 抄錄 複製 微縮 電子儲存 檔案清理 永久保存 定期保存 公文 函 簽
書函 令 呈 咨 公告 開會通知單 主旨 說明 辦法 速別 密等 副本 正本 附件 署名 蓋用 印信 關防 條戳 電子交換 傳真
政府資訊 主動公開 申請提供 消防防護計畫 防火管理人 管理權人 自衛消防編組 滅火班 通報班 避難引導班 安全防護班
救護班 消防演練 避難演練 自衛消防 消防安全設備 檢修申報 滅火器 室內消防栓 自動撒水 火警自動警報 緊急廣播 標示設備
避難器具 緊急照明 排煙設備 公共安全檢查 簽證 申報 自動體外心臟電擊去顫器 AED 緊急救護 救護技術員 心肺復甦術
災害防救 災害應變中心 防救計畫 地區災害防救計畫 民防 民防團隊 危險建築物 緊急評估 疏散 避難 收容 颱風 地震
辦公室 乙類場所 甲類場所 供應 財物 勞務 工程 採購金額 預算金額 預估金額 契約價金 物價調整 逾期違約金 遲延履約
"""


def domain_terms() -> list[str]:
    terms = set(TERMS.split())
    terms.update(ALIASES)
    terms.update(ALIASES.values())
    terms.update(LAWS_WITH_RULES)
    return sorted(terms)


_ALIAS_RE = re.compile("|".join(sorted(map(re.escape, ALIASES), key=len, reverse=True)))


def is_subsequence(short: str, long: str) -> bool:
    """True when the characters of ``short`` appear in ``long`` in order (Chinese abbreviations do:
    銷毀辦法 ⊂ 機關檔案保存年限及銷毀辦法)."""
    it = iter(long)
    return all(ch in it for ch in short)


def abbreviation_of(name: str, titles: list[str]) -> list[str]:
    """Titles that ``name`` abbreviates (its characters appear in order: 防火管理人訓練辦法 ->
    防火管理人訓練與專業機構登錄及管理辦法); the shortest such title wins. Names of 3+ characters only."""
    name = re.sub(r"^(?:依|依照|根據|請問|查|看)", "", name.strip())
    if len(name) < 3:
        return []
    owners = sorted((t for t in titles if is_subsequence(name, t)), key=len)
    return owners[:1]


def _alias_re(aliases: Mapping[str, str]) -> re.Pattern[str] | None:
    if not aliases:
        return None
    if aliases is ALIASES:
        return _ALIAS_RE
    return re.compile("|".join(sorted(map(re.escape, aliases), key=len, reverse=True)))


def resolve_titles(query: str, titles: list[str], aliases: Mapping[str, str] = ALIASES) -> list[tuple[str, int, int]]:
    """Law titles named in ``query`` (full titles first, then aliases), as (title, start, end).

    Full titles win over aliases that overlap them; "檔案法施行細則"/"檔案法細則" resolve to that
    law's rules, a bare "細則" to 政府採購法施行細則 unless another law with rules is named.
    """
    found: list[tuple[str, int, int]] = []
    taken = [False] * len(query)

    def take(title: str, m: re.Match[str]) -> None:
        found.append((title, m.start(), m.end()))
        for i in range(m.start(), m.end()):
            taken[i] = True

    for title in sorted(titles, key=len, reverse=True):
        for m in re.finditer(re.escape(title), query):
            if not any(taken[m.start():m.end()]):
                take(title, m)
    # "<law>細則" where <law> has rules
    for law, rules in LAWS_WITH_RULES.items():
        for m in re.finditer(re.escape(law) + r"(?:施行)?細則", query):
            if not any(taken[m.start():m.end()]):
                take(rules, m)
    pattern = _alias_re(aliases)
    for m in pattern.finditer(query) if pattern is not None else ():
        if any(taken[m.start():m.end()]):
            continue
        title = aliases[m.group(0)]
        if m.group(0) in ("細則", "施行細則"):
            title = _rules_of_named_law({t for t, _, _ in found}, title)
        if title in titles or not titles:
            take(title, m)
    return sorted(found, key=lambda t: t[1])


def _rules_of_named_law(named: set[str], default: str) -> str:
    """The rules a bare 細則 means: those of the last law (in LAWS_WITH_RULES order) named or whose rules
    are named, else ``default``."""
    title = default
    for law, rules in LAWS_WITH_RULES.items():
        if law in named or LAWS_WITH_RULES.get(law) in named:
            title = rules
    return title


# Topics callers ask about that the shipped knowledge base does NOT contain (see knowledge/SOURCES.md,
# "Not found"). A question about them is refused with the reason instead of answered from a
# neighbouring article.
KNOWN_GAPS: dict[str, str] = {
    "速別": "公文速別規定在行政院「文書處理手冊」，知識庫未收錄",
    "公文用紙": "公文用紙規定在行政院「文書處理手冊」，知識庫未收錄",
    "文書處理手冊": "知識庫未收錄行政院「文書處理手冊」",
    "電子報價單": "知識庫未收錄公開取得電子報價單的作業規定",
    "契約範本": "知識庫未收錄工程會採購契約範本（只收錄投標須知範本）",
    "函釋": "知識庫未收錄主管機關函釋",
    "作業手冊": "知識庫未收錄該作業手冊",
    "清理獎勵": "知識庫未收錄檔案清理獎勵要點",
    "停班停課": "停止上班上課的規定不在知識庫範圍內",
    "出差": "差旅費規定不在知識庫範圍內",
    "住宿費": "差旅費規定不在知識庫範圍內",
    "核銷": "經費核銷規定不在知識庫範圍內",
    "報帳": "經費報支規定不在知識庫範圍內",
    "勞保": "勞工保險規定不在知識庫範圍內",
    "健保": "健康保險規定不在知識庫範圍內",
    "開口契約": "知識庫未收錄工程會關於開口契約的函釋",
}


def question_bigrams(query: str) -> list[str]:
    """Distinct CJK character bigrams of a question, minus question phrasing, NFC-normalised."""
    text = unicodedata.normalize("NFC", query)
    grams: list[str] = []
    for run in re.findall(r"[\u3400-\u9fff]+", text):
        for i in range(len(run) - 1):
            g = run[i:i + 2]
            if g not in QUESTION_STOP_BIGRAMS and g not in grams:
                grams.append(g)
    return grams


def latin_words(query: str) -> list[str]:
    """Distinct Latin words of two or more letters in a question (AED, PDF), casefolded: an abbreviation
    the law spells in Latin letters is as much the question's focus as its CJK words."""
    text = unicodedata.normalize("NFKC", query)
    words = (w.casefold() for w in re.findall(r"(?<![A-Za-z])[A-Za-z]{2,}(?![A-Za-z])", text))
    return list(dict.fromkeys(w for w in words if w not in _CURRENCY_WORDS))


_CURRENCY_WORDS = frozenset({"nt", "ntd", "twd"})  # amounts (NT$150萬), not a topic
