"""As a user who may not read or write (root reads anything, so a forked child acts as nobody)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailgw import cli
from mailgw.config import store

NOBODY = 65534

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder another user can enter (pytest's own tmp folders are root-only)."""
    folder = Path(tempfile.mkdtemp(prefix="mailgw-other-user-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(action: Callable[[], object]) -> object:
    """Run `action` in a forked child that has become nobody; return what it returned."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: drop to nobody, act, report as JSON, and never return to pytest
        try:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)
            outcome = action()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent as data
            outcome = {"raised": type(exc).__name__, "message": str(exc)}
        try:
            os.write(write_end, json.dumps(outcome, default=str).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    chunks = []
    while chunk := os.read(read_end, 65536):
        chunks.append(chunk)
    os.close(read_end)
    os.waitpid(pid, 0)
    return json.loads(b"".join(chunks))


def test_an_unreadable_password_file_is_an_error_naming_it(shared_folder: Path) -> None:
    secret = shared_folder / "smtp.secret"
    secret.write_text("pw\n")
    secret.chmod(0o600)  # root's: nobody may not read it
    config = shared_folder / "email-gateway.toml"
    config.write_text(
        '[smtp]\ngateway = "custom"\nhost = "mail.example.com"\n'
        f'[smtp.auth]\nenabled = true\nusername = "u"\npassword_file = "{secret}"\n'
    )
    config.chmod(0o644)

    def check() -> list[dict[str, str]]:
        from mailgw.config.validate import validate

        return [p.as_dict() for p in validate(store.load(config).settings)]

    problems = _as_nobody(check)
    assert isinstance(problems, list), problems
    assert [(p["key"], p["severity"]) for p in problems] == [("smtp.auth.password_file", "error")]
    assert str(secret) in problems[0]["message"]
    assert "cannot be read by this user" in problems[0]["message"]


def test_an_unwritable_config_folder_is_one_line_and_leaves_the_file(
    shared_folder: Path,
) -> None:
    config = shared_folder / "email-gateway.toml"
    config.write_text("schema_version = 1\n")
    config.chmod(0o644)

    def set_port() -> dict[str, object]:
        import contextlib
        import io

        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            try:
                cli.run(["--config", str(config), "set", "smtp.port=2525"])
            except SystemExit as exc:
                return {"code": exc.code, "stderr": err.getvalue()}
        return {"code": None, "stderr": err.getvalue()}

    outcome = _as_nobody(set_port)
    assert isinstance(outcome, dict) and outcome["code"] == 2, outcome
    stderr = str(outcome["stderr"])
    assert stderr.count("\n") == 1 and "Traceback" not in stderr
    assert "sudo" in stderr and "unchanged" in stderr
    assert config.read_text() == "schema_version = 1\n"
