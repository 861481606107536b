"""Compile every language's .po files into one mailgw.mo (run by the package build, needs babel).

Each area keeps its own catalog file (mailgw/locale/LANG/LC_MESSAGES/AREA.po) so that work on
different areas never collides in one file; they are merged here. Two files that translate the
same message differently are an error, and so are a .po that does not parse and area files that
disagree on the plural forms.

`python tools/compile_catalogs.py` writes the .mo beside the .po files (for a checkout);
setup.py calls `compile_all(LOCALE_DIR, out)` to write them into the package being built.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "mailgw" / "locale"
DOMAIN = "mailgw"


def _plural_forms(catalog: Catalog) -> str | None:
    return dict(catalog.mime_headers).get("Plural-Forms")


def merged_catalog(folder: Path) -> tuple[Catalog, list[str]]:
    """All .po files of one language merged; the conflicts found on the way.

    The merged catalog keeps the .po files' Plural-Forms: babel would otherwise write CLDR's
    rule for the locale (pt_BR has 3 forms there), and a count whose form index the .po lacks
    falls back to English.
    """
    merged = Catalog(locale=folder.parent.name, domain=DOMAIN)
    origin: dict[tuple[object, object], str] = {}  # (msgid, context) -> file
    plural_origin: tuple[str, str] | None = None  # (Plural-Forms, file)
    conflicts = []
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=folder.parent.name)
        forms = _plural_forms(catalog)
        if forms and plural_origin is None:
            plural_origin = (forms, po.name)
            merged.mime_headers = [("Plural-Forms", forms)]
        elif forms and forms != plural_origin[0]:
            conflicts.append(f"{po.name} and {plural_origin[1]} declare Plural-Forms")
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            key = (message.id, message.context)
            known = merged.get(message.id, message.context)
            if known is not None and known.string != message.string:
                conflicts.append(f"{po.name} and {origin[key]} translate {message.id!r}")
                continue
            merged[message.id] = message
            origin[key] = po.name
    return merged, conflicts


def compile_all(locale_dir: Path, out_dir: Path) -> list[str]:
    """Write out_dir/LANG/LC_MESSAGES/mailgw.mo for each language; the conflicts found."""
    all_conflicts = []
    for folder in sorted(locale_dir.glob("*/LC_MESSAGES")):
        catalog, conflicts = merged_catalog(folder)
        all_conflicts += conflicts
        target = out_dir / folder.relative_to(locale_dir) / f"{DOMAIN}.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_mo(handle, catalog)
    return all_conflicts


def main() -> int:
    conflicts = compile_all(LOCALE_DIR, LOCALE_DIR)
    for conflict in conflicts:
        print(f"compile_catalogs: {conflict} differently", file=sys.stderr)
    return 1 if conflicts else 0


if __name__ == "__main__":
    sys.exit(main())
