"""Which charset undeclared (or wrongly declared) 8-bit text is in, in the order mature mail readers use.

1. ISO-2022-JP escape sequences: 7-bit text that every ASCII-compatible decode "succeeds" on, so it is checked
   first (`iso2022`).
2. UTF-8, when the bytes are valid UTF-8 (the caller tries it; short legacy text is almost never valid UTF-8).
3. Plain western text (accented letters among ASCII words: "Grüße", "café") is cp1252. charset-normalizer
   cannot tell cp1250 from cp1252 on a few accented letters and answers cp1250, which turns "è" into "č".
4. Otherwise charset-normalizer's candidates with the least "chaos"; among near-ties, the script the decoded text
   is written in decides: kana → a Japanese codec, Hangul with spaces between words → cp949, ideographs only →
   a Chinese codec. Its own first choice among CJK codecs on short text is close to random (GB text as cp874
   or cp949).
"""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

# What charset-normalizer may answer for mail: a guess among exotic codecs (EBCDIC, ...) is worse than cp1252.
GUESSES = [
    "cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1255", "cp1256", "cp1257", "koi8_r", "koi8_u",
    "iso8859_2", "iso8859_5", "iso8859_7", "iso8859_15", "gb18030", "cp950", "cp932", "euc_jp", "cp949", "cp874",
    "mac_roman",
]
_ISO2022_ESCAPE = re.compile(rb"\x1b(?:\$[@B(]|\$\(D|\([BJI])")
_ISO2022_CODECS = ("iso2022_jp", "iso2022_jp_ext", "iso2022_jp_2", "iso2022_jp_3")
_JAPANESE = ("cp932", "euc_jp")
_CHINESE = ("gb18030", "cp950")
_CHAOS_TIE = 0.05
_WESTERN_RUN = 3  # accented letters in a row; Cyrillic or CJK read as cp1252 makes whole words of them
_WESTERN_SHARE = 0.5  # of the letters; western text is mostly ASCII letters
# Punctuation western text uses (¿ and ¡ are left out: in cp1250 text read as cp1252 they stand for ż and Ą).
_WESTERN_MARKS = "\u00a0«»„“”‘’‚‹›–—…•€£¥°§¶©®™·×÷±²½¼¾¢\u00ad"
_NON_ASCII_RUN = re.compile(f"[^\\x00-\\x7f{_WESTERN_MARKS}]+")
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iso2022(data: bytes) -> str | None:
    """`data` decoded as ISO-2022-JP when it is 7-bit with that encoding's escape sequences; else None."""
    if not data.isascii() or not _ISO2022_ESCAPE.search(data):
        return None
    for codec in _ISO2022_CODECS:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    return None


def is_western(data: bytes) -> bool:
    """Latin text with a few accented letters: every non-ASCII byte is a cp1252 letter (or common punctuation),
    letters in short runs, and most letters are ASCII."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    runs = _NON_ASCII_RUN.findall(text)
    if not runs or any(len(run) > _WESTERN_RUN or not run.isalpha() or max(run) > "\u017f" for run in runs):
        return False
    accented = sum(map(len, runs))
    ascii_letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    return accented <= (ascii_letters + accented) * _WESTERN_SHARE


def guess(data: bytes) -> str | None:
    """The most likely codec for 8-bit `data` that is not UTF-8 (steps 3 and 4 above); None if nothing fits."""
    if is_western(data):
        return "cp1252"
    try:
        matches = list(from_bytes(data, cp_isolation=GUESSES))
    except Exception:  # the detector is a heuristic; never let it sink a mail
        return None
    if not matches:
        return None
    least = min(m.chaos for m in matches)
    close = [m.encoding for m in matches if m.chaos <= least + _CHAOS_TIE]
    return _by_script(data, close) or close[0]


def japanese(data: bytes) -> str | None:
    """For text labelled with a Japanese charset it is not in: UTF-8, else the Japanese codec whose reading has
    the most kana (EUC-JP bytes also "decode" as Shift_JIS, into half-width katakana)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    readings = []
    for codec in _JAPANESE:
        try:
            readings.append((_script_shares(data.decode(codec))["kana"], -len(readings), codec))
        except UnicodeDecodeError:
            continue
    return max(readings)[2] if readings else None


def _by_script(data: bytes, codecs: list[str]) -> str | None:
    decoded = {}
    for codec in codecs:
        try:
            decoded[codec] = data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    shares = {codec: _script_shares(text) for codec, text in decoded.items()}
    japanese = [(s["kana"], c) for c, s in shares.items() if c in _JAPANESE and s["kana"] >= 0.2]
    if japanese:
        return max(japanese)[1]
    if "cp949" in shares and shares["cp949"]["hangul"] >= 0.6 and re.search(rb"[\x80-\xff] +[\x80-\xff]", data):
        return "cp949"
    chinese = [c for c in _CHINESE if c in shares and shares[c]["han"] >= 0.6]  # GB first: most Chinese mail
    return chinese[0] if chinese else None


def _script_shares(text: str) -> dict[str, float]:
    """Share of the non-ASCII letters that are kana, Hangul syllables or CJK ideographs."""
    counts = {"kana": 0, "hangul": 0, "han": 0}
    total = 0
    for ch in text:
        if ch.isascii() or not ch.isalpha():
            continue
        total += 1
        code = ord(ch)
        if 0x3040 <= code <= 0x30FF:
            counts["kana"] += 1
        elif 0xAC00 <= code <= 0xD7A3:
            counts["hangul"] += 1
        elif 0x4E00 <= code <= 0x9FFF or 0x3400 <= code <= 0x4DBF:
            counts["han"] += 1
    return {name: count / total if total else 0.0 for name, count in counts.items()}
