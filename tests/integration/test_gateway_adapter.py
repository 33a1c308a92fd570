"""The Authorize.Net adapter driving the real SDK's requests over HTTP to the offline sandbox.

Every ``Gateway`` operation and every error kind, end to end: our request building,
the wire, the sandbox's processing, our reading of its answer.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from gateway_support import gateway_for

from w365desk.clock import FrozenClock
from w365desk.gateway import (
    AcceptNonce,
    AuthenticationFailed,
    BankAccountInput,
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
    Declined,
    DuplicateProfile,
    DuplicateTransaction,
    Gateway,
    GatewayUnavailable,
    InvalidField,
    LimitReached,
    NonceExpired,
    NonceInvalid,
    NotFound,
    RefundRequest,
    TransactionRejected,
    ValidationFailed,
)
from w365desk.gateway.authorizenet import AuthorizeNetGateway
from w365desk.sandbox.authorizenet import Fault, SandboxServer

START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
VISA = "4111111111111111"
MASTERCARD = "5424000000000015"
AMEX = "370000000000002"
_ids = itertools.count(1)


@pytest.fixture
def gateway(sandbox: SandboxServer, clock: FrozenClock) -> Iterator[AuthorizeNetGateway]:
    adapter = gateway_for(sandbox, timeout_s=10.0, clock=clock)
    yield adapter
    adapter.close()


def billing(zip_code: str = "46201", first: str = "Ada", last: str = "Lovelace") -> BillingAddress:
    return BillingAddress(
        first_name=first,
        last_name=last,
        address="1 Main St",
        city="Indianapolis",
        state="IN",
        zip=zip_code,
        country="US",
    )


def new_customer(gateway: Gateway, email: str | None = None) -> str:
    return gateway.create_customer_profile(
        CustomerProfileInput(merchant_customer_id=f"C{next(_ids):05d}", email=email)
    )


def charge(customer: str, payment: str, amount: str, **kwargs: object) -> ChargeRequest:
    kwargs.setdefault("invoice_number", f"INV-{next(_ids):05d}")
    return ChargeRequest(customer, payment, Decimal(amount), **kwargs)  # type: ignore[arg-type]


def refund(transaction_id: str, amount: str, last4: str, **kwargs: object) -> RefundRequest:
    kwargs.setdefault("invoice_number", f"INV-{next(_ids):05d}")
    return RefundRequest(transaction_id, Decimal(amount), last4, **kwargs)  # type: ignore[arg-type]


def test_the_adapter_is_a_gateway(gateway: AuthorizeNetGateway) -> None:
    assert isinstance(gateway, Gateway)


# -- credentials ----------------------------------------------------------------------------


def test_right_credentials_pass_the_test(gateway: AuthorizeNetGateway) -> None:
    gateway.test_credentials()


def test_wrong_transaction_key_is_authentication_failed(sandbox: SandboxServer) -> None:
    wrong = gateway_for(sandbox, transaction_key="NotTheRightKey1", timeout_s=10.0)
    with pytest.raises(AuthenticationFailed) as caught:
        wrong.test_credentials()
    assert caught.value.code == "E00007"
    assert "environment" in str(caught.value)
    with pytest.raises(AuthenticationFailed):
        wrong.create_customer_profile(CustomerProfileInput(merchant_customer_id="X1"))


def test_empty_credentials_are_refused_before_any_call(sandbox: SandboxServer) -> None:
    with pytest.raises(InvalidField) as caught:
        AuthorizeNetGateway("", "key", sandbox.api_url)
    assert caught.value.field == "api_login_id"


# -- customer profiles -----------------------------------------------------------------------


def test_a_customer_profile_follows_the_account_it_belongs_to(
    gateway: AuthorizeNetGateway,
) -> None:
    profile_id = gateway.create_customer_profile(
        CustomerProfileInput(merchant_customer_id="ACC-1", description="Contoso", email="a@c.test")
    )
    other = gateway.create_customer_profile(
        CustomerProfileInput(merchant_customer_id="ACC-2", description="Fabrikam")
    )
    gateway.update_customer_profile(
        profile_id,
        CustomerProfileInput(
            merchant_customer_id="CN-1", description="Contoso Ltd", email="ap@contoso.test"
        ),
    )
    stored = gateway.get_customer_profile(profile_id)
    assert (stored.merchant_customer_id, stored.description, stored.email) == (
        "CN-1",
        "Contoso Ltd",
        "ap@contoso.test",
    )
    with pytest.raises(DuplicateProfile) as duplicate:
        gateway.update_customer_profile(
            profile_id,
            CustomerProfileInput(merchant_customer_id="ACC-2", description="Fabrikam"),
        )
    assert duplicate.value.existing_id == other
    with pytest.raises(NotFound):
        gateway.update_customer_profile("999999", CustomerProfileInput(description="Nobody"))


def test_customer_profile_round_trip(gateway: AuthorizeNetGateway) -> None:
    profile_id = gateway.create_customer_profile(
        CustomerProfileInput(merchant_customer_id="ACME-1", description="Acme", email="a@acme.io")
    )
    profile = gateway.get_customer_profile(profile_id)
    assert profile.customer_profile_id == profile_id
    assert (profile.merchant_customer_id, profile.description, profile.email) == (
        "ACME-1",
        "Acme",
        "a@acme.io",
    )
    assert profile.payment_profiles == ()
    gateway.delete_customer_profile(profile_id)
    with pytest.raises(NotFound):
        gateway.get_customer_profile(profile_id)


def test_duplicate_customer_profile_reports_the_existing_id(gateway: AuthorizeNetGateway) -> None:
    first = gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="DUP-1"))
    with pytest.raises(DuplicateProfile) as caught:
        gateway.create_customer_profile(CustomerProfileInput(merchant_customer_id="DUP-1"))
    assert caught.value.kind == "customer"
    assert caught.value.existing_id == first
    assert first in str(caught.value)


def test_unknown_records_are_not_found(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    with pytest.raises(NotFound) as caught:
        gateway.get_payment_profile(customer, "999999999")
    assert caught.value.code == "E00040"
    with pytest.raises(NotFound):
        gateway.delete_customer_profile("999999999")
    with pytest.raises(NotFound):
        gateway.delete_payment_profile(customer, "999999999")
    with pytest.raises(NotFound):
        gateway.transaction_details("999999999")


# -- payment profiles ------------------------------------------------------------------------


def test_add_card_returns_masked_profile_and_expiry_comes_back_unmasked(
    gateway: AuthorizeNetGateway,
) -> None:
    customer = new_customer(gateway)
    added = gateway.add_card(
        customer, CardInput(MASTERCARD, 9, 2029, "123"), billing(), make_default=True
    )
    assert (added.kind, added.brand, added.last4) == ("card", "MasterCard", "0015")
    assert added.is_default
    fetched = gateway.get_payment_profile(customer, added.payment_profile_id)
    assert fetched.customer_profile_id == customer
    assert (fetched.exp_month, fetched.exp_year) == (9, 2029)
    assert (fetched.brand, fetched.last4, fetched.is_default) == ("MasterCard", "0015", True)
    assert fetched.billing_address == billing()
    listed = gateway.get_customer_profile(customer).payment_profiles
    assert [p.payment_profile_id for p in listed] == [added.payment_profile_id]
    assert (listed[0].exp_month, listed[0].exp_year) == (9, 2029)


def test_duplicate_payment_profile_reports_the_existing_id(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    first = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    with pytest.raises(DuplicateProfile) as caught:
        gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    assert caught.value.kind == "payment"
    assert caught.value.existing_id == first.payment_profile_id
    # A different name on the same card is a different payment profile.
    gateway.add_card(customer, CardInput(VISA, 12, 2030), billing(first="Grace"))


def test_eleventh_payment_profile_reaches_the_limit(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    for n in range(10):
        gateway.add_card(customer, CardInput(VISA, 12, 2030), billing(first=f"Holder{n}"))
    with pytest.raises(LimitReached) as caught:
        gateway.add_card(customer, CardInput(VISA, 12, 2030), billing(first="Holder10"))
    assert caught.value.code == "E00042"
    assert "Delete one" in str(caught.value)


def test_expired_card_is_refused_locally_without_a_call(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer
) -> None:
    customer = new_customer(gateway)
    sandbox.set_fault("createCustomerPaymentProfileRequest", Fault("http_500"))
    with pytest.raises(InvalidField) as caught:
        gateway.add_card(customer, CardInput(VISA, 12, 2025), billing())
    assert caught.value.field == "expiration"


def test_gateway_side_invalid_card_number_and_expiry_are_invalid_field(
    sandbox: SandboxServer, clock: FrozenClock
) -> None:
    # The adapter's own checks are bypassed here to see the gateway's verdicts mapped.
    lenient = gateway_for(sandbox, timeout_s=10.0, clock=FrozenClock(START))
    customer = new_customer(lenient)
    card = CardInput(VISA, 2, 2026)
    object.__setattr__(card, "number", "4111111111111112")
    with pytest.raises(InvalidField) as caught:
        lenient.add_card(customer, card, billing())
    assert caught.value.code == "E00013"
    assert caught.value.field == "card_number"
    clock.advance(timedelta(days=60))  # the sandbox now lives in March 2026
    with pytest.raises(InvalidField) as caught:
        lenient.add_card(customer, CardInput(VISA, 2, 2026), billing())
    assert caught.value.field == "expiration"
    assert "4111111111111112" not in str(caught.value)


def test_live_mode_validation_failure_is_validation_failed(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    with pytest.raises(ValidationFailed) as caught:
        gateway.add_card(
            customer, CardInput(VISA, 12, 2030, "123"), billing("46282"), validation_mode="liveMode"
        )
    assert caught.value.code == "E00027"
    good = gateway.add_card(
        customer, CardInput(VISA, 12, 2030, "123"), billing("46201"), validation_mode="liveMode"
    )
    gateway.validate_payment_profile(customer, good.payment_profile_id)
    stored_declining = gateway.add_card(
        customer, CardInput(MASTERCARD, 12, 2030), billing("46282"), validation_mode="none"
    )
    with pytest.raises(ValidationFailed):
        gateway.validate_payment_profile(customer, stored_declining.payment_profile_id)


def test_bank_account_profile(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    account = BankAccountInput("121042882", "000123456789", "Ada Lovelace", "savings")
    added = gateway.add_bank_account(customer, account, billing())
    fetched = gateway.get_payment_profile(customer, added.payment_profile_id)
    assert (fetched.kind, fetched.last4, fetched.brand) == ("bank", "6789", None)
    assert (fetched.account_type, fetched.name_on_account) == ("savings", "Ada Lovelace")
    assert fetched.exp_month is None
    with pytest.raises(DuplicateProfile) as caught:
        gateway.add_bank_account(customer, account, billing())
    assert caught.value.existing_id == added.payment_profile_id
    moved = gateway.update_payment_profile(
        customer, added.payment_profile_id, billing=billing(zip_code="46203")
    )
    assert moved.billing_address is not None and moved.billing_address.zip == "46203"
    assert moved.last4 == "6789"


def test_update_keeps_the_number_and_changes_what_is_given(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    first = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing(), make_default=True)
    second = gateway.add_card(customer, CardInput(AMEX, 6, 2028), billing())
    updated = gateway.update_payment_profile(
        customer, second.payment_profile_id, exp_month=11, exp_year=2031, make_default=True
    )
    assert (updated.exp_month, updated.exp_year, updated.last4) == (11, 2031, "0002")
    assert updated.brand == "AmericanExpress"
    assert updated.is_default
    assert updated.billing_address == billing()
    assert not gateway.get_payment_profile(customer, first.payment_profile_id).is_default
    with pytest.raises(InvalidField) as caught:
        gateway.update_payment_profile(customer, second.payment_profile_id, exp_month=1)
    assert caught.value.field == "expiration"
    replaced = gateway.update_payment_profile(
        customer, second.payment_profile_id, card=CardInput(MASTERCARD, 1, 2032)
    )
    assert (replaced.last4, replaced.exp_month, replaced.exp_year) == ("0015", 1, 2032)


def test_delete_payment_profile(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    added = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    gateway.delete_payment_profile(customer, added.payment_profile_id)
    with pytest.raises(NotFound):
        gateway.get_payment_profile(customer, added.payment_profile_id)


def test_cards_expiring_in_a_month(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    soon_a = gateway.add_card(customer, CardInput(VISA, 3, 2026), billing())
    gateway.add_card(customer, CardInput(MASTERCARD, 4, 2026), billing())
    other = new_customer(gateway)
    soon_b = gateway.add_card(other, CardInput(AMEX, 3, 2026), billing())
    gateway.add_bank_account(other, BankAccountInput("121042882", "55556666", "Ada"), billing())
    expiring = gateway.cards_expiring_in("2026-03")
    assert {(p.customer_profile_id, p.payment_profile_id) for p in expiring} == {
        (customer, soon_a.payment_profile_id),
        (other, soon_b.payment_profile_id),
    }
    assert all((p.exp_month, p.exp_year, p.kind) == (3, 2026, "card") for p in expiring)
    assert gateway.cards_expiring_in("2027-03") == []
    with pytest.raises(InvalidField):
        gateway.cards_expiring_in("03/2026")


# -- Accept.js nonces --------------------------------------------------------------------------


def test_profile_from_nonce(gateway: AuthorizeNetGateway, sandbox: SandboxServer) -> None:
    customer = new_customer(gateway)
    nonce = AcceptNonce(sandbox.issue_nonce(MASTERCARD, 8, 2029, "123"))
    added = gateway.add_from_nonce(customer, nonce, billing(), make_default=True)
    assert (added.kind, added.brand, added.last4) == ("card", "MasterCard", "0015")
    assert (added.exp_month, added.exp_year) == (8, 2029)
    assert added.is_default
    with pytest.raises((NonceExpired, NonceInvalid)):
        gateway.add_from_nonce(customer, nonce, billing(first="Again"))


def test_invalid_nonce(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    with pytest.raises(NonceInvalid) as caught:
        gateway.add_from_nonce(customer, AcceptNonce("not-a-real-token"), billing())
    assert caught.value.code == "E00114"
    assert "enter the card again" in str(caught.value)


def test_expired_nonce(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, clock: FrozenClock
) -> None:
    customer = new_customer(gateway)
    nonce = AcceptNonce(sandbox.issue_nonce(VISA, 12, 2030))
    clock.advance(timedelta(minutes=16))
    with pytest.raises(NonceExpired) as caught:
        gateway.add_from_nonce(customer, nonce, billing())
    assert caught.value.code == "E00115"


# -- charges, refunds, voids -------------------------------------------------------------------


def test_charge_approves_and_lands_in_the_ledger(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer
) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    result = gateway.charge_profile(
        charge(
            customer,
            card.payment_profile_id,
            "123.45",
            invoice_number="INV-1001",
            ref_id="pay-1",
            description="January",
        )
    )
    assert result.approved and result.response_code == "1"
    assert result.transaction_id and result.auth_code
    assert result.account_number_masked == "XXXX1111"
    assert result.account_type == "Visa"
    assert result.requested_amount == Decimal("123.45")
    [entry] = sandbox.ledger()
    assert (entry.kind, entry.transaction_id, entry.amount) == (
        "charge",
        result.transaction_id,
        Decimal("123.45"),
    )
    assert (entry.ref_id, entry.invoice_number, entry.response_code) == ("pay-1", "INV-1001", "1")
    assert (entry.customer_profile_id, entry.payment_profile_id) == (
        customer,
        card.payment_profile_id,
    )
    details = gateway.transaction_details(result.transaction_id)
    assert details.amount == Decimal("123.45")
    assert details.invoice_number == "INV-1001"
    assert details.settled_at is None
    assert details.submitted_at.tzinfo is not None
    assert (details.customer_profile_id, details.payment_profile_id) == (
        customer,
        card.payment_profile_id,
    )
    assert details.response_code == "1"


@pytest.mark.parametrize(("zip_code", "cvv"), [("46203", "900"), ("46205", "901")])
def test_avs_and_cvv_result_codes_are_surfaced(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer, zip_code: str, cvv: str
) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing(zip_code))
    plain = gateway.charge_profile(charge(customer, card.payment_profile_id, "10.00"))
    with_cvv = gateway.charge_profile(charge(customer, card.payment_profile_id, "11.00", cvv=cvv))
    assert plain.avs_result_code and with_cvv.avs_result_code == plain.avs_result_code
    assert with_cvv.cvv_result_code
    other_zip = new_customer(gateway)
    other_card = gateway.add_card(other_zip, CardInput(VISA, 12, 2030), billing("46201"))
    other = gateway.charge_profile(
        charge(other_zip, other_card.payment_profile_id, "12.00", cvv="902")
    )
    assert other.avs_result_code != plain.avs_result_code
    assert other.cvv_result_code != with_cvv.cvv_result_code


def test_decline_is_declined_with_its_transaction(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer
) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing("46282"))
    with pytest.raises(Declined) as caught:
        gateway.charge_profile(
            charge(customer, card.payment_profile_id, "20.00", invoice_number="INV-D")
        )
    assert caught.value.response_code == "2"
    assert caught.value.reason_code == "2"
    assert caught.value.transaction_id
    assert str(caught.value).startswith("Declined")
    [entry] = sandbox.ledger()
    assert (entry.response_code, entry.transaction_id) == ("2", caught.value.transaction_id)


def test_duplicate_window(gateway: AuthorizeNetGateway, sandbox: SandboxServer) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    request = charge(customer, card.payment_profile_id, "50.00", invoice_number="INV-W")
    first = gateway.charge_profile(request)
    with pytest.raises(DuplicateTransaction) as caught:
        gateway.charge_profile(request)
    assert caught.value.reason_code == "11"
    assert "not charged twice" in str(caught.value)
    # The refusal names the charge that stands, so nobody has to search for it.
    assert caught.value.transaction_id == first.transaction_id
    approved = [e for e in sandbox.ledger() if e.response_code == "1"]
    assert [e.transaction_id for e in approved] == [first.transaction_id]
    no_window = charge(
        customer, card.payment_profile_id, "50.00", invoice_number="INV-W", duplicate_window_s=0
    )
    assert gateway.charge_profile(no_window).approved


def test_echeck_limit(gateway: AuthorizeNetGateway) -> None:
    customer = new_customer(gateway)
    bank = gateway.add_bank_account(
        customer, BankAccountInput("121042882", "123456789", "Ada Lovelace"), billing()
    )
    assert gateway.charge_profile(charge(customer, bank.payment_profile_id, "100.00")).approved
    with pytest.raises(Declined):
        gateway.charge_profile(charge(customer, bank.payment_profile_id, "100.01"))


def test_refund_only_after_settlement(gateway: AuthorizeNetGateway, sandbox: SandboxServer) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    paid = gateway.charge_profile(charge(customer, card.payment_profile_id, "80.00"))
    refund_30 = refund(paid.transaction_id, "30.00", "1111", ref_id="refund-1")
    with pytest.raises(TransactionRejected) as caught:
        gateway.refund(refund_30)
    assert caught.value.reason_code == "54"
    assert "settled" in str(caught.value)
    sandbox.settle_now()
    settled = gateway.transaction_details(paid.transaction_id)
    assert settled.settled_at is not None and settled.settled_at.tzinfo is not None
    assert settled.status == "settledSuccessfully"
    result = gateway.refund(refund_30)
    assert result.response_code == "1"
    assert result.reference_transaction_id == paid.transaction_id
    entries = [e for e in sandbox.ledger() if e.kind == "refund" and e.response_code == "1"]
    assert [(e.transaction_id, e.amount, e.ref_id) for e in entries] == [
        (result.transaction_id, Decimal("30.00"), "refund-1")
    ]
    with pytest.raises(TransactionRejected) as caught:
        gateway.refund(refund(paid.transaction_id, "60.00", "1111"))
    assert caught.value.reason_code == "55"


def test_refund_through_the_payment_profile(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer
) -> None:
    customer = new_customer(gateway)
    bank = gateway.add_bank_account(
        customer, BankAccountInput("121042882", "123456789", "Ada Lovelace"), billing()
    )
    paid = gateway.charge_profile(charge(customer, bank.payment_profile_id, "40.00"))
    sandbox.settle_now()
    result = gateway.refund(
        refund(
            paid.transaction_id,
            "40.00",
            "6789",
            kind="bank",
            customer_profile_id=customer,
            payment_profile_id=bank.payment_profile_id,
        )
    )
    assert result.response_code == "1"


def test_void_only_before_settlement(gateway: AuthorizeNetGateway, sandbox: SandboxServer) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    first = gateway.charge_profile(charge(customer, card.payment_profile_id, "15.00"))
    voided = gateway.void(first.transaction_id, ref_id="void-1")
    assert voided.response_code == "1"
    assert voided.reference_transaction_id == first.transaction_id
    assert gateway.transaction_details(first.transaction_id).status == "voided"
    with pytest.raises(TransactionRejected) as caught:
        gateway.void(first.transaction_id)
    assert caught.value.reason_code == "310"
    second = gateway.charge_profile(charge(customer, card.payment_profile_id, "16.00"))
    sandbox.settle_now()
    with pytest.raises(TransactionRejected) as caught:
        gateway.void(second.transaction_id)
    # The gateway cannot find a settled charge to void; the message says what to do.
    assert caught.value.reason_code == "16"
    assert "refund it instead" in str(caught.value)
    kinds = [(e.kind, e.response_code) for e in sandbox.ledger()]
    assert kinds.count(("void", "1")) == 1


def test_transaction_lists(gateway: AuthorizeNetGateway, sandbox: SandboxServer) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    other = gateway.add_card(customer, CardInput(MASTERCARD, 12, 2030), billing())
    a = gateway.charge_profile(
        charge(customer, card.payment_profile_id, "1.00", invoice_number="A")
    )
    b = gateway.charge_profile(
        charge(customer, other.payment_profile_id, "2.00", invoice_number="B")
    )
    stranger = new_customer(gateway)
    stranger_card = gateway.add_card(stranger, CardInput(VISA, 12, 2030), billing(first="S"))
    c = gateway.charge_profile(charge(stranger, stranger_card.payment_profile_id, "3.00"))

    for_customer = gateway.transactions_for_customer(customer)
    assert {t.transaction_id for t in for_customer} == {a.transaction_id, b.transaction_id}
    for_card = gateway.transactions_for_customer(customer, card.payment_profile_id)
    assert [(t.transaction_id, t.invoice_number) for t in for_card] == [(a.transaction_id, "A")]
    assert for_card[0].submitted_at.tzinfo is not None
    assert for_card[0].settle_amount == Decimal("1.00")

    unsettled = {t.transaction_id for t in gateway.unsettled_transactions()}
    assert unsettled == {a.transaction_id, b.transaction_id, c.transaction_id}
    sandbox.settle_now()
    assert gateway.unsettled_transactions() == []
    assert len(gateway.transactions_for_customer(customer)) == 2


# -- the gateway unreachable or busy --------------------------------------------------------


def test_busy_gateway_is_unavailable_and_nothing_is_charged(
    gateway: AuthorizeNetGateway, sandbox: SandboxServer
) -> None:
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    sandbox.set_fault("*", Fault("busy"))
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.get_customer_profile(customer)
    assert caught.value.code == "E00053" and caught.value.retryable
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.charge_profile(charge(customer, card.payment_profile_id, "9.99"))
    assert caught.value.code == "E00053"
    assert sandbox.ledger() == []
    sandbox.clear_faults()
    assert gateway.charge_profile(charge(customer, card.payment_profile_id, "9.99")).approved


def test_stopped_server_is_unavailable_even_for_charges(
    start_sandbox: Callable[..., SandboxServer], clock: FrozenClock
) -> None:
    sandbox = start_sandbox(clock=clock.now)  # its own: this test stops it
    gateway = gateway_for(sandbox, timeout_s=10.0, clock=clock)
    customer = new_customer(gateway)
    card = gateway.add_card(customer, CardInput(VISA, 12, 2030), billing())
    sandbox.stop()
    with pytest.raises(GatewayUnavailable) as caught:
        gateway.test_credentials()
    assert "nothing was sent" in str(caught.value)
    # Connection refused: provably never sent, so a charge is not "unknown".
    with pytest.raises(GatewayUnavailable):
        gateway.charge_profile(charge(customer, card.payment_profile_id, "5.00", ref_id="r-stop"))
