"""Token sheets: QR codes decode back to the signed tokens, Hangul is embedded, nothing overlaps."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
import reportlab
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from votesvc.voting.links import VotingPage
from votesvc.voting.sheets import (
    COLUMNS,
    PACKAGED_FONT,
    QR_QUIET_MODULES,
    ROWS,
    Box,
    CardLayout,
    KoreanFontError,
    find_korean_font,
    fit,
    qr_for,
    register_korean_font,
    render_sheets,
)
from votesvc.voting.tokens import ONLINE, TokenIssuer, booth_channel

ELECTION_NAME = "2026년 성북구 주민참여예산 주민투표"
BOOTH_NAME = "길음1동 주민센터 · Gireum 1-dong Community Centre"


@pytest.fixture(scope="module")
def batch():
    issuer = TokenIssuer([b"s" * 32])
    return [issuer.issue("pb2026", booth_channel(12), test=i == 4) for i in range(9)]


@pytest.fixture(scope="module")
def pdf(batch) -> bytes:
    return render_sheets(batch, election_name=ELECTION_NAME, booth_name=BOOTH_NAME)


def rendered_pages(pdf: bytes) -> list[tuple[object, str]]:
    """Each page as (grey image at 100 dpi, extracted text), via PDFium (no system packages)."""
    pdfium = pytest.importorskip("pypdfium2")
    document = pdfium.PdfDocument(pdf)
    rendered = []
    for page in document:
        image = page.render(scale=100 / 72, grayscale=True).to_pil()
        rendered.append((image, page.get_textpage().get_text_range()))
    return rendered


def decoded_qr_codes(pages: list[tuple[object, str]]) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    return [r.text for image, _ in pages for r in zxingcpp.read_barcodes(image)]


@pytest.fixture(scope="module")
def pages(pdf):
    return rendered_pages(pdf)


def test_every_qr_code_decodes_to_its_signed_token(batch, pages):
    assert len(pages) == 2
    assert sorted(decoded_qr_codes(pages)) == sorted(token.signed for token in batch)


ONLINE_ISSUER = TokenIssuer([b"o" * 32])
VOTING_PAGE = VotingPage("https://vote.seongbuk.example.kr", 12)


@pytest.fixture(scope="module")
def online_batch():
    return [ONLINE_ISSUER.issue("12", ONLINE) for _ in range(3)]


@pytest.fixture(scope="module")
def online_pages(online_batch):
    pdf = render_sheets(
        online_batch, election_name=ELECTION_NAME, booth_name="온라인", voting_page=VOTING_PAGE
    )
    return rendered_pages(pdf)


def test_online_qr_codes_are_voting_links_carrying_the_token_after_the_hash(
    online_batch, online_pages
):
    links = decoded_qr_codes(online_pages)
    prefix = "https://vote.seongbuk.example.kr/elections/12/vote#code="
    assert len(links) == len(online_batch) and all(link.startswith(prefix) for link in links)
    signed = [link.removeprefix(prefix) for link in links]
    assert sorted(signed) == sorted(token.signed for token in online_batch)
    for text in signed:
        claims = ONLINE_ISSUER.verify(text, expected_election="12", expected_channel=ONLINE)
        assert claims.token_id in {token.token_id for token in online_batch}


def test_online_cards_print_the_short_address_beside_the_short_code(online_batch, online_pages):
    text = " ".join(page_text for _, page_text in online_pages)
    assert text.count("vote.seongbuk.example.kr/e/12") == len(online_batch)
    for token in online_batch:
        assert re.search(rf"vote\.seongbuk\.example\.kr/e/12\s*{token.short_code}", text)
    assert text.count("open the address below") == len(online_batch)


def test_booth_cards_keep_the_bare_token_and_no_address(pages):
    text = " ".join(page_text for _, page_text in pages)
    assert "/e/" not in text and "open the address" not in text


def test_cards_carry_names_instructions_and_short_codes(batch, pages):
    text = re.sub(r"\s+", " ", " ".join(page_text for _, page_text in pages))
    for token in batch:
        assert token.short_code in text
    assert text.count(ELECTION_NAME) == len(batch)
    assert text.count("Gireum 1-dong") == len(batch)
    assert text.count("투표하세요") == len(batch)
    assert text.count("type the code") == len(batch)
    assert text.count("not counted") == sum(token.claims.test for token in batch) == 1


def test_korean_font_is_embedded(pdf):
    assert re.search(rb"/BaseFont /[A-Z]{6}\+NanumGothic\b", pdf)
    assert b"/FontFile2" in pdf


def test_rendering_is_reproducible(batch, pdf):
    assert render_sheets(batch, election_name=ELECTION_NAME, booth_name=BOOTH_NAME) == pdf


def test_eight_cards_a_page():
    issuer = TokenIssuer([b"s" * 32])
    tokens = [issuer.issue("e", "online") for _ in range(17)]
    rendered = render_sheets(tokens, election_name="e", booth_name="온라인")
    assert COLUMNS * ROWS == 8
    assert rendered.count(b"/Type /Page\n") == 3


def test_card_parts_do_not_overlap_and_stay_on_the_card():
    layout = CardLayout.for_page()
    for part in layout.parts():
        assert part.inside(layout.card) and part.width > 0 and part.height > 0
    for a, b in itertools.combinations(layout.parts(), 2):
        assert not a.overlaps(b), (a, b)


def test_qr_stays_scannable_for_the_longest_token():
    layout = CardLayout.for_page()
    longest = "v1." + "e" * 64 + "." + "c" * 64 + ".0000000000000000.t." + "A" * 43
    for text in (longest, TokenIssuer([b"s" * 32]).issue("1", "online").signed):
        modules = len(qr_for(text).matrix)
        module_mm = layout.qr.width / (modules + 2 * QR_QUIET_MODULES) / mm
        assert modules * module_mm >= 25 and module_mm >= 0.5


@pytest.mark.parametrize(
    "text",
    [
        "짧은 이름",
        "아주긴선거이름이공백없이계속이어지는경우에도상자밖으로나가면안됩니다" * 3,
        "word " * 80,
    ],
)
def test_fitted_text_stays_in_its_box(text):
    font = register_korean_font()
    box = Box(0, 0, 50 * mm, 9 * mm)
    lines, size = fit(text, font, 11, box)
    assert len(lines) * size * 1.2 <= box.height
    assert all(pdfmetrics.stringWidth(line, font, size) <= box.width for line in lines)
    assert "".join(lines).replace(" ", "").rstrip("…") in text.replace(" ", "")


def test_missing_font_says_how_to_get_one(tmp_path):
    with pytest.raises(KoreanFontError, match="apt-get install fonts-nanum"):
        find_korean_font(candidates=[tmp_path / "none.ttf"])
    with pytest.raises(KoreanFontError, match=r"none\.ttf not found"):
        register_korean_font(tmp_path / "none.ttf")


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError, match="at least one token"):
        render_sheets([], election_name="e", booth_name="b")


def test_packaged_font_is_found_first():
    assert find_korean_font() == PACKAGED_FONT
    assert (PACKAGED_FONT.parent / "OFL.txt").read_text().startswith("Copyright (c) 2010, NAVER")


def test_explicit_font_path_is_used(batch):
    rendered = render_sheets(batch[:1], election_name="e", booth_name="b", font_path=PACKAGED_FONT)
    assert b"NanumGothic" in rendered


def test_unloadable_font_file_is_refused_clearly(tmp_path):
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"OTTO" + bytes(200))
    with pytest.raises(KoreanFontError, match="not a TrueType font reportlab can embed"):
        register_korean_font(junk)


def test_font_without_hangul_is_refused():
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
    with pytest.raises(KoreanFontError, match="no Hangul"):
        register_korean_font(vera)
