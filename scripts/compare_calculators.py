"""Compare tender_period and bid_bond_and_guarantees with their versions at a git revision.

    python scripts/compare_calculators.py --rev b873e91

Extracts ``assistant/calculators`` of ``--rev`` into a temporary package, runs both versions over a broad
grid of inputs (amounts at every tier boundary of every category and threshold period, tier codes and
names, every method, every combination of the 第9條 reductions, urgent, re-tendering, 第10條 cases,
treaty procurement, publication dates around rest days; budgets, estimates, negotiation, advance payments,
difference guarantees, bad inputs) and compares the results (``model_dump(mode="json")``) or the
CalculatorError messages. Prints the number of inputs compared; exits 1 on the first differences.
"""

from __future__ import annotations

import argparse
import importlib
import io
import itertools
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PKG = "assistant/calculators"


def load_old(rev: str, into: Path) -> ModuleType:
    """Import ``assistant/calculators`` as of ``rev`` under the package name ``oldcalc``."""
    raw = subprocess.run(["git", "-C", str(ROOT), "archive", rev, PKG], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        tar.extractall(into, filter="data")
    (into / PKG).rename(into / "oldcalc")
    sys.path.insert(0, str(into))
    return importlib.import_module("oldcalc")


def outcome(fn: Callable[..., Any], error: type[Exception], *args: Any, **kw: Any) -> object:
    try:
        return fn(*args, **kw).model_dump(mode="json")
    except error as exc:
        return ("error", type(exc).__name__, str(exc))


def boundary_amounts() -> list[int]:
    edges = [100_000, 150_000, 1_000_000, 1_500_000, 10_000_000, 20_000_000, 50_000_000, 100_000_000,
             200_000_000, 1_000_000_000, 2_000_000_000]
    out = {0, 1, 7, 33, 999, 12_345_678_901}
    for e in edges:
        out |= {e - 1, e, e + 1}
    return sorted(out)


DAYS = [date(2022, 12, 31), date(2023, 1, 1), date(2025, 6, 2)]
CATEGORIES = ["工程", "財物", "勞務"]


def period_cases(new: ModuleType) -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    from assistant.calculators.models import TIER_NAME_ZH

    tiers: list[int | str] = [*boundary_amounts(), *TIER_NAME_ZH, *TIER_NAME_ZH.values(), "250萬元", "壹佰萬元",
                              -5, "很多錢"]
    methods = list(new.METHODS)
    retenders = [None, *new.RETENDERS]
    flags = list(itertools.product([False, True], repeat=3))
    for amount, method, cat, (pi, ed, eb), urgent, retender in itertools.product(
            tiers, methods, CATEGORIES, flags, [False, True], retenders):
        yield (amount, method, cat, DAYS[2]), dict(public_inspection=pi, electronic_download=ed,
                                                   electronic_bid=eb, urgent=urgent, retender=retender)
    for amount, method, day in itertools.product(boundary_amounts(), methods, DAYS[:2]):
        yield (amount, method, "工程", day), {}
    some_tiers: list[Any] = ["small", "announcement", "large", 3_000_000]
    for amount, method, second, art10, treaty in itertools.product(
            some_tiers, methods, [False, True], [None, 1, 2, 3, 4, 5],
            [False, True]):
        yield (amount, method, "財物", DAYS[2]), dict(second_or_later_solicitation=second, article10_case=art10,
                                                     treaty_procurement=treaty)
    pubs = [date(2025, 1, 24), date(2025, 2, 3), date(2025, 6, 6), date(2025, 9, 26), date(2025, 10, 3)]
    holidays = frozenset({date(2025, 10, 6), date(2025, 10, 10), date(2025, 2, 14)})
    makeup = frozenset({date(2025, 2, 8)})
    few_tiers: list[Any] = ["small", "audit", 30_000_000]
    for amount, method, pub, close, (ed, eb), urgent in itertools.product(
            few_tiers, methods, pubs, [True, False], [(False, False), (True, True)],
            [False, True]):
        yield (amount, method, "勞務", DAYS[2]), dict(publication_date=pub, deadline_at_close_of_business=close,
                                                     electronic_download=ed, electronic_bid=eb, urgent=urgent,
                                                     holidays=holidays, makeup_workdays=makeup)
    for bad in [dict(method="比價"), dict(category="物品"), dict(retender="重行"), dict(on="2025-01-01"),
                dict(publication_date="2025-01-01")]:
        args = dict(amount_or_tier=2_000_000, method="公開招標", category="工程", on=DAYS[2]) | bad
        yield (), args


def guarantee_cases() -> Iterator[tuple[tuple[Any, ...], dict[str, Any]]]:
    amounts: list[int | str | None] = [*[a for a in boundary_amounts() if a], "3,000萬元", 0, -1, None]
    for budget, cat, day, negotiation in itertools.product(amounts, CATEGORIES, DAYS, [False, True]):
        yield (budget, None, cat, day), dict(negotiation=negotiation)
        yield (None, budget, cat, day), dict(negotiation=negotiation)
    for budget, estimated in itertools.product([1_500_000, 9_999_999, None], [2_000_000, None]):
        yield (budget, estimated, "工程", DAYS[2]), {}
    for advance in [None, 1, 500_000, "100萬", 0, -3]:
        yield (60_000_000, None, "財物", DAYS[2]), dict(advance_payment=advance)
    refs = [(None, None), (1_000_000, None), (None, 1_000_000), (1_000_000, 900_000), (123_457, None),
            (0, None)]
    for bid, (base, committee), cat in itertools.product(
            [None, 1, 799_999, 800_000, 800_001, 98_765, 0, 10**12], refs, CATEGORIES):
        yield (1_200_000, None, cat, DAYS[2]), dict(total_bid=bid, base_price=base,
                                                    committee_recommended=committee)
    yield (1_000_000, None, "物品", DAYS[2]), {}
    yield (1_000_000, None, "工程", "2025-01-01"), {}


def compare(name: str, old_fn: Callable[..., Any], new_fn: Callable[..., Any], old_err: type[Exception],
            new_err: type[Exception], cases: Iterator[tuple[tuple[Any, ...], dict[str, Any]]]) -> tuple[int, int]:
    n = bad = 0
    for args, kw in cases:
        n += 1
        a, b = outcome(old_fn, old_err, *args, **kw), outcome(new_fn, new_err, *args, **kw)
        if a != b:
            bad += 1
            if bad <= 5:
                print(f"{name} differs for {args} {kw}:\n  old={a}\n  new={b}")
    return n, bad


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rev", default="b873e91", help="git revision of the reference calculators")
    args = ap.parse_args()
    import assistant.calculators as new
    new_tp = importlib.import_module("assistant.calculators.tender_period")

    with tempfile.TemporaryDirectory() as tmp:
        old = load_old(args.rev, Path(tmp))
        n1, bad1 = compare("tender_period", old.tender_period, new.tender_period, old.CalculatorError,
                           new.CalculatorError, period_cases(new_tp))
        n2, bad2 = compare("bid_bond_and_guarantees", old.bid_bond_and_guarantees, new.bid_bond_and_guarantees,
                           old.CalculatorError, new.CalculatorError, guarantee_cases())
    print(f"tender_period: {n1} inputs compared, {bad1} differ")
    print(f"bid_bond_and_guarantees: {n2} inputs compared, {bad2} differ")
    return 1 if bad1 or bad2 else 0


if __name__ == "__main__":
    raise SystemExit(main())
