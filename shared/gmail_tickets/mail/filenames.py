"""Attachment filenames that are safe to show and download: the sender's name cleaned, or one made from the type.

A sender's filename may carry a path, control characters or nothing at all; a forwarded mail has no filename but a
subject; a nameless inline image still needs a name an agent can click.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata

_TYPES = mimetypes.MimeTypes()  # built-in table only, so the names do not depend on the machine's /etc/mime.types
_MAX_LENGTH = 180
_UNSAFE = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
_BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")  # "invoice\u202efdp.exe" shows as "invoiceexe.pdf"
_NAMED = {
    "message/rfc822": "forwarded message.eml",
    "message/global": "forwarded message.eml",
    "message/delivery-status": "delivery-status.txt",
    "message/global-delivery-status": "delivery-status.txt",
    "message/disposition-notification": "disposition-notification.txt",
    "text/rfc822-headers": "original-headers.txt",
    "message/global-headers": "original-headers.txt",
    "application/ms-tnef": "winmail.dat",
    "application/vnd.ms-tnef": "winmail.dat",
    "application/pgp-signature": "signature.asc",
    "application/pgp-encrypted": "pgp-encrypted.asc",
    "application/pkcs7-signature": "smime.p7s",
    "application/x-pkcs7-signature": "smime.p7s",
    "application/pkcs7-mime": "smime.p7m",
    "application/x-pkcs7-mime": "smime.p7m",
    "text/calendar": "invite.ics",
    "text/vcard": "contact.vcf",
    "text/x-vcard": "contact.vcf",
    "text/plain": "text.txt",
    "text/html": "message.html",
    "application/octet-stream": "attachment.bin",
}
_EXTENSIONS = {"image/jpeg": ".jpg", "image/jpg": ".jpg", "image/pjpeg": ".jpg", "text/plain": ".txt"}
_STEMS = {"image": "image", "audio": "audio", "video": "video", "text": "text", "font": "font", "model": "model"}


def clean(name: str) -> str:
    """The last path component of `name`, without control, bidi or reserved characters; "" if nothing is left."""
    name = unicodedata.normalize("NFC", _BIDI.sub("", name)).replace("\\", "/").rsplit("/", 1)[-1]
    name = " ".join(_UNSAFE.sub("_", name).split()).strip(". ")
    if len(name) > _MAX_LENGTH:
        _stem, dot, ext = name.rpartition(".")
        keep = f".{ext}" if dot and 0 < len(ext) <= 10 else ""
        name = name[: _MAX_LENGTH - len(keep)].rstrip(". ") + keep
    return name


def for_type(content_type: str) -> str:
    """A name for a part that has none, e.g. image/png → "image.png", application/pdf → "attachment.pdf"."""
    if content_type in _NAMED:
        return _NAMED[content_type]
    main = content_type.split("/", 1)[0]
    ext = _EXTENSIONS.get(content_type) or _TYPES.guess_extension(content_type, strict=False) or ".bin"
    return _STEMS.get(main, "attachment") + ext


def for_message(subject: str) -> str:
    """A forwarded mail's name: its subject + ".eml"."""
    stem = clean(subject)[: _MAX_LENGTH - 4].rstrip(". ")
    return f"{stem or 'forwarded message'}.eml"


def unique(name: str, taken: set[str]) -> str:
    """`name`, or "name-2.ext", "name-3.ext"... if another attachment of this mail already has it."""
    if name not in taken:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    n = 2
    while (candidate := f"{stem}-{n}{'.' + ext if ext else ''}") in taken:
        n += 1
    return candidate
