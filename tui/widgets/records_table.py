"""The records to publish, one row each, with what the last DNS check said about it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from mailgw.config.printable import printable
from mailgw.delivery.findings import Finding
from mailgw.i18n import N_, _
from mailgw.tui import domain_text as text

if TYPE_CHECKING:
    from mailgw.delivery.records import Record

# What DNS has instead of a value is shown under the table for the row under the cursor: a
# fifth column fell off the screen at 80 columns. The value wraps in what the others leave.
VALUE = N_("Value to publish")
COLUMNS = (N_("Status"), N_("Type"), N_("Name"), VALUE)
NARROWEST_VALUE = 16


class RecordsTable(DataTable[Text]):
    """Status (with a mark, for NO_COLOR), type, name relative to the domain, value."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.records: list[Record] = []
        self.findings: dict[str, Finding] = {}
        self.domain = ""
        self._deadlines: dict[str, float] = {}  # pending check -> monotonic time its cache ends

    def on_mount(self) -> None:
        for column in COLUMNS:
            self.add_column(_(column), key=column)
        self.set_interval(1, self._count_down)

    def on_resize(self) -> None:
        if self._fit_value_column() and self.records:
            self._fill()

    def _fit_value_column(self) -> bool:
        """Give the value column what the others leave; True when its width changed."""
        others = sum(c.get_render_width(self) for k, c in self.columns.items() if k != VALUE)
        room = self.scrollable_content_region.width - others - 2 * self.cell_padding
        value = self.columns[ColumnKey(VALUE)]
        width = max(NARROWEST_VALUE, room)
        if not value.auto_width and value.width == width:
            return False
        value.auto_width, value.width = False, width
        return True

    def show(self, records: list[Record], findings: list[Finding] | None, domain: str) -> None:
        """Fill the rows; `findings` None means not checked yet."""
        self.records, self.domain = records, domain
        self.findings = {f.check: f for f in findings or []}
        now = time.monotonic()
        self._deadlines = {
            f.check: now + seconds
            for f in findings or []
            if (seconds := text.cache_seconds(f)) is not None
        }
        self._fit_value_column()
        self._fill()

    def _fill(self) -> None:
        row = self.cursor_row
        self.clear()
        for index, record in enumerate(self.records):
            self.add_row(*self._cells(record), key=str(index), height=None)  # the value wraps
        if self.records:
            self.move_cursor(row=min(max(row, 0), len(self.records) - 1))

    def current(self) -> tuple[Record, Finding | None] | None:
        """The record under the cursor and its finding."""
        if not self.records or self.cursor_row < 0:
            return None
        record = self.records[min(self.cursor_row, len(self.records) - 1)]
        return record, self.findings.get(text.check_of(record))

    def _cells(self, record: Record) -> tuple[Text, ...]:
        """Plain text, never markup: a TXT record may well hold `[/]` or an escape code."""
        finding = self.findings.get(text.check_of(record))
        status = text.status_cell(finding, self._seconds_left(finding))
        name = text.relative_name(record.name, self.domain)
        return tuple(Text(printable(cell)) for cell in (status, record.type, name, record.value))

    def _seconds_left(self, finding: Finding | None) -> int | None:
        deadline = self._deadlines.get(finding.check) if finding is not None else None
        return None if deadline is None else round(deadline - time.monotonic())

    def _count_down(self) -> None:
        """Pending rows show the cache time left, a second at a time."""
        for index, record in enumerate(self.records):
            if text.check_of(record) in self._deadlines:
                self.update_cell(str(index), COLUMNS[0], self._cells(record)[0])
