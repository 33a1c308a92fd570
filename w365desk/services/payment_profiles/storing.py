"""Storing a payment method the gateway holds, and keeping each account's default in step.

One default per account (the database enforces it); the account row keeps a summary of
it ("Visa •••• 1111 12/30") for the account list to show and sort by.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from w365desk.clock import Clock
from w365desk.db.derived import payment_summary
from w365desk.db.models import (
    Account,
    PaymentKind,
    PaymentProfile,
    ProfileSource,
    ProfileStatus,
)
from w365desk.gateway import BillingAddress, MaskedPaymentProfile
from w365desk.services.accounts.locking import lock_account
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit


def refresh_default_summary(session: Session, account: Account) -> None:
    default = session.scalar(
        select(PaymentProfile).where(
            PaymentProfile.account_id == account.id,
            PaymentProfile.is_default,
            PaymentProfile.status == ProfileStatus.ACTIVE,
        )
    )
    account.default_payment_summary = (
        payment_summary(
            kind=default.kind,
            brand=default.brand,
            last4=default.last4,
            exp_month=default.exp_month,
            exp_year=default.exp_year,
            bank_account_type=default.bank_account_type,
        )
        if default is not None
        else ""
    )


def make_default(session: Session, account: Account, profile: PaymentProfile) -> None:
    """``profile`` becomes the account's default (the old one stops being it first)."""
    session.execute(
        update(PaymentProfile)
        .where(
            PaymentProfile.account_id == account.id,
            PaymentProfile.is_default,
            PaymentProfile.id != profile.id,
        )
        .values(is_default=False)
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    profile.is_default = True


def apply_gateway_copy(profile: PaymentProfile, stored: MaskedPaymentProfile) -> None:
    """What the gateway reports about a stored method: brand, last four, expiry, address."""
    profile.brand = stored.brand or profile.brand
    profile.last4 = stored.last4 or profile.last4
    if stored.kind == "card":
        profile.exp_month = stored.exp_month
        profile.exp_year = stored.exp_year
    if stored.account_type:
        profile.bank_account_type = stored.account_type
    apply_billing(profile, stored.billing_address)


def apply_billing(profile: PaymentProfile, billing: BillingAddress | None) -> None:
    if billing is None:
        return
    profile.billing_first_name = billing.first_name
    profile.billing_last_name = billing.last_name
    profile.billing_company = billing.company
    profile.address_line1 = billing.address
    profile.city = billing.city
    profile.state = billing.state
    profile.postal_code = billing.zip
    profile.country = billing.country


def store_new_profile(
    session: Session,
    *,
    account_id: int,
    stored: MaskedPaymentProfile,
    billing: BillingAddress | None,
    source: ProfileSource,
    clock: Clock,
    actor: Actor,
) -> PaymentProfile:
    """Keep what the gateway stored; the account's first active method becomes its default."""
    account = lock_account(session, account_id)
    now = clock.now()
    profile = PaymentProfile(
        account_id=account.id,
        customer_profile_id=stored.customer_profile_id,
        payment_profile_id=stored.payment_profile_id,
        kind=PaymentKind(stored.kind),
        brand=stored.brand,
        last4=stored.last4,
        exp_month=stored.exp_month,
        exp_year=stored.exp_year,
        status=ProfileStatus.ACTIVE,
        is_default=False,
        source=source,
        bank_account_type=stored.account_type,
        created_by=actor.audit_name,
        created_at=now,
        updated_at=now,
    )
    apply_billing(profile, stored.billing_address or billing)
    session.add(profile)
    session.flush()
    has_default = session.scalar(
        select(PaymentProfile.id).where(
            PaymentProfile.account_id == account.id,
            PaymentProfile.is_default,
            PaymentProfile.status == ProfileStatus.ACTIVE,
        )
    )
    if has_default is None:
        make_default(session, account, profile)
    session.flush()
    refresh_default_summary(session, account)
    record_audit(
        session,
        clock=clock,
        actor=actor,
        action="payment_profile.create",
        entity_type="payment_profile",
        entity_id=profile.id,
        details={
            "account_id": account.id,
            "kind": profile.kind,
            "brand": profile.brand,
            "last4": profile.last4,
            "expiry": (
                f"{profile.exp_month:02d}/{profile.exp_year}"
                if profile.exp_month and profile.exp_year
                else None
            ),
            "source": source,
            "default": profile.is_default,
            "customer_profile_id": profile.customer_profile_id,
            "payment_profile_id": profile.payment_profile_id,
        },
    )
    return profile
