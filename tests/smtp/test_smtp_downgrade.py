"""A stripped STARTTLS never turns the configured TLS into clear text without an explicit yes."""

from __future__ import annotations

import json

import pytest

from mailgw import cli
from mailgw.config import editing, store
from mailgw.config.model import Security, Settings
from mailgw.delivery.detect import PortReport, WeakerSecurity, recommended_values
from tests.support.smtpserver import smtp_server

CONFIG = """[smtp]
gateway = "custom"
host = "127.0.0.1"
port = 587
security = "starttls"
timeout = 10
"""


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        cli.run(list(argv))
    out, err = capsys.readouterr()
    return exit_info.value.code, out, err


def test_detect_apply_never_turns_starttls_into_none_by_itself(capsys, config_path) -> None:
    config_path.write_text(CONFIG)
    before = config_path.read_bytes()
    with smtp_server("plain") as stripped:  # as an attacker who removed STARTTLS from EHLO
        args = ["--config", str(config_path), "detect", "--ports", f"{stripped.port}"]
        code, out, err = _run(capsys, *args, "--apply")
        assert code == 1 and config_path.read_bytes() == before
        assert "weaker than the configured starttls" in err and "--allow-downgrade" in err
        assert "recommended: port" not in out
        code, out, err = _run(capsys, *args, "--json")
        assert code == 1 and json.loads(out)["weaker_than_configured"] is True
        code, out, err = _run(capsys, *args, "--apply", "--allow-downgrade")
    assert code == 0, err
    saved = store.load(config_path).settings.smtp
    assert (saved.port, saved.security) == (stripped.port, Security.NONE)


def test_allow_downgrade_needs_apply(capsys, config_path) -> None:
    config_path.write_text(CONFIG)
    code, _, err = _run(capsys, "--config", str(config_path), "detect", "--allow-downgrade")
    assert code == 2 and "--apply" in err


@pytest.mark.parametrize("configured", [Security.STARTTLS, Security.SSL])
def test_recommended_values_refuse_plain_text_where_tls_is_configured(configured) -> None:
    plain = PortReport(port=25, tried=Security.STARTTLS, security="none", reachable=True)
    with pytest.raises(WeakerSecurity, match=f"weaker than the configured {configured.value}"):
        recommended_values("mail.example.com", plain, configured=configured)
    values = recommended_values(
        "mail.example.com", plain, configured=configured, allow_downgrade=True
    )
    settings = Settings()
    editing.apply(settings, values)
    assert settings.smtp.security == Security.NONE
    # nothing configured but none: plain text is no step down
    assert recommended_values("mail.example.com", plain)["smtp.security"] == "none"
