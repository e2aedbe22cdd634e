"""Write .env.example from the Settings object (mishu/settings.py): python scripts/gen_env_example.py"""

from pathlib import Path

from mishu.settings import PROJECT_ROOT, env_example


def main() -> None:
    target = PROJECT_ROOT / ".env.example"
    target.write_text(env_example(), encoding="utf-8")
    print(f"wrote {Path(target).relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
