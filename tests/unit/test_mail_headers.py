"""Headers: no odd header sinks a mail; the raw text is the fallback for anything the stdlib cannot parse."""

from gmail_tickets.mail.parse import NO_SUBJECT, UNKNOWN_SENDER, parse


def _mail(*headers: bytes, body: bytes = b"body") -> bytes:
    return b"\r\n".join(headers) + b"\r\n\r\n" + body


def test_exchange_message_id_is_kept_verbatim() -> None:
    exchange = b"<DB9PR01MB7353A1B2C3D4E5F6A7B8C9D0E1F2@DB9PR01MB7353.eurprd01.prod.exchangelabs.com>"
    mail = parse(_mail(b"From: a@x.example", b"Message-ID: " + exchange))
    assert mail.message_id == "DB9PR01MB7353A1B2C3D4E5F6A7B8C9D0E1F2@DB9PR01MB7353.eurprd01.prod.exchangelabs.com"


def test_folded_message_id_and_references_lose_their_whitespace() -> None:
    references = b"References: <r1@x>\r\n\t<r2@x> <r1@x>"
    mail = parse(_mail(b"From: a@x.example", b"Message-ID:\r\n <abc@x.example>", references))
    assert mail.message_id == "abc@x.example"
    assert mail.references == ["r1@x", "r2@x"]


def test_duplicate_message_id_headers_use_the_first() -> None:
    mail = parse(_mail(b"From: a@x.example", b"Message-ID: <first@x.example>", b"Message-ID: <second@x.example>"))
    assert mail.message_id == "first@x.example"
    assert "2 message-id headers; the first is used" in mail.problems


def test_missing_message_id_is_derived_from_the_bytes() -> None:
    raw = _mail(b"From: a@x.example", b"Subject: no id")
    first, again, other = parse(raw), parse(raw), parse(raw.replace(b"body", b"bodY"))
    assert first.message_id == again.message_id
    assert first.message_id != other.message_id
    assert first.message_id.endswith("@derived.gmail-tickets")
    assert "no Message-ID; one derived from the content" in first.problems


def test_trailing_commas_and_semicolons_in_address_lists() -> None:
    mail = parse(_mail(b"From: a@x.example", b"To: b@x.example; c@y.example;", b"Cc: Dee <d@x.example>,, ,"))
    assert mail.to == ["b@x.example", "c@y.example"]
    assert mail.cc == ["d@x.example"]


def test_broken_encoded_words_are_left_as_text() -> None:
    subject = b"Subject: =?utf-8?B?SGVsbG8=?= =?utf-8?q?unterminated"
    mail = parse(_mail(b"From: =?utf-8?q?broken <a@x.example>", subject))
    assert mail.from_address == "a@x.example"
    assert mail.subject == "Hello =?utf-8?q?unterminated"


def test_encoded_word_split_inside_a_character_is_joined() -> None:
    euro = "€".encode()
    import base64

    first, second = base64.b64encode(euro[:2]), base64.b64encode(euro[2:])
    mail = parse(_mail(b"From: a@x.example", b"Subject: =?utf-8?B?" + first + b"?= =?utf-8?B?" + second + b"?= 5"))
    assert mail.subject == "€ 5"


def test_non_ascii_raw_bytes_in_headers() -> None:
    mail = parse(_mail("From: Élodie Durand <e@x.fr>".encode(), b"Subject: R\xe9ponse \x96 urgent"))
    assert mail.from_name == "Élodie Durand"
    assert mail.subject == "Réponse – urgent"  # not UTF-8: read as cp1252
    assert "raw 8-bit bytes in header subject decoded as cp1252" in mail.problems


def test_raw_header_bytes_use_the_mails_charset() -> None:
    content_type = b"Content-Type: text/plain; charset=gb2312"
    mail = parse(_mail(b"From: a@x.example", "Subject: 你好".encode("gb2312"), content_type))
    assert mail.subject == "你好"


def test_mislabelled_charset_in_an_encoded_word() -> None:
    import base64

    name = base64.b64encode("王𠀀".encode("gb18030"))  # 𠀀 exists in gb18030 only
    mail = parse(_mail(b"From: =?gb2312?B?" + name + b"?= <w@x.cn>"))
    assert mail.from_name == "王𠀀"
    assert mail.from_address == "w@x.cn"


def test_unparseable_date_is_none_and_noted() -> None:
    mail = parse(_mail(b"From: a@x.example", b"Date: yesterday at noon"))
    assert mail.date is None
    assert "unparseable date header" in mail.problems


def test_requester_falls_back_to_unknown_sender() -> None:
    assert parse(_mail(b"From: Support Team", b"Subject: s")).requester == UNKNOWN_SENDER
    assert parse(_mail(b"From: Support Team", b"Subject: s")).from_name == "Support Team"
    assert parse(_mail(b"From: x <a@x.example>", b"Reply-To: <>")).requester == "a@x.example"
    assert parse(_mail(b"From: a@x.example", b"Reply-To: R <R@Y.example>")).requester == "a@x.example"
    assert parse(_mail(b"From: a@x.example", b"Reply-To: R <R@Y.example>")).reply_to == "r@y.example"


def test_empty_subject_is_no_subject() -> None:
    assert parse(_mail(b"From: a@x.example", b"Subject:   ")).subject == NO_SUBJECT
    assert parse(_mail(b"From: a@x.example")).subject == NO_SUBJECT


def test_headers_dict_holds_first_decoded_values() -> None:
    mail = parse(_mail(b"From: a@x.example", b"X-Thing: =?utf-8?q?caf=C3=A9?=", b"X-Thing: second"))
    assert mail.headers["x-thing"] == "café"
