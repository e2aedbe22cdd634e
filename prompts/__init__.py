"""Prompt files (data, no code): the answer system prompt and the evaluation judge prompts.

Loaded and validated by ``assistant.prompts`` and ``evals.judge``; ``PROMPTS_DIR`` is where they are.
"""

from pathlib import Path

PROMPTS_DIR = Path(__file__).resolve().parent
