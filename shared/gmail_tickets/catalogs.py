"""The console's message catalogs: translations/<locale>/LC_MESSAGES/messages.po is the source (kept in git), the
compiled messages.mo beside it is built (./dev set-up, `gmail-tickets bundle`), never committed.

`python -m gmail_tickets.catalogs` compiles every catalog in place; the bundle takes the compiled bytes straight
from `compiled()`, so the archive never depends on what happens to lie on disk."""

from __future__ import annotations

import functools
import gettext
import io
from pathlib import Path

TRANSLATIONS = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def N_(text: str) -> str:
    """Marks a built-in text for `pybabel extract` (a default keyword); it is translated where it is used."""
    return text


@functools.cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog of `language` outside a request (the notification texts); English is the source."""
    if language == "en":
        return gettext.NullTranslations()
    if missing((language,)):
        raise RuntimeError(f"no compiled catalog for {language} under {TRANSLATIONS}: run `python -m "
                           "gmail_tickets.catalogs`")
    from babel.support import Translations  # here, not at import: the ingest function's cold start skips Babel

    return Translations.load(str(TRANSLATIONS), [language], DOMAIN)


def po_files(root: Path = TRANSLATIONS) -> list[Path]:
    return sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))


def compile_po(po: Path) -> bytes:
    """The .mo bytes of one catalog; fuzzy entries are left out, as `pybabel compile` does."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as handle:
        catalog = read_po(handle, locale=po.parents[1].name)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compiled(root: Path = TRANSLATIONS) -> dict[Path, bytes]:
    """{path of the .mo: its bytes} for every catalog under `root`."""
    return {po.with_suffix(".mo"): compile_po(po) for po in po_files(root)}


def compile_all(root: Path = TRANSLATIONS) -> list[Path]:
    written = []
    for path, data in compiled(root).items():
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        written.append(path)
    return written


def missing(locales: tuple[str, ...], root: Path = TRANSLATIONS) -> list[str]:
    """The locales (other than English, the source language) without a compiled catalog."""
    return [loc for loc in locales if loc != "en" and not (root / loc / "LC_MESSAGES" / f"{DOMAIN}.mo").is_file()]


if __name__ == "__main__":
    for mo in compile_all():
        print(f"compiled {mo.relative_to(TRANSLATIONS.parent)}")
