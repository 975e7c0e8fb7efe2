"""API upload tokens: what they name comes back only from a token we signed, unaltered; a Message-ID's key use
cannot be replayed as one; expiry is the token's own."""

from datetime import UTC, datetime

from gmail_tickets.domain.ticket_token import TicketTokens
from gmail_tickets.domain.upload_token import UploadRef, seal, unseal

KEYS = TicketTokens(b"k" * 32)
REF = UploadRef("attachments/abc", "form \"v2\".pdf", "application/pdf", 1234, "ana@acme.test", 1_800_000_000)


def test_a_token_names_what_was_sealed_and_nothing_else() -> None:
    token = seal(REF, KEYS.sign)
    assert token.startswith("gtu_") and unseal(token, KEYS.sign) == REF
    assert unseal(token, TicketTokens(b"o" * 32).sign) is None  # another desk's key
    body, mac = token.split(".")
    other = seal(UploadRef("attachments/evil", *list(REF.__dict__.values())[1:]), KEYS.sign)
    assert unseal(f"{other.split('.')[0]}.{mac}", KEYS.sign) is None  # a body swapped under a signature
    for junk in ("", "gtu_", "gtu_.", "gtu_!!.??", body, "x" * 5000, token + "A"):
        assert unseal(junk, KEYS.sign) is None


def test_purposes_do_not_share_signatures_and_expiry_is_kept() -> None:
    assert KEYS.sign("api-upload", b"x") != KEYS.sign("other", b"x")
    assert REF.expired(datetime(2027, 1, 16, tzinfo=UTC)) and not REF.expired(datetime(2027, 1, 15, tzinfo=UTC))
