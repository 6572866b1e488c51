"""库存车: the store's new cars for sale, their status and reservation for a contract (step ⑥).

`services` holds the rules (every query scoped by store), `views` the pages and the CSV import.
"""

from flask import Blueprint

bp = Blueprint("stock", __name__, url_prefix="/stock")

from webapp.stock import views  # noqa: E402, F401  (routes register on bp)

__all__ = ["bp"]
