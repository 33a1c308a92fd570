"""Payment methods through the services, the real adapter and the offline sandbox: Direct
Entry (every local check, every gateway refusal), Set Default, Deactivate, Sync, Validate,
and the list's filters."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from gateway_support import gateway_for
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from w365desk.clock import FrozenClock
from w365desk.db.models import Account, AuditEvent, PaymentProfile
from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.sandbox.authorizenet import Fault, SandboxServer
from w365desk.services.accounts import AccountInput, AccountView, ContactInput
from w365desk.services.actors import Actor
from w365desk.services.bundle import Services
from w365desk.services.errors import (
    DuplicatePaymentRecord,
    GatewayLimitReached,
    GatewayNotSetUp,
    GatewayUnavailable,
    PaymentMethodRefused,
    ValidationError,
)
from w365desk.services.payment_profiles import (
    BankEntry,
    BillingEntry,
    CardEntry,
    ProfileFilter,
    ProfileListQuery,
    ShownStatus,
)
from w365desk.settings import SharedSettings, ValidationMode

STAFF = Actor.staff("alice")
VISA = "4111 1111 1111 1111"
AMEX = "370000000000002"
BILLING = BillingEntry(
    first_name="Dana",
    last_name="Whitfield",
    address="1 Main St",
    city="Seattle",
    state="WA",
    zip="98101",
    country="US",
)


def card(
    number: str = VISA, *, month: str = "12", year: str = "2030", cvv: str = "123"
) -> CardEntry:
    return CardEntry(number, month, year, cvv, "Dana Whitfield")


@pytest.fixture
def adapter(sandbox: SandboxServer, clock: FrozenClock) -> Iterator[AuthorizeNetGateway]:
    gateway = gateway_for(sandbox, timeout_s=3.0, clock=clock)
    yield gateway
    gateway.close()


@pytest.fixture
def services(
    session_factory: sessionmaker[Session], clock: FrozenClock, adapter: AuthorizeNetGateway
) -> Services:
    return Services.build(session_factory, clock, gateway=lambda: adapter)


@pytest.fixture
def account(services: Services) -> AccountView:
    return services.accounts.create_account(
        AccountInput(name="Contoso Holdings", number="CH-1", primary_email="ap@contoso.example"),
        [ContactInput("Dana", "Whitfield", email="dana@contoso.example", is_billing=True)],
        actor=STAFF,
    )


def _audit(session_factory: sessionmaker[Session], action: str) -> list[dict[str, object]]:
    with session_factory() as session:
        return [
            json.loads(event.details or "{}")
            for event in session.scalars(select(AuditEvent).where(AuditEvent.action == action))
        ]


def test_direct_entry_stores_a_card_and_makes_it_the_first_default(
    services: Services,
    account: AccountView,
    sandbox: SandboxServer,
    session_factory: sessionmaker[Session],
) -> None:
    view = services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    assert (view.brand, view.last4, view.expiry, view.status) == (
        "Visa",
        "1111",
        "12/2030",
        ShownStatus.ACTIVE,
    )
    assert view.is_default and view.source_label == "Direct Entry"
    assert view.holder == "Dana Whitfield" and view.created_by == "alice"
    # The customer profile was created on first use and carries the account's details.
    stored = services.account_queries.get_account(account.id)
    assert stored.gateway_customer_profile_id == view.customer_profile_id
    [summary] = services.account_queries.search("CH-1")
    assert summary.default_payment_summary == "Visa •••• 1111 12/30"
    gateway_copy = sandbox.api._state.customers[view.customer_profile_id]
    assert (gateway_copy.merchant_customer_id, gateway_copy.email) == ("CH-1", "ap@contoso.example")
    # A second method is not the default; nothing card-like reached the database.
    second = services.payment_profiles.add(account.id, card(AMEX, cvv="1234"), BILLING, actor=STAFF)
    assert (second.brand, second.is_default) == ("AmericanExpress", False)
    [created, _second] = _audit(session_factory, "payment_profile.create")
    assert created["last4"] == "1111" and "4111111111111111" not in json.dumps(created)


def test_a_bank_account_is_stored_with_its_type(services: Services, account: AccountView) -> None:
    bank = BankEntry("121042882", "123456789", "savings", "Contoso Holdings")
    view = services.payment_profiles.add(account.id, bank, BILLING, actor=STAFF)
    assert (view.kind, view.last4, view.bank_account_type) == ("bank", "6789", "savings")
    assert view.summary == "Savings •••• 6789"


@pytest.mark.parametrize(
    ("method", "billing", "field", "words"),
    [
        (card("4111 1111 1111 1112"), BILLING, "card_number", "check digit"),
        (card("4111 1111"), BILLING, "card_number", "13 to 16 digits"),
        (card(month="13"), BILLING, "exp_month", "01 to 12"),
        (card(month="12", year="2025"), BILLING, "exp_month", "expired at the end of 12/2025"),
        (card(cvv="12"), BILLING, "cvv", "3 digits"),
        (card(AMEX, cvv="123"), BILLING, "cvv", "4 digits"),
        (card(cvv=""), BILLING, "cvv", "Enter the security code"),
        (CardEntry(VISA, "12", "2030", "123", " "), BILLING, "name_on_card", "as printed"),
        (BankEntry("121042881", "123456789", "checking", "X"), BILLING, "routing_number", "ABA"),
        (BankEntry("121042882", "12", "checking", "X"), BILLING, "account_number", "4 to 17"),
        (BankEntry("121042882", "123456", "checking", "N" * 23), BILLING, "name_on_account", "22"),
        (card(), dataclasses.replace(BILLING, zip="9810"), "zip", "5 digits"),
        (card(), dataclasses.replace(BILLING, state=""), "state", "billing state"),
        (card(), dataclasses.replace(BILLING, address=""), "address", "street address"),
        (
            card(),
            dataclasses.replace(BILLING, country="CA", state="ON", zip="12345"),
            "zip",
            "K1A 0B1",
        ),
    ],
)
def test_local_checks_come_before_any_gateway_call(
    services: Services,
    account: AccountView,
    sandbox: SandboxServer,
    method: CardEntry | BankEntry,
    billing: BillingEntry,
    field: str,
    words: str,
) -> None:
    with pytest.raises(ValidationError) as raised:
        services.payment_profiles.add(account.id, method, billing, actor=STAFF)
    assert words in raised.value.messages()[field][0]
    assert "4111" not in str(raised.value)  # never repeats the number typed
    assert sandbox.api._state.customers == {}  # the gateway was never asked


def test_every_problem_is_listed_at_once(services: Services, account: AccountView) -> None:
    empty = CardEntry("", "", "", "", "")
    with pytest.raises(ValidationError) as raised:
        services.payment_profiles.add(account.id, empty, BillingEntry(), actor=STAFF)
    assert set(raised.value.messages()) >= {
        "card_number", "exp_month", "exp_year", "cvv", "name_on_card",
        "first_name", "last_name", "address", "city", "state", "zip",
    }  # fmt: skip


def test_a_duplicate_names_the_existing_method_which_can_be_used(
    services: Services, account: AccountView, sandbox: SandboxServer
) -> None:
    first = services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    # Known to the gateway but not to this desk (say, stored before a crash).
    with services.gateway_access.session_factory.begin() as session:
        session.execute(PaymentProfile.__table__.delete())
    with pytest.raises(DuplicatePaymentRecord) as raised:
        services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    assert raised.value.existing_id == first.payment_profile_id
    assert "already holds this payment method" in raised.value.message
    adopted = services.payment_profiles.use_existing(
        account.id, raised.value.existing_id, actor=STAFF
    )
    assert (adopted.payment_profile_id, adopted.last4, adopted.is_default) == (
        first.payment_profile_id,
        "1111",
        True,
    )
    # Using it twice keeps one row.
    again = services.payment_profiles.use_existing(
        account.id, first.payment_profile_id, actor=STAFF
    )
    assert again.id == adopted.id


def test_the_gateway_limit_of_ten_is_explained(services: Services, account: AccountView) -> None:
    for index in range(10):
        billing = dataclasses.replace(BILLING, last_name=f"Whitfield {index}")
        services.payment_profiles.add(account.id, card(), billing, actor=STAFF)
    with pytest.raises(GatewayLimitReached) as raised:
        services.payment_profiles.add(
            account.id, card(), dataclasses.replace(BILLING, last_name="Eleven"), actor=STAFF
        )
    assert "(10)" in raised.value.message


def test_a_card_failing_live_validation_is_refused_with_the_reason(
    services: Services, account: AccountView, session_factory: sessionmaker[Session]
) -> None:
    services.shared_settings.save(
        dataclasses.replace(SharedSettings(), gateway_validation_mode=ValidationMode.LIVE_MODE),
        actor=STAFF,
    )
    declining = dataclasses.replace(BILLING, zip="46282")
    with pytest.raises(PaymentMethodRefused) as raised:
        services.payment_profiles.add(account.id, card(), declining, actor=STAFF)
    assert "could not be verified" in raised.value.message
    with session_factory() as session:
        assert session.scalars(select(PaymentProfile)).all() == []


def test_wrong_keys_and_an_unreachable_gateway_get_their_own_messages(
    session_factory: sessionmaker[Session],
    clock: FrozenClock,
    sandbox: SandboxServer,
) -> None:
    wrong = gateway_for(sandbox, transaction_key="WrongWrongWrong1", timeout_s=3.0)
    services = Services.build(session_factory, clock, gateway=lambda: wrong)
    account = services.accounts.create_account(AccountInput(name="Keys Co"), actor=STAFF)
    with pytest.raises(GatewayNotSetUp) as raised:
        services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    assert "API login id or transaction key" in raised.value.message

    working = gateway_for(sandbox, timeout_s=3.0)
    services = Services.build(session_factory, clock, gateway=lambda: working)
    sandbox.set_fault("createCustomerProfileRequest", Fault("busy", times=1))
    with pytest.raises(GatewayUnavailable) as busy:
        services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    assert busy.value.retryable and "try again" in busy.value.message.lower()
    assert services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF).is_default

    nothing = Services.build(session_factory, clock)
    with pytest.raises(GatewayNotSetUp, match="Settings"):
        nothing.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    wrong.close()
    working.close()


def test_set_default_deactivate_and_the_accounts_summary(
    services: Services, account: AccountView, sandbox: SandboxServer
) -> None:
    visa = services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    amex = services.payment_profiles.add(account.id, card(AMEX, cvv="1234"), BILLING, actor=STAFF)
    services.payment_profiles.set_default(amex.id, actor=STAFF)
    views = {v.id: v for v in services.payment_profile_queries.for_account(account.id)}
    assert (views[amex.id].is_default, views[visa.id].is_default) == (True, False)
    assert services.account_queries.search("CH-1")[0].default_payment_summary.startswith(
        "AmericanExpress •••• 0002"
    )

    gone = services.payment_profiles.deactivate(amex.id, actor=STAFF)
    assert (gone.status, gone.is_default) == (ShownStatus.INACTIVE, False)
    assert amex.payment_profile_id not in sandbox.api._state.payment_profiles
    assert services.account_queries.search("CH-1")[0].default_payment_summary == ""
    with pytest.raises(Exception, match="Only an active payment method"):
        services.payment_profiles.set_default(amex.id, actor=STAFF)
    # Deactivating again changes nothing; one already gone at the gateway still works.
    assert services.payment_profiles.deactivate(amex.id, actor=STAFF).status is ShownStatus.INACTIVE
    del sandbox.api._state.payment_profiles[visa.payment_profile_id]
    assert services.payment_profiles.deactivate(visa.id, actor=STAFF).status is ShownStatus.INACTIVE


def test_sync_takes_the_gateways_copy_and_marks_what_is_gone(
    services: Services, account: AccountView, sandbox: SandboxServer, clock: FrozenClock
) -> None:
    view = services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    # Someone changed the expiry in the merchant interface.
    stored = sandbox.api._state.payment_profiles[view.payment_profile_id]
    stored.payment = dataclasses.replace(stored.payment, expiry="2031-05")
    # ...and the account was renamed here since.
    services.accounts.update_account(
        account.id,
        dataclasses.replace(AccountInput.from_view(account), name="Contoso Group"),
        actor=STAFF,
    )
    synced = services.payment_profiles.sync(view.id, actor=STAFF)
    assert synced.expiry == "05/2031"
    assert sandbox.api._state.customers[view.customer_profile_id].description == "Contoso Group"

    del sandbox.api._state.payment_profiles[view.payment_profile_id]
    missing = services.payment_profiles.sync(view.id, actor=STAFF)
    assert missing.status is ShownStatus.INACTIVE and missing.gateway_missing_at == clock.now()


def test_validate_reports_pass_and_failure(
    services: Services, account: AccountView, session_factory: sessionmaker[Session]
) -> None:
    good = services.payment_profiles.add(account.id, card(), BILLING, actor=STAFF)
    # Stored under test mode; the issuer declines this billing zip once really asked.
    doubtful = services.payment_profiles.add(
        account.id, card(AMEX, cvv="1234"), dataclasses.replace(BILLING, zip="46282"), actor=STAFF
    )
    passed = services.payment_profiles.validate(good.id, actor=STAFF)
    assert passed.passed and "passed" in passed.message
    services.shared_settings.save(
        dataclasses.replace(SharedSettings(), gateway_validation_mode=ValidationMode.LIVE_MODE),
        actor=STAFF,
    )
    live = services.payment_profiles.validate(good.id, actor=STAFF)
    assert live.passed and "zero-dollar" in live.message
    failed = services.payment_profiles.validate(doubtful.id, actor=STAFF)
    assert not failed.passed and "could not be verified" in failed.message
    results = [
        (event["mode"], event["passed"])
        for event in _audit(session_factory, "payment_profile.validate")
    ]
    assert results == [("testMode", True), ("liveMode", True), ("liveMode", False)]


def test_the_list_filters_by_what_staff_see(
    services: Services, account: AccountView, clock: FrozenClock
) -> None:
    soon = services.payment_profiles.add(
        account.id, card(month="02", year="2026"), BILLING, actor=STAFF
    )
    later = services.payment_profiles.add(
        account.id, card(AMEX, cvv="1234", month="12", year="2030"), BILLING, actor=STAFF
    )
    queries = services.payment_profile_queries

    def ids(query: ProfileListQuery) -> set[int]:
        return {row.id for row in queries.rows(query, 0, 100)}

    assert ids(ProfileListQuery(expiring_within_days=45)) == {soon.id}  # Feb 2026 from Jan 15
    assert ids(ProfileListQuery(expiring_within_days=10)) == set()
    assert ids(ProfileListQuery(status=ProfileFilter.ACTIVE)) == {soon.id, later.id}
    clock.advance(timedelta(days=60))  # mid-March: the February card has expired
    assert ids(ProfileListQuery(status=ProfileFilter.EXPIRED)) == {soon.id}
    assert queries.get(soon.id).status is ShownStatus.EXPIRED
    assert ids(ProfileListQuery(status=ProfileFilter.ACTIVE)) == {later.id}
    assert queries.count(ProfileListQuery()) == 2
    with services.gateway_access.session_factory() as session:
        assert session.scalar(select(Account.default_payment_summary)) == "Visa •••• 1111 02/26"
