"""A live timeline: one row per stage (or port), with a mark, the state in words and the ms."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING

from textual.widgets import Static

from mailgw.config.printable import printable
from mailgw.delivery.results import stage_label
from mailgw.i18n import N_, _

if TYPE_CHECKING:
    from mailgw.delivery.results import Stage


class RowState(str, enum.Enum):
    WAITING = "waiting"
    RUNNING = "running"
    OK = "ok"
    FAILED = "failed"
    CANCELLED = "cancelled"
    NOT_RUN = "not_run"


# The mark and the word both say the state: colour alone never does (NO_COLOR).
_MARKS = {
    RowState.WAITING: "·",
    RowState.RUNNING: "…",
    RowState.OK: "✓",
    RowState.FAILED: "✗",
    RowState.CANCELLED: "⊘",
    RowState.NOT_RUN: "-",
}
_WORDS = {
    RowState.WAITING: N_("waiting"),
    RowState.RUNNING: N_("running"),
    RowState.OK: N_("ok"),
    RowState.FAILED: N_("failed"),
    RowState.CANCELLED: N_("cancelled"),
    RowState.NOT_RUN: N_("not run"),
}


@dataclass
class Row:
    """One line of the timeline."""

    name: str
    label: str
    state: RowState = RowState.WAITING
    ms: float | None = None
    detail: str = ""

    def line(self) -> str:
        ms = f"{self.ms:6.0f} ms" if self.ms is not None else " " * 9
        word = _(_WORDS[self.state])
        detail = f"  {self.detail}" if self.detail else ""
        return f" {_MARKS[self.state]} {self.label:<14} {ms}  {word}{detail}"


class Timeline(Static):
    """Rows planned before a run starts, filled in as each stage reports."""

    DEFAULT_CLASSES = "timeline"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.rows: list[Row] = []

    def plan(
        self, names: list[str], labels: dict[str, str] | None = None, *, at_once: bool = False
    ) -> None:
        """Start over with these rows: the first one running, or all of them `at_once`."""
        labels = labels or {}
        self.rows = [Row(n, labels.get(n) or stage_label(n)) for n in names]
        if at_once:
            for row in self.rows:
                row.state = RowState.RUNNING
        else:
            self._mark_next_running()
        self._show()

    def record(self, stage: Stage) -> None:
        """A stage finished: fill its row (the next one of that name), or add one."""
        row = self._next_open(stage.name)
        if row is None:
            row = Row(stage.name, stage_label(stage.name))
            self.rows.append(row)
        row.state = RowState.OK if stage.ok else RowState.FAILED
        row.ms = stage.ms
        self._mark_next_running()
        self._show()

    def update_row(self, name: str, state: RowState, detail: str = "") -> None:
        """Set one row by name (detect's ports report this way)."""
        for row in self.rows:
            if row.name == name:
                row.state, row.detail = state, detail
        self._show()

    def finish(self, *, cancelled: bool = False) -> None:
        """The run ended: what was running is cancelled (or failed), the rest did not run."""
        finished = [row for row in self.rows if row.ms is not None]
        if cancelled and finished and finished[-1].state == RowState.FAILED:
            finished[-1].state = RowState.CANCELLED  # the engine ends a cancelled stage as failed
        for row in self.rows:
            if row.state == RowState.RUNNING:
                row.state = RowState.CANCELLED if cancelled else RowState.NOT_RUN
            elif row.state == RowState.WAITING:
                row.state = RowState.NOT_RUN
        self._show()

    def clear(self) -> None:
        self.rows = []
        self._show()

    def text(self) -> str:
        return "\n".join(row.line() for row in self.rows)

    def _next_open(self, name: str) -> Row | None:
        """The first unfinished row named `name` after the last finished one."""
        done = [i for i, row in enumerate(self.rows) if row.ms is not None]
        start = done[-1] + 1 if done else 0
        for row in self.rows[start:]:
            if row.name == name:
                return row
        return None

    def _mark_next_running(self) -> None:
        if any(row.state == RowState.FAILED for row in self.rows):
            return
        for row in self.rows:
            if row.state == RowState.RUNNING and row.ms is None:
                row.state = RowState.WAITING
        waiting = next((row for row in self.rows if row.ms is None), None)
        if waiting is not None and waiting.state == RowState.WAITING:
            waiting.state = RowState.RUNNING

    def _show(self) -> None:
        self.display = bool(self.rows)
        self.update(printable(self.text()))
