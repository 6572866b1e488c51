"""Access policy of the dashboards: a salesperson reaches their own figures and the store's
totals, the sales manager and the admin the store's (a group admin the group's)."""

from __future__ import annotations

from tests.policies.pdca import MANAGERS, only

SEE = only("salesperson", *MANAGERS)

POLICY = {
    "pdca.dashboards": [("GET", "/pdca/dashboard", SEE, None)],
    "pdca.dashboard": [
        ("GET", "/pdca/dashboard/funnel", SEE, None),
        ("GET", "/pdca/dashboard/followup", SEE, None),
    ],
    "pdca.dashboard_export": [
        ("GET", "/pdca/dashboard/funnel.csv", SEE, None),
        ("GET", "/pdca/dashboard/plan.xlsx", SEE, None),
    ],
}
