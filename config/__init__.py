"""The contract with the platform: model, validation, presets and the TOML store."""
