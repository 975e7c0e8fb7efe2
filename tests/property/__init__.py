"""Property tests of the mail parser. `assert_sound` is the contract every parsed mail must meet; the corpus test
in tests/unit uses it too."""

from gmail_tickets.mail import sanitize
from gmail_tickets.mail.parse import UNKNOWN_SENDER, InboundEmail, new_part


def assert_sound(mail: InboundEmail) -> None:
    """What ingestion relies on, whatever the input bytes were."""
    assert mail.requester and ("@" in mail.requester or mail.requester == UNKNOWN_SENDER)
    assert mail.subject.strip()
    assert mail.message_id and not any(c.isspace() for c in mail.message_id)
    assert "/" in mail.content_type
    if mail.html_body is not None:
        assert sanitize.clean(mail.html_body) == mail.html_body  # already clean: nh3 changes nothing
    for attachment in mail.attachments:
        assert attachment.size == len(attachment.data)
        assert attachment.filename and "/" in attachment.content_type
        assert "/" not in attachment.filename and "\\" not in attachment.filename
    if not mail.is_delivery_report:
        assert mail.original_message_id is None
    texts = [mail.subject, mail.from_name, mail.text_body, mail.html_body or "", *mail.headers.values(),
             *mail.problems, *(a.filename for a in mail.attachments)]
    for text in texts:
        text.encode("utf-8")  # storable: no lone surrogates anywhere
    assert all(len(p) < 200 for p in mail.problems)
    assert len(new_part(mail.text_body)) <= len(mail.text_body)
