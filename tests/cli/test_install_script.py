"""install.sh: what can be checked without the network (the bundle/offline round trip is
verified by hand, see README)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _checkout(tmp_path: Path) -> Path:
    """A copy of install.sh in a folder of its own, so that nothing runs in the real repo."""
    folder = tmp_path / "checkout"
    folder.mkdir()
    shutil.copy2(ROOT / "install.sh", folder / "install.sh")
    return folder


def _fake_python(tmp_path: Path, body: str) -> Path:
    fake = tmp_path / "bin" / "python-fake"
    fake.parent.mkdir(exist_ok=True)
    fake.write_text(f"#!/bin/sh\n{body}\n")
    fake.chmod(0o755)
    return fake


def _run(folder: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(folder / "install.sh"), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        cwd=folder,
    )


def test_help_lists_every_option(tmp_path: Path) -> None:
    result = _run(_checkout(tmp_path), "--help")
    assert result.returncode == 0
    for option in ("--open", "--dev", "--bundle DIR", "--offline DIR", "--uninstall"):
        assert option in result.stdout
    assert "set -e" not in result.stdout


def test_unknown_option_is_exit_2(tmp_path: Path) -> None:
    result = _run(_checkout(tmp_path), "--frobnicate")
    assert result.returncode == 2 and "unknown option --frobnicate" in result.stderr


def test_too_old_python_names_the_packages_to_install(tmp_path: Path) -> None:
    old = _fake_python(tmp_path, 'echo "Python 3.8.10"; exit 1')  # fails the version check
    result = _run(_checkout(tmp_path), PYTHON=str(old))
    assert result.returncode == 1
    assert f"Python >= 3.10 is needed (PYTHON={old} is not)" in result.stderr
    assert "Debian/Ubuntu: apt-get install" in result.stderr
    assert "RHEL/Rocky/Alma: dnf install python3.11" in result.stderr


def test_missing_venv_module_names_the_package(tmp_path: Path) -> None:
    no_venv = _fake_python(tmp_path, 'case "$*" in *ensurepip*) exit 1 ;; *) exit 0 ;; esac')
    folder = _checkout(tmp_path)
    result = _run(folder, PYTHON=str(no_venv))
    assert result.returncode == 1
    assert "venv module is missing" in result.stderr and "python3-venv" in result.stderr
    assert not (folder / ".venv").exists()


def test_offline_without_the_folder_says_how_to_make_one(tmp_path: Path) -> None:
    folder = _checkout(tmp_path)
    env = {"MAILGW_PREFIX": str(tmp_path / "opt"), "MAILGW_BIN_LINK": str(tmp_path / "l"),
           "MAILGW_CONFIG_DIR": str(tmp_path / "etc")}  # fmt: skip
    result = _run(folder, "--offline", str(tmp_path / "no-wheels"), **env)
    assert result.returncode == 1
    assert "no wheel folder" in result.stderr and "--bundle DIR" in result.stderr
    assert not (folder / ".venv").exists() and not (tmp_path / "opt").exists()


def _as_uid(tmp_path: Path, uid: int) -> dict[str, str]:
    """An environment in which install.sh's `id -u` answers `uid` (root or not, as needed)."""
    shim = tmp_path / "shim"
    shim.mkdir(exist_ok=True)
    real_id = shutil.which("id") or "/usr/bin/id"
    (shim / "id").write_text(
        f'#!/bin/sh\n[ "$1" = "-u" ] && echo {uid} && exit 0\nexec {real_id} "$@"\n'
    )
    (shim / "id").chmod(0o755)
    return {"PATH": f"{shim}:{os.environ['PATH']}"}


def test_uninstall_as_a_user_removes_the_venv_and_never_the_config(tmp_path: Path) -> None:
    folder = _checkout(tmp_path)
    (folder / ".venv" / "bin").mkdir(parents=True)
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "mailgw" / "email-gateway.toml"
    config.parent.mkdir(parents=True)
    config.write_text("schema_version = 1\n")
    result = _run(folder, "--uninstall", **_as_uid(tmp_path, 1000))
    assert result.returncode == 0 and "is kept" in result.stdout
    assert not (folder / ".venv").exists()
    assert config.read_text() == "schema_version = 1\n"


def test_uninstall_as_root_removes_the_install_and_keeps_the_config(tmp_path: Path) -> None:
    prefix, link, etc = tmp_path / "opt" / "mailgw", tmp_path / "bin" / "mailgw", tmp_path / "etc"
    (prefix / "venv" / "bin").mkdir(parents=True)
    (prefix / "venv" / "bin" / "mailgw").write_text("#!/bin/sh\n")
    link.parent.mkdir()
    link.symlink_to(prefix / "venv" / "bin" / "mailgw")
    etc.mkdir(mode=0o750)
    (etc / "email-gateway.toml").write_text("schema_version = 1\n")
    (etc / "backups").mkdir()
    env = {"MAILGW_PREFIX": str(prefix), "MAILGW_BIN_LINK": str(link),
           "MAILGW_CONFIG_DIR": str(etc)}  # fmt: skip
    result = _run(_checkout(tmp_path), "--uninstall", **env, **_as_uid(tmp_path, 0))
    assert result.returncode == 0, result.stderr
    assert not prefix.exists() and not link.is_symlink()
    assert (etc / "email-gateway.toml").read_text() == "schema_version = 1\n"
    assert (etc / "backups").is_dir()


def test_uninstall_leaves_a_foreign_mailgw_link_alone(tmp_path: Path) -> None:
    link = tmp_path / "bin" / "mailgw"
    link.parent.mkdir()
    link.symlink_to("/somewhere/else/mailgw")
    env = {"MAILGW_PREFIX": str(tmp_path / "opt"), "MAILGW_BIN_LINK": str(link),
           "MAILGW_CONFIG_DIR": str(tmp_path / "etc")}  # fmt: skip
    assert _run(_checkout(tmp_path), "--uninstall", **env, **_as_uid(tmp_path, 0)).returncode == 0
    assert link.is_symlink()


def test_readme_opens_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    assert block.splitlines()[0].startswith("./install.sh --open")
    assert block.splitlines()[1].startswith(
        "./install.sh --dev && .venv/bin/python -m pytest -n auto"
    )
    ci = (ROOT / ".ci" / "run").read_text("utf-8")
    assert "./install.sh --dev && .venv/bin/python -m pytest -n auto" in ci


def _can_become_nobody() -> bool:
    return os.geteuid() == 0 and shutil.which("runuser") is not None and _has_nobody()


def _has_nobody() -> bool:
    import pwd

    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return False
    return True


needs_root = pytest.mark.skipif(not _can_become_nobody(), reason="needs root and a user nobody")


def _root_env(base: Path) -> dict[str, str]:
    return {"MAILGW_PREFIX": str(base / "opt"), "MAILGW_BIN_LINK": str(base / "bin" / "mailgw"),
            "MAILGW_CONFIG_DIR": str(base / "etc")}  # fmt: skip


@needs_root
def test_root_install_refuses_a_python_other_users_cannot_run(tmp_path: Path) -> None:
    """Like a pyenv under /root: pytest's tmp folder is root's own (0700)."""
    private = tmp_path / "pyenv" / "python3"
    private.parent.mkdir(mode=0o700)
    private.symlink_to(sys.executable)
    result = _run(_checkout(tmp_path), PYTHON=str(private), **_root_env(tmp_path))
    assert result.returncode == 1
    assert f"{private} cannot be run by other users" in result.stderr
    assert "PYTHON=/usr/bin/python3 ./install.sh" in result.stderr
    assert not (tmp_path / "opt").exists() and not (tmp_path / "bin").exists()


# Answers install.sh's questions like a Python would; `-m venv` copies itself, `-m pip` writes a
# mailgw command with the mode the test asks for.
FAKE_PYTHON = """#!/bin/sh
case "$1 $2" in
  "-m venv") mkdir -p "$3/bin" && cp "$0" "$3/bin/python" ;;
  "-m pip") bin=$(dirname "$0")
            printf '#!/bin/sh\\necho "mailgw, version 0.1.0"\\n' > "$bin/mailgw"
            chmod "$FAKE_MAILGW_MODE" "$bin/mailgw" ;;
  *print*) echo "$0" ;;
esac
exit 0
"""


@needs_root
@pytest.mark.parametrize(("mode", "runs"), [("0755", True), ("0700", False)])
def test_root_install_proves_the_link_runs_for_nobody(
    tmp_path: Path, mode: str, runs: bool
) -> None:
    public = Path(tempfile.mkdtemp(prefix="mailgw-install-"))  # outside root's 0700 tmp folder
    try:
        public.chmod(0o755)
        fake = public / "python3"
        fake.write_text(FAKE_PYTHON)
        fake.chmod(0o755)
        env = {**_root_env(public), "PYTHON": str(fake), "FAKE_MAILGW_MODE": mode}
        result = _run(_checkout(tmp_path), **env)
    finally:
        shutil.rmtree(public)
    if runs:
        assert result.returncode == 0, result.stderr
        assert "(runs for every user)" in result.stdout
    else:
        assert result.returncode == 1
        assert "does not run for other users" in result.stderr
        assert "Permission denied" in result.stderr


def test_a_root_install_prefers_the_system_python() -> None:
    script = (ROOT / "install.sh").read_text("utf-8")
    body = script.split("find_python() {", 1)[1].split("\n}", 1)[0]
    assert "candidates=(/usr/bin/python3 " in body and 'is_root && [ "$dev" -eq 0 ]' in body
