"""Build hook: the message catalogs are compiled as the package is built.

So a wheel, an sdist built into a wheel, `pip install .`, an editable install and install.sh
all carry the Portuguese catalogs (babel is a build requirement in pyproject.toml). Everything
else about the package is declared in pyproject.toml.
"""

from __future__ import annotations

import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def _compile_tool():
    sys.path.insert(0, str(HERE / "tools"))
    import compile_catalogs

    return compile_catalogs


class BuildWithCatalogs(build_py):
    """build_py plus mailgw/locale/*/LC_MESSAGES/mailgw.mo."""

    def run(self) -> None:
        super().run()
        tool = _compile_tool()
        # An editable install imports from the checkout, so its catalogs are compiled there.
        out = tool.LOCALE_DIR if self.editable_mode else Path(self.build_lib) / "mailgw" / "locale"
        conflicts = tool.compile_all(tool.LOCALE_DIR, out)
        if conflicts:
            raise SystemExit("compile_catalogs: " + "; ".join(conflicts))


setup(cmdclass={"build_py": BuildWithCatalogs})
