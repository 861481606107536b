"""The model itself: what its objects show of themselves."""

from __future__ import annotations

from mailgw.config.model import Settings


def test_the_password_never_reaches_a_repr() -> None:
    settings = Settings()
    settings.smtp.auth.password = "sentinel-Pa55"
    assert "sentinel-Pa55" not in repr(settings)
    assert "sentinel-Pa55" not in str(settings.smtp.auth)
    assert settings.copy().smtp.auth.password == "sentinel-Pa55"  # hidden, not dropped
