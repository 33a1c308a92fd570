"""Reading the audit trail back: an account's history, in words staff read.

The history of an account is its own events and those of its contacts and payment
methods, newest first. Each event is told as a line ("Contact updated: email, phone");
the details stay available as recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.db.engine import reading_session
from w365desk.db.models import AuditEvent, Contact, PaymentProfile

DEFAULT_LIMIT = 500

_ACTIONS = {
    "account.create": "Account created",
    "account.update": "Account details changed",
    "account.deactivate": "Account deactivated",
    "account.reactivate": "Account reactivated",
    "account.set_billing_contact": "Billing contact changed",
    "account.gateway_profile": "Customer profile created at the gateway",
    "account.import": "Imported from a file",
    "contact.create": "Contact added",
    "contact.update": "Contact changed",
    "contact.deactivate": "Contact deactivated",
    "contact.reactivate": "Contact reactivated",
    "payment_profile.create": "Payment method added",
    "payment_profile.set_default": "Default payment method changed",
    "payment_profile.deactivate": "Payment method deactivated",
    "payment_profile.sync": "Payment method synced with the gateway",
    "payment_profile.validate": "Payment method validated",
    "invoice.create": "Invoice created",
}


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str | None
    text: str
    details: dict[str, Any]


def describe(action: str, details: dict[str, Any]) -> str:
    """One line for an event: what happened, and to what."""
    text = _ACTIONS.get(action, action.replace("_", " ").replace(".", ": ").capitalize())
    changes = details.get("changes")
    if isinstance(changes, dict) and changes:
        text += ": " + ", ".join(name.replace("_", " ") for name in sorted(changes))
    if action.startswith("payment_profile.") and details.get("last4"):
        brand = details.get("brand") or ""
        text += f" ({brand} •••• {details['last4']})".replace("( ", "(")
    if action == "payment_profile.validate":
        text += ": passed" if details.get("passed") else ": failed"
    if details.get("source") == "demo":
        text += " (demo data)"
    return text


class AuditQueries:
    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._session_factory = session_factory

    def for_account(self, account_id: int, *, limit: int = DEFAULT_LIMIT) -> list[HistoryEntry]:
        with reading_session(self._session_factory) as session:
            contacts = [
                str(i)
                for i in session.scalars(select(Contact.id).where(Contact.account_id == account_id))
            ]
            profiles = [
                str(i)
                for i in session.scalars(
                    select(PaymentProfile.id).where(PaymentProfile.account_id == account_id)
                )
            ]
            conditions = [
                and_(AuditEvent.entity_type == "account", AuditEvent.entity_id == str(account_id))
            ]
            if contacts:
                conditions.append(
                    and_(AuditEvent.entity_type == "contact", AuditEvent.entity_id.in_(contacts))
                )
            if profiles:
                conditions.append(
                    and_(
                        AuditEvent.entity_type == "payment_profile",
                        AuditEvent.entity_id.in_(profiles),
                    )
                )
            events = session.scalars(
                select(AuditEvent)
                .where(or_(*conditions))
                .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
                .limit(limit)
            )
            found = []
            for event in events:
                details = json.loads(event.details) if event.details else {}
                found.append(
                    HistoryEntry(
                        event.occurred_at,
                        event.actor,
                        event.action,
                        event.entity_type,
                        event.entity_id,
                        describe(event.action, details),
                        details,
                    )
                )
            return found
