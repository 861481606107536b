"""The contract's documents (README table, example file, JSON Schema) never drift from KEYS."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
import tomlkit

from mailgw.config import store
from mailgw.config.model import Settings
from mailgw.config.schema import KEYS, json_schema, key_table_markdown
from mailgw.config.validate import validate

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"
REGEN = "run: .venv/bin/python tools/regen_contract.py"


def test_readme_documents_every_key_exactly_as_generated() -> None:
    readme = (CONFIG / "README.md").read_text("utf-8")
    assert key_table_markdown() in readme, REGEN
    for key in KEYS:
        assert f"| `{key}` |" in readme


def test_readme_names_the_plaintext_opt_in_key() -> None:
    readme = (CONFIG / "README.md").read_text("utf-8")
    assert "smtp.allow_plaintext_auth = true" in readme


def test_committed_json_schema_equals_the_generated_one() -> None:
    committed = json.loads((CONFIG / "email-gateway.schema.json").read_text("utf-8"))
    assert committed == json_schema(), REGEN


def test_json_schema_is_itself_valid_draft_2020_12() -> None:
    jsonschema.Draft202012Validator.check_schema(json_schema())


def test_schema_command_prints_the_committed_schema() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mailgw", "schema"], capture_output=True, text=True, check=True
    )
    assert json.loads(out.stdout) == json.loads((CONFIG / "email-gateway.schema.json").read_text())


def test_example_holds_every_key_at_its_default() -> None:
    loaded = store.load(CONFIG / "example.toml")
    assert loaded.settings == Settings()
    assert loaded.unknown_keys == []
    plain = loaded.document.unwrap()
    for key in KEYS:
        node = plain
        for part in key.split("."):
            assert part in node, f"example.toml lacks {key}"
            node = node[part]


def test_example_is_commented_and_valid_for_check() -> None:
    text = (CONFIG / "example.toml").read_text("utf-8")
    assert text.count("#") >= len(KEYS) // 2
    assert validate(store.load(CONFIG / "example.toml").settings) == []


def test_example_validates_against_the_json_schema() -> None:
    document = tomlkit.parse((CONFIG / "example.toml").read_text("utf-8")).unwrap()
    jsonschema.validate(document, json_schema())


def test_json_schema_rejects_a_wrong_type_and_an_out_of_range_port() -> None:
    validator = jsonschema.Draft202012Validator(json_schema())
    assert not validator.is_valid({"smtp": {"port": 70000}})
    assert not validator.is_valid({"smtp": {"security": "tls"}})
    assert not validator.is_valid({"smtp": {"auth": {"enabled": "yes"}}})
    assert validator.is_valid({"smtp": {"port": 2525}, "platform": {"own": 1}})


def test_regen_script_rewrites_only_between_markers(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import regen_contract
    finally:
        sys.path.remove(str(ROOT / "tools"))
    stale = f"intro\n{regen_contract.BEGIN}| old |\n{regen_contract.END}outro\n"
    fresh = regen_contract.readme_text(stale)
    assert fresh.startswith("intro\n") and fresh.endswith("outro\n")
    assert "| old |" not in fresh and key_table_markdown() in fresh
