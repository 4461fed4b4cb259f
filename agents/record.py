"""The ``record`` phase: one row of model-level metrics a month, plus tidy tables.

Metrics follow DESIGN.md, "Metrics" and issue 3's column list; formulas are in
:mod:`market.metrics` (HHI, lock-in, round trip). ``flop_per_joule`` is the fleet's
dense FLOP/s divided by its facility power (IT watts x PUE), "intelligence per watt".
``lockin_index`` is the spend-weighted mean over major labs of switching cost / annual
spend, where switching cost = a year of egress fees on the volume bought + porting cost x
(1 - mean platform affinity) + up to a year of take-or-pay commitments still owed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from agents.deals import deal_rows
from agents.lab import KIND_ENTERPRISE, KIND_MAJOR
from agents.utility import HOURS_PER_MONTH
from market.metrics import hhi, lockin_index, weighted_mean

if TYPE_CHECKING:
    from agents.model import GigawattModel

__all__ = ["MODEL_COLUMNS", "Recorder"]

MODEL_COLUMNS = (
    "month",
    "date",
    "compute_spot_price",
    "compute_contract_price",
    "power_price",
    "chip_price",
    "capacity_gw_built",
    "capacity_gw_powered",
    "utilisation",
    "throttled_share",
    "cloud_hhi",
    "chip_hhi",
    "lockin_index",
    "flop_per_joule",
    "labs_active",
    "ai_demand_usd",
    "ai_revenue_usd",
    "compute_h100e_hours",
    "dc_power_share",
    "egress_fee",
)


class Recorder:
    """Collects rows month by month; builds DataFrames on demand."""

    def __init__(self, model: GigawattModel) -> None:
        self.m = model
        self.rows: list[dict[str, Any]] = []
        self.region_rows: list[dict[str, Any]] = []
        self.agent_rows: list[dict[str, Any]] = []
        self.deal_rows: list[dict[str, Any]] = []
        self.last_edge_flows: dict[tuple[int, int, str], float] = {}
        self.vendor_hist = np.zeros((12, len(model.vendors)))
        y, mo = (int(x) for x in model.config.start.split("-"))
        self.start = (y, mo)

    def date(self, month: int) -> str:
        y, mo = self.start
        k = (mo - 1) + month
        return f"{y + k // 12:04d}-{k % 12 + 1:02d}"

    def record(self) -> None:
        m = self.m
        t = m.month
        a = m.labs
        cfg = m.config
        p_src, f_ok, p_small, got = m.spot_trade
        spot = weighted_mean(
            np.r_[p_src, p_small], np.r_[f_ok, got], default=float(np.nanmean(m.node_price_last))
        )
        cs = m.c_settle
        contract = weighted_mean(m.contracts.price[cs.index], cs.delivered)
        load = np.array([u.non_ai_load_mw for u in m.utilities]) * HOURS_PER_MONTH
        dc = m.power_bought.sum(axis=0)
        power_price = weighted_mean(m.power_price_now, load + dc)
        pb, vf, gens = m.chip_price_paid
        chip_price = weighted_mean(pb / m.gen_h100e[gens], vf * m.gen_h100e[gens])
        sold_v = np.zeros(len(m.vendors))
        np.add.at(sold_v, m.contracts.seller[m.k_rows], m.k_deliver)
        np.add.at(
            sold_v,
            m.links["v_src"],
            m.result.link_flow[
                m.book_sizes["p_links"] : m.book_sizes["p_links"] + m.book_sizes["v_links"]
            ],
        )
        h100e_v = np.array([m.gen_h100e[v.generation] for v in m.vendors])
        # chip HHI on trailing-12-month sales in H100e (monthly purchases are lumpy)
        self.vendor_hist[t % 12] = sold_v * h100e_v
        active = a.active & (a.kind != KIND_ENTERPRISE)
        need = a.inference_need[a.active].sum()
        throttled = 1.0 - a.served[a.active].sum() / need if need > 0 else 0.0
        majors = np.flatnonzero((a.kind == KIND_MAJOR) & a.active)
        # switching cost: a year of egress on the volume bought, porting to the families
        # the lab is not fluent in, and up to a year of take-or-pay still owed if it leaves
        ct = m.contracts
        rows = ct.active(t + 1, "compute")
        rows = rows[ct.take_or_pay[rows]]
        owed = np.zeros(a.n)
        np.add.at(
            owed,
            ct.buyer[rows],
            ct.price[rows] * ct.volume[rows] * np.minimum(12, ct.end[rows] - t - 1),
        )
        switch = (
            m.egress_fee * 12 * a.received[majors]
            + cfg.lockin.porting_cost_usd * (1.0 - a.affinity[majors].mean(axis=1))
            + owed[majors]
        )
        lock = lockin_index(switch, 12 * a.spend[majors])
        fleet_flops = float(np.einsum("hrg,g->", m.fleet, m.gen_h100e)) * 989e12
        fleet_watts = float(np.einsum("hrg,g->", m.fleet, m.gen_it_watts)) * cfg.power.pue
        row = {
            "month": t,
            "date": self.date(t),
            "compute_spot_price": spot,
            "compute_contract_price": contract,
            "power_price": power_price,
            "chip_price": chip_price,
            "capacity_gw_built": float(m.built.sum()) / 1e3,
            "capacity_gw_powered": float(np.minimum(m.built, m.interconnected).sum()) / 1e3,
            "utilisation": m.compute_delivered / max(1.0, float(m.node_capacity.sum())),
            "throttled_share": float(throttled),
            "cloud_hhi": hhi(m.cloud_revenue_year(), m.hs_fringe),
            "chip_hhi": hhi(self.vendor_hist.sum(axis=0)),
            "lockin_index": weighted_mean(lock, a.spend[majors], default=0.0),
            "flop_per_joule": fleet_flops / fleet_watts if fleet_watts > 0 else float("nan"),
            "labs_active": int(active.sum()),
            "ai_demand_usd": float(a.demand_usd.sum()),
            "ai_revenue_usd": float(a.revenue.sum()),
            "compute_h100e_hours": m.compute_delivered,
            "dc_power_share": float(dc.sum() / max(1.0, (load + dc).sum())),
            "egress_fee": m.egress_fee,
        }
        self.rows.append(row)
        for u in m.utilities:
            r = u.region
            self.region_rows.append(
                {
                    "month": t,
                    "region": m.region_names[r],
                    "power_price": float(m.power_price_now[r]),
                    "non_ai_load_mw": u.non_ai_load_mw,
                    "dc_load_mw": float(dc[r]) / HOURS_PER_MONTH,
                    "dc_share": float(dc[r] / max(1.0, load[r] + dc[r])),
                    "generation_mw": u.capacity_mw,
                    "generation_building_mw": u.mw_building,
                    "built_mw": float(m.built[:, r].sum()),
                    "powered_mw": float(np.minimum(m.built, m.interconnected)[:, r].sum()),
                }
            )
        bal = m.usd.balances
        for h in m.hyperscalers:
            self.agent_rows.append(
                {
                    "month": t,
                    "agent_id": h.unique_id,
                    "name": h.name,
                    "kind": "hyperscaler",
                    "cash": float(bal[h.unique_id]),
                    "revenue": float(m.month_sales[h.index]),
                    "built_mw": float(m.built[h.index].sum()),
                    "powered_mw": float(np.minimum(m.built, m.interconnected)[h.index].sum()),
                    "compute_h100e_hours": float(m.node_sold[h.index].sum()),
                }
            )
        vol = m.month_vol
        for i in np.flatnonzero(a.kind == KIND_MAJOR):
            lab = m.lab_agents[i]
            tot = vol[i].sum()
            row_l = {
                "month": t,
                "agent_id": lab.unique_id,
                "name": lab.name,
                "kind": "lab",
                "cash": float(bal[lab.unique_id]),
                "revenue": float(a.revenue[i]),
                "spend": float(a.spend[i]),
                "active": bool(a.active[i]),
                "capability": float(a.capability[i]),
                "inference_need": float(a.inference_need[i]),
                "served": float(a.served[i]),
                "received": float(a.received[i]),
                "throttled_share": float(1 - a.served[i] / a.inference_need[i])
                if a.inference_need[i] > 0
                else 0.0,
            }
            for h in m.hyperscalers:
                row_l[f"share_{h.name}"] = float(vol[i, h.index] / tot) if tot > 0 else 0.0
            self.agent_rows.append(row_l)
        for v in m.vendors:
            self.agent_rows.append(
                {
                    "month": t,
                    "agent_id": v.unique_id,
                    "name": v.name,
                    "kind": "vendor",
                    "cash": float(bal[v.unique_id]),
                    "units_sold": float(sold_v[v.index]),
                }
            )
        self.deal_rows.extend(deal_rows(m, t))
        self._edges()

    def _edges(self) -> None:
        m = self.m
        flows: dict[tuple[int, int, str], float] = {}
        R = m.n_r
        pf = m.result.link_flow[: m.book_sizes["p_links"]]
        per = np.zeros((R, m.n_h))
        np.add.at(per, (m.links["p_u"], m.links["p_site"] // R), pf)
        for u in m.utilities:
            for h in m.hyperscalers:
                flows[(u.unique_id, h.unique_id, "power")] = float(per[u.region, h.index])
        for v in m.vendors:
            for h in m.hyperscalers:
                flows[(v.unique_id, h.unique_id, "chips")] = float(
                    m.chips_bought[h.index, v.generation]
                )
        for i in np.flatnonzero(m.labs.kind == KIND_MAJOR):
            for h in m.hyperscalers:
                flows[(h.unique_id, m.lab_agents[i].unique_id, "compute")] = float(
                    m.month_vol[i, h.index]
                )
        self.last_edge_flows = flows

    def model_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=list(MODEL_COLUMNS))

    def tables(self) -> dict[str, pd.DataFrame]:
        m = self.m
        cols = m.contracts.columns()
        contracts = pd.DataFrame({k: v for k, v in cols.items()})
        if len(contracts):

            def party(kind: str, idx: int, seller: bool) -> str:
                return m.agent_by_role(kind, idx, seller).name

            contracts["seller_name"] = [
                party(k, s, True)
                for k, s in zip(contracts.kind_name, contracts.seller, strict=True)
            ]
            contracts["buyer_name"] = [
                party(k, b, False)
                for k, b in zip(contracts.kind_name, contracts.buyer, strict=True)
            ]
        ent = m.usd.entries()
        reasons = m.usd.reasons
        cash = pd.DataFrame(
            {
                "month": ent["step"],
                "reason": [reasons[int(r)] for r in ent["reason"]],
                "amount": ent["amount"],
            }
        )
        cashflows = cash.groupby(["month", "reason"], as_index=False)["amount"].sum()
        a = m.labs
        labs = pd.DataFrame(
            {
                "name": [lab.name for lab in m.lab_agents],
                "kind": [lab.kind for lab in m.lab_agents],
                "active": a.active,
                "exit_month": a.exit_month,
                "capability": a.capability,
                "cash": m.usd.balances[a.account],
                "raised_usd": a.raised_total,
            }
        )
        return {
            "regions": pd.DataFrame(self.region_rows),
            "agents": pd.DataFrame(self.agent_rows),
            "deals": pd.DataFrame(
                self.deal_rows,
                columns=[
                    "month",
                    "deal",
                    "investor",
                    "lab",
                    "status",
                    "invested_usd",
                    "equity_share",
                    "cloud_revenue_usd",
                    "round_trip_ratio",
                    "tranches_paid",
                    "post_hhi",
                    "conditions",
                    "reasons",
                ],
            ),
            "contracts": contracts,
            "labs": labs,
            "cashflows": cashflows,
        }
