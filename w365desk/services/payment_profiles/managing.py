"""Payment method use cases: Direct Entry, Set Default, Deactivate, Sync, Validate.

Each checks what it can locally first, calls the gateway outside any database
transaction, then records the outcome (and its audit event) in one transaction. Gateway
errors leave as the service error family (``gateway_errors``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from w365desk.db.engine import reading_session
from w365desk.db.models import Account, PaymentProfile, ProfileSource, ProfileStatus
from w365desk.gateway import BillingAddress, MaskedPaymentProfile
from w365desk.gateway.types import ValidationMode as GatewayValidationMode
from w365desk.services.accounts.locking import lock_account
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit
from w365desk.services.errors import (
    ConflictError,
    FieldProblem,
    GatewayRecordMissing,
    NotFoundError,
    PaymentMethodRefused,
    ServiceError,
    ValidationError,
)
from w365desk.services.gateway_errors import gateway_errors
from w365desk.services.payment_profiles.gateway_access import GatewayAccess
from w365desk.services.payment_profiles.inputs import (
    BankEntry,
    BillingEntry,
    CardEntry,
    entry_problems,
)
from w365desk.services.payment_profiles.queries import PaymentProfileQueries
from w365desk.services.payment_profiles.storing import (
    apply_gateway_copy,
    make_default,
    refresh_default_summary,
    store_new_profile,
)
from w365desk.services.payment_profiles.views import PaymentProfileView
from w365desk.settings import ValidationMode

log = logging.getLogger(__name__)

_GATEWAY_MODES: dict[ValidationMode, GatewayValidationMode] = {
    ValidationMode.NONE: "none",
    ValidationMode.TEST_MODE: "testMode",
    ValidationMode.LIVE_MODE: "liveMode",
}


@dataclass(frozen=True)
class ValidationOutcome:
    passed: bool
    message: str


class PaymentProfiles:
    def __init__(self, access: GatewayAccess, queries: PaymentProfileQueries) -> None:
        self._access = access
        self._queries = queries

    # ------------------------------------------------------------------ direct entry

    def problems(self, method: CardEntry | BankEntry, billing: BillingEntry) -> list[FieldProblem]:
        """Every field problem ``add`` would refuse, checked at once without the gateway
        (so a form can mark them as soon as Save is pressed)."""
        return entry_problems(method, billing, self._access.clock.now().date())

    def add(
        self,
        account_id: int,
        method: CardEntry | BankEntry,
        billing: BillingEntry,
        *,
        actor: Actor,
    ) -> PaymentProfileView:
        """Store a card or bank account typed by staff (Direct Entry).

        Raises ``ValidationError`` (every field problem, before any gateway call),
        ``DuplicatePaymentRecord`` when the gateway already holds this method for the
        customer (its id, so staff can use it: ``use_existing``), and the gateway's other
        refusals in the service error family.
        """
        today = self._access.clock.now().date()
        problems = entry_problems(method, billing, today)
        if problems:
            raise ValidationError.from_problems(problems)
        address = billing.to_gateway()
        customer = self._access.customer_profile(account_id, actor=actor)
        gateway = self._access.gateway()
        mode = _GATEWAY_MODES[self._access.settings().gateway_validation_mode]
        with gateway_errors():
            if isinstance(method, CardEntry):
                stored = gateway.add_card(
                    customer, method.to_gateway(today), address, validation_mode=mode
                )
            else:
                stored = gateway.add_bank_account(
                    customer, method.to_gateway(), address, validation_mode=mode
                )
        return self._keep(account_id, stored, address, ProfileSource.DIRECT_ENTRY, actor)

    def use_existing(
        self, account_id: int, payment_profile_id: str, *, actor: Actor
    ) -> PaymentProfileView:
        """Keep a payment method the gateway already holds for the account's customer
        (what Direct Entry's duplicate offers), unless it is kept already."""
        customer = self._access.customer_profile(account_id, actor=actor)
        with reading_session(self._access.session_factory) as session:
            known = session.scalar(
                select(PaymentProfile.id).where(
                    PaymentProfile.customer_profile_id == customer,
                    PaymentProfile.payment_profile_id == payment_profile_id,
                )
            )
        if known is not None:
            return self._queries.get(known)
        with gateway_errors():
            stored = self._access.gateway().get_payment_profile(customer, payment_profile_id)
        return self._keep(account_id, stored, None, ProfileSource.DIRECT_ENTRY, actor)

    def _keep(
        self,
        account_id: int,
        stored: MaskedPaymentProfile,
        billing: BillingAddress | None,
        source: ProfileSource,
        actor: Actor,
    ) -> PaymentProfileView:
        try:
            with self._access.session_factory.begin() as session:
                profile = store_new_profile(
                    session,
                    account_id=account_id,
                    stored=stored,
                    billing=billing,
                    source=source,
                    clock=self._access.clock,
                    actor=actor,
                )
                profile_id = profile.id
        except Exception:
            # The gateway holds it but we could not record it: take it back there, so
            # nothing chargeable exists that the desk does not know about.
            log.error("payment profile stored at the gateway could not be recorded; removing it")
            try:
                with gateway_errors():
                    self._access.gateway().delete_payment_profile(
                        stored.customer_profile_id, stored.payment_profile_id
                    )
            except ServiceError:
                log.error("the gateway's copy could not be removed either; Sync will find it")
            raise
        return self._queries.get(profile_id)

    # ------------------------------------------------------------------ actions

    def set_default(self, profile_id: int, *, actor: Actor) -> PaymentProfileView:
        with self._access.session_factory.begin() as session:
            profile, account = self._lock(session, profile_id)
            if profile.status != ProfileStatus.ACTIVE:
                raise ConflictError(
                    "Only an active payment method can be the default; this one is "
                    f"{ProfileStatus(profile.status).value}."
                )
            if not profile.is_default:
                previous = session.scalar(
                    select(PaymentProfile.id).where(
                        PaymentProfile.account_id == account.id, PaymentProfile.is_default
                    )
                )
                make_default(session, account, profile)
                session.flush()
                refresh_default_summary(session, account)
                self._audit(
                    session,
                    actor,
                    "payment_profile.set_default",
                    profile,
                    {"changes": {"default_payment_profile": {"from": previous, "to": profile.id}}},
                )
        return self._queries.get(profile_id)

    def deactivate(self, profile_id: int, *, actor: Actor) -> PaymentProfileView:
        """Delete the method at the gateway (nothing can be charged to it any more) and
        keep it here as Inactive, for the history."""
        view = self._queries.get(profile_id)
        if view.status.value == ProfileStatus.INACTIVE:
            return view
        if view.status.value != ProfileStatus.PENDING:
            try:
                with gateway_errors():
                    self._access.gateway().delete_payment_profile(
                        view.customer_profile_id, view.payment_profile_id
                    )
            except GatewayRecordMissing:
                pass  # already gone there: deactivating here is all that is left to do
        with self._access.session_factory.begin() as session:
            profile, account = self._lock(session, profile_id)
            was_default = profile.is_default
            profile.status = ProfileStatus.INACTIVE
            profile.is_default = False
            profile.updated_at = self._access.clock.now()
            session.flush()
            refresh_default_summary(session, account)
            self._audit(
                session,
                actor,
                "payment_profile.deactivate",
                profile,
                {"was_default": was_default, "deleted_at_gateway": True},
            )
        return self._queries.get(profile_id)

    def sync(self, profile_id: int, *, actor: Actor) -> PaymentProfileView:
        """Refresh brand, last four, expiry and address from the gateway; a method deleted
        there meanwhile is marked as missing and inactive. The customer profile's name,
        number and email are brought up to date on the way."""
        view = self._queries.get(profile_id)
        gateway = self._access.gateway()
        self._access.follow_account(view.account_id)
        missing = False
        stored: MaskedPaymentProfile | None = None
        try:
            with gateway_errors():
                stored = gateway.get_payment_profile(
                    view.customer_profile_id, view.payment_profile_id
                )
        except GatewayRecordMissing:
            missing = True
        with self._access.session_factory.begin() as session:
            profile, account = self._lock(session, profile_id)
            now = self._access.clock.now()
            before = (profile.brand, profile.last4, profile.exp_month, profile.exp_year)
            if stored is not None:
                apply_gateway_copy(profile, stored)
                profile.gateway_missing_at = None
            elif missing:
                profile.gateway_missing_at = now
                profile.status = ProfileStatus.INACTIVE
                profile.is_default = False
            profile.updated_at = now
            session.flush()
            refresh_default_summary(session, account)
            after = (profile.brand, profile.last4, profile.exp_month, profile.exp_year)
            self._audit(
                session,
                actor,
                "payment_profile.sync",
                profile,
                {
                    "missing_at_gateway": missing,
                    "changed": before != after,
                    "expiry": (
                        f"{profile.exp_month:02d}/{profile.exp_year}"
                        if profile.exp_month and profile.exp_year
                        else None
                    ),
                },
            )
        return self._queries.get(profile_id)

    def validate(self, profile_id: int, *, actor: Actor) -> ValidationOutcome:
        """A zero-dollar (or one-cent, voided) check of the stored method, in the
        configured validation mode (test mode when none is set)."""
        view = self._queries.get(profile_id)
        if not view.usable:
            raise ConflictError(
                f"This payment method is {view.status.label.lower()}; only an active one "
                "can be validated."
            )
        mode = _GATEWAY_MODES[self._access.settings().gateway_validation_mode]
        if mode == "none":
            mode = "testMode"
        try:
            with gateway_errors():
                self._access.gateway().validate_payment_profile(
                    view.customer_profile_id, view.payment_profile_id, validation_mode=mode
                )
            outcome = ValidationOutcome(
                True,
                "The payment method passed the gateway's check"
                + (
                    " (a zero-dollar authorization, voided at once)." if mode == "liveMode" else "."
                ),
            )
        except PaymentMethodRefused as refused:
            outcome = ValidationOutcome(False, refused.message)
        with self._access.session_factory.begin() as session:
            profile, _account = self._lock(session, profile_id)
            self._audit(
                session,
                actor,
                "payment_profile.validate",
                profile,
                {"mode": mode, "passed": outcome.passed},
            )
        return outcome

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _lock(session: Session, profile_id: int) -> tuple[PaymentProfile, Account]:
        """The profile and its account, the account locked first as every account and
        payment-method use case does, so two desks never wait on each other in turn."""
        account_id = session.scalar(
            select(PaymentProfile.account_id).where(PaymentProfile.id == profile_id)
        )
        if account_id is None:
            raise NotFoundError("payment profile", profile_id)
        account = lock_account(session, account_id)
        profile = session.get(PaymentProfile, profile_id, with_for_update=True)
        if profile is None:
            raise NotFoundError("payment profile", profile_id)
        return profile, account

    def _audit(
        self,
        session: Session,
        actor: Actor,
        action: str,
        profile: PaymentProfile,
        details: dict[str, object],
    ) -> None:
        record_audit(
            session,
            clock=self._access.clock,
            actor=actor,
            action=action,
            entity_type="payment_profile",
            entity_id=profile.id,
            details={"account_id": profile.account_id, "last4": profile.last4, **details},
        )
