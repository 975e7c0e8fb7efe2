"""Quote stripping as a view: the new text of a reply, above its quoted history. Never used to store anything.

History starts at the first of: an Outlook "-----Original Message-----" line or "From: … Sent: …" header block
(optionally under a line of underscores); an attribution such as "On <date>, <name> wrote:" (wrapped over up to
three lines, several languages) followed only by quoted or unquoted history; a block of "> " lines running to the
end. Quotes interleaved with answers are not history, and a mail with nothing above its history is shown whole.
"""

from __future__ import annotations

import re

_ORIGINAL = re.compile(
    r"^\s*-{2,}\s*(?:original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|messaggio originale|oorspronkelijk bericht|mensagem original)\s*-{2,}\s*$",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"^\s*_{10,}\s*$")
_FROM = re.compile(r"^\s*\*?(?:from|von|de|van|da|från|od)\s*\*?\s*:", re.IGNORECASE)
_SENT = re.compile(
    r"^\s*\*?(?:sent|gesendet|envoyé|enviado|verzonden|inviato|skickat|wysłano|odesláno)\s*\*?\s*:", re.IGNORECASE
)
_WROTE = re.compile(
    r"(?:wrote|schrieb|a\s+écrit|escribió|ha\s+scritto|schreef|escreveu|napisał|skrev|kirjoitti|написал|写道)"
    r"[^\n:：]{0,80}[:：]\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^\s*(?:on|am|le|el|il|op|em|w dniu|den|dne|в)\s", re.IGNORECASE)
_MAX_ATTRIBUTION = 400


def new_part(text_body: str) -> str:
    """The text above the quoted history of `text_body`; the whole body when there is none, or nothing above it."""
    lines = text_body.splitlines()
    cut = _history_start(lines)
    if cut is None:
        return text_body.strip()
    above = "\n".join(lines[:cut]).strip()
    return above or text_body.strip()


def _history_start(lines: list[str]) -> int | None:
    quoted = [_quoted(line) for line in lines]
    last_quoted = max((i for i, q in enumerate(quoted) if q), default=-1)
    last_unquoted = max((i for i, line in enumerate(lines) if line.strip() and not quoted[i]), default=-1)
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line) or _outlook_block(lines, i):
            return _above_underscores(lines, i)
        span = _attribution(lines, i)
        # After an attribution: all quoted, or no quoting at all (a client that does not quote).
        if span and (i + span > last_unquoted or i + span > last_quoted):
            return i
        if quoted[i] and i > last_unquoted:  # a block of "> " lines running to the end
            return i
    return None


def _outlook_block(lines: list[str], i: int) -> bool:
    return bool(_FROM.match(lines[i])) and any(_SENT.match(line) for line in lines[i + 1 : i + 5])


def _above_underscores(lines: list[str], i: int) -> int:
    j = i - 1
    while j >= 0 and not lines[j].strip():
        j -= 1
    return j if j >= 0 and _UNDERSCORES.match(lines[j]) else i


def _attribution(lines: list[str], i: int) -> int:
    """How many lines (1-3) the attribution starting at line i spans; 0 if there is none."""
    joined = ""
    for span in range(1, 4):
        if i + span > len(lines):
            return 0
        joined = f"{joined} {lines[i + span - 1].strip()}".strip()
        if len(joined) > _MAX_ATTRIBUTION or _quoted(lines[i + span - 1]):
            return 0
        if _WROTE.search(joined) and (span == 1 or _ATTRIBUTION_START.match(joined)):
            return span
        if not _ATTRIBUTION_START.match(joined):
            return 0
    return 0


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")
