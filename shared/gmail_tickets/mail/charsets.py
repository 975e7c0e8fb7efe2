"""Bytes → text for mail, which declares charsets wrongly, loosely or not at all.

A declared label is mapped to the codec mailers really mean (gb2312 mail is written in gb18030, ks_c_5601-1987 in
cp949, "iso-8859-1" with bytes 0x80-0x9F in cp1252); text labelled with a Japanese charset that does not decode
as one is tried as the others (Shift_JIS bytes in an "ISO-2022-JP" encoded word). Undeclared text is checked for
ISO-2022-JP escapes, tried as UTF-8, then guessed (detect.py). Decoding never fails: what cannot be decoded is
replaced, and a note says so.
"""

from __future__ import annotations

import codecs
import re

from gmail_tickets.mail import detect
from gmail_tickets.mail.notes import Notes, label

# Labels whose bytes are, in practice, written in a superset codec.
_ALIASES: dict[str, str] = {
    **dict.fromkeys(
        ("gb2312", "gbk", "x-gbk", "cp936", "euc-cn", "x-euc-cn", "csgb2312", "gb_2312-80", "gb_2312", "chinese"),
        "gb18030",
    ),
    **dict.fromkeys(
        ("ks_c_5601-1987", "ks_c_5601-1989", "ks_c_5601", "ksc5601", "ksc_5601", "euc-kr", "x-euc-kr", "korean",
         "csksc56011987", "windows-949", "x-windows-949", "uhc"),
        "cp949",
    ),
    **dict.fromkeys(("big5", "x-big5", "big-5", "cn-big5", "csbig5"), "cp950"),
    **dict.fromkeys(
        ("shift_jis", "shift-jis", "x-sjis", "sjis", "ms_kanji", "csshiftjis", "windows-31j", "x-ms-cp932"), "cp932"
    ),
    **dict.fromkeys(("tis-620", "iso-8859-11", "windows-874", "x-windows-874"), "cp874"),
    **dict.fromkeys(("iso-8859-8-i", "iso-8859-8-e"), "iso8859-8"),
    **dict.fromkeys(("iso-8859-6-i", "iso-8859-6-e"), "iso8859-6"),
    **dict.fromkeys(("unicode-1-1-utf-8", "utf8mb4", "x-unicode20utf8", "unicode-2-0-utf-8"), "utf-8"),
    **dict.fromkeys(("latin-9", "latin9", "iso-8859-15"), "iso8859-15"),
    "x-euc-jp": "euc_jp",
    "x-mac-roman": "mac-roman",
    "x-mac-cyrillic": "mac-cyrillic",
    "x-mac-greek": "mac-greek",
    "x-mac-ce": "mac-latin2",
}
# Labels that say nothing about the bytes: decode as if undeclared.
_UNDECLARED = {"", "x-unknown", "unknown", "unknown-8bit", "x-user-defined", "default", "charset", "none", "8bit"}
# Codecs Python knows but that are not a mail charset (or raise whatever the error handler).
_REFUSED = {"undefined", "unicode_escape", "raw_unicode_escape", "idna", "punycode", "mbcs", "oem"}
# Single-byte labels whose bytes 0x80-0x9F mean the Windows superset was used.
_C1_SUPERSET = {"iso8859-1": "cp1252", "ascii": "cp1252", "iso8859-9": "cp1254"}
_WINDOWS = re.compile(r"(?:x-)?(?:windows|win|cp|ms)[-_ ]?(\d{3,5})")
_C1 = re.compile(rb"[\x80-\x9f]")
_ASCII = bytes(range(128))
_UTF8_SEQ = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_SURROGATE = re.compile("[\ud800-\udfff]")
_JAPANESE = ("cp932", "euc_jp")
_LATIN1_FALLBACK = "gmail-tickets-latin1"


def _latin1_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Error handler: a byte the codec leaves undefined (cp1252's 0x81, ...) means what it means in latin-1."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start : exc.end].decode("latin-1"), exc.end
    raise exc


codecs.register_error(_LATIN1_FALLBACK, _latin1_fallback)
_CP1252_FALLBACK = "gmail-tickets-cp1252"


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """Error handler for UTF-8 text with a stray legacy byte (a name pasted from elsewhere): that byte as cp1252."""
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start : exc.end].decode("cp1252", _LATIN1_FALLBACK), exc.end
    raise exc


codecs.register_error(_CP1252_FALLBACK, _cp1252_fallback)


def scrub(text: str) -> str:
    """Lone surrogates (from surrogateescape or utf-7) cannot be stored as UTF-8; show them as U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def resolve(declared: str | None) -> str | None:
    """The Python codec for a declared label, after aliasing; None when undeclared, unknown or unusable."""
    name = (declared or "").strip().strip("\"'").strip().lower()
    if name in _UNDECLARED:
        return None
    name = _ALIASES.get(name, name)
    windows = _WINDOWS.fullmatch(name)
    candidates = [name, f"cp{windows.group(1)}"] if windows else [name]
    if name.startswith("x-"):
        candidates.append(name[2:])
    for candidate in candidates:
        try:
            info = codecs.lookup(candidate)
        except (LookupError, ValueError):
            continue
        if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
            return None
        return _ALIASES.get(info.name, info.name)
    return None


def decode(data: bytes, declared: str | None, where: str, notes: Notes) -> str:
    """Decode body bytes labelled `declared` (may be None). `where` names the part in notes ("part 1.2")."""
    if declared is None or not declared.strip():
        return scrub(_undeclared(data, where, notes))
    codec = resolve(declared)
    if codec is None:
        if not data.isascii():
            notes.add(f"unknown charset {label(declared)} in {where}")
        return scrub(_undeclared(data, where, notes))
    return scrub(_declared(data, codec, declared, where, notes))


def decode_header_bytes(data: bytes, fallback: str | None, where: str, notes: Notes) -> str:
    """Raw 8-bit bytes in a header: UTF-8 (RFC 6532) — mostly UTF-8 with a stray byte too —, else the mail's own
    multi-byte charset if the bytes fit it, else detected (detect.py), else cp1252."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data, share=0.75):  # a short header's legacy bytes can form a UTF-8 sequence by chance
        notes.add(f"raw 8-bit bytes in {where} decoded as utf-8 with stray cp1252 bytes")
        return scrub(data.decode("utf-8", _CP1252_FALLBACK))
    declared = resolve(fallback)
    candidates = [declared] if declared and declared not in _C1_SUPERSET and _ascii_compatible(declared) else []
    if declared and declared.startswith("iso2022_jp"):  # a Japanese mail's raw header bytes: Shift_JIS or EUC-JP
        candidates = [detect.japanese(data) or "cp932"]
    for codec in [*candidates, resolve(detect.guess(data)) or "cp1252"]:
        try:
            text = data.decode(codec)
        except Exception:  # UnicodeDecodeError, or a codec that misbehaves on odd input
            continue
        notes.add(f"raw 8-bit bytes in {where} decoded as {codec}")
        return scrub(text)
    notes.add(f"raw 8-bit bytes in {where} decoded as cp1252")
    return scrub(data.decode("cp1252", _LATIN1_FALLBACK))


def _declared(data: bytes, codec: str, declared: str, where: str, notes: Notes) -> str:
    if data.isascii() and _ascii_compatible(codec):
        return _ascii(data, where, notes)
    if codec in _C1_SUPERSET:
        return _latin(data, codec, declared, where, notes)
    if codec == "utf-8":
        return _utf8(data, declared, where, notes)
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        pass
    except Exception:  # a codec that misbehaves on odd input (utf-7, iso-2022 variants): fall through
        codec = "utf-8"
    else:
        if codec != _plain(declared):
            notes.add(f"charset {label(declared)} decoded as {codec} in {where}")
        return text
    if data.isascii() and (escaped := detect.iso2022(data)) is not None:  # another ISO-2022-JP variant
        notes.add(f"charset {label(declared)} decoded as an ISO-2022-JP variant in {where}")
        return escaped
    japanese = codec in _JAPANESE or codec.startswith("iso2022_jp")
    other = detect.japanese(data) if japanese else "utf-8"
    try:
        text = data.decode(other or "utf-8")
    except UnicodeDecodeError:
        pass
    else:
        notes.add(f"charset {label(declared)} decoded as {other} in {where}")
        return text
    notes.add(f"invalid {label(declared)} bytes in {where} replaced")
    return _safe_decode(data, codec)


def _latin(data: bytes, codec: str, declared: str, where: str, notes: Notes) -> str:
    """iso-8859-1/us-ascii labels with 8-bit bytes: UTF-8 if it is valid UTF-8, else the Windows superset."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        notes.add(f"charset {label(declared)} decoded as utf-8 in {where}")
        return text
    if codec == "ascii" and not _C1.search(data):
        notes.add(f"8-bit bytes in {label(declared)} text in {where}")
        return _undeclared(data, where, notes)
    if _C1.search(data):
        superset = _C1_SUPERSET[codec]
        notes.add(f"charset {label(declared)} decoded as {superset} in {where}")
        return data.decode(superset, _LATIN1_FALLBACK)
    return data.decode(codec)


def _utf8(data: bytes, declared: str, where: str, notes: Notes) -> str:
    """Declared UTF-8 that is not: mostly UTF-8 with a stray byte → replace; no UTF-8 at all → a legacy charset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    if _mostly_utf8(data):
        notes.add(f"invalid {label(declared)} bytes in {where} replaced")
        return data.decode("utf-8", "replace")
    codec = _guess(data) or "cp1252"
    notes.add(f"charset {label(declared)} decoded as {codec} in {where}")
    return _safe_decode(data, codec)


def _ascii(data: bytes, where: str, notes: Notes) -> str:
    """7-bit text: ASCII, unless it carries ISO-2022-JP escape sequences (every 7-bit decode would keep them)."""
    japanese = detect.iso2022(data)
    if japanese is None:
        return data.decode("ascii")
    notes.add(f"ISO-2022-JP escapes in {where}; decoded as iso-2022-jp")
    return japanese


def _mostly_utf8(data: bytes, share: float = 0.5) -> bool:
    """At least `share` of the 8-bit bytes form valid UTF-8 sequences: UTF-8 text with a few stray bytes."""
    utf8_bytes = sum(len(m) for m in _UTF8_SEQ.findall(data))
    return utf8_bytes > 0 and utf8_bytes >= share * len(data.translate(None, _ASCII))


def _undeclared(data: bytes, where: str, notes: Notes) -> str:
    if data.isascii():
        return _ascii(data, where, notes)
    if data.startswith(codecs.BOM_UTF8):
        return data.decode("utf-8-sig", "replace")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        notes.add(f"no charset for 8-bit text in {where}; decoded as utf-8")
        return text
    codec = _guess(data) or "cp1252"
    notes.add(f"no charset for 8-bit text in {where}; detected {codec}")
    return _safe_decode(data, codec)


def _guess(data: bytes) -> str | None:
    return resolve(detect.guess(data))


def _safe_decode(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec, _LATIN1_FALLBACK if codec in ("cp1252", "cp1254") else "replace")
    except Exception:  # codec raised despite the error handler: UTF-8 with replacement always works
        return data.decode("utf-8", "replace")


def _plain(declared: str) -> str:
    try:
        return codecs.lookup(declared.strip().strip("\"'")).name
    except (LookupError, ValueError):
        return declared


def _ascii_compatible(codec: str) -> bool:
    return not codec.startswith(("utf-16", "utf-32", "utf-7", "iso2022", "hz", "cp037", "cp500", "cp1140"))
