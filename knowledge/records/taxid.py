"""統一編號 (Taiwan business administration number) checksum validation.

Official rule (財政部): weights 1,2,1,2,1,2,4,1; add the digits of each product; the sum must be
divisible by 5 (since 2023 the divisor is 5 instead of 10 — every number valid under the old rule
stays valid). When the 7th digit is 7, its product 28 contributes either 10 (2+8) or 1 (1+0): the
number is valid when either sum is divisible.
"""

from __future__ import annotations

_WEIGHTS = (1, 2, 1, 2, 1, 2, 4, 1)


def _digit_sum(n: int) -> int:
    return n // 10 + n % 10


def is_valid_tax_id(tax_id: str) -> bool:
    """True when ``tax_id`` is 8 ASCII digits with a correct checksum."""
    if len(tax_id) != 8 or not tax_id.isascii() or not tax_id.isdigit():
        return False
    total = sum(_digit_sum(int(d) * w) for d, w in zip(tax_id, _WEIGHTS, strict=True))
    if total % 5 == 0:
        return True
    return tax_id[6] == "7" and (total + 1) % 5 == 0


def tax_id_error(tax_id: str) -> str | None:
    """zh-TW reason why ``tax_id`` is not a valid 統一編號, or None when it is valid."""
    if len(tax_id) != 8 or not tax_id.isascii() or not tax_id.isdigit():
        return f"統一編號必須是8位數字（收到「{tax_id}」）"
    if not is_valid_tax_id(tax_id):
        return f"統一編號「{tax_id}」檢查碼不正確"
    return None


def complete_tax_id(first7: str) -> str:
    """Append the smallest check digit that makes ``first7`` a valid 統一編號 (used by the sample generator)."""
    if len(first7) != 7 or not first7.isdigit():
        raise ValueError("first7 must be 7 digits")
    for last in "0123456789":
        if is_valid_tax_id(first7 + last):
            return first7 + last
    raise ValueError(f"no check digit completes {first7}")
