"""Access policy of the PDCA pages (附表一 plan and actual): a salesperson reaches their own
targets and the store's totals, the sales manager and the admin the store's."""

from __future__ import annotations

OK, DENIED, LOGIN = "ok", "403", "login"
ROLES = [
    "anonymous",
    "greeter",
    "salesperson",
    "sales_manager",
    "service_advisor",
    "finance",
    "car_keeper",
    "admin",
]
MANAGERS = ("sales_manager", "admin")


def only(*roles: str) -> dict[str, str]:
    return {r: LOGIN if r == "anonymous" else (OK if r in roles else DENIED) for r in ROLES}


POLICY = {
    "pdca.plan": [("GET", "/pdca/plan", only("salesperson", *MANAGERS), None)],
    # A target below zero: 422 for those who may save, nothing written.
    "pdca.save_targets": [
        (
            "POST",
            "/pdca/plan/targets",
            only("salesperson", *MANAGERS),
            lambda w, c: {
                "month": "2000-01",
                "owner_id": str(w.users["salesperson"].id),
                "visits": "-1",
            },
        )
    ],
    "pdca.save_store_plan": [
        ("POST", "/pdca/plan/store", only(*MANAGERS), lambda w, c: {"visits": "-1"})
    ],
    "pdca.plan_xlsx": [("GET", "/pdca/plan.xlsx", only("salesperson", *MANAGERS), None)],
}
