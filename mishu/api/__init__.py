"""HTTP API of mishu (FastAPI). ``mishu.api.app.create_app(settings, container)`` builds it."""
