"""Compile every language's .po files into one mailgw.mo (run by install.sh, needs babel).

Each area keeps its own catalog file (mailgw/locale/LANG/LC_MESSAGES/AREA.po) so that work on
different areas never collides in one file; they are merged here. Two files that translate the
same message differently are an error, and so is a .po that does not parse.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parents[1] / "mailgw" / "locale"
DOMAIN = "mailgw"


def merged_catalog(folder: Path) -> tuple[Catalog, list[str]]:
    """All .po files of one language merged; the conflicts found on the way."""
    merged = Catalog(locale=folder.parent.name, domain=DOMAIN)
    origin: dict[tuple[object, object], str] = {}  # (msgid, context) -> file
    conflicts = []
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as handle:
            catalog = read_po(handle, locale=folder.parent.name)
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


def main() -> int:
    failed = False
    for folder in sorted(LOCALE_DIR.glob("*/LC_MESSAGES")):
        catalog, conflicts = merged_catalog(folder)
        for conflict in conflicts:
            print(f"compile_catalogs: {conflict} differently", file=sys.stderr)
        failed = failed or bool(conflicts)
        with (folder / f"{DOMAIN}.mo").open("wb") as handle:
            write_mo(handle, catalog)
        print(f"compile_catalogs: {folder.parent.name}: {len(catalog)} messages", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
