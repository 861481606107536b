"""`python -m mailgw` and the `mailgw` console script."""

from __future__ import annotations

import sys

EXIT_CANNOT_RUN = 2


def console_config(argv: list[str]) -> tuple[bool, str | None]:
    """(True, --config value or None) when argv only opens the console; else (False, None)."""
    if not argv:
        return True, None
    if len(argv) == 2 and argv[0] == "--config":
        return True, argv[1]
    if len(argv) == 1 and argv[0].startswith("--config="):
        return True, argv[0].partition("=")[2]
    return False, None


def main() -> None:
    opens_console, config = console_config(sys.argv[1:])
    if not opens_console:
        from mailgw.cli import run_and_exit

        run_and_exit()
    # The console skips click and the command modules: on a slow SSH link every ms of start counts.
    from mailgw.config.errors import ConfigError
    from mailgw.config.paths import resolve_config_path
    from mailgw.tui.app import run as run_console

    try:
        run_console(resolve_config_path(config))
    except ConfigError as exc:
        print(f"mailgw: {exc}", file=sys.stderr)
        sys.exit(EXIT_CANNOT_RUN)


if __name__ == "__main__":
    main()
