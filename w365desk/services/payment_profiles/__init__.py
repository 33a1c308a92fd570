"""Stored payment methods: Direct Entry, the list, Set Default, Deactivate, Sync, Validate.

``inputs`` (what staff type, checked locally), ``views`` and ``queries`` (what the desk
shows), ``gateway_access`` (the gateway, the settings and each account's customer
profile there), ``storing`` (recording what the gateway stored; the default), and
``managing`` (the use cases).
"""

from w365desk.services.payment_profiles.inputs import BankEntry, BillingEntry, CardEntry
from w365desk.services.payment_profiles.managing import PaymentProfiles, ValidationOutcome
from w365desk.services.payment_profiles.queries import (
    PaymentProfileQueries,
    ProfileFilter,
    ProfileListQuery,
    ProfileSort,
)
from w365desk.services.payment_profiles.views import PaymentProfileView, ShownStatus

__all__ = [
    "BankEntry",
    "BillingEntry",
    "CardEntry",
    "PaymentProfileQueries",
    "PaymentProfileView",
    "PaymentProfiles",
    "ProfileFilter",
    "ProfileListQuery",
    "ProfileSort",
    "ShownStatus",
    "ValidationOutcome",
]
