"""The use cases a front door is given, built once by the composition root.

Services hold no actor: each call that changes something names who acts, so the same
bundle serves a member of staff at the desk and a customer on the link server.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import Clock
from w365desk.services.accounts import (
    AccountEditor,
    AccountImporter,
    AccountQueries,
    ContactEditor,
)
from w365desk.services.audit.history import AuditQueries
from w365desk.services.demo import DemoSeeder
from w365desk.services.invoices import InvoiceQueries
from w365desk.services.payment_profiles import PaymentProfileQueries, PaymentProfiles
from w365desk.services.payment_profiles.gateway_access import GatewayAccess, GatewayProvider
from w365desk.services.shared_settings import SharedSettingsStore
from w365desk.services.shared_settings.editing import GatewayTester, SettingsEditor
from w365desk.settings import SecretStore, SharedSettings


def _no_gateway() -> None:
    return None


def _cannot_test(_settings: SharedSettings, _key: str) -> None:
    from w365desk.gateway import GatewayUnavailable

    raise GatewayUnavailable("This desk cannot test gateway keys (no gateway was set up).")


def _nothing_to_apply() -> str:
    return ""


@dataclass(frozen=True)
class Services:
    accounts: AccountEditor
    contacts: ContactEditor
    account_queries: AccountQueries
    importer: AccountImporter
    shared_settings: SharedSettingsStore
    payment_profiles: PaymentProfiles
    payment_profile_queries: PaymentProfileQueries
    gateway_access: GatewayAccess
    invoices: InvoiceQueries
    history: AuditQueries
    settings: SettingsEditor
    demo: DemoSeeder

    @classmethod
    def build(
        cls,
        session_factory: sessionmaker[Session],
        clock: Clock,
        gateway: GatewayProvider = _no_gateway,
        *,
        secrets: SecretStore | None = None,
        test_gateway: GatewayTester = _cannot_test,
        apply_gateway: Callable[[], str] = _nothing_to_apply,
    ) -> Services:
        """``gateway`` gives the gateway in use (None until Settings make one usable);
        ``test_gateway`` tries keys typed in Settings, ``apply_gateway`` sets the gateway
        up again after its settings changed (both from the composition root)."""
        shared_settings = SharedSettingsStore(session_factory, clock)
        access = GatewayAccess(session_factory, clock, gateway, shared_settings.load)
        profile_queries = PaymentProfileQueries(session_factory, clock)
        return cls(
            accounts=AccountEditor(session_factory, clock, after_update=access.follow_account),
            contacts=ContactEditor(session_factory, clock),
            account_queries=AccountQueries(session_factory),
            importer=AccountImporter(session_factory, clock),
            shared_settings=shared_settings,
            payment_profiles=PaymentProfiles(access, profile_queries),
            payment_profile_queries=profile_queries,
            gateway_access=access,
            invoices=InvoiceQueries(session_factory),
            history=AuditQueries(session_factory),
            settings=SettingsEditor(
                shared_settings,
                secrets or SecretStore(),
                test_gateway=test_gateway,
                apply_gateway=apply_gateway,
            ),
            demo=DemoSeeder(session_factory, clock),
        )
