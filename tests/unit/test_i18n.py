"""The catalogues: compiled in memory from the .po files, complete in both languages, and the
Korean particle after a number or a word."""

from __future__ import annotations

import pytest

from votesvc.i18n import LANGUAGES, both, has, translate, translations
from votesvc.i18n.korean import resolve_particles


def test_each_language_reads_its_own_catalogue() -> None:
    assert translate("ko", "token_already_used") == "이미 사용된 투표 코드입니다."
    assert translate("en", "token_already_used") == "This voting code was already used."
    assert both("not_found") == {"en": "Not found.", "ko": "찾을 수 없습니다."}
    assert has("not_found", "ko") and not has("no_such_message", "ko")


def test_the_catalogues_compile_once_per_process() -> None:
    assert all(translations(lang) is translations(lang) for lang in LANGUAGES)
    with pytest.raises(ValueError, match="fr"):
        translations("fr")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("사업비 1,000원을(를) 쓰고", "사업비 1,000원을 쓰고"),
        ("사업비는 5,000원이었(였)습니다", "사업비는 5,000원이었습니다"),
        ("예산(이)나 학교(이)나", "예산이나 학교나"),
        ("예산 2,100,000원이(가) 남았습니다", "예산 2,100,000원이 남았습니다"),
        ("남은 예산 3원(으)로", "남은 예산 3원으로"),
        ("서울(으)로", "서울로"),
        ("학교(으)로", "학교로"),
        ("P1이(가) 예산", "P1이 예산"),  # 일
        ("P2이(가) 예산", "P2가 예산"),  # 이
        ("10을(를)", "10을"),  # 십
        ("1,204을(를)", "1,204를"),  # 천이백사
        ("30,000이(가)", "30,000이"),  # 삼만
        ("100000000이(가)", "100000000이"),  # 일억
        ("10000000000000000이(가)", "10000000000000000이"),  # 일경
        ("1000000000000와(과)", "1000000000000와"),  # 일조
        ("0이었(였)", "0이었"),  # 영
        ("3.25을(를)", "3.25를"),  # 삼 점 이오
        ("A(으)로", "A(으)로"),  # unknown reading: the pair stays
        ("published(으)로 바꿀", "published(으)로 바꿀"),
        ("333.33 EUR을(를)", "333.33 EUR을(를)"),
        ("안건 A과(와) B은(는)", "안건 A과(와) B은(는)"),
        ("공원과(와) 도서관은(는)", "공원과 도서관은"),
        ("바다와(과) 하늘는(은)", "바다와 하늘은"),
    ],
)
def test_korean_particles_follow_what_is_written(text: str, expected: str) -> None:
    assert resolve_particles(text) == expected
