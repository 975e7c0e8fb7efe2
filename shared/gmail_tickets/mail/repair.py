"""Header blocks mended before the stdlib reads them, as enmime, mail-parser and Thunderbird do.

The stdlib ends a header block at the first line that is not `Name: value` or a continuation, and treats the
rest as body. Two real-world faults then cost a mail its headers:

- junk before the headers (a stray line from a broken export, a leading space, a byte-order mark): the block
  is "empty" and the mail would be quarantined. Up to `_JUNK_LINES` such lines are dropped when a real header block
  (two or more header lines) follows them.
- a broken fold (a continuation line without its leading whitespace, `Name : value`): every header after it —
  often From, To and Content-Transfer-Encoding — would become body text. Inside a header block (the mail's, and
  each MIME part's after a boundary line), such a line is made a continuation when another header follows it
  before the blank line, or when the header before it ends in `;` or `,` (a parameter list, an address list).

Only the bytes handed to the parser change; the raw mail is stored and hashed as it came. Each repair is noted.
"""

from __future__ import annotations

import re

from gmail_tickets.mail.notes import Notes

_LINE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_HEADER = re.compile(rb"[!-9;-~]+:")  # what the stdlib's feedparser accepts as a header line
_NAMED = re.compile(rb"[A-Za-z][A-Za-z0-9_-]*:")  # a plausible field name, for spotting headers after junk
_SPACED_NAME = re.compile(rb"([A-Za-z][A-Za-z0-9_-]*)[ \t]+:")
_BOUNDARY = re.compile(rb"""boundary\s*=\s*(?:"([^"\r\n]+)"|([^\s;"]+))""", re.IGNORECASE)
_BOM = b"\xef\xbb\xbf"
_JUNK_LINES = 5
_JUNK_BYTES = 2_000
_LOOKAHEAD = 60  # lines to look ahead for a header after a broken fold
_REPAIR_LIMIT = 1_000_000  # the repair scans every line (about 60 ms a MB); past this, the first header block only
_BLANK_LINE = re.compile(rb"\n\r?\n|\r\r")
_FIRST_HEADER = re.compile(rb"^[ \t]*[A-Za-z][A-Za-z0-9_-]*[ \t]*:", re.MULTILINE)


def mend(raw: bytes, notes: Notes) -> bytes:
    """`raw` with junk before its headers dropped and broken header folds joined (see the module docstring)."""
    if len(raw) > _REPAIR_LIMIT:  # a big mail: its own header block only (part headers are rarely broken)
        first = _FIRST_HEADER.search(raw, 0, _JUNK_BYTES)
        blank = _BLANK_LINE.search(raw, first.start() if first else 0)
        cut = blank.end() if blank else 0
        return mend(raw[:cut], notes) + raw[cut:] if 0 < cut <= _REPAIR_LIMIT else raw
    lines = _LINE.findall(raw)
    lines = _drop_junk(lines, notes)
    boundaries = {b"--" + (a or b).strip() for a, b in _BOUNDARY.findall(raw)}
    mended = _mend_folds(lines, boundaries, notes)
    return b"".join(mended)


def _is_unix_from(line: bytes) -> bool:
    return line.startswith(b"From ")


def _drop_junk(lines: list[bytes], notes: Notes) -> list[bytes]:
    if not lines:
        return lines
    if lines[0].startswith(_BOM):
        lines = [lines[0][len(_BOM):], *lines[1:]]
    if _is_unix_from(lines[0]):  # an mbox separator: the headers follow it
        return [lines[0], *_drop_junk(lines[1:], notes)] if len(lines) > 1 else lines
    if _HEADER.match(lines[0]):
        return lines
    seen = 0
    for index, line in enumerate(lines[: _JUNK_LINES + 1]):
        stripped = line.lstrip(b" \t")
        if _NAMED.match(stripped) and _header_block_follows(lines, index):
            if index:
                notes.add(f"{index} junk line{'s' if index > 1 else ''} before the headers skipped")
            else:
                notes.add("whitespace before the first header removed")
            return [stripped, *lines[index + 1 :]]
        seen += len(line)
        if seen > _JUNK_BYTES:
            break
    return lines


def _header_block_follows(lines: list[bytes], index: int) -> bool:
    """The line at `index` is followed by another header line (continuations in between allowed)."""
    for line in lines[index + 1 : index + 1 + _LOOKAHEAD]:
        if line[:1] in (b" ", b"\t") and line.strip():
            continue
        return bool(_HEADER.match(line) or _SPACED_NAME.match(line))
    return False


def _mend_folds(lines: list[bytes], boundaries: set[bytes], notes: Notes) -> list[bytes]:
    out: list[bytes] = []
    in_headers = True  # the mail's own header block comes first
    after_header = False  # the previous line was a header or its continuation
    for index, line in enumerate(lines):
        content = line.rstrip(b"\r\n")
        if not content.strip():
            in_headers = after_header = False
        elif content.rstrip() in boundaries or content.rstrip()[:-2] in boundaries:
            in_headers, after_header = True, False
        elif in_headers and not (_HEADER.match(line) or line[:1] in (b" ", b"\t") or _is_unix_from(line)):
            spaced = _SPACED_NAME.match(line)
            if spaced and (after_header or not out or index == 0):
                line = spaced.group(1) + b":" + line[spaced.end() :]
                notes.add("space before a header's colon removed")
                after_header = True
            elif after_header and _broken_fold(lines, index, out[-1], boundaries):
                line = b" " + line
                notes.add("header continuation without leading whitespace joined")
            else:
                in_headers = after_header = False
        elif in_headers:
            after_header = True
        out.append(line)
    return out


def _broken_fold(lines: list[bytes], index: int, previous: bytes, boundaries: set[bytes]) -> bool:
    """A stray line inside a header block is a lost continuation if a header comes before the block ends."""
    if previous.rstrip().endswith((b";", b",")):  # a parameter or an address list goes on
        return True
    for line in lines[index + 1 : index + 1 + _LOOKAHEAD]:
        content = line.strip()
        if not content or content in boundaries or content[:-2] in boundaries:
            return False
        if _HEADER.match(line):
            return True
    return False
