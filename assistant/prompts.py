"""Prompts are files, validated at load: a template missing a required variable is an error, and
rendering without a value for one of its variables is an error (never blank output)."""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path


class PromptError(ValueError):
    pass


@dataclass(frozen=True)
class Prompt:
    path: Path
    template: str
    variables: frozenset[str]

    def render(self, **values: str) -> str:
        missing = self.variables - values.keys()
        if missing:
            raise PromptError(f"{self.path.name}: 缺少變數 {sorted(missing)}")
        extra = values.keys() - self.variables
        if extra:
            raise PromptError(f"{self.path.name}: 範本沒有變數 {sorted(extra)}")
        return self.template.format(**values)


def load_prompt(path: Path, required: set[str]) -> Prompt:
    if not path.exists():
        raise PromptError(f"找不到提示詞檔案：{path}")
    text = path.read_text(encoding="utf-8")
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(text) if f}
    except ValueError as e:
        raise PromptError(f"{path.name}: 範本格式錯誤：{e}") from e
    if any(not n.isidentifier() for n in names):
        raise PromptError(f"{path.name}: 變數名稱不正確：{sorted(names)}")
    missing = required - names
    if missing:
        raise PromptError(f"{path.name}: 範本缺少必要變數 {sorted(missing)}")
    return Prompt(path=path, template=text, variables=frozenset(names))
