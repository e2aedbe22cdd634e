"""Optional LLM-judged metrics (RAGAS-style), run only when an OpenAI-compatible endpoint is configured.

* ``llm_faithfulness`` — the judge splits the answer into atomic statements and marks each as supported (1)
  or not (0) by the support texts (citation quotes, cited article texts, calculator results); score =
  supported / statements. Prompt: ``prompts/judge_faithfulness.txt``.
* ``llm_answer_relevancy`` — the judge writes ``n`` questions the answer would answer and says whether the
  answer is noncommittal; score = mean cosine similarity between the embeddings of the generated questions
  and the user's question (the product's own embedder), 0 when noncommittal. Prompt:
  ``prompts/judge_relevancy.txt``.

Without an endpoint the suite skips both and the report says :data:`SKIPPED_MESSAGE`. The chat model is
injected (``langchain_core`` ``BaseChatModel``), so tests drive it with LangChain's fake chat models.
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.answer_metrics import mean_metrics
from prompts import PROMPTS_DIR

SKIPPED_MESSAGE = "未設定 LLM 端點，略過 LLM 評審指標"
PROMPT_VARS = {
    "judge_faithfulness": {"question", "answer", "contexts"},
    "judge_relevancy": {"answer", "n"},
}
Embed = Callable[[str], Sequence[float]]


class PromptError(ValueError):
    pass


def load_prompt(name: str, prompts_dir: Path = PROMPTS_DIR) -> str:
    """Read ``prompts/<name>.txt``; its placeholders must be exactly the declared variables."""
    path = prompts_dir / f"{name}.txt"
    if not path.exists():
        raise PromptError(f"找不到提示詞檔案：{path}")
    text = path.read_text(encoding="utf-8")
    found = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    want = PROMPT_VARS[name]
    if found != want:
        raise PromptError(f"提示詞 {path.name} 的變數不符：缺少 {sorted(want - found)}，多出 {sorted(found - want)}")
    return text


def parse_json_object(text: str) -> dict[str, Any]:
    """The first JSON object in a model reply (models sometimes wrap it in ``` fences or prose)."""
    m = re.search(r"\{.*\}", text, re.S)
    if not m:
        raise ValueError("評審回覆中沒有 JSON 物件")
    obj = json.loads(m.group(0))
    if not isinstance(obj, dict):
        raise ValueError("評審回覆不是 JSON 物件")
    return obj


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na = math.sqrt(sum(x * x for x in a))
    nb = math.sqrt(sum(y * y for y in b))
    return dot / (na * nb) if na and nb else 0.0


@dataclass
class Judged:
    metrics: dict[str, float | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


class LLMJudge:
    def __init__(self, model: Any, embed: Embed, *, n_questions: int = 3, model_name: str = "",
                 prompts_dir: Path = PROMPTS_DIR, max_context_chars: int = 6000):
        self.model = model
        self.embed = embed
        self.n_questions = n_questions
        self.model_name = model_name or type(model).__name__
        self.max_context_chars = max_context_chars
        self.faithfulness_prompt = load_prompt("judge_faithfulness", prompts_dir)
        self.relevancy_prompt = load_prompt("judge_relevancy", prompts_dir)

    @classmethod
    def from_settings(cls, settings: Any, embed: Embed) -> LLMJudge:
        """ChatOpenAI against ``settings.llm_base_url`` (OpenAI-compatible, e.g. a local TAIDE server)."""
        if not settings.llm_base_url:
            raise ValueError(SKIPPED_MESSAGE)
        from langchain_openai import ChatOpenAI

        model = ChatOpenAI(base_url=settings.llm_base_url, model=settings.llm_model, api_key=settings.llm_api_key,
                           timeout=settings.llm_timeout_s, temperature=0)
        return cls(model, embed, model_name=settings.llm_model)

    def _reply(self, prompt: str) -> dict[str, Any]:
        msg = self.model.invoke(prompt)
        content = msg.content if hasattr(msg, "content") else msg
        return parse_json_object(content if isinstance(content, str) else json.dumps(content, ensure_ascii=False))

    def faithfulness(self, question: str, answer: str, contexts: Sequence[str]) -> float | None:
        ctx = "\n---\n".join(contexts)[: self.max_context_chars] or "（無依據）"
        obj = self._reply(self.faithfulness_prompt.format(question=question, answer=answer, contexts=ctx))
        raw = [s.get("verdict") for s in obj.get("statements") or [] if isinstance(s, Mapping)]
        verdicts = [int(v) for v in raw if v in (0, 1, "0", "1")]  # True/False compare equal to 1/0
        if not verdicts:
            return None
        return sum(verdicts) / len(verdicts)

    def answer_relevancy(self, question: str, answer: str) -> float:
        obj = self._reply(self.relevancy_prompt.format(answer=answer, n=self.n_questions))
        if int(obj.get("noncommittal") or 0):
            return 0.0
        qs = [q for q in obj.get("questions") or [] if isinstance(q, str) and q.strip()]
        if not qs:
            return 0.0
        target = list(self.embed(question))
        return sum(cosine(target, list(self.embed(q))) for q in qs) / len(qs)

    def judge(self, question: str, answer: Mapping[str, Any], contexts: Sequence[str]) -> Judged:
        out = Judged()
        text = str(answer.get("answer") or "")
        for name, fn in (("llm_faithfulness", lambda: self.faithfulness(question, text, contexts)),
                         ("llm_answer_relevancy", lambda: self.answer_relevancy(question, text))):
            try:
                value = fn()
                out.metrics[name] = None if value is None else round(value, 4)
            except Exception as e:  # a bad judge reply is recorded, not fatal
                out.metrics[name] = None
                out.errors.append(f"{name}: {type(e).__name__}: {e}")
        return out

    def summary(self, items: Sequence[Any]) -> dict[str, Any]:
        rows = [{k: v for k, v in i.metrics.items() if k.startswith("llm_") and k != "llm_mode"} for i in items]
        means = mean_metrics(rows)
        return {"status": "ran", "model": self.model_name,
                "faithfulness": means.get("llm_faithfulness"), "answer_relevancy": means.get("llm_answer_relevancy"),
                "n": sum(1 for r in rows if r.get("llm_faithfulness") is not None),
                "errors": sum(1 for i in items if i.details.get("judge_errors")),
                "method": "RAGAS 式：陳述拆解後逐句判定是否有依據支持；由回答反推問題，與原問題的嵌入向量餘弦相似度平均。"}
