"""Whatever is typed after `mailgw set`, the answer is exit 0 or 2 and never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import jsonschema
import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from mailgw import cli
from mailgw.config import store
from mailgw.config.schema import KEYS, SECRET_KEYS, json_schema
from mailgw.config.validate import errors, validate

SCHEMA = json_schema()
SETTABLE = sorted(set(KEYS) - SECRET_KEYS)
values = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["nan", "inf", "-inf", "1e400", "0", "-1", "65536", "1_000", " 25 ", "[", "[1]",
                     '["a", 2]', "true", "none", "ssl", "x@y.example", "a\nb", "\0"]),
)  # fmt: skip


@settings(max_examples=200, deadline=None, database=None)
@given(key=st.sampled_from(SETTABLE), value=values)
def test_set_anything_is_exit_0_or_2_and_the_file_stays_valid(key: str, value: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "email-gateway.toml"
        with pytest.raises(SystemExit) as exited:
            cli.run(["--config", str(config), "set", f"{key}={value}"])
        assert exited.value.code in (0, 2)
        if config.exists():
            settings_now = store.load(config).settings  # parses and types back
            assert errors(validate(settings_now)) == []
            jsonschema.validate(tomlkit.parse(config.read_text()).unwrap(), SCHEMA)
        else:
            assert exited.value.code == 2  # a refused value writes nothing
