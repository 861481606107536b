"""The sender-domain pane against real loopback DNS servers: statuses, steps, copy view, workers."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, Static, TextArea

from mailgw.delivery.resolver import DnsConfigError
from mailgw.tui.app import MailgwApp
from mailgw.tui.dialogs.zone_lines import ZoneLinesScreen
from mailgw.tui.dns_config import resolver_config
from mailgw.tui.sections.sender_domain import SenderDomainSection
from mailgw.tui.widgets.field import problem_line
from mailgw.tui.widgets.records_table import RecordsTable
from mailgw.tui.widgets.toggles import Check
from tests.dns.authoritative import authoritative_servers, worker_addresses
from tests.dns.zones import DOMAIN, good_zone
from tests.support.dnsserver import Zone, serving

from .domain_helpers import open_tab, run_check, use_resolver, wait_for, write_config
from .pilot_helpers import focus, save_and_confirm, settle, settled, type_into

SIZE = (80, 24)
NAME = Path("email-gateway.toml")


def _rows(section: SenderDomainSection) -> dict[str, list[str]]:
    """Table rows by record name+type: [status, type, name, value]."""
    table = section.query_one("#records", DataTable)
    rows = [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]
    return {f"{row[2]} {row[1]}": row for row in rows}  # names relative to the domain


async def _pane(pilot: Pilot[None]) -> SenderDomainSection:
    return await open_tab(pilot, "sender-domain")  # type: ignore[return-value]


def _two_servers(ns: list[str]) -> tuple[Zone, Zone]:
    """(new, old) zone versions naming two servers: old lacks the mte1 CNAME; neither has DMARC."""
    new, old = good_zone(), good_zone()
    old.remove(f"mte1._domainkey.{DOMAIN}", "CNAME")
    for zone in (new, old):
        zone.remove(f"_dmarc.{DOMAIN}", "TXT")
        zone.remove(DOMAIN, "NS")
        zone.remove(f"ns1.{DOMAIN}", "A")
        zone.add(DOMAIN, "NS", f"ns1.{DOMAIN}.", f"ns2.{DOMAIN}.")
        zone.add(f"ns1.{DOMAIN}", "A", ns[0]).add(f"ns2.{DOMAIN}", "A", ns[1])
    return new, old


async def test_check_shows_missing_and_pending_records(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new, old = _two_servers(worker_addresses(2))
    with authoritative_servers([new, new]) as (ns1, _), serving(old) as resolver:
        use_resolver(monkeypatch, resolver.nameserver, ns1.port)
        app = MailgwApp(write_config(config_path))
        async with app.run_test(size=SIZE) as pilot:
            section = await _pane(pilot)
            assert _rows(section)["_dmarc TXT"][0] == "· not checked"
            await run_check(pilot, section)
            rows = _rows(section)
            found = section.query_one("#records", RecordsTable).findings["dkim:mte1"].found
    dmarc = rows["_dmarc TXT"]
    assert dmarc[0] == "✗ missing" and dmarc[3] == "v=DMARC1; p=none;"
    mte1 = rows["mte1._domainkey CNAME"]
    assert mte1[0].startswith("… pending ") and mte1[0].endswith(" s")
    assert f"ns1.{DOMAIN}" in found  # what the authoritative server already serves
    assert rows["mte2._domainkey CNAME"][0] == "✓ ok"


async def test_checklist_advances_to_assigning_the_sender_and_saves(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    domain = "frota-exemplo.com.br"  # a name the address validation accepts (not .test)
    config = write_config(config_path, from_address="no-reply@x-gpsmail.com", domain=domain, key="")
    with serving(good_zone(domain=domain)) as server:
        use_resolver(monkeypatch, server.nameserver, server.port)
        app = MailgwApp(config)
        async with app.run_test(size=SIZE) as pilot:
            section = await _pane(pilot)
            checklist = section.query_one("#domain-checklist", Static)
            assert str(checklist.content).splitlines()[0].startswith("[→] 1.")
            key = section.query_one("#verification-key", Input)
            key.value = "bad key"
            await settled(pilot)
            assert "is not a verification key" in str(problem_line(key).content)
            await type_into(pilot, "#verification-key", "K1")
            assert not problem_line(key).display
            record = str(section.query_one("#verification-record", Static).content)
            assert f'{domain}. 3600 IN TXT "mandrill_verify.K1"' in record
            use = section.query_one("#use-sender", Button)
            section.query_one("#sender-address", Input).value = f"alerts@{domain}"
            await settled(pilot)
            assert use.disabled  # not before DNS passes
            await run_check(pilot, section)
            steps = str(checklist.content).splitlines()
            assert [s[:3] for s in steps] == ["[✓]", "[✓]", "[→]"]
            assert not use.disabled
            request = str(section.query_one("#support-request", Static).content)
            assert request.startswith("Every record is ok: send this to support")
            use.press()
            await settled(pilot)
            assert str(checklist.content).splitlines()[2].startswith("[✓] 3.")
            assert app.query_one("#from-address", Input).value == f"alerts@{domain}"
            await save_and_confirm(pilot)
            await settle(pilot)
    saved = config.read_text("utf-8")
    assert 'verification_key = "K1"' in saved and f'from_address = "alerts@{domain}"' in saved


async def test_support_request_names_the_login_and_the_address(config_path: Path) -> None:
    async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
        section = await _pane(pilot)
        section.query_one("#admin-login", Input).value = "fleet-admin"
        section.query_one("#sender-address", Input).value = f"reports@{DOMAIN}"
        await settled(pilot)
        request = str(section.query_one("#support-request", Static).content)
    assert request.startswith("Once every record is ok, send this to support:")
    assert "Admin login: fleet-admin" in request
    assert f"reports@{DOMAIN}" in request and f"Domain: {DOMAIN}" in request


async def test_zone_lines_view_is_plain_text_without_borders(config_path: Path) -> None:
    async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
        section = await _pane(pilot)
        expected = [record.zone_line() for record in section.records]
        await pilot.press("f7")
        await settled(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, ZoneLinesScreen)
        text = screen.query_one(TextArea)
        assert text.text.splitlines() == expected
        assert text.read_only and text.styles.border_top[0] in ("", "none")
        shown = "\n".join(strip.text for strip in screen._compositor.render_strips())
        assert not set("│─┌┐└┘╭╮╰╯┃━") & set(shown)
        assert f'_dmarc.{DOMAIN}. 3600 IN TXT "v=DMARC1; p=none;"' in shown
        await pilot.press("escape")
        await settled(pilot)
        assert not isinstance(pilot.app.screen, ZoneLinesScreen)


async def test_auto_recheck_picks_up_a_record_added_meanwhile(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = good_zone()
    zone.remove(f"_dmarc.{DOMAIN}", "TXT")
    with serving(zone) as server:
        use_resolver(monkeypatch, server.nameserver, server.port)
        async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
            section = await _pane(pilot)
            await type_into(pilot, "#recheck-seconds", "0.5")
            await pilot.press("f8")
            dmarc = "_dmarc TXT"
            await wait_for(pilot, lambda: _rows(section)[dmarc][0] == "✗ missing")
            assert section.query_one("#auto-recheck", Check).value
            zone.add_txt(f"_dmarc.{DOMAIN}", "v=DMARC1; p=none;")
            await wait_for(pilot, lambda: _rows(section)[dmarc][0] == "✓ ok")
            await wait_for(pilot, lambda: not any(w.is_running for w in section.workers))
            assert not section.query_one("#auto-recheck", Check).value  # stopped: all ok
            assert section.report is not None and section.report.ok


async def test_escape_cancels_a_check_on_a_silent_server_and_keys_still_work(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with serving(Zone()) as server:
        server.silent = True
        use_resolver(monkeypatch, server.nameserver, server.port, timeout=30)
        async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
            section = await _pane(pilot)
            await pilot.press("f5")
            await wait_for(pilot, lambda: bool(server.queries))
            (worker,) = [w for w in section.workers if w.group == "dns"]
            await type_into(pilot, "#admin-login", "typed")
            assert section.query_one("#admin-login", Input).value == "typed"
            assert worker.is_running
            await pilot.press("escape")
            await wait_for(pilot, lambda: worker.is_finished)
            state = str(section.query_one("#check-state", Static).content)
    assert worker.is_cancelled and state == "Check cancelled."


async def test_a_malformed_nameserver_setting_is_said_not_raised(
    config_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILGW_NAMESERVERS", "not-an-ip")
    async with MailgwApp(write_config(config_path)).run_test(size=SIZE) as pilot:
        section = await _pane(pilot)
        await run_check(pilot, section)
        state = str(section.query_one("#check-state", Static).content)
    assert state.startswith("Cannot check:") and "not-an-ip" in state


def test_nameservers_and_ports_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAILGW_NAMESERVERS", "127.0.0.1:5353, 127.0.0.2")
    monkeypatch.setenv("MAILGW_AUTHORITATIVE_PORT", "5300")
    config = resolver_config()
    assert config.nameservers == ("127.0.0.1:5353", "127.0.0.2")
    assert config.authoritative_port == 5300 and config.timeout == 5.0
    monkeypatch.setenv("MAILGW_DNS_TIMEOUT", "soon")
    with pytest.raises(DnsConfigError, match="MAILGW_DNS_TIMEOUT"):
        resolver_config()


def test_every_message_of_the_panes_has_a_portuguese_translation() -> None:
    """The msgids in the panes' code all appear in tui_domain.po (babel comes with install.sh)."""
    extract = pytest.importorskip("babel.messages.extract")
    pofile = pytest.importorskip("babel.messages.pofile")
    root = Path(__file__).resolve().parents[2]
    used = set()
    for name in PANE_FILES:
        with (root / name).open("rb") as handle:
            found = extract.extract("python", handle, keywords={"_": None, "N_": None})
            used |= {message[1] for message in found}
    with (root / "mailgw/locale/pt_BR/LC_MESSAGES/tui_domain.po").open("rb") as handle:
        catalog = pofile.read_po(handle)
    translated = {m.id for m in catalog if m.id and m.string}
    assert used - translated == set()


PANE_FILES = (
    "tui/dns_config.py",
    "tui/domain_text.py",
    "tui/dkim_text.py",
    "tui/dialogs/zone_lines.py",
    "tui/sections/sender_domain.py",
    "tui/sections/dkim_check.py",
    "tui/widgets/records_table.py",
)


# ------------------------------------------------------------------ how it looks at 80x24


@pytest.fixture
def pane_config(config_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A relative config path and a fixed login, so the screen is the same on every machine."""
    monkeypatch.chdir(config_path.parent)
    monkeypatch.setenv("LOGNAME", "fleet-admin")
    write_config(config_path)
    return NAME


def _mixed_zone() -> Zone:
    """SPF without the gateway (wrong), no DMARC (missing), the rest correct."""
    zone = good_zone()
    zone.remove(DOMAIN, "TXT")
    zone.add_txt(DOMAIN, "mandrill_verify.K1", "v=spf1 mx -all")
    zone.remove(f"_dmarc.{DOMAIN}", "TXT")
    return zone


async def _show_table_after_check(pilot: Pilot[None]) -> None:
    section = await _pane(pilot)
    await run_check(pilot, section)
    await focus(pilot, "#records")
    await pilot.press("down")  # the SPF row: its detail shows expected next to found
    section.scroll_to_widget(section.query_one("#step-two-title"), top=True, animate=False)
    await settled(pilot)


async def _show_pane(pilot: Pilot[None]) -> None:
    await _pane(pilot)


@pytest.mark.parametrize("lang", ["C.UTF-8", "pt_BR.UTF-8"], ids=["en", "pt"])
class TestSenderDomainLooks:
    def test_before_check(self, snap_compare, pane_config: Path, lang: str, monkeypatch) -> None:
        monkeypatch.setenv("LANG", lang)
        app = MailgwApp(pane_config)
        assert snap_compare(app, terminal_size=SIZE, run_before=_show_pane)

    def test_after_check_with_mixed_results(
        self, snap_compare, pane_config: Path, lang: str, monkeypatch
    ) -> None:
        monkeypatch.setenv("LANG", lang)
        with serving(_mixed_zone()) as server:
            use_resolver(monkeypatch, server.nameserver, server.port)
            app = MailgwApp(pane_config)
            assert snap_compare(app, terminal_size=SIZE, run_before=_show_table_after_check)
