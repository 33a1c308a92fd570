"""What the payment-profile use cases need from around them: the gateway in use (which
Settings may change), the shared settings, and the account's customer profile there.

Gateway calls never run inside a database transaction: a slow gateway must not hold row
locks (or SQLite's write lock) for its whole timeout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.db.engine import reading_session
from w365desk.db.models import Account
from w365desk.gateway import CustomerProfileInput, Gateway
from w365desk.services.accounts.locking import lock_account
from w365desk.services.actors import Actor
from w365desk.services.audit import record_audit
from w365desk.services.errors import (
    DuplicatePaymentRecord,
    GatewayNotSetUp,
    NotFoundError,
    ServiceError,
)
from w365desk.services.gateway_errors import gateway_errors
from w365desk.settings import SharedSettings

GatewayProvider = Callable[[], Gateway | None]
SettingsProvider = Callable[[], SharedSettings]

NO_GATEWAY = (
    "The payment gateway is not set up yet: enter the API login id and transaction key in "
    "Settings → Gateway (or choose the offline sandbox)."
)


@dataclass(frozen=True)
class AccountAtGateway:
    id: int
    number: str
    name: str
    email: str | None
    customer_profile_id: str | None

    def profile_input(self) -> CustomerProfileInput:
        # The gateway keeps at most 20 characters of the customer id, 255 of the rest.
        return CustomerProfileInput(
            merchant_customer_id=self.number[:20],
            description=self.name[:255],
            email=self.email,
        )


class GatewayAccess:
    def __init__(
        self,
        session_factory: sessionmaker[Session],
        clock: Clock,
        gateway: GatewayProvider,
        settings: SettingsProvider,
    ) -> None:
        self.session_factory = session_factory
        self.clock = clock
        self._gateway = gateway
        self._settings = settings

    def gateway(self) -> Gateway:
        current = self._gateway()
        if current is None:
            raise GatewayNotSetUp(NO_GATEWAY)
        return current

    def settings(self) -> SharedSettings:
        return self._settings()

    def account(self, account_id: int) -> AccountAtGateway:
        with reading_session(self.session_factory) as session:
            account = session.get(Account, account_id)
            if account is None:
                raise NotFoundError("account", account_id)
            return AccountAtGateway(
                account.id,
                account.number,
                account.name,
                account.primary_email,
                account.gateway_customer_profile_id,
            )

    def customer_profile(self, account_id: int, *, actor: Actor) -> str:
        """The account's customer profile id at the gateway, created on first use.

        A profile the gateway already holds for this account (same customer id, name and
        email, e.g. created before a crash) is adopted rather than duplicated; when
        another desk linked one meanwhile, theirs is kept and ours removed again.
        """
        account = self.account(account_id)
        if account.customer_profile_id:
            return account.customer_profile_id
        gateway = self.gateway()
        try:
            with gateway_errors():
                created = gateway.create_customer_profile(account.profile_input())
        except DuplicatePaymentRecord as duplicate:
            if duplicate.existing_id is None:
                raise
            created = duplicate.existing_id
        with self.session_factory.begin() as session:
            row = lock_account(session, account_id)
            if row.gateway_customer_profile_id:
                kept = row.gateway_customer_profile_id
            else:
                row.gateway_customer_profile_id = kept = created
                record_audit(
                    session,
                    clock=self.clock,
                    actor=actor,
                    action="account.gateway_profile",
                    entity_type="account",
                    entity_id=account_id,
                    details={"number": row.number, "customer_profile_id": created},
                )
        if kept != created:
            self._forget(gateway, created)
        return kept

    def follow_account(self, account_id: int) -> None:
        """Bring the gateway's copy of the account's name, number and email up to date."""
        account = self.account(account_id)
        if not account.customer_profile_id:
            return
        with gateway_errors():
            self.gateway().update_customer_profile(
                account.customer_profile_id, account.profile_input()
            )

    @staticmethod
    def _forget(gateway: Gateway, customer_profile_id: str) -> None:
        try:
            with gateway_errors():
                gateway.delete_customer_profile(customer_profile_id)
        except ServiceError:
            pass  # an empty profile left at the gateway costs nothing and holds no card
