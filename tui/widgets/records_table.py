"""The records to publish, one row each, with what the last DNS check said about it."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import DataTable

from mailgw.config.printable import printable
from mailgw.delivery.findings import Finding, Status
from mailgw.i18n import N_, _
from mailgw.tui import domain_text as text

if TYPE_CHECKING:
    from mailgw.delivery.records import Record

COLUMNS = (N_("Status"), N_("Type"), N_("Name"), N_("Value to publish"), N_("Found"))


class RecordsTable(DataTable[Text]):
    """Status (with a mark, for NO_COLOR), type, name relative to the domain, value, found."""

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
        row = self.cursor_row
        self.clear()
        for index, record in enumerate(records):
            self.add_row(*self._cells(record), key=str(index))
        if records:
            self.move_cursor(row=min(max(row, 0), len(records) - 1))

    def current(self) -> tuple[Record, Finding | None] | None:
        """The record under the cursor and its finding."""
        if not self.records or self.cursor_row < 0:
            return None
        record = self.records[min(self.cursor_row, len(self.records) - 1)]
        return record, self.findings.get(text.check_of(record))

    def _cells(self, record: Record) -> tuple[Text, ...]:
        """Plain text, never markup: a TXT record may well hold `[/]` or an escape code."""
        finding = self.findings.get(text.check_of(record))
        found = finding.found if finding is not None and finding.status is not Status.OK else ""
        status = text.status_cell(finding, self._seconds_left(finding))
        name = text.relative_name(record.name, self.domain)
        return tuple(
            Text(printable(cell)) for cell in (status, record.type, name, record.value, found)
        )

    def _seconds_left(self, finding: Finding | None) -> int | None:
        deadline = self._deadlines.get(finding.check) if finding is not None else None
        return None if deadline is None else round(deadline - time.monotonic())

    def _count_down(self) -> None:
        """Pending rows show the cache time left, a second at a time."""
        for index, record in enumerate(self.records):
            if text.check_of(record) in self._deadlines:
                self.update_cell(str(index), COLUMNS[0], self._cells(record)[0])
