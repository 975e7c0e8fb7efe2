"""Bounding a mail's HTML before any tree is built: depth, size and shape, in one pass over the input."""

from __future__ import annotations

import re

from gmail_tickets.mail import html_bound
from gmail_tickets.mail.html_bound import MAX_CHARS, MAX_DEPTH, MAX_FORMATTING, bound
from gmail_tickets.mail.html_text import html_to_text
from gmail_tickets.mail.sanitize import sanitize
from tests.html_shape import depth, nested


def test_deep_nesting_is_flattened_and_every_word_kept() -> None:
    markup = "".join(f"<div>level {i} " for i in range(20_000)) + "the bottom" + "</div>" * 20_000
    out = bound(markup)
    assert depth(out.markup) == MAX_DEPTH
    assert out.flattened == 20_000 - MAX_DEPTH and out.cut_from is None
    assert "level 0 " in out.markup and "level 19999 " in out.markup and "the bottom" in out.markup
    assert "Markup nested deeper than 100 levels was flattened." in out.markup
    assert out.problems("part 1") == ["HTML nested deeper than 100 levels in part 1; flattened"]


def test_flattened_end_tags_close_the_flattened_elements_not_their_ancestors() -> None:
    out = bound(nested(MAX_DEPTH + 5, "<p>inner</p>") + "<p>after</p>")
    assert depth(out.markup) == MAX_DEPTH
    assert re.search(r"(</div>){100}<p>after</p>", out.markup)  # all 100 closed before "after", none earlier


def test_large_html_is_cut_with_a_visible_note_and_never_mid_tag() -> None:
    markup = "<p>" + "words " * 200_000 + '<a href="https://x.example/">link</a></p>'
    out = bound(markup, max_chars=100_000)
    assert out.cut_from == len(markup)
    assert len(out.markup) < 101_000
    assert out.markup.endswith("only the first 97 KB is shown. The whole mail is kept as it arrived.]</em></p>")
    assert out.problems("the HTML") == [f"HTML larger than {MAX_CHARS // 1024} KB in the HTML; cut (the raw mail "
                                        "keeps it all)"]
    cut_in_tag = bound("<p>" + "a" * 95 + '<a href="https://x.example/long">', max_chars=100)
    assert "href" not in cut_in_tag.markup and "<p>" + "a" * 95 + "</p>" in cut_in_tag.markup


def test_the_work_is_one_read_of_each_tag_within_the_size_bound() -> None:
    """Linear by counting: each start tag read once; beyond the size bound nothing is read at all."""
    assert bound(nested(50_000)).tags == 50_000
    big = nested(1_000_000)  # 11 MB
    out = bound(big)
    assert out.tags == MAX_CHARS // len("<div>")
    assert out.tags + out.flattened == 2 * out.tags - MAX_DEPTH


def test_formatting_elements_are_bounded_apart() -> None:
    out = bound(nested(50, "x", "b"))
    assert out.markup.startswith("<b>" * MAX_FORMATTING + "x" + "</b>" * MAX_FORMATTING)


def test_output_is_well_formed_and_quoted() -> None:
    out = bound("""<div><p title='say "hi"' TITLE=dup onclick=x a=1 b c>hi</b></span><img src=cid:x/></div></p>"""
                """<!-- gone --> 1 < 2 &amp; 3<script>if (a<b) x="</div>"</script><style>p{}</style>"""
                """<textarea><b>typed</b></textarea><plaintext>end""")
    assert out.markup == ("""<div><p title="say &quot;hi&quot;" onclick="x" a="1" b="" c="">hi"""
                          """<img src="cid:x/"></p></div> 1 &lt; 2 &amp; 3&lt;b>typed&lt;/b>end""")


def test_attributes_are_capped_per_tag() -> None:
    out = bound("<p " + " ".join(f"a{i}=1" for i in range(1000)) + ">x</p>")
    assert out.markup.count('="1"') == html_bound.MAX_ATTRIBUTES


def test_unterminated_constructs_are_read_once_to_the_end() -> None:
    for unit in ('<a x="', "<a x='", "<!--", "<a", "</", "<?", "<!", "<"):
        out = bound(unit * 20_000)
        assert out.cut_from is None and depth(out.markup) <= MAX_DEPTH, unit


def test_bounding_its_own_output_changes_nothing() -> None:
    for markup in ["<p>a<div>b</p>", "<table>x<tr><td>y</table>", "<ul><li>1<li>2</ul>", nested(20)]:
        once = bound(markup).markup
        assert bound(once).markup == once


def test_sanitized_hostile_nesting_is_bounded_and_noted() -> None:
    result = sanitize(nested(200_000, "deep words"))  # 2.2 MB
    assert depth(result.html) <= MAX_DEPTH
    assert "only the first 512 KB is shown" in result.html and "was flattened" in result.html
    assert len(result.problems) == 2


def test_text_of_hostile_nesting_keeps_the_words_and_the_note() -> None:
    text = html_to_text("<p>Hello</p>" + nested(40_000, "deep words") + "<p>Bye</p>")
    assert text.splitlines()[0] == "Hello"
    assert "deep words" in text and "Bye" in text
    assert text.endswith("[Markup nested deeper than 100 levels was flattened.]")


def test_remote_images_are_kept_only_neutralised_and_cid_images_as_they_are() -> None:
    html = sanitize(
        '<img src="https://t.example/p.gif?u=1&amp;v=2" width="1"><img src="cid:logo@x" alt="logo">'
        '<img src="http://t.example/p.gif"><img data-remote-src="javascript:alert(1)"><img src="//t.example/x">'
        '<img SRC=" HTTPS://t.example/caps.gif"><a href="https://ok.example/">ok</a>'
    ).html
    assert html == (
        '<img data-remote-src="https://t.example/p.gif?u=1&amp;v=2" width="1"><img src="cid:logo@x" alt="logo">'
        '<img><img><img><img data-remote-src=" HTTPS://t.example/caps.gif">'
        '<a href="https://ok.example/" rel="noopener noreferrer">ok</a>'
    )
    assert " src=" not in html.replace('src="cid:', "")
