"""Voting tokens: every forgery refused, rotation, kiosk keys, the server-side admission hook."""

from __future__ import annotations

import hashlib
import string
import subprocess
import sys

import pytest

from votesvc.voting import shortcodes
from votesvc.voting.tokens import (
    ONLINE,
    TOKEN_ID_BYTES,
    BadTokenSignature,
    IssuedRecord,
    KioskVerifier,
    MalformedToken,
    TokenClaims,
    TokenIssuer,
    TokenSpent,
    TokenStatus,
    TokenTestFlagMismatch,
    TokenVoid,
    UnknownToken,
    WrongChannel,
    WrongElection,
    admit,
    booth_channel,
    derive_channel_key,
    hash_token_id,
    hkdf_sha256,
    sign,
)

OLD, NEW, OTHER = (bytes([n]) * 32 for n in (1, 2, 3))
BOOTH_A, BOOTH_B = booth_channel(7), booth_channel(8)
ELECTION = "pb2026"


@pytest.fixture
def issuer() -> TokenIssuer:
    return TokenIssuer([NEW, OLD])


def test_hkdf_matches_rfc5869_case_1():
    okm = hkdf_sha256(
        bytes([0x0B]) * 22, salt=bytes(range(13)), info=bytes(range(0xF0, 0xFA)), length=42
    )
    assert okm.hex() == (
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865"
    )


@pytest.mark.parametrize("channel", [ONLINE, BOOTH_A])
@pytest.mark.parametrize("test", [False, True])
def test_issued_token_verifies_and_its_short_code_carries_the_id(issuer, channel, test):
    token = issuer.issue(ELECTION, channel, test=test)
    claims = issuer.verify(token.signed, expected_election=ELECTION, expected_channel=channel)
    assert claims == TokenClaims(ELECTION, channel, token.token_id, test)
    assert len(token.token_id) == TOKEN_ID_BYTES
    assert shortcodes.parse_code(token.short_code, TOKEN_ID_BYTES) == token.token_id
    assert token.signed.isascii() and len(token.signed) < 100


def test_token_ids_are_fresh(issuer):
    ids = {issuer.issue(ELECTION, ONLINE).token_id for _ in range(2000)}
    assert len(ids) == 2000


def test_wrong_server_key_is_refused(issuer):
    forged = TokenIssuer([OTHER]).issue(ELECTION, ONLINE)
    with pytest.raises(BadTokenSignature) as caught:
        issuer.verify(forged.signed, expected_election=ELECTION, expected_channel=ONLINE)
    assert caught.value.code == "token_bad_signature"


def test_booth_a_token_is_refused_at_booth_b_by_server_and_kiosk(issuer):
    token = issuer.issue(ELECTION, BOOTH_A)
    with pytest.raises(WrongChannel) as caught:
        issuer.verify(token.signed, expected_election=ELECTION, expected_channel=BOOTH_B)
    assert caught.value.code == "token_wrong_channel"
    kiosk_b = KioskVerifier(BOOTH_B, issuer.channel_keys(BOOTH_B))
    with pytest.raises(WrongChannel):
        kiosk_b.verify(token.signed, expected_election=ELECTION)
    with pytest.raises(WrongChannel):
        issuer.verify(token.signed, expected_election=ELECTION, expected_channel=ONLINE)


def test_a_kiosk_key_cannot_mint_for_another_booth_or_online(issuer):
    kiosk_a_keys = issuer.channel_keys(BOOTH_A)
    for target in (BOOTH_B, ONLINE):
        claims = TokenClaims(ELECTION, target, bytes(TOKEN_ID_BYTES))
        minted = sign(claims, kiosk_a_keys)
        with pytest.raises(BadTokenSignature):
            issuer.verify(minted, expected_election=ELECTION, expected_channel=target)
        with pytest.raises(BadTokenSignature):
            KioskVerifier(target, issuer.channel_keys(target)).verify(
                minted, expected_election=ELECTION
            )
    with pytest.raises(BadTokenSignature):
        KioskVerifier(BOOTH_B, kiosk_a_keys).verify(
            issuer.issue(ELECTION, BOOTH_B).signed, expected_election=ELECTION
        )


def test_other_election_is_refused(issuer):
    token = issuer.issue("pb2025", BOOTH_A)
    with pytest.raises(WrongElection) as caught:
        issuer.verify(token.signed, expected_election=ELECTION, expected_channel=BOOTH_A)
    assert caught.value.code == "token_wrong_election"
    kiosk = KioskVerifier(BOOTH_A, issuer.channel_keys(BOOTH_A))
    with pytest.raises(WrongElection):
        kiosk.verify(token.signed, expected_election=ELECTION)


def _edits(signed: str) -> list[str]:
    """Payload edits that keep the original signature."""
    payload, _, signature = signed.rpartition(".")
    version, election, channel, token_id = payload.split(".")[:4]
    other_id = shortcodes.encode_id(bytes(TOKEN_ID_BYTES))
    return [
        f"{version}.x{election}.{channel}.{token_id}.{signature}",
        f"{version}.{election}.{BOOTH_B}.{token_id}.{signature}",
        f"{version}.{election}.{channel}.{other_id}.{signature}",
        f"{version}.{election}.{channel}.{token_id}.t.{signature}",
    ]


def test_edited_payload_is_refused(issuer):
    token = issuer.issue(ELECTION, BOOTH_A)
    for edited in _edits(token.signed):
        claimed = edited.split(".")[2]
        with pytest.raises(BadTokenSignature):
            issuer.verify(edited, expected_election=edited.split(".")[1], expected_channel=claimed)


def test_removing_the_test_flag_is_refused(issuer):
    token = issuer.issue(ELECTION, BOOTH_A, test=True)
    real = token.signed.replace(".t.", ".")
    with pytest.raises(BadTokenSignature):
        issuer.verify(real, expected_election=ELECTION, expected_channel=BOOTH_A)


def test_every_single_character_change_is_refused(issuer):
    signed = issuer.issue(ELECTION, BOOTH_A).signed
    kiosk = KioskVerifier(BOOTH_A, issuer.channel_keys(BOOTH_A))
    for i, ch in enumerate(signed):
        changed = signed[:i] + ("A" if ch != "A" else "B") + signed[i + 1 :]
        for verify in (
            lambda s: issuer.verify(s, expected_election=ELECTION, expected_channel=BOOTH_A),
            lambda s: kiosk.verify(s, expected_election=ELECTION),
        ):
            with pytest.raises((BadTokenSignature, MalformedToken, WrongChannel, WrongElection)):
                verify(changed)


def test_a_signature_spelt_another_way_is_refused(issuer):
    """The last base64 character of a 32-byte signature has two unused bits: the three other
    spellings decode to the same bytes but are not the token that was issued."""
    signed = issuer.issue(ELECTION, BOOTH_A).signed
    alphabet = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"
    last = alphabet.index(signed[-1])
    kiosk = KioskVerifier(BOOTH_A, issuer.channel_keys(BOOTH_A))
    for unused_bits in (1, 2, 3):
        respelt = signed[:-1] + alphabet[last ^ unused_bits]
        with pytest.raises(BadTokenSignature):
            issuer.verify(respelt, expected_election=ELECTION, expected_channel=BOOTH_A)
        with pytest.raises(BadTokenSignature):
            kiosk.verify(respelt, expected_election=ELECTION)


def test_every_truncation_is_refused(issuer):
    signed = issuer.issue(ELECTION, ONLINE).signed
    for end in range(len(signed)):
        with pytest.raises((BadTokenSignature, MalformedToken)):
            issuer.verify(signed[:end], expected_election=ELECTION, expected_channel=ONLINE)


@pytest.mark.parametrize(
    "garbage",
    [
        "",
        "hello",
        "....",
        "v2.pb2026.online.0000000000000000.sig",
        "v1.pb2026.online.000000000000000.sig",
        "v1.pb2026.online.ZZZZZZZZZZZZZZZZZ.sig",
        "v1.pb2026.online.UUUUUUUUUUUUUUUU.sig",
        "v1.pb2026.online.0000000000000000.x.sig",
        "v1.pb2026.online.0000000000000000.t.t.sig",
        "v1.pb 2026.online.0000000000000000.sig",
        "v1.선거.online.0000000000000000.sig",
        "v1." + "e" * 65 + ".online.0000000000000000.sig",
        "v1.pb2026.online.0000000000000000." + "A" * 600,
    ],
)
def test_garbage_is_malformed(issuer, garbage):
    with pytest.raises(MalformedToken) as caught:
        issuer.verify(garbage, expected_election=ELECTION, expected_channel=ONLINE)
    assert caught.value.code == "token_malformed"


def test_well_formed_with_a_random_signature_is_refused(issuer):
    signed = issuer.issue(ELECTION, ONLINE).signed
    payload, _, signature = signed.rpartition(".")
    with pytest.raises(BadTokenSignature):
        issuer.verify(
            f"{payload}.{'A' * len(signature)}", expected_election=ELECTION, expected_channel=ONLINE
        )


def test_rotation_old_tokens_verify_new_tokens_use_the_newest_key():
    before = TokenIssuer([OLD]).issue(ELECTION, BOOTH_A)
    rotated = TokenIssuer([NEW, OLD])
    after = rotated.issue(ELECTION, BOOTH_A)
    for token in (before, after):
        rotated.verify(token.signed, expected_election=ELECTION, expected_channel=BOOTH_A)
        KioskVerifier(BOOTH_A, rotated.channel_keys(BOOTH_A)).verify(
            token.signed, expected_election=ELECTION
        )
    TokenIssuer([NEW]).verify(after.signed, expected_election=ELECTION, expected_channel=BOOTH_A)
    with pytest.raises(BadTokenSignature):
        TokenIssuer([OLD]).verify(
            after.signed, expected_election=ELECTION, expected_channel=BOOTH_A
        )
    with pytest.raises(BadTokenSignature):
        TokenIssuer([NEW]).verify(
            before.signed, expected_election=ELECTION, expected_channel=BOOTH_A
        )


def test_channel_keys_differ_by_channel_and_secret(issuer):
    keys = {derive_channel_key(s, c) for s in (OLD, NEW) for c in (ONLINE, BOOTH_A, BOOTH_B)}
    assert len(keys) == 6 and all(len(k) == 32 for k in keys)
    assert issuer.channel_keys(BOOTH_A) == (
        derive_channel_key(NEW, BOOTH_A),
        derive_channel_key(OLD, BOOTH_A),
    )
    assert OLD not in keys and NEW not in keys


def test_hash_token_id_is_keyed_and_stable():
    token_id = bytes(range(TOKEN_ID_BYTES))
    stored = hash_token_id(token_id, OLD)
    assert stored == hash_token_id(token_id, OLD)
    assert len(stored) == 64 and int(stored, 16) >= 0
    assert stored != hash_token_id(token_id, NEW)
    assert stored != hash_token_id(bytes(TOKEN_ID_BYTES), OLD)
    assert stored != hashlib.sha256(token_id).hexdigest()


@pytest.mark.parametrize(
    ("secrets", "message"),
    [([], "at least one"), ([b"short"], "32 bytes"), ([NEW, b"x" * 31], "32 bytes")],
)
def test_weak_secrets_are_refused(secrets, message):
    with pytest.raises(ValueError, match=message):
        TokenIssuer(secrets)


@pytest.mark.parametrize("name", ["", "a.b", "a b", "x" * 65, "부스"])
def test_unsafe_names_are_refused_at_issue(issuer, name):
    with pytest.raises(ValueError):
        issuer.issue(name, ONLINE)
    with pytest.raises(ValueError):
        issuer.issue(ELECTION, name)


class FakeLedger:
    """The service's store of issued ids, as a dict."""

    def __init__(self, records: dict[str, IssuedRecord]) -> None:
        self.records = records

    def record(self, id_hash: str) -> IssuedRecord | None:
        return self.records.get(id_hash)


def _admit(ledger, token_id, claimed_test=None, election=ELECTION, channel=BOOTH_A):
    return admit(
        ledger,
        hash_token_id(token_id, OLD),
        expected_election=election,
        expected_channel=channel,
        claimed_test=claimed_test,
    )


def test_a_validly_signed_id_never_issued_is_refused(issuer):
    kiosk_keys = issuer.channel_keys(BOOTH_A)
    minted_claims = TokenClaims(ELECTION, BOOTH_A, b"\x42" * TOKEN_ID_BYTES)
    minted = sign(minted_claims, kiosk_keys)
    claims = issuer.verify(minted, expected_election=ELECTION, expected_channel=BOOTH_A)
    issued = issuer.issue(ELECTION, BOOTH_A)
    ledger = FakeLedger(
        {hash_token_id(issued.token_id, OLD): IssuedRecord(ELECTION, BOOTH_A, TokenStatus.UNUSED)}
    )
    with pytest.raises(UnknownToken) as caught:
        _admit(ledger, claims.token_id, claimed_test=claims.test)
    assert caught.value.code == "token_unknown"
    assert _admit(ledger, issued.token_id, claimed_test=False) is TokenStatus.UNUSED


@pytest.mark.parametrize(
    ("status", "claimed_test", "outcome"),
    [
        (TokenStatus.UNUSED, None, TokenStatus.UNUSED),
        (TokenStatus.TEST, True, TokenStatus.TEST),
        (TokenStatus.TEST, None, TokenStatus.TEST),
        (TokenStatus.SPENT, False, TokenSpent),
        (TokenStatus.VOID, False, TokenVoid),
        (TokenStatus.TEST, False, TokenTestFlagMismatch),
        (TokenStatus.UNUSED, True, TokenTestFlagMismatch),
    ],
)
def test_admission_follows_the_stored_status(status, claimed_test, outcome):
    token_id = b"\x01" * TOKEN_ID_BYTES
    ledger = FakeLedger({hash_token_id(token_id, OLD): IssuedRecord(ELECTION, BOOTH_A, status)})
    if isinstance(outcome, TokenStatus):
        assert _admit(ledger, token_id, claimed_test) == outcome
    else:
        with pytest.raises(outcome):
            _admit(ledger, token_id, claimed_test)


def test_admission_checks_the_records_election_and_channel():
    """A short code carries no election or channel; the record must supply and match them."""
    token_id = b"\x02" * TOKEN_ID_BYTES
    ledger = FakeLedger(
        {hash_token_id(token_id, OLD): IssuedRecord(ELECTION, BOOTH_A, TokenStatus.UNUSED)}
    )
    with pytest.raises(WrongElection):
        _admit(ledger, token_id, election="pb2025")
    with pytest.raises(WrongChannel):
        _admit(ledger, token_id, channel=BOOTH_B)


def test_error_codes_are_distinct():
    errors = [
        MalformedToken, BadTokenSignature, WrongChannel, WrongElection, UnknownToken,
        TokenSpent, TokenVoid, TokenTestFlagMismatch,
    ]  # fmt: skip
    assert len({e.code for e in errors}) == len(errors)
    assert TokenSpent.code == "token_already_used"


@pytest.mark.parametrize(
    "module", ["votesvc.voting.tokens", "votesvc.voting.shortcodes", "votesvc.voting.sheets"]
)
def test_security_helpers_do_not_import_the_web_stack(module):
    code = (
        f"import sys, {module}\n"
        "print(','.join(sorted(n for n in sys.modules if n.split('.')[0] in "
        "{'flask', 'sqlalchemy', 'flask_sqlalchemy'})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
