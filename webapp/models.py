"""Imports every area's models so Alembic and the app see the whole schema."""

import webapp.consult.models  # registers the tables of steps ③ ④
import webapp.delivery.models  # delivery day and its checklists (step ⑦)
import webapp.followup.models  # follow-up tasks (step ⑧)
import webapp.jobs.models  # what the scheduled jobs sent
import webapp.negotiation.contract_models  # memo, contract, payments (step ⑥)
import webapp.negotiation.models  # the lost-sale record (step ⑥)
import webapp.pdca.audit_models  # the card box audit's ticks
import webapp.pdca.hot_models  # 附表三 of the closed months, kept
import webapp.pdca.models  # targets and the store's plan (附表一)
import webapp.pdca.schedule_models  # 附表二 and the evening and morning meetings
import webapp.push.models  # push subscriptions, inbox
import webapp.reception.models  # roster, visitor register
import webapp.stock.models  # noqa: F401  (the store's new cars for sale)
from webapp.auth.models import Role, User, UserRole, UserSession
from webapp.blobs.models import Blob
from webapp.catalog.models import Colour, Sfx, VehicleModel
from webapp.customers.models import CardEvent, CustomerCard, GradeRule
from webapp.org.models import DealerGroup, Store
from webapp.privacy.models import SensitiveAccessLog
from webapp.sync.models import QuarantinedEntry, SyncConflict, SyncReceipt
from webapp.testdrive.models import (
    ChecklistTemplate,
    Consent,
    LicenceCheck,
    SignedDocument,
    StaffLicence,
    TestDriveBooking,
    TestDriveCar,
    TestDriveEntry,
    TestDriveRoute,
)

__all__ = [
    "Blob",
    "CardEvent",
    "ChecklistTemplate",
    "Colour",
    "Consent",
    "CustomerCard",
    "DealerGroup",
    "GradeRule",
    "LicenceCheck",
    "QuarantinedEntry",
    "Role",
    "SensitiveAccessLog",
    "Sfx",
    "SignedDocument",
    "StaffLicence",
    "Store",
    "SyncConflict",
    "SyncReceipt",
    "TestDriveBooking",
    "TestDriveCar",
    "TestDriveEntry",
    "TestDriveRoute",
    "User",
    "UserRole",
    "UserSession",
    "VehicleModel",
]
