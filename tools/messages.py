"""Extract the messages and update the catalogs (``make messages``).

Writes ``src/atende/locale/messages.pot`` from the templates and the web modules, and from the
rest of ``src/atende``: the templates of domain errors (``raise NotFound("queue {queue_id} not
found", queue_id=...)``, every class deriving from ``DomainError``) and the constants marked
``N_()`` (the API's titles and input errors, e-mail texts), then merges it
into each catalog (``src/atende/locale/<locale>/LC_MESSAGES/messages.po``): new messages appear
there untranslated (the test ``tests/web/test_i18n.py`` then fails until they are translated),
messages no longer used are dropped. Nothing to compile: the pages compile the catalogs in
memory at start (``atende.web.i18n``).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "atende"
WEB = SRC / "web"
LOCALE = ROOT / "src" / "atende" / "locale"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2), "N_": None}
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}
LOCALES = ("pt_BR",)


def error_names(root: Path) -> set[str]:
    """DomainError and its subclasses (tools/error_templates.py finds them)."""
    spec = importlib.util.spec_from_file_location(
        "error_templates", Path(__file__).with_name("error_templates.py")
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names: set[str] = module.error_names(root)
    return names


def extract() -> Catalog:
    """Every message of the web's templates and modules, and of the errors and marked
    constants of the other modules."""
    catalog = Catalog(project="Atende", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        str(WEB), METHODS, OPTIONS, KEYWORDS, comment_tags=("TRANSLATORS:",)
    ):
        catalog.add(
            message,
            None,
            [(f"web/{filename}", lineno)],
            auto_comments=comments,
            context=context,
        )
    errors = {name: None for name in error_names(SRC)}
    for filename, lineno, message, comments, context in extract_from_dir(
        str(SRC),
        [("web/**", "ignore"), ("**.py", "python")],
        {},
        {**errors, "N_": None, "notice": None, "Text": None},
        comment_tags=("TRANSLATORS:",),
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def main() -> int:
    template = extract()
    with (LOCALE / "messages.pot").open("wb") as out:
        write_po(out, template, omit_header=False, width=100, sort_output=True)
    for locale in LOCALES:
        path = LOCALE / locale / "LC_MESSAGES" / "messages.po"
        if path.exists():
            with path.open("rb") as existing:
                catalog = read_po(existing, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="Atende", charset="utf-8")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with path.open("wb") as out:
            write_po(out, catalog, width=100, sort_output=True, include_previous=False)
        missing = [
            m.id
            for m in catalog
            if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
        ]
        print(f"{locale}: {len(catalog)} messages, {len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
