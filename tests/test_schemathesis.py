"""Hostile input over HTTP (issue 10 item 4): schemathesis generates requests from the app's own OpenAPI
schema, valid ones and deliberately invalid ones, for every operation, and sends them through the ASGI app
(real index of two shipped laws, real SQLite stores, admin key). Every response must be no 5xx, have a
documented status code and content type, and match its declared schema; invalid data must be rejected.

One schemathesis check is left out, ``positive_data_acceptance`` (a request valid by the schema must be
accepted): the schema declares dates, districts and categories as text, and the server checks them itself
(several date notations such as 2024-05-01, 113.05.01 and 民國113年5月1日; Taichung's 29 districts) and answers
422 with a zh-TW message saying what is wrong; a random string there is rightly refused.

Bounded and derandomized: ``MAX_EXAMPLES`` cases per operation and mode (fewer for the slow answer
routes), no example database, so a run is the same every time.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance
from schemathesis.core.result import Ok

SOURCES = Path(__file__).resolve().parent.parent / "knowledge" / "sources" / "procurement"
LAWS = [SOURCES / "tender-period-standards.json", SOURCES / "bid-bond-guarantee-rules.json"]
ADMIN = "schemathesis-admin-key-000000"
MAX_EXAMPLES = 6
SLOW = {"/v1/ask": 3, "/v1/ask/stream": 3, "/v1/draft": 3, "/v1/admin/upload": 3, "/v1/admin/ingest": 2}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from mishu.api.app import create_app
    from mishu.app import Container
    from mishu.settings import Settings

    root = tmp_path_factory.mktemp("schemathesis")
    src = root / "src"
    src.mkdir()
    for p in LAWS:
        shutil.copy(p, src / p.name)
    c = Container(Settings(data_dir=root / "data", sources=[src], api_keys=f"{ADMIN}:admin"))
    report = c.indexer.ingest([src])
    assert not report.failed, report.failed
    c.ensure_sample_records()
    app = create_app(container=c)
    with TestClient(app):  # runs the lifespan (warm-up, start-up steps) once
        yield app


def exercise(op: Any, mode: GenerationMode, failures: dict[str, list[str]]) -> int:
    """Send the generated cases of one operation and mode; failures are collected under its name. Returns
    how many cases were sent."""
    key = f"{op.method.upper()} {op.path} ({mode.value})"
    sent = 0

    @settings(max_examples=SLOW.get(op.path, MAX_EXAMPLES), deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    @given(case=op.as_strategy(generation_mode=mode))
    def run(case: schemathesis.Case) -> None:
        nonlocal sent
        sent += 1
        try:
            case.call_and_validate(headers={"Authorization": f"Bearer {ADMIN}"},
                                   excluded_checks=[positive_data_acceptance])
        except (Exception, BaseExceptionGroup) as exc:  # collected and reported together
            failures.setdefault(key, []).append(str(exc)[:2000])

    with contextlib.suppress(Unsatisfiable):  # nothing invalid to send (e.g. /healthz takes no input)
        run()
    return sent


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_every_operation_answers_within_its_schema(app: Any) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: dict[str, list[str]] = {}
    cases = operations = 0
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"the app's schema has an invalid operation: {result.err()}"
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases += exercise(result.ok(), mode, failures)
    print(f"schemathesis: {cases} cases over {operations} operations")
    assert operations >= 30 and cases >= 200, (operations, cases)
    assert not failures, "\n\n".join(f"== {k}\n" + "\n--\n".join(dict.fromkeys(v)) for k, v in failures.items())
