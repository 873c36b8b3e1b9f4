"""The catalogs: extracting the French source strings, and keeping the English catalog in step.

`make messages` runs `python -m collecte.i18n.catalogs`: it extracts every marked string of the
package (Python: `N_`, `msg`, and `gettext`/`ngettext`/`say` with a literal; templates: `_`
and `{% trans %}`) into `collecte/locale/messages.pot`, then updates each language's
`messages.po`: new strings arrive untranslated, strings gone from the code are dropped.
The tests fail while a string is untranslated or fuzzy.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from collecte.i18n import DOMAIN, LANGUAGES, LOCALE_DIR, SOURCE_LANGUAGE

PACKAGE_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_PATTERN = "web/templates/**.html"
METHODS = [
    ("i18n/catalogs.py", "ignore"),
    ("**.py", "python"),
    (TEMPLATE_PATTERN, "jinja2.ext:babel_extract"),
]
OPTIONS = {TEMPLATE_PATTERN: {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}}
KEYWORDS = {
    "_": None,  # templates
    "N_": None,
    "msg": None,
    # collecte.i18n's own `gettext(language, msgid)`, `ngettext(language, singular, plural, n)`
    # and `say(language, text)`: the words come after the language
    "gettext": (2,),
    "ngettext": (2, 3),
    "say": (2,),
}
TEMPLATE_FILE = LOCALE_DIR / f"{DOMAIN}.pot"


def extract() -> Catalog:
    """Every marked string of the package, with where it is used."""
    template = Catalog(project="collecte", locale=SOURCE_LANGUAGE, fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        PACKAGE_DIR, METHODS, OPTIONS, KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        if not message or (isinstance(message, tuple) and not message[0]):
            continue
        template.add(
            message,
            None,
            [(str(Path("collecte") / filename), lineno)],
            auto_comments=comments,
            context=context,
        )
    return template


def catalog_path(language: str) -> Path:
    """Where the catalog of `language` lives."""
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def read(language: str) -> Catalog:
    """The catalog of `language` as it is on disk."""
    with catalog_path(language).open("rb") as po:
        return read_po(po, locale=language)


def _write(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        write_po(out, catalog, width=100, omit_header=False, sort_output=True)


def update() -> list[str]:
    """Extract, then bring every language's catalog in step; return what is left to translate."""
    template = extract()
    template.revision_date = datetime(2026, 1, 1, tzinfo=UTC)  # stable files: no churn per run
    template.creation_date = template.revision_date
    _write(template, TEMPLATE_FILE)
    missing = []
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        path = catalog_path(language)
        catalog = read(language) if path.exists() else Catalog(locale=language)
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        catalog.revision_date = template.revision_date
        catalog.creation_date = template.revision_date
        _write(catalog, path)
        missing += [
            f"{language}: {entry.id!r}"
            for entry in catalog
            if entry.id and (entry.fuzzy or not entry.string or not all(entry.string))
        ]
    return missing


def main() -> int:
    """`make messages`: update the catalogs and list what is left to translate."""
    missing = update()
    for line in missing:
        print(f"to translate — {line}")
    print(f"{TEMPLATE_FILE.relative_to(PACKAGE_DIR.parent)} updated; {len(missing)} to translate.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
