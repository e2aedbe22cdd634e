"""HTTP API of mishu (FastAPI). ``create_app(settings, container)`` is the only entry point."""

from mishu.api.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]
