"""Text a PDF draws but nobody sees (review F-15): dropped before extraction, and counted.

A hostile or careless source can carry text a reviewer never sees on the page but a text extractor reads:
invisible render mode (``3 Tr``, ``7 Tr``), white text, fully transparent text (``/ca 0`` in an ExtGState),
text too small to read (under ``MIN_FONT_PT`` after the text and page matrices), and text placed off the
page. ``visible_content`` walks a page's content stream, tracks the graphics and text state (``q``/``Q``,
``cm``, colours, ``gs``, ``Tf``, ``Tm``/``Td``/``T*``, ``Tr``) and removes the text-showing operators
(``Tj``, ``TJ``, ``'``, ``"``) drawn while the text is hidden; the page's text is then extracted from what
is left, so layout handling stays pypdf's own.

Not covered (named in docs/security-findings.md): text inside form XObjects (``Do``), text covered by a
shape drawn on top of it, text clipped away, white text on a dark background (it is dropped although a
reader sees it: the count tells the uploader).
"""

from __future__ import annotations

import contextlib
import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

MIN_FONT_PT = 1.0  # effective size under which text is unreadable on paper and on screen
NEAR_WHITE = 0.95  # each RGB/gray component at least this (CMYK: each at most 1 - this)
OFF_PAGE_MARGIN = 20.0  # points beyond the page box before text counts as off the page
TEXT_SHOW = {b"Tj", b"TJ", b"'", b'"'}

Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)

KIND_ZH = {"invisible": "隱形字", "white": "白色字", "transparent": "透明字", "tiny": "極小字",
           "off_page": "頁面外文字"}


def _mul(m: Matrix, n: Matrix) -> Matrix:
    """m × n (PDF row-vector convention)."""
    a, b, c, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, c * a2 + d * c2, c * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


def _scale(m: Matrix) -> float:
    return math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))


def _nums(operands: list[Any]) -> list[float] | None:
    try:
        return [float(x) for x in operands]
    except (TypeError, ValueError):
        return None


def _white(components: list[float] | None) -> bool:
    if not components:
        return False
    if len(components) in (1, 3):
        return all(x >= NEAR_WHITE for x in components)
    if len(components) == 4:
        return all(x <= 1 - NEAR_WHITE for x in components)
    return False


@dataclass
class _State:
    ctm: Matrix = IDENTITY
    fill: list[float] | None = field(default_factory=lambda: [0.0])
    stroke: list[float] | None = field(default_factory=lambda: [0.0])
    fill_alpha: float = 1.0
    stroke_alpha: float = 1.0
    render: int = 0
    font_size: float = 0.0
    leading: float = 0.0


@dataclass
class HiddenText:
    """What was dropped from one document: text-showing operators per kind."""

    kinds: Counter[str] = field(default_factory=Counter)
    chars: int = 0

    def zh(self) -> str:
        return "、".join(KIND_ZH[k] for k in KIND_ZH if self.kinds.get(k))


class _Walker:
    def __init__(self, box: tuple[float, float, float, float], ext_gstates: Any) -> None:
        self.box = box
        self.ext = ext_gstates
        self.st = _State()
        self.stack: list[_State] = []
        self.tlm: Matrix = IDENTITY

    def hidden_kind(self) -> str | None:
        st = self.st
        if st.render in (3, 7):
            return "invisible"
        fills, strokes = st.render in (0, 2, 4, 6), st.render in (1, 2, 5, 6)
        if (not fills or st.fill_alpha <= 0.05) and (not strokes or st.stroke_alpha <= 0.05):
            return "transparent"
        if (not fills or _white(st.fill)) and (not strokes or _white(st.stroke)):
            return "white"
        trm = _mul(self.tlm, st.ctm)
        if abs(st.font_size) * _scale(trm) < MIN_FONT_PT:
            return "tiny"
        x, y = trm[4], trm[5]
        x0, y0, x1, y1 = self.box
        m = OFF_PAGE_MARGIN
        if x < x0 - m or x > x1 + m or y < y0 - m or y > y1 + m:
            return "off_page"
        return None

    def step(self, operands: list[Any], op: bytes) -> None:
        """Update the state for one operator (text-showing operators are handled by the caller)."""
        st = self.st
        nums = _nums(operands)
        if op == b"q":
            self.stack.append(replace(st))
        elif op == b"Q":
            if self.stack:
                self.st = self.stack.pop()
        elif op == b"cm" and nums and len(nums) == 6:
            st.ctm = _mul((nums[0], nums[1], nums[2], nums[3], nums[4], nums[5]), st.ctm)
        elif op == b"BT":
            self.tlm = IDENTITY
        elif op == b"Tm" and nums and len(nums) == 6:
            self.tlm = (nums[0], nums[1], nums[2], nums[3], nums[4], nums[5])
        elif op in (b"Td", b"TD") and nums and len(nums) == 2:
            self.tlm = _mul((1.0, 0.0, 0.0, 1.0, nums[0], nums[1]), self.tlm)
            if op == b"TD":
                st.leading = -nums[1]
        elif op == b"T*":
            self.next_line()
        elif op == b"TL" and nums:
            st.leading = nums[0]
        elif op == b"Tf" and len(operands) == 2:
            size = _nums(operands[1:])
            st.font_size = size[0] if size else st.font_size
        elif op == b"Tr" and nums:
            st.render = int(nums[0])
        else:
            self._colour(op, operands, nums)

    def next_line(self) -> None:
        self.tlm = _mul((1.0, 0.0, 0.0, 1.0, 0.0, -self.st.leading), self.tlm)

    def _colour(self, op: bytes, operands: list[Any], nums: list[float] | None) -> None:
        st = self.st
        if op in (b"g", b"rg", b"k"):
            st.fill = nums
        elif op in (b"G", b"RG", b"K"):
            st.stroke = nums
        elif op in (b"sc", b"scn"):
            st.fill = nums  # a pattern name (not numbers) is taken as visible
        elif op in (b"SC", b"SCN"):
            st.stroke = nums
        elif op == b"cs":
            st.fill = [0.0]  # the initial colour of every colour space is never white
        elif op == b"CS":
            st.stroke = [0.0]
        elif op == b"gs" and operands:
            self._ext_gstate(operands[0])

    def _ext_gstate(self, name: Any) -> None:
        try:
            gs = self.ext[name].get_object() if self.ext is not None else None
        except (KeyError, AttributeError, TypeError):
            return
        if gs is None:
            return
        for key, attr in (("/ca", "fill_alpha"), ("/CA", "stroke_alpha")):
            if key in gs:
                with contextlib.suppress(TypeError, ValueError):
                    setattr(self.st, attr, float(gs[key]))


def _raw(operand: Any) -> Any:
    """A string operand as its original bytes: pypdf decodes some font-encoded strings as text, and writing
    them back as text would change the bytes the font maps to glyphs."""
    from pypdf.generic import ArrayObject, ByteStringObject, TextStringObject

    if isinstance(operand, TextStringObject):
        return ByteStringObject(operand.original_bytes)
    if isinstance(operand, ArrayObject):
        return ArrayObject(_raw(x) for x in operand)
    return operand


def visible_content(page: Any, reader: Any, hidden: HiddenText) -> Any | None:
    """The page's content stream without the hidden text-showing operators, or None when nothing is hidden
    (the page is then extracted as it is). Counts what it drops into ``hidden``."""
    from pypdf.generic import ContentStream

    contents = page.get_contents()
    if contents is None:
        return None
    stream = contents if isinstance(contents, ContentStream) else ContentStream(contents, reader)
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    ext = resources.get("/ExtGState") if resources is not None else None
    box = page.cropbox
    walker = _Walker((float(box.left), float(box.bottom), float(box.right), float(box.top)),
                     ext.get_object() if ext is not None else None)
    kept: list[tuple[Any, bytes]] = []
    dropped = 0
    for operands, op in stream.operations:
        if op not in TEXT_SHOW:
            walker.step(operands, op)
            kept.append((operands, op))
            continue
        if op in (b"'", b'"'):
            walker.next_line()
        kind = walker.hidden_kind()
        if kind is None:
            kept.append(([_raw(x) for x in operands], op))
            continue
        hidden.kinds[kind] += 1
        dropped += 1
        if op in (b"'", b'"'):
            kept.append(([], b"T*"))  # keep the line move, drop the text
    if not dropped:
        return None
    stream.operations = kept
    return stream
