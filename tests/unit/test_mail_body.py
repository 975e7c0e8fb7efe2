"""Body: text/plain preferred, text derived from HTML when that is all there is, any nesting, sanitized HTML."""

from gmail_tickets.mail.html_text import html_to_text
from gmail_tickets.mail.parse import parse
from gmail_tickets.mail.sanitize import clean

HEAD = b"From: a@x.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"


def _part(ctype: bytes, body: bytes, *extra: bytes) -> bytes:
    return b"Content-Type: " + ctype + b"\r\n" + b"".join(e + b"\r\n" for e in extra) + b"\r\n" + body + b"\r\n"


def _multipart(subtype: bytes, boundary: bytes, *parts: bytes) -> bytes:
    inner = b"".join(b"--" + boundary + b"\r\n" + p for p in parts)
    return _part(b"multipart/" + subtype + b'; boundary="' + boundary + b'"', inner + b"--" + boundary + b"--")


def test_text_plain_is_preferred_over_html() -> None:
    plain, html = _part(b"text/plain", b"plain words"), _part(b"text/html", b"<p>html words</p>")
    body = _multipart(b"alternative", b"a", plain, html)
    mail = parse(HEAD + body)
    assert mail.text_body == "plain words"
    assert mail.html_body == "<p>html words</p>"


def test_html_only_mail_gets_derived_text() -> None:
    html = b"<div>Hello<br>there</div><ul><li>one</li><li>two</li></ul>"
    mail = parse(HEAD + _part(b"text/html; charset=utf-8", html))
    assert mail.text_body == "Hello\nthere\n\n- one\n- two"


def test_nested_multiparts() -> None:
    related = _multipart(
        b"related", b"r",
        _part(b"text/html", b'<p>See <img src="cid:logo@x"></p>'),
        _part(b"image/png", b"iVBORw0KGgo=", b"Content-ID: <logo@x>", b"Content-Transfer-Encoding: base64"),
    )
    alternative = _multipart(b"alternative", b"a", _part(b"text/plain", b"See the logo"), related)
    mixed = _multipart(
        b"mixed", b"m", alternative,
        _part(b"application/pdf", b"JVBERi0=", b"Content-Disposition: attachment; filename=a.pdf",
              b"Content-Transfer-Encoding: base64"),
        _part(b"text/plain", b"-- list footer"),
    )
    mail = parse(HEAD + mixed)
    assert mail.text_body == "See the logo\n\n-- list footer"
    assert mail.html_body == '<p>See <img src="cid:logo@x"></p>'
    assert [(a.filename, a.content_id, a.inline) for a in mail.attachments] == [
        ("image.png", "logo@x", True),
        ("a.pdf", None, False),
    ]


def test_html_only_alternative_branch_inside_mixed() -> None:
    body = _multipart(b"mixed", b"m", _multipart(b"alternative", b"a", _part(b"text/html", b"<b>bold</b> move")))
    assert parse(HEAD + body).text_body == "bold move"


def test_multipart_without_parts_is_read_as_text() -> None:
    mail = parse(HEAD + b"Content-Type: multipart/mixed\r\n\r\nno boundary here")
    assert mail.text_body == "no boundary here"
    assert "multipart/mixed without parts in part 1; read as text" in mail.problems


def test_very_deep_nesting_is_capped_not_fatal() -> None:
    raw = HEAD + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, 60):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i)
    raw += b"--b59\r\nContent-Type: text/plain\r\n\r\ndeep\r\n"
    mail = parse(raw)
    assert any("MIME nesting deeper than" in p for p in mail.problems)


def test_nesting_past_the_recursion_limit_falls_back_to_text() -> None:
    raw = HEAD + b"Content-Type: multipart/mixed; boundary=b0\r\n\r\n"
    for i in range(1, 2000):
        raw += b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (i - 1, i)
    mail = parse(raw)
    assert mail.requester == "a@x.example"
    assert "MIME structure could not be parsed; body read as plain text" in mail.problems


def test_crlf_becomes_newline() -> None:
    mail = parse(HEAD + b"Content-Type: text/plain\r\n\r\nline 1\r\nline 2\rline 3")
    assert mail.text_body == "line 1\nline 2\nline 3"


def test_html_body_is_sanitized() -> None:
    html = (
        b'<html><head><style>p{color:red}</style><script>alert(1)</script></head><body onload="x()">'
        b'<p style="color:red" onclick="steal()">Hi <a href="javascript:alert(1)">js</a> '
        b'<a href="https://ok.example/">ok</a> <a href="mailto:s@x.example">mail</a></p>'
        b'<img src="cid:image001.png@01D9ABCD.12345670"><img src="http://tracker.example/p.gif">'
        b'<img src="https://cdn.example/logo.png" onerror="x()"><img src="data:image/png;base64,AAAA">'
        b'<form action="https://evil.example"><input name="pw">Login</form><iframe src="https://x.example"></iframe>'
        b"<!-- comment --></body></html>"
    )
    mail = parse(HEAD + _part(b"text/html; charset=utf-8", html))
    assert mail.html_body is not None
    out = mail.html_body
    for banned in ("<script", "<style", "onclick", "onload", "onerror", "javascript:", "<form", "<input", "<iframe",
                   "http://tracker", "data:", "comment", "color:red"):
        assert banned not in out, banned
    assert 'src="cid:image001.png@01D9ABCD.12345670"' in out  # kept as it is for the web view to map
    assert '<img data-remote-src="https://cdn.example/logo.png">' in out  # kept, but not loaded on view
    assert 'href="https://ok.example/"' in out and 'href="mailto:s@x.example"' in out
    assert clean(out) == out


def test_sanitizer_output_is_stable_and_safe() -> None:
    for markup in ["<p>a<div>b</p>", "<table>x<tr><td>y</table>", "<a href='https://x'><a href='https://y'>z</a>",
                   "<svg><script>alert(1)</script></svg>", "<math><mi xlink:href='javascript:1'>m</mi></math>"]:
        once = clean(markup)
        assert clean(once) == once
        assert "script" not in once and "javascript" not in once


def test_html_to_text_marks_quotes_and_drops_head() -> None:
    markup = (
        "<html><head><title>T</title><body><p>Thanks!</p><div>On Mon, A wrote:</div>"
        "<blockquote>old<br>text</blockquote>"
    )
    assert html_to_text(markup) == "Thanks!\n\nOn Mon, A wrote:\n\n> old\n> text"
