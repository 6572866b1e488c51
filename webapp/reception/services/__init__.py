"""Rules of reception (step ② 顾客接待), one module a subject: `roster` (the day's duty
roster 排班表), `arrivals` (a walk-in registered, the rotation's proposal, the inbox notice),
`visits` (closing a visit with its outcome, phone calls) and `register` (the visitor and
caller register 附表五, its filters and the exports' rows). `customer` reads the customer's
fields of their forms and opens the A card at the door.

Every use case takes the acting user, checks role and scope through webapp.access,
validates everything before it writes, and commits once.
"""

from webapp.reception.services import arrivals, customer, register, roster, visits

__all__ = ["arrivals", "customer", "register", "roster", "visits"]
