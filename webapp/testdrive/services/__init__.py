"""Rules of the test-drive back office (step ⑤ 试乘试驾), one module a subject: `cars`
(试驾车 and their readiness), `routes` (附表八 and their maps), `licences` (the staff
licences that decide who may drive), `bookings` (booking without clashes, the day's and "my
day"'s bookings, a card's drives), `schedule` (the car keeper's schedule) and `checklists`
(the versioned checklists and the feedback form 附表九). `parsing` reads their forms.

Every query goes through webapp.access; every use case commits once; bad input raises
ValidationError with a message per field.
"""

from webapp.testdrive.services import (
    bookings,
    cars,
    checklists,
    licences,
    parsing,
    routes,
    schedule,
)

__all__ = ["bookings", "cars", "checklists", "licences", "parsing", "routes", "schedule"]
