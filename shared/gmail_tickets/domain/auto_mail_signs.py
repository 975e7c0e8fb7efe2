"""What the auto-mail rules read of a mail, cleaned once: header values are attacker-controlled and may be odd.

`MailSigns.of` never raises, whatever the headers hold; the helpers quote values only short and printable.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from email.utils import parseaddr

_COMMENT = re.compile(r"\([^()]*\)")
_WHITESPACE = re.compile(r"\s+")
_REASON_VALUE_CHARS = 60
NOREPLY_PREFIXES = ("noreply", "donotreply")  # compared with '-', '_' and '.' removed: no-reply, do_not_reply, ...
BOUNCE_SUBJECT = re.compile(
    r"undeliver|delivery (?:status notification|failure|has failed|notification|problem)|returned mail"
    r"|mail delivery (?:failed|failure|subsystem)|failure notice|could not be delivered|non-?delivery"
    r"|delivery failed|nicht zustellbar|unzustellbar|non remis",
    re.IGNORECASE,
)
"""What the subject of a bounce that is no RFC 3464 report says (qmail, Exchange NDRs, old sendmail)."""


@dataclass(frozen=True)
class MailSigns:
    """One mail's evidence, as the rules of `auto_mail.RULES` read it."""

    headers: Mapping[str, str]  # lower-cased names, unfolded and trimmed values
    address: str  # the From address, bare and lower-cased
    local: str  # its local part without a +tag
    ours: frozenset[str]
    signed_by_us: bool
    is_delivery_report: bool
    report_type: str  # of a multipart/report; "" otherwise
    return_path: str | None
    list_mail_is_bulk: bool
    suppress_header_is_auto: bool

    @classmethod
    def of(cls, headers: Mapping[str, str], *, sender: str, return_path: str | None, is_delivery_report: bool,
           support_addresses: Collection[str], signed_by_us: bool, list_mail_is_bulk: bool,
           suppress_header_is_auto: bool) -> MailSigns:
        h = _normalized(headers)
        address = _address(sender)
        return cls(
            headers=h, address=address, local=_local_part(address),
            ours=frozenset({_address(a) for a in support_addresses} - {""}), signed_by_us=signed_by_us,
            is_delivery_report=is_delivery_report, report_type=_report_type(h.get("content-type", "")),
            return_path=return_path, list_mail_is_bulk=list_mail_is_bulk,
            suppress_header_is_auto=suppress_header_is_auto,
        )

    def get(self, name: str) -> str:
        return self.headers.get(name, "")

    def token(self, name: str) -> str:
        """The keyword of a structured header: comments and ;-parameters dropped, lower-cased."""
        return first_token(self.get(name))


def _normalized(headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names (first occurrence wins) and unfolded, trimmed values; odd values become empty, not errors."""
    out: dict[str, str] = {}
    for name, value in headers.items():
        key = str(name).strip().lower()
        if key not in out:
            out[key] = _WHITESPACE.sub(" ", value).strip() if isinstance(value, str) else ""
    return out


def _address(raw: str) -> str:
    """The bare, lower-cased address from a From-style value ("Name <a@b>" or "a@b")."""
    if not isinstance(raw, str):
        return ""
    return parseaddr(raw)[1].strip().lower()


def _local_part(address: str) -> str:
    """Local part without a +tag: "MAILER-DAEMON" alone (some bounces have no domain) is a local part too."""
    return address.rpartition("@")[0].partition("+")[0] if "@" in address else address.partition("+")[0]


def is_noreply(local: str) -> bool:
    squashed = re.sub(r"[-_.]", "", local)
    return squashed.startswith(NOREPLY_PREFIXES)


def is_bounce_subject(subject: str) -> bool:
    return bool(BOUNCE_SUBJECT.search(subject))


def is_null_path(return_path: str) -> bool:
    """``<>``, with optional spaces inside: the null reverse-path of RFC 5321."""
    value = return_path.strip()
    return value.startswith("<") and value.endswith(">") and not value[1:-1].strip()


def first_token(value: str) -> str:
    """The keyword of a structured header: comments and ;-parameters dropped, lower-cased."""
    return _COMMENT.sub(" ", value).partition(";")[0].strip().lower()


def _report_type(content_type: str) -> str:
    """The report-type parameter of a multipart/report Content-Type, lower-cased; "" for anything else."""
    kind, _, params = _COMMENT.sub(" ", content_type).partition(";")
    if kind.strip().lower() != "multipart/report":
        return ""
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "report-type":
            return value.strip().strip('"').strip().lower()
    return ""


def display(header_name: str) -> str:
    """A lower-cased header name in its usual spelling, for reasons: x-ms-exchange-... -> X-MS-Exchange-..."""
    words = [w.upper() if w in ("x", "ms") else w.capitalize() for w in header_name.split("-")]
    return "-".join(words)


def clip(value: str) -> str:
    """Short and printable: header values are sender-controlled and end up on an admin screen."""
    cleaned = "".join(c if c.isprintable() else "?" for c in value)
    return cleaned if len(cleaned) <= _REASON_VALUE_CHARS else cleaned[: _REASON_VALUE_CHARS - 1] + "…"
