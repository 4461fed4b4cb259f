"""The "About" tab: what each chart shows and what each metric means, in plain words."""

from __future__ import annotations

from html import escape

import solara

from viz.controls import scenario_label
from viz.session import VizRun

__all__ = ["CHART_NOTES", "AboutPanel", "about_html"]

#: (tab, chart, what it shows) for every chart of the page.
CHART_NOTES: list[tuple[str, str, str]] = [
    (
        "Market",
        "Trade network",
        "Who trades with whom this month. Suppliers on the left (electric utilities, chip "
        "vendors), clouds (hyperscalers) in the middle, AI labs and enterprise buyers on the "
        "right. A node's colour is its kind; its size is its cash or, with the toggle, its "
        "capacity (MW), compared within its kind. Solid links are this month's spot trades, "
        "coloured by good (power amber, chips green, compute grey) and as wide as the flow; "
        "dashed links are long-term contracts, dotted ones equity stakes. Drag to pan, scroll "
        "to zoom, hover for numbers. In scale mode the small agents are grouped per kind and "
        "region.",
    ),
    (
        "Market",
        "Status card",
        "The month shown, the run's scenario, seed and horizon, and every policy lever's value "
        "in this run ('moved' = you set it, otherwise the scenario's own value), and each "
        "deal the scenario lists beside its headline deal, on or off ('switched' = you "
        "switched it). Values you changed in the sidebar but not yet applied are listed with "
        "'applies on Reset'. The buttons download the data so far as CSV.",
    ),
    (
        "Market",
        "Power price by region",
        "Wholesale energy price in each region ($ per MWh). Every month the region's "
        "generating units are used cheapest first until they meet the month's average load "
        "(non-AI load, conventional and AI data centres); the price is the running cost of "
        "the last unit needed. It changes only when that unit changes (load reaching a "
        "dearer kind of plant, or new plant taking its place), so it can stay flat for years "
        "while data centres grow: scarce generating capacity shows in the capacity price "
        "instead. The dashed line is the average over regions weighted by their load.",
    ),
    (
        "Market",
        "Compute price: spot vs contract",
        "Price of one H100-equivalent GPU-hour: the spot market (this month's clearing price) "
        "and the average price of long-term cloud contracts.",
    ),
    (
        "Market",
        "Capacity price by region",
        "Price of generating capacity in each region ($ per MW-day), set every month by the "
        "region's reserve margin (generating capacity counted at the peak, over peak load, "
        "minus one) on a sloped demand curve like the PJM grid's: 0 when reserves are well "
        "above the region's target, higher as the margin shrinks, up to the scenario's cap "
        "(the grey line marked cap). It rises when data centres add load faster than "
        "generation is built. AI data centres pay it on the power they take, on top of the "
        "power price (a MWh is 1/24 of a MW-day: $240 per MW-day adds $10 per MWh), and "
        "utilities build new plant while the price they expect exceeds the net cost of new "
        "entry, which brings it down again. The dashed line is the average weighted by load.",
    ),
    (
        "Capacity & concentration",
        "Capacity",
        "Data-centre capacity in GW of IT load: built (shells finished), powered (connected to "
        "the grid, which takes the interconnection lead time) and used (powered × utilisation).",
    ),
    (
        "Capacity & concentration",
        "Chip price",
        "Dollars per H100-equivalent accelerator: the price the clouds paid (the vendor's ask "
        "plus delivery) and, dashed, the chips' value to them (their market price). When "
        "vendors ration a shortage at their list price the value is the higher; both fall when "
        "supply grows faster than the clouds' orders.",
    ),
    (
        "Capacity & concentration",
        "Throttled share of inference demand",
        "The share (%) of AI labs' inference demand not served this month. Labs serve "
        "inference first and bid for it at what a served hour earns, far above the compute "
        "price, so a lab is throttled only when the clouds it reaches cannot supply it; in the "
        "shipped scenarios that does not happen, and scarcity shows in the compute price.",
    ),
    (
        "Capacity & concentration",
        "Concentration (HHI)",
        "Herfindahl-Hirschman index of the cloud market and of the chip market: the sum of "
        "squared market shares in percent, from near 0 (many small firms) to 10,000 (one "
        "firm). The dashed line is the scenario's review threshold: above it the regulator "
        "reviews deals that raise the index further (the 2023 US Merger Guidelines use "
        "1,800).",
    ),
    (
        "Deals & labs",
        "Deals",
        "For each infrastructure-for-equity deal, the cloud's cumulative investment in the lab "
        "and the cumulative revenue the cloud earns back from that lab ($B). When revenue "
        "passes investment, the money has made a round trip. Empty when the scenario has no "
        "deal.",
    ),
    (
        "Deals & labs",
        "Labs' cash runway",
        "Months each lab could keep operating on its cash at its recent burn (the cash it "
        "lost each month, a trailing average), as the model computes it. Labs not losing "
        "cash, or with more than 120 months, are drawn at 120 (the chart's cap only). Short "
        "runway makes a lab raise money or sign a deal.",
    ),
]


def about_html(run: VizRun) -> str:
    """The About text as HTML: the run, the controls, then each chart grouped by tab."""
    threshold = run.hhi_threshold
    parts = [
        "<div class='gigawatt-about' style='max-width:900px;font-size:14px;line-height:1.45'>",
        "<h2>About this app</h2>",
        "<p>Gigawatt simulates the market for AI compute month by month: electric utilities, "
        "chip vendors, clouds, AI labs and a regulator trade power, chips, compute and capital."
        f" This run: scenario <b>{escape(scenario_label(run.scenario_name))}</b>, seed "
        f"<b>{run.seed}</b>, starting {run.start}"
        + (f", HHI review threshold {threshold:,.0f}" if threshold is not None else "")
        + ".</p>",
        "<p><b>Step</b> simulates one month; <b>▶</b> plays months until paused (the month "
        "on screen when ▶ shows again is where the run stopped). "
        "<b>Reset</b> starts a new run from the sidebar: the scenario, the seed (the same seed "
        "gives the same run), the policy levers and, when the scenario lists other deals, "
        "which of them are on. A lever you move or a deal you switch overrides the scenario's "
        "value and is marked 'applies on Reset' until you press Reset. Levers the scenario "
        "does not use (the deal's, in a scenario without a deal) are greyed out. The "
        "regulator's HHI threshold decides reviews of majority stakes, and of minority ones "
        "only where an authority reviews them (regulation.review_minority_stakes): the "
        "headline deal's stake is about 1%, so without that rule the threshold moves the "
        "concentration chart's line, not the deal's review; the note under it says so.</p>",
    ]
    tab = ""
    for tab_name, chart, text in CHART_NOTES:
        if tab_name != tab:
            if tab:
                parts.append("</dl>")
            parts.append(f"<h3>{escape(tab_name)}</h3><dl>")
            tab = tab_name
        parts.append(f"<dt><b>{escape(chart)}</b></dt><dd>{escape(text)}</dd>")
    parts.append("</dl></div>")
    return "".join(parts)


@solara.component
def AboutPanel(run: VizRun):
    """The About tab."""
    return solara.HTML(tag="div", unsafe_innerHTML=about_html(run), style={"padding": "12px"})
