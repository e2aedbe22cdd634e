"""Every setting is documented, and the committed .env.example is the one the Settings object generates."""

from mishu.settings import PROJECT_ROOT, Settings, env_example


def test_every_setting_has_a_description() -> None:
    undocumented = [name for name, field in Settings.model_fields.items() if not (field.description or "").strip()]
    assert not undocumented, f"settings without a description: {undocumented}"


def test_env_example_is_current() -> None:
    committed = (PROJECT_ROOT / ".env.example").read_text(encoding="utf-8")
    assert committed == env_example(), "run: python scripts/gen_env_example.py"


def test_env_example_names_every_setting_once() -> None:
    text = env_example()
    for name in Settings.model_fields:
        assert text.count(f"# MISHU_{name.upper()}=") == 1, name
