"""A package built from a clean checkout carries the catalogs: sdist -> wheel -> a venv elsewhere.

The build runs offline with this interpreter's setuptools and babel (--no-build-isolation; they
are in the dev extras because they are the build requirements). The fresh venv sees this
environment's dependencies through a .pth line, never its (editable) mailgw.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SOURCE = (".git", ".venv", "build", "dist", "*.egg-info", "*.mo", "__pycache__", "tests")
CATALOG = "mailgw/locale/pt_BR/LC_MESSAGES/mailgw.mo"
IGNORED_PACKAGE = "Package would be ignored"


def _run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout + result.stderr


def _clean_checkout(tmp_path: Path) -> Path:
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(*NOT_SOURCE))
    assert not list(copy.rglob("*.mo"))
    return copy


def _sdist(checkout: Path, out: Path) -> Path:
    build = f"from setuptools import build_meta as b; print(b.build_sdist({str(out)!r}))"
    log = _run(sys.executable, "-c", build, cwd=checkout)
    assert IGNORED_PACKAGE not in log
    return out / log.strip().splitlines()[-1]


def _wheel(source: Path, out: Path) -> Path:
    log = _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
        "-v", "-w", out, ".", cwd=source,
    )  # fmt: skip
    assert IGNORED_PACKAGE not in log
    return next(out.glob("mailgw-*.whl"))


def _venv_with_wheel(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "elsewhere" / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True)
    purelib = sysconfig.get_path("purelib", vars={"base": str(venv), "platbase": str(venv)})
    (Path(purelib) / "deps.pth").write_text(sysconfig.get_path("purelib") + "\n")
    _run(
        sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install",
        "--no-deps", "--no-index", wheel, cwd=tmp_path,
    )  # fmt: skip
    return venv


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    tmp_path = tmp_path_factory.mktemp("packaging")
    if not (ROOT / "setup.py").is_file():
        pytest.skip("no source checkout")
    checkout = _clean_checkout(tmp_path)
    sdist = _sdist(checkout, tmp_path / "sdist")
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    wheel = _wheel(next((tmp_path / "unpacked").iterdir()), tmp_path / "wheels")
    venv = _venv_with_wheel(tmp_path, wheel)
    return {"checkout": checkout, "sdist": sdist, "wheel": wheel, "venv": venv, "tmp": tmp_path}


def test_the_sdist_carries_what_compiles_the_catalogs(built: dict[str, Path]) -> None:
    with tarfile.open(built["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"setup.py", "tools/compile_catalogs.py", "mailgw/locale/pt_BR/LC_MESSAGES/tui.po"} <= (
        names
    )


def test_the_wheel_built_from_the_sdist_carries_the_catalog(built: dict[str, Path]) -> None:
    with zipfile.ZipFile(built["wheel"]) as archive:
        assert CATALOG in archive.namelist()
        assert not [name for name in archive.namelist() if name.endswith(".po")]


def test_the_installed_wheel_runs_in_portuguese(built: dict[str, Path]) -> None:
    env = {"LANG": "pt_BR.UTF-8"}
    command = built["venv"] / "bin" / "mailgw"
    help_text = _run(command, "--help", cwd=built["tmp"], env=env)
    assert "Sem comando, abre o console." in help_text
    result = subprocess.run(
        [command, "set", "smtp.port"], cwd=built["tmp"], capture_output=True, text=True, env={
            **os.environ, **env}
    )  # fmt: skip
    assert result.returncode == 2 and "esperado CHAVE=VALOR" in result.stderr


def test_python_m_mailgw_works_from_the_repository_root(built: dict[str, Path]) -> None:
    """Run there, Python imports the checkout's mailgw/ (whose config/ is a sibling folder)."""
    python = built["venv"] / "bin" / "python"
    assert "version" in _run(python, "-m", "mailgw", "--version", cwd=built["checkout"])
    show = _run(python, "-m", "mailgw", "path", cwd=built["checkout"])
    assert show.strip().endswith("email-gateway.toml")
