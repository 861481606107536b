"""Real processes: a writer killed mid-save, and two writers at once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mailgw.config import store
from mailgw.config.errors import LockHeld

SAVE_LOOP = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from mailgw.config import store

    path = Path(sys.argv[1])
    for round in range(10**9):
        loaded = store.load(path)
        settings = loaded.settings.copy()
        settings.email.signature = ("A" if round % 2 else "B") * 300_000
        settings.smtp.port = 2000 + round % 2
        store.save(loaded, settings)
        if round == 0:
            print("ready", flush=True)
    """
)

HOLD_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from mailgw.config import store

    def slow_write(*args, **kwargs):
        print("locked", flush=True)
        time.sleep(30)

    store._write_atomic = slow_write
    loaded = store.load(Path(sys.argv[1]))
    settings = loaded.settings.copy()
    settings.smtp.host = "first.example"
    store.save(loaded, settings)
    """
)


def _start(code: str, config_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", code, str(config_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(child: subprocess.Popen[str], word: str) -> None:
    assert child.stdout is not None
    line = child.stdout.readline()
    assert line.strip() == word, child.stderr.read() if child.stderr else line


def test_sigkill_during_save_loops_never_leaves_a_partial_file(config_path: Path) -> None:
    rng = random.Random(2)
    states = set()
    for _ in range(12):
        child = _start(SAVE_LOOP, config_path)
        try:
            _wait_for(child, "ready")
            time.sleep(rng.uniform(0, 0.08))
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
        settings = store.load(config_path).settings  # raises if torn or invalid
        signature = settings.email.signature
        assert signature in ("A" * 300_000, "B" * 300_000)
        assert settings.smtp.port == (2001 if signature[0] == "A" else 2000)
        states.add(signature[0])
    leftovers = [p.name for p in config_path.parent.rglob("*") if p.name.endswith(".tmp")]
    if not store._TMPFILE:  # named temp files: the next writer removes a killed one's
        loaded = store.load(config_path)
        store.save(loaded, loaded.settings.copy(), force=True)
        leftovers = [p.name for p in config_path.parent.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []
    assert all(store.parse(b.path, b.path.read_bytes()) for b in store.list_backups(config_path))


HALF_WRITE_THEN_WAIT = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from mailgw.config import store

    if sys.argv[3] == "named":
        store._TMPFILE = 0  # as on a file system without O_TMPFILE
    writes = []  # the first write of a save is the backup, the second the new file
    real_write_all = store._write_all

    def half_then_wait(fd, data):
        writes.append(fd)
        if len(writes) < int(sys.argv[2]):
            return real_write_all(fd, data)
        os.write(fd, data[: len(data) // 2])
        print("half-written", flush=True)
        time.sleep(30)

    store._write_all = half_then_wait
    loaded = store.load(Path(sys.argv[1]))
    settings = loaded.settings.copy()
    settings.email.signature = "new " * 10_000
    store.save(loaded, settings)
    """
)


@pytest.mark.parametrize("temp", ["unnamed", "named"])
@pytest.mark.parametrize("write", [1, 2], ids=["writing-the-backup", "writing-the-file"])
def test_sigkill_in_the_middle_of_writing_leaves_the_old_file(
    config_path: Path, write: int, temp: str
) -> None:
    config_path.write_text('[smtp]\nhost = "old.example"\n')
    os.chmod(config_path, 0o600)
    before = config_path.read_bytes()
    child = subprocess.Popen(
        [sys.executable, "-c", HALF_WRITE_THEN_WAIT, str(config_path), str(write), temp],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(child, "half-written")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert config_path.read_bytes() == before
    assert [b.path.read_bytes() for b in store.list_backups(config_path)] == (
        [] if write == 1 else [before]
    )  # never a torn backup
    temps = [p for p in config_path.parent.rglob("*") if p.name.endswith(".tmp")]
    if store._TMPFILE and temp == "unnamed":  # O_TMPFILE: a killed writer leaves nothing
        assert temps == []
    else:  # a hidden, private, half-written temp file, removed by the next writer
        assert len(temps) == 1 and temps[0].stat().st_mode & 0o077 == 0
    loaded = store.load(config_path)
    settings = loaded.settings.copy()
    settings.smtp.port = 2525
    store.save(loaded, settings)  # the next writer removes the orphan under the lock
    assert not any(p.name.endswith(".tmp") for p in config_path.parent.rglob("*"))


def test_second_writer_gets_lock_held_naming_the_first(config_path: Path) -> None:
    holder = _start(HOLD_LOCK, config_path)
    try:
        _wait_for(holder, "locked")
        loaded = store.load(config_path)
        settings = loaded.settings.copy()
        settings.smtp.host = "second.example"
        with pytest.raises(LockHeld) as caught:
            store.save(loaded, settings)
        assert f"pid {holder.pid}" in str(caught.value)
        assert not config_path.exists()  # the loser wrote nothing

        env = {**os.environ, "MAILGW_CONFIG": str(config_path)}
        cli = subprocess.run(
            [sys.executable, "-m", "mailgw", "set", "smtp.port=2525"],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
        )
        assert cli.returncode == 2
        assert cli.stderr.count("\n") == 1 and f"pid {holder.pid}" in cli.stderr
        assert "Traceback" not in cli.stderr
    finally:
        holder.kill()
        holder.wait(timeout=10)
    store.save(loaded, settings)  # the lock dies with its holder
    assert store.load(config_path).settings.smtp.host == "second.example"


def test_two_processes_saving_at_once_one_wins_the_other_is_told(config_path: Path) -> None:
    """Both start from the same load; whoever is second is refused (lock or stale), never lost."""
    racer = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        from mailgw.config import store
        from mailgw.config.errors import LockHeld, StaleConfig

        loaded = store.load(Path(sys.argv[1]))
        settings = loaded.settings.copy()
        settings.smtp.host = sys.argv[2]
        print("loaded", flush=True)
        sys.stdin.readline()
        try:
            store.save(loaded, settings)
            print("saved", flush=True)
        except (LockHeld, StaleConfig) as exc:
            print(type(exc).__name__, flush=True)
        """
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", racer, str(config_path), f"host{n}.example"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "loaded"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outcomes = sorted(child.communicate(timeout=30)[0].strip() for child in children)
    assert outcomes[1] == "saved" and outcomes[0] in ("LockHeld", "StaleConfig")
    winner = store.load(config_path).settings.smtp.host
    assert winner in ("host0.example", "host1.example")
