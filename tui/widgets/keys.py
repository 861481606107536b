"""Footer labels in the reader's language: binding descriptions are msgids, shown through _()."""

from __future__ import annotations

import dataclasses

from textual.dom import DOMNode

from mailgw.i18n import _


def translate_bindings(node: DOMNode) -> None:
    """Give `node`'s own key bindings translated descriptions (its copy, not the class's)."""
    bindings = node._bindings.key_to_bindings  # Textual 8.2.8 (pinned): a per-instance copy
    for key, listed in bindings.items():
        bindings[key] = [
            dataclasses.replace(binding, description=_(binding.description))
            if binding.description
            else binding
            for binding in listed
        ]
