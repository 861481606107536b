"""Text from outside (a DNS answer, a config path, a server's reply) is drawn as plain text:
never markup (no MarkupError crash), never a control code reaching the terminal."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult

from mailgw.delivery.findings import Finding, Status
from mailgw.delivery.records import Record
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.choice import CANCEL, ChoiceDialog
from mailgw.tui.widgets.records_table import RecordsTable
from mailgw.tui.widgets.status_line import StatusLine

from .pilot_helpers import settled, wait_for_dialog, wait_until

HOSTILE = "v=spf1 [/] [b]x[/b] \x1b[2J\x1b]0;owned\x07 -all"


class _TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield RecordsTable(id="records")


async def test_a_dns_answer_with_markup_and_escapes_is_drawn_as_text() -> None:
    app = _TableApp()
    async with app.run_test(size=(100, 10)) as pilot:
        table = app.query_one(RecordsTable)
        record = Record("example.com", "TXT", HOSTILE, "spf", check="spf")
        table.show([record], [Finding("spf", Status.WRONG, "SPF", found=HOSTILE)], "example.com")
        await wait_until(pilot, lambda: table.row_count == 1, "the row")
        cells = [str(cell) for cell in table.get_row_at(0)]
    assert "v=spf1 [/] [b]x[/b] \\x1b[2J\\x1b]0;owned\\x07 -all" in cells
    assert not any("\x1b" in cell for cell in cells)


async def test_a_config_path_with_markup_draws_the_first_frame(tmp_path: Path) -> None:
    folder = tmp_path / "x[/]y\x1b]0;t"  # the folders x[ and ]y\x1b]0;t
    folder.mkdir(parents=True)
    config = folder / "email-gateway.toml"
    config.write_text('[smtp]\ngateway = "custom"\nhost = "127.0.0.1"\n')
    app = MailgwApp(config)
    async with app.run_test(size=(120, 24)) as pilot:
        await settled(pilot)
        app.notify(f"Saved to {config}.")  # a toast with the path: plain text too
        await settled(pilot)
        shown = str(app.query_one(StatusLine).render())
    assert "x[/]y\\x1b]0;t" in shown and "\x1b" not in shown


async def test_a_dialog_shows_a_hostile_certificate_name_as_escapes(tmp_path: Path) -> None:
    app = App[None]()
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = ChoiceDialog("Pin [/]?", f"Names: {HOSTILE}", [CANCEL], detail=HOSTILE)
        app.push_screen(dialog)
        await wait_for_dialog(pilot)
        body = str(dialog.query_one("#dialog-body").render())
    assert "[/]" in body and "\\x1b[2J" in body and "\x1b" not in body
