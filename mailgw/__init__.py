"""mailgw: the email-gateway console of the GPS-tracking platform."""

import os

__version__ = "0.1.0"


def _find_checkout_siblings() -> None:
    """In a checkout, also look for subpackages in the folder above (config/ is mailgw.config).

    `python -m mailgw` run from the repository root imports this folder, not the installed
    package, and the checkout keeps config/, delivery/ and tui/ beside mailgw/ (pyproject maps
    them under mailgw when installing): without this, `mailgw.config` is not found.
    """
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    marks = (os.path.join(root, "pyproject.toml"), os.path.join(root, "config", "__init__.py"))
    if all(os.path.isfile(mark) for mark in marks) and root not in __path__:
        __path__.append(root)


_find_checkout_siblings()
