"""setup: the first-run wizard; `--plain` asks its questions as plain line prompts.

This module stays light (it is imported for every command); the plain front itself lives in
`mailgw.commands.setup_plain` and is imported only when setup runs.
"""

from __future__ import annotations

import os
import sys

import click

from mailgw.commands.common import Context, fail, pass_context
from mailgw.i18n import _


def register(group: click.Group) -> None:
    group.add_command(setup)


@click.command()
@click.option("--plain", is_flag=True, help="Plain line prompts (serial console, TERM=dumb).")
@click.option(
    "--detect-ports",
    default="465:ssl,587:starttls,25:starttls",
    show_default=True,
    help="Ports the server step's detection probes, each PORT[:ssl|starttls].",
)
@pass_context
def setup(ctx: Context, plain: bool, detect_ports: str) -> None:
    """First-time setup: gateway, server, login, sender, a test send, review and save."""
    from mailgw.commands.smtp_cmds import parse_ports

    candidates = parse_ports(detect_ports)
    if not plain and _full_screen_possible():
        from mailgw.tui.app import run as run_tui

        run_tui(ctx.config_path, wizard=True, detect_candidates=candidates)
        return
    from mailgw.commands.setup_plain import PlainSetup
    from mailgw.config import store
    from mailgw.delivery.setup_wizard import Wizard

    wizard = Wizard(store.load(ctx.config_path))
    try:
        PlainSetup(wizard, candidates).run()
    except (EOFError, KeyboardInterrupt):
        click.echo("")
        fail(_("setup interrupted: nothing was saved"))


def _full_screen_possible() -> bool:
    term = os.environ.get("TERM", "")
    return sys.stdin.isatty() and sys.stdout.isatty() and term not in ("", "dumb")
