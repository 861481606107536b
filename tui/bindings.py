"""Key binding descriptions (the footer's words) in the current language."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from mailgw.i18n import _


def translate_bindings(node: DOMNode) -> None:
    """Give `node`'s own copy of its bindings descriptions in the current language.

    BINDINGS are class attributes, built at import; their descriptions are marked with N_() and
    translated here, per instance, so the language in force when the widget is made is used.
    """
    table = node._bindings.key_to_bindings  # the instance's copy (DOMNode.__init__)
    for key, bindings in table.items():
        table[key] = [
            dataclasses.replace(b, description=_(b.description)) if b.description else b
            for b in bindings
        ]
