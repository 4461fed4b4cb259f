"""What the page draws where, in headless chromium: nothing drawn over anything else.

The user audit's window: 1400 x 2400 px. Positions are read from the page's layout
(``getBoundingClientRect``).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.viz.browser_steps import nudge_slider, open_app, press_reset

pytestmark = [pytest.mark.browser, pytest.mark.xdist_group("browser")]

#: The user audit's window.
AUDIT_VIEWPORT = {"width": 1400, "height": 2400}
#: Levers of the real app that one step right moves (the switching-fee cap starts at its end).
REAL_LEVERS = (
    "Interconnection lead time",
    "Labs' training bid",
    "Regulator HHI threshold",
    "Chip supply growth",
    "AI demand growth",
)


def _move_levers(page: Any) -> None:
    """Move each of :data:`REAL_LEVERS` one step right, each seen marked before the next."""
    for label in REAL_LEVERS:
        nudge_slider(page, label)
        lever = page.locator(".gigawatt-lever", has_text=label)
        lever.locator(".gigawatt-pending").wait_for(timeout=15_000)
    page.wait_for_function(
        "n => document.querySelectorAll('.gigawatt-levers .gigawatt-pending').length === n",
        arg=len(REAL_LEVERS),
        timeout=15_000,
    )


def _open(chromium: Any, url: str) -> Any:
    page, _ = open_app(chromium, url)
    page.set_viewport_size(AUDIT_VIEWPORT)
    return page


def _status_geometry(page: Any) -> dict[str, Any]:
    """The status card's grid cell, its download buttons and the box of its rows."""
    return dict(
        page.evaluate(
            """() => {
            const box = e => { const r = e.getBoundingClientRect();
                return {top: r.top, bottom: r.bottom, left: r.left, right: r.right}; };
            const cell = document.querySelector('.gigawatt-month').closest('.vue-grid-item');
            const rows = document.querySelector('.gigawatt-levers').parentElement;
            return {
                cell: box(cell),
                buttons: [...cell.querySelectorAll('button')].map(box),
                rows: box(rows),
                rowsOverflow: getComputedStyle(rows).overflowY,
                rowsScroll: rows.scrollHeight - rows.clientHeight,
            };
        }"""
        )
    )


def _inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return outer["top"] <= inner["top"] and inner["bottom"] <= outer["bottom"] + 0.5


def _assert_card_inside_its_cell(page: Any) -> dict[str, Any]:
    """Everything the status card draws stays in its grid cell, off the chart below."""
    geo = _status_geometry(page)
    cell = geo["cell"]
    assert len(geo["buttons"]) == 2
    for button in geo["buttons"]:  # both downloads drawn inside the card's own cell
        assert _inside(button, cell), geo
    assert _inside(geo["rows"], cell), geo
    # rows beyond the box are clipped to it (scrolled), not drawn on below
    assert geo["rowsScroll"] <= 0 or geo["rowsOverflow"] in {"auto", "scroll"}, geo
    return geo


def test_status_card_with_pending_changes_stays_in_its_cell(gigawatt_server, chromium):
    """baseline, levers moved without Reset: the rows grow and scroll inside the card, and
    the downloads stay in it, off the compute price chart below."""
    page = _open(chromium, gigawatt_server.url)
    _assert_card_inside_its_cell(page)
    _move_levers(page)
    geo = _assert_card_inside_its_cell(page)
    assert geo["rowsScroll"] > 0  # more rows than room: they scroll
    last = page.locator(".gigawatt-levers tr").last
    last.scroll_into_view_if_needed()  # ... and every row can be scrolled to
    assert last.is_visible()
    _assert_card_inside_its_cell(page)
    page.close()


def test_status_card_of_the_amazon_scenario_stays_in_its_cell(gigawatt_server, chromium):
    """amazon-anthropic-2026 as shipped, then with its levers moved: the card holds its
    downloads."""
    page = _open(chromium, gigawatt_server.url)
    page.locator(".v-select .v-select__slot").first.click()
    page.get_by_role("option", name="amazon-anthropic-2026", exact=True).click()
    page.locator(".v-select + .gigawatt-pending").wait_for(timeout=15_000)  # then Reset
    press_reset(page)
    page.wait_for_function(
        "() => document.querySelector('.gigawatt-scenario').textContent"
        " === 'amazon-anthropic-2026'",
        timeout=15_000,
    )
    _assert_card_inside_its_cell(page)
    _move_levers(page)
    _assert_card_inside_its_cell(page)
    page.close()


def _mark_under(page: Any, field: str) -> dict[str, float]:
    """The "applies on Reset" mark right after the sidebar field ``field`` (a CSS selector)
    and that field's input line (its ``v-input__slot``, whose bottom edge is the underline)."""
    return dict(
        page.evaluate(
            """(sel) => {
            const field = document.querySelector(sel);
            const mark = field.nextElementSibling;
            const line = field.querySelector('.v-input__slot').getBoundingClientRect();
            const m = mark.getBoundingClientRect();
            return {underline: line.bottom, markTop: m.top,
                    pending: mark.classList.contains('gigawatt-pending')};
        }""",
            field,
        )
    )


def test_reset_marks_sit_below_the_seed_and_scenario_fields(standin_server, chromium):
    """The seed field has no details row: its mark sits under its underline, not on it, as
    the scenario selector's does."""
    page = _open(chromium, standin_server.url)
    seed = page.get_by_label("Seed")
    seed.fill("2024")
    seed.press("Enter")
    page.locator(".gigawatt-seed + .gigawatt-pending").wait_for(timeout=10_000)
    page.locator(".v-select .v-select__slot").first.click()
    page.get_by_role("option", name="power-crunch", exact=True).click()
    page.locator(".v-select + .gigawatt-pending").wait_for(timeout=10_000)
    for field in (".gigawatt-seed", ".v-select"):
        where = _mark_under(page, field)
        assert where["pending"], where
        # below the underline, and close enough to read as the field's
        assert where["underline"] <= where["markTop"] <= where["underline"] + 12, (field, where)
    page.close()
