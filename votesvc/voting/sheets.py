"""Printable token sheets: one PDF per batch, eight tokens to an A4 page in a cut grid.

Each card carries the signed token as a QR code (vector, so it prints sharp at any size), the
short code to type when a scanner fails, the election and booth names, and a one-line
instruction in Korean and English. A test token is marked as such on its card.

Online sheets (a :class:`~votesvc.voting.links.VotingPage` is given) lead to the voting page: the
QR code holds the voting link with the token after ``#``, so a phone's camera opens the page
with the code filled in, and the short address in words is printed beside the short code for
those who type. Booth sheets keep the bare token in the QR code: kiosks scan it.

Fonts. reportlab embeds TrueType fonts with ``glyf`` outlines only: OpenType/CFF files such as
Noto Sans CJK (``.otf``, Debian's ``fonts-noto-cjk``) are refused. The package ships NAVER's
Nanum Gothic (SIL Open Font License 1.1, ``votesvc/voting/fonts/OFL.txt``), so a fresh ``pip
install``
prints Hangul with nothing else installed. No PyPI package offered a better fit: the Korean
Noto packages hold CFF ``.otf`` files or a variable font whose default instance is Thin, and
the packages that bundle Nanum pull in matplotlib. A font can be named explicitly (any TrueType
file with Hangul); system paths are the fallback when the packaged file was stripped.

A sheet is a stack of live bearer credentials: render it for an administrator, never store it.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from reportlab.lib.colors import black, white
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

from votesvc.i18n import N_, translate
from votesvc.voting.links import VotingPage
from votesvc.voting.tokens import IssuedToken

PACKAGED_FONT = Path(__file__).with_name("fonts") / "NanumGothic.ttf"
FONT_CANDIDATES: tuple[Path, ...] = (
    PACKAGED_FONT,
    Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf"),
    Path("/usr/share/fonts/truetype/nanum/NanumBarunGothic.ttf"),
    Path("C:/Windows/Fonts/malgun.ttf"),
)
"""Where a Korean TrueType font is looked for when none is named, in this order."""

INSTRUCTION = N_("Scan the QR code or type the code below to vote. It works only once.")
ONLINE_INSTRUCTION = N_(
    "Scan the QR code with a phone, or open the address below and type the code to vote. "
    "It works only once."
)
"""Printed in Korean and in English on every booth or online card (the catalogues' texts)."""
TEST_MARK = "시험용 TEST · 집계되지 않음 · not counted"

CODE_FONT = "Courier-Bold"
"""Monospaced, so the short code's groups line up with what people type; built into PDF."""
CODE_SIZE = 14
ADDRESS_SIZE = 10

COLUMNS, ROWS = 2, 4
LEADING = 1.2
"""Line height as a multiple of the font size."""
QR_QUIET_MODULES = 4
"""The quiet zone the QR standard asks for, kept inside the card's QR box."""


class KoreanFontError(RuntimeError):
    """No usable Korean TrueType font; the message says how to get one."""


@dataclass(frozen=True, slots=True)
class Box:
    """A rectangle in points, origin at the card's lower-left corner."""

    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )

    def inside(self, other: Box) -> bool:
        return (
            other.x <= self.x
            and other.y <= self.y
            and self.x + self.width <= other.x + other.width
            and self.y + self.height <= other.y + other.height
        )


@dataclass(frozen=True, slots=True)
class CardLayout:
    """Where each element of a card goes; computed once from the page and grid."""

    card: Box
    election: Box
    booth: Box
    qr: Box
    instructions: Box
    test_mark: Box
    code: Box

    @classmethod
    def for_page(cls, page: tuple[float, float] = A4) -> CardLayout:
        width, height = page[0] / COLUMNS, page[1] / ROWS
        pad, gap = 5 * mm, 2 * mm
        inner = width - 2 * pad
        code = Box(pad, pad, inner, 6 * mm)
        booth = Box(pad, height - pad - 13 * mm, inner, 4 * mm)
        election = Box(pad, booth.y + booth.height, inner, 9 * mm)
        qr_bottom = code.y + code.height + gap / 2
        qr_side = booth.y - gap / 2 - qr_bottom
        qr = Box(pad - 2 * mm, qr_bottom, qr_side, qr_side)
        text_x = qr.x + qr.width + gap
        text_width = width - pad - text_x
        test_mark = Box(text_x, qr.y + gap, text_width, 9 * mm)
        instructions_y = test_mark.y + test_mark.height + gap
        instructions = Box(text_x, instructions_y, text_width, booth.y - gap - instructions_y)
        return cls(Box(0, 0, width, height), election, booth, qr, instructions, test_mark, code)

    def parts(self) -> tuple[Box, ...]:
        return (self.election, self.booth, self.qr, self.instructions, self.test_mark, self.code)


def find_korean_font(
    path: Path | str | None = None, candidates: Iterable[Path] = FONT_CANDIDATES
) -> Path:
    """The font to use: ``path`` if given (it must work), else the first candidate that exists."""
    if path is not None:
        if not Path(path).is_file():
            raise KoreanFontError(f"font file {path} not found")
        return Path(path)
    tried = list(candidates)
    for candidate in tried:
        if candidate.is_file():
            return candidate
    raise KoreanFontError(
        "No Korean TrueType font found (looked in: "
        + ", ".join(str(c) for c in tried)
        + "). Pass font_path= a TrueType (.ttf) font with Hangul, or install one, e.g. "
        "`apt-get install fonts-nanum` on Debian/Ubuntu. OpenType/CFF fonts (.otf, Noto CJK) "
        "cannot be embedded by reportlab."
    )


def register_korean_font(path: Path | str | None = None) -> str:
    """Registers the Korean font with reportlab and returns its name there.

    The name is derived from the file's path, so registering twice is harmless and two fonts
    never shadow each other in reportlab's global registry.
    """
    font_path = find_korean_font(path)
    name = "votesvc-ko-" + hashlib.sha256(str(font_path.resolve()).encode()).hexdigest()[:12]
    if name in pdfmetrics.getRegisteredFontNames():
        return name
    try:
        font = TTFont(name, str(font_path))
    except (OSError, TTFError) as error:
        raise KoreanFontError(
            f"{font_path} is not a TrueType font reportlab can embed ({error}); "
            "use a .ttf with glyf outlines such as Nanum Gothic (`apt-get install fonts-nanum`)"
        ) from error
    if ord("가") not in font.face.charToGlyph:
        raise KoreanFontError(f"{font_path} has no Hangul glyphs; use a Korean font")
    pdfmetrics.registerFont(font)
    return name


def render_sheets(
    tokens: Sequence[IssuedToken],
    *,
    election_name: str,
    booth_name: str,
    voting_page: VotingPage | None = None,
    font_path: Path | str | None = None,
    instructions: tuple[str, str] | None = None,
) -> bytes:
    """The batch's PDF: ``COLUMNS`` × ``ROWS`` cards a page, dashed lines to cut along.

    ``voting_page`` makes online cards (link QR, short address); without it, booth cards.
    ``instructions`` (Korean, English) replace the default lines for that kind of card.

    Output is byte-for-byte reproducible for the same input (reportlab's invariant mode), so a
    reprint can be compared with the first print.
    """
    if not tokens:
        raise ValueError("a sheet needs at least one token")
    font = register_korean_font(font_path)
    if instructions is None:
        text = INSTRUCTION if voting_page is None else ONLINE_INSTRUCTION
        instructions = (translate("ko", text), translate("en", text))
    layout = CardLayout.for_page(A4)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True, pageCompression=1)
    canvas.setTitle(f"{election_name} · {booth_name}")
    per_page = COLUMNS * ROWS
    for start in range(0, len(tokens), per_page):
        _cut_lines(canvas, layout.card)
        for slot, token in enumerate(tokens[start : start + per_page]):
            column, row = slot % COLUMNS, slot // COLUMNS
            canvas.saveState()
            canvas.translate(column * layout.card.width, A4[1] - (row + 1) * layout.card.height)
            _card(
                canvas, layout, font, token, (election_name, booth_name), instructions, voting_page
            )
            _code_line(canvas, layout.code, font, token, voting_page)
            canvas.restoreState()
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def qr_for(text: str) -> segno.QRCode:
    """The QR code of a signed token or a voting link: error level M at least (segno raises it
    when free)."""
    return segno.make(text, error="m", micro=False)


def qr_text(token: IssuedToken, voting_page: VotingPage | None) -> str:
    """What a card's QR code holds: the voting link online, the bare token at a booth."""
    return token.signed if voting_page is None else voting_page.link(token.signed)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Greedy line breaking at spaces; a word wider than the line is broken between
    characters (Korean names often have no spaces to break at)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        line = ""
        for ch in word:
            if pdfmetrics.stringWidth(line + ch, font, size) > width and line:
                lines.append(line)
                line = ""
            line += ch
    return [*lines, line] if line else lines


def fit(text: str, font: str, size: float, box: Box) -> tuple[list[str], float]:
    """Lines and font size that fit ``box``: shrink to 60 % of ``size``, then cut with '…'."""
    smallest = size * 0.6
    while True:
        lines = wrap(text, font, size, box.width)
        room = max(1, int(box.height // (size * LEADING)))
        if len(lines) <= room:
            return lines, size
        if size <= smallest:
            kept = lines[:room]
            last = kept[-1]
            while last and pdfmetrics.stringWidth(last + "…", font, size) > box.width:
                last = last[:-1]
            return [*kept[:-1], last + "…"], size
        size = max(smallest, size - 0.5)


def _card(
    canvas: Canvas,
    layout: CardLayout,
    font: str,
    token: IssuedToken,
    names: tuple[str, str],
    instructions: tuple[str, str],
    voting_page: VotingPage | None,
) -> None:
    """Everything on one card but the code line (:func:`_code_line`)."""
    election_name, booth_name = names
    _text(canvas, election_name, font, 11, layout.election)
    _text(canvas, booth_name, font, 8.5, layout.booth)
    _qr(canvas, qr_for(qr_text(token, voting_page)), layout.qr)
    box = layout.instructions
    for text, size in zip(instructions, (8.5, 8), strict=True):
        used = _text(canvas, text, font, size, box)
        box = Box(box.x, box.y, box.width, box.height - used - 2 * mm)
    if token.claims.test:
        mark = layout.test_mark
        canvas.setLineWidth(1)
        canvas.rect(mark.x, mark.y, mark.width, mark.height, stroke=1, fill=0)
        inset = Box(mark.x + 1 * mm, mark.y, mark.width - 2 * mm, mark.height - 1 * mm)
        _text(canvas, TEST_MARK, font, 9, inset)


def _code_line(
    canvas: Canvas, code: Box, font: str, token: IssuedToken, voting_page: VotingPage | None
) -> None:
    """The short code, centred on a booth card; on an online card set right, with the short
    address in words on its left (shrunk to fit the room the code leaves)."""
    canvas.setFont(CODE_FONT, CODE_SIZE)
    baseline = code.y + 1.5 * mm
    if voting_page is None:
        canvas.drawCentredString(code.x + code.width / 2, baseline, token.short_code)
        return
    canvas.drawRightString(code.x + code.width, baseline, token.short_code)
    room = code.width - pdfmetrics.stringWidth(token.short_code, CODE_FONT, CODE_SIZE) - 2 * mm
    address = voting_page.short_address
    size = min(
        ADDRESS_SIZE, ADDRESS_SIZE * room / pdfmetrics.stringWidth(address, font, ADDRESS_SIZE)
    )
    canvas.setFont(font, size)
    canvas.drawString(code.x, baseline, address)


def _text(canvas: Canvas, text: str, font: str, size: float, box: Box) -> float:
    """Top-aligned lines fitted into ``box``; returns the height they take."""
    lines, size = fit(text, font, size, box)
    canvas.setFont(font, size)
    top = box.y + box.height
    for number, line in enumerate(lines, start=1):
        canvas.drawString(box.x, top - size - (number - 1) * size * LEADING, line)
    return len(lines) * size * LEADING


def _qr(canvas: Canvas, qr: segno.QRCode, box: Box) -> None:
    """Dark modules as one filled path of horizontal runs, on a white quiet zone.

    The path is written as PDF operators in module units (integers) under a scaling matrix:
    drawing a few hundred rectangles one by one through reportlab's number formatting took
    longer than the rest of the card.
    """
    unit = box.width / (len(qr.matrix) + 2 * QR_QUIET_MODULES)
    canvas.saveState()
    canvas.setFillColor(white)
    canvas.rect(box.x, box.y, box.width, box.height, stroke=0, fill=1)
    canvas.setFillColor(black)
    quiet = QR_QUIET_MODULES * unit
    canvas.transform(unit, 0, 0, -unit, box.x + quiet, box.y + box.height - quiet)
    runs = [f"{c} {r} {n} 1 re" for r, row in enumerate(qr.matrix) for c, n in _dark_runs(row)]
    canvas.addLiteral("\n".join(runs) + "\nf")
    canvas.restoreState()


def _dark_runs(row: Iterable[int]) -> Iterator[tuple[int, int]]:
    """(start, length) of each run of dark modules in a matrix row."""
    start = 0
    for dark, group in itertools.groupby(row):
        length = sum(1 for _ in group)
        if dark:
            yield start, length
        start += length


def _cut_lines(canvas: Canvas, card: Box) -> None:
    canvas.saveState()
    canvas.setDash(3, 3)
    canvas.setLineWidth(0.3)
    canvas.setStrokeGray(0.6)
    for column in range(1, COLUMNS):
        canvas.line(column * card.width, 0, column * card.width, A4[1])
    for row in range(1, ROWS):
        canvas.line(0, row * card.height, A4[0], row * card.height)
    canvas.restoreState()
