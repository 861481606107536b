"""Translations: English by default, Brazilian Portuguese when the locale asks for pt_BR.

A leaf module (imports nothing of ours), so every floor may use it. The language is read from
the environment at each call, as gettext does (LANGUAGE, LC_ALL, LC_MESSAGES, LANG), so a test
or a long-running process sees the locale it runs under. Catalogs (.po) are compiled to .mo at
install time; without a compiled catalog everything stays English.

Use `_("text with {name}").format(name=...)`, never `_(f"...")`: the msgid must be constant.
Module-level constants are marked with `N_()` and translated with `_()` where they are shown.
"""

from __future__ import annotations

import functools
import gettext
import os
from collections.abc import Callable
from pathlib import Path

DOMAIN = "mailgw"
LOCALE_DIR = Path(__file__).with_name("locale")
SUPPORTED = ("pt_BR",)
LANGUAGES = ("en", *SUPPORTED)


def language() -> str:
    """The catalog to use: pt_BR when the locale asks for it, else "en"."""
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable)
        if not value:
            continue
        for candidate in value.split(":"):
            code = candidate.split(".")[0].split("@")[0]
            if code in SUPPORTED:
                return code
        return "en"
    return "en"


@functools.cache
def _catalog(code: str) -> gettext.NullTranslations:
    if code == "en":
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[code], fallback=True)


def translator(code: str) -> Callable[[str], str]:
    """gettext for one language whatever the locale says (a sample mail in a chosen language)."""
    return _catalog(code if code in SUPPORTED else "en").gettext


def _(message: str) -> str:
    """Translate `message` into the current language."""
    return _catalog(language()).gettext(message)


def ngettext(singular: str, plural: str, count: int) -> str:
    """Translate a message whose form depends on `count`."""
    return _catalog(language()).ngettext(singular, plural, count)


def translate_libraries() -> None:
    """Libraries that translate with the stdlib's gettext (click: "Usage:", "Options:", "Missing
    option") read our catalog too; their msgids are in click.po."""
    gettext.bindtextdomain(DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(DOMAIN)


def N_(message: str) -> str:
    """Mark a constant for extraction; translate it later with `_()`."""
    return message
