"""Charges, refunds, voids, settlement and reporting, through the unchanged SDK over HTTP."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from sandbox_sdk_support import Answer, Sdk, Wire

from w365desk.clock import FrozenClock
from w365desk.sandbox.authorizenet import SandboxServer

START = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)


@pytest.fixture
def sdk(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Sdk:
    return Sdk(sandbox, Wire(monkeypatch))


@pytest.fixture
def visa_profile(sdk: Sdk) -> tuple[str, str]:
    return sdk.customer_with_card()


def trans_id(answer: Answer) -> str:
    return answer.value("transactionResponse/transId")


def error_of(answer: Answer) -> tuple[str, str, str]:
    """(responseCode, errorCode, errorText) of a refused transaction."""
    return (
        answer.value("transactionResponse/responseCode"),
        answer.value("transactionResponse/errors/error/errorCode"),
        answer.value("transactionResponse/errors/error/errorText"),
    )


# --- charges -------------------------------------------------------------------------------------


def test_profile_charge_is_approved_and_recorded(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    customer_id, profile_id = visa_profile
    answer = sdk.charge_profile(customer_id, profile_id, "42.50", "INV-42", ref_id="pay-42")
    assert (answer.result_code, answer.code) == ("Ok", "I00001")
    assert answer.value("refId") == "pay-42"
    result = answer.xml.transactionResponse
    assert str(result.responseCode) == "1"
    auth_code = answer.value("transactionResponse/authCode")
    assert len(auth_code) == 6 and auth_code.isalnum()
    assert answer.value("transactionResponse/accountNumber") == "XXXX1111"
    assert answer.value("transactionResponse/accountType") == "Visa"
    assert answer.value("transactionResponse/transHash") == ""
    assert answer.value("transactionResponse/messages/message/description") == (
        "This transaction has been approved."
    )
    assert answer.value("transactionResponse/profile/customerProfileId") == customer_id
    assert answer.value("transactionResponse/profile/customerPaymentProfileId") == profile_id
    assert str(answer.response.transactionResponse.responseCode) == "1"  # the SDK's view

    (entry,) = sandbox.ledger()
    assert (entry.kind, entry.transaction_id, entry.amount) == (
        "charge",
        trans_id(answer),
        Decimal("42.50"),
    )
    assert (entry.ref_id, entry.invoice_number, entry.response_code) == ("pay-42", "INV-42", "1")
    assert (entry.customer_profile_id, entry.payment_profile_id) == (customer_id, profile_id)
    assert entry.at == START


def test_billing_zip_46282_declines_with_result_ok(sdk: Sdk, sandbox: SandboxServer) -> None:
    customer_id, profile_id = sdk.customer_with_card(zip_code="46282")
    answer = sdk.charge_profile(customer_id, profile_id)
    # Like the real API: the call succeeded, the transaction response says "declined".
    assert (answer.result_code, answer.code) == ("Ok", "I00001")
    assert error_of(answer) == ("2", "2", "This transaction has been declined.")
    assert answer.value("transactionResponse/authCode") == ""
    (entry,) = sandbox.ledger()
    assert (entry.kind, entry.response_code) == ("charge", "2")
    details = sdk.details(trans_id(answer), wide=True)
    assert details.value("transaction/transactionStatus") == "declined"
    assert details.value("transaction/settleAmount") == "0.00"


@pytest.mark.parametrize(
    ("zip_code", "avs"),
    [
        ("46201", "A"),
        ("46203", "E"),
        ("46204", "G"),
        ("46205", "N"),
        ("46206", "P"),
        ("46207", "R"),
        ("46208", "S"),
        ("46209", "U"),
        ("46211", "W"),
        ("46214", "X"),
        ("46217", "Z"),
        ("98004", "Y"),
    ],
)
def test_billing_zip_chooses_the_avs_result(sdk: Sdk, zip_code: str, avs: str) -> None:
    answer = sdk.charge_payment(sdk.card(), bill_to=sdk.bill_to(zip_code=zip_code))
    assert answer.value("transactionResponse/responseCode") == "1"
    assert answer.value("transactionResponse/avsResultCode") == avs


@pytest.mark.parametrize(
    ("card_code", "cvv"),
    [("900", "M"), ("901", "N"), ("902", "S"), ("903", "U"), ("904", "P"), ("123", "M")],
)
def test_card_code_chooses_the_cvv_result(sdk: Sdk, card_code: str, cvv: str) -> None:
    answer = sdk.charge_payment(sdk.card(code=card_code), bill_to=sdk.bill_to())
    assert answer.value("transactionResponse/responseCode") == "1"
    assert answer.value("transactionResponse/cvvResultCode") == cvv


def test_no_card_code_and_no_address_leave_cvv_empty_and_avs_b(sdk: Sdk) -> None:
    answer = sdk.charge_payment(sdk.card())
    assert answer.value("transactionResponse/cvvResultCode") == ""
    assert answer.value("transactionResponse/avsResultCode") == "B"


@pytest.mark.parametrize(
    ("number", "expiry", "reason", "text"),
    [
        ("4111111111111112", "2030-12", "6", "The credit card number is invalid."),
        ("4111111111111111", "2025-12", "8", "The credit card has expired."),
        ("4111111111111111", "2030-13", "7", "Credit card expiration date is invalid."),
    ],
)
def test_bad_card_in_a_charge_is_a_transaction_error(
    sdk: Sdk, sandbox: SandboxServer, number: str, expiry: str, reason: str, text: str
) -> None:
    answer = sdk.charge_payment(sdk.card(number, expiry))
    assert (answer.result_code, answer.code) == ("Error", "E00027")
    assert error_of(answer) == ("3", reason, text)
    assert trans_id(answer) == "0"
    assert sandbox.ledger() == []


@pytest.mark.parametrize("amount", ["0", "-5.00", "1.234"])
def test_an_invalid_amount_is_refused_with_reason_5(
    sdk: Sdk, visa_profile: tuple[str, str], amount: str
) -> None:
    answer = sdk.charge_profile(*visa_profile, amount=amount)
    assert error_of(answer) == ("3", "5", "A valid amount is required.")


def test_charging_an_unknown_profile_answers_e00040(sdk: Sdk, sandbox: SandboxServer) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.charge_profile(customer_id, "999999999")
    assert (answer.result_code, answer.code) == ("Error", "E00040")
    assert answer.text == "Customer Profile ID or Customer Payment Profile ID not found."
    assert answer.value("transactionResponse/responseCode") == "3"
    assert sandbox.ledger() == []


def test_echeck_up_to_100_approves_and_above_declines(sdk: Sdk, sandbox: SandboxServer) -> None:
    customer_id, _ = sdk.customer_with_card()
    added = sdk.add_payment_profile(customer_id, sdk.payment_profile(sdk.bank(), sdk.bill_to()))
    bank_profile = added.value("customerPaymentProfileId")
    approved = sdk.charge_profile(customer_id, bank_profile, "100.00", "E-1")
    declined = sdk.charge_profile(customer_id, bank_profile, "100.01", "E-2")
    assert approved.value("transactionResponse/responseCode") == "1"
    assert approved.value("transactionResponse/accountType") == "eCheck"
    assert approved.value("transactionResponse/accountNumber") == "XXXX6789"
    assert approved.value("transactionResponse/avsResultCode") == "P"
    assert error_of(declined) == ("2", "2", "This transaction has been declined.")
    assert [entry.response_code for entry in sandbox.ledger()] == ["1", "2"]


def test_expired_stored_card_is_refused_at_charge_time(
    sdk: Sdk, clock: FrozenClock, visa_profile: tuple[str, str]
) -> None:
    clock.advance(timedelta(days=365 * 5))  # past 2030-12
    answer = sdk.charge_profile(*visa_profile)
    assert error_of(answer)[1:] == ("8", "The credit card has expired.")


def test_charge_with_an_accept_nonce_is_single_use(sdk: Sdk, sandbox: SandboxServer) -> None:
    nonce = sandbox.issue_nonce("5424000000000015", 12, 2029, "900")
    first = sdk.charge_payment(sdk.opaque(nonce), bill_to=sdk.bill_to())
    assert first.value("transactionResponse/responseCode") == "1"
    assert first.value("transactionResponse/accountNumber") == "XXXX0015"
    assert first.value("transactionResponse/cvvResultCode") == "M"
    again = sdk.charge_payment(sdk.opaque(nonce), amount="11.00", bill_to=sdk.bill_to())
    assert (again.code, again.text) == ("E00114", "Invalid OTS Token.")
    assert again.value("transactionResponse/errors/error/errorCode") == "E00114"
    assert len(sandbox.ledger()) == 1


def test_charge_with_an_expired_nonce(sdk: Sdk, sandbox: SandboxServer, clock: FrozenClock) -> None:
    nonce = sandbox.issue_nonce("5424000000000015", 12, 2029)
    clock.advance(timedelta(minutes=16))
    answer = sdk.charge_payment(sdk.opaque(nonce))
    assert (answer.code, answer.text) == ("E00115", "Expired OTS Token.")
    assert sandbox.ledger() == []


# --- duplicate window ----------------------------------------------------------------------------


def test_identical_charge_inside_the_window_is_refused_and_not_charged(
    sdk: Sdk, sandbox: SandboxServer, clock: FrozenClock, visa_profile: tuple[str, str]
) -> None:
    first = sdk.charge_profile(*visa_profile, "25.00", "INV-7")
    clock.advance(timedelta(seconds=119))
    second = sdk.charge_profile(*visa_profile, "25.00", "INV-7")
    assert (second.result_code, second.code) == ("Error", "E00027")
    assert error_of(second) == ("3", "11", "A duplicate transaction has been submitted.")
    assert trans_id(second) == "0"  # no duplicateWindow sent: no details of the original
    assert [entry.transaction_id for entry in sandbox.ledger()] == [trans_id(first)]

    clock.advance(timedelta(seconds=2))  # 121 s after the first: outside the default window
    third = sdk.charge_profile(*visa_profile, "25.00", "INV-7")
    assert third.value("transactionResponse/responseCode") == "1"
    assert len(sandbox.ledger()) == 2


def test_explicit_duplicate_window_returns_the_original_transaction(
    sdk: Sdk, clock: FrozenClock, visa_profile: tuple[str, str]
) -> None:
    first = sdk.charge_profile(*visa_profile, "30.00", "INV-8", duplicate_window=600)
    clock.advance(timedelta(seconds=599))
    second = sdk.charge_profile(*visa_profile, "30.00", "INV-8", duplicate_window=600)
    assert error_of(second)[1] == "11"
    assert trans_id(second) == trans_id(first)
    assert second.value("transactionResponse/authCode") == first.value(
        "transactionResponse/authCode"
    )


def test_the_log_names_the_code_an_answer_carried(
    sdk: Sdk, visa_profile: tuple[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    """A refused transaction is answered (not raised) with E00027: the log says so."""
    with caplog.at_level(logging.INFO, logger="w365desk.sandbox.authorizenet"):
        sdk.charge_profile(*visa_profile, "30.00", "INV-LOG")
        sdk.charge_profile(*visa_profile, "30.00", "INV-LOG")  # a duplicate
    answered = [
        r.getMessage() for r in caplog.records if "createTransactionRequest" in r.getMessage()
    ]
    assert answered == [
        "sandbox createTransactionRequest -> I00001",
        "sandbox createTransactionRequest -> E00027",
    ]


def test_duplicate_window_zero_disables_the_check(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    sdk.charge_profile(*visa_profile, "5.00", "INV-9", duplicate_window=0)
    second = sdk.charge_profile(*visa_profile, "5.00", "INV-9", duplicate_window=0)
    assert second.value("transactionResponse/responseCode") == "1"
    assert len(sandbox.ledger()) == 2


@pytest.mark.parametrize(("amount", "invoice"), [("25.01", "INV-7"), ("25.00", "INV-77")])
def test_a_different_amount_or_invoice_is_not_a_duplicate(
    sdk: Sdk, visa_profile: tuple[str, str], amount: str, invoice: str
) -> None:
    sdk.charge_profile(*visa_profile, "25.00", "INV-7")
    other = sdk.charge_profile(*visa_profile, amount, invoice)
    assert other.value("transactionResponse/responseCode") == "1"


def test_a_declined_charge_also_blocks_its_duplicate(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card(zip_code="46282")
    sdk.charge_profile(customer_id, profile_id)
    again = sdk.charge_profile(customer_id, profile_id)
    assert error_of(again)[1] == "11"


# --- settlement, refunds and voids ---------------------------------------------------------------


def test_refund_needs_a_settled_charge(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile, "50.00", "INV-R"))
    early = sdk.refund(charge, "10.00")
    assert error_of(early) == (
        "3",
        "54",
        "The referenced transaction does not meet the criteria for issuing a credit.",
    )
    sandbox.settle_now()
    refund = sdk.refund(charge, "10.00", ref_id="refund-1")
    assert refund.value("transactionResponse/responseCode") == "1"
    assert refund.value("transactionResponse/refTransID") == charge
    assert refund.value("transactionResponse/accountNumber") == "XXXX1111"
    refund_id = trans_id(refund)
    assert refund_id not in ("0", charge)
    kinds = [(e.kind, e.transaction_id, e.amount) for e in sandbox.ledger()]
    assert kinds == [("charge", charge, Decimal("50.00")), ("refund", refund_id, Decimal("10.00"))]
    details = sdk.details(refund_id, wide=True)
    assert details.value("transaction/transactionType") == "refundTransaction"
    assert details.value("transaction/transactionStatus") == "refundPendingSettlement"
    assert details.value("transaction/refTransId") == charge


def test_refunds_cannot_exceed_what_was_settled(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile, "50.00", "INV-S"))
    sandbox.settle_now()
    assert sdk.refund(charge, "30.00").value("transactionResponse/responseCode") == "1"
    too_much = sdk.refund(charge, "20.01")
    assert error_of(too_much) == (
        "3",
        "55",
        "The sum of credits against the referenced transaction would exceed the original "
        "debit amount.",
    )
    assert sdk.refund(charge, "20.00").value("transactionResponse/responseCode") == "1"
    assert [e.kind for e in sandbox.ledger()] == ["charge", "refund", "refund"]


def test_refund_with_another_cards_last_four_is_refused(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile))
    sandbox.settle_now()
    assert error_of(sdk.refund(charge, "1.00", last4="0015"))[1] == "54"


def test_refund_by_profile(sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]) -> None:
    customer_id, profile_id = visa_profile
    charge = trans_id(sdk.charge_profile(customer_id, profile_id, "20.00"))
    sandbox.settle_now()
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "refundTransaction"
    transaction.amount = "20.00"
    transaction.refTransId = charge
    profile = contracts.customerProfilePaymentType()
    profile.customerProfileId = customer_id
    chosen = contracts.paymentProfile()
    chosen.paymentProfileId = profile_id
    profile.paymentProfile = chosen
    transaction.profile = profile
    request = contracts.createTransactionRequest()
    request.transactionRequest = transaction
    answer = sdk.call(controllers.createTransactionController, request)
    assert answer.value("transactionResponse/responseCode") == "1"


def test_refund_of_an_unknown_transaction(sdk: Sdk) -> None:
    assert error_of(sdk.refund("40099999999", "1.00"))[1:] == (
        "16",
        "The transaction cannot be found.",
    )


def test_void_of_an_unsettled_charge(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile, "12.00", "INV-V"))
    voided = sdk.void(charge)
    assert voided.value("transactionResponse/responseCode") == "1"
    assert trans_id(voided) == charge
    assert voided.value("transactionResponse/refTransID") == charge
    assert [(e.kind, e.transaction_id, e.amount) for e in sandbox.ledger()] == [
        ("charge", charge, Decimal("12.00")),
        ("void", charge, Decimal("12.00")),
    ]
    assert sdk.details(charge, wide=True).value("transaction/transactionStatus") == "voided"
    again = sdk.void(charge)
    assert error_of(again)[1:] == ("310", "This transaction has already been voided.")
    sandbox.settle_now()
    assert sdk.details(charge, wide=True).value("transaction/transactionStatus") == "voided"
    assert error_of(sdk.refund(charge, "1.00"))[1] == "54"


def test_only_money_that_moves_is_reported_as_settle_amount(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    """Authorize.Net reports 0.00 for voided (and declined) transactions, before and after
    settlement; charges and refunds carry their amount."""
    customer_id, profile_id = visa_profile
    voided = trans_id(sdk.charge_profile(customer_id, profile_id, "12.00", "INV-S1"))
    sdk.void(voided)
    kept = trans_id(sdk.charge_profile(customer_id, profile_id, "30.00", "INV-S2"))
    declining = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to("Dee", zip_code="46282"))
    ).value("customerPaymentProfileId")
    declined = trans_id(sdk.charge_profile(customer_id, declining, "7.00", "INV-S3"))

    def settle_amounts() -> list[str]:
        details = [
            sdk.details(t, wide=True).value("transaction/settleAmount")
            for t in (voided, kept, declined)
        ]
        listed = transaction_list(sdk, customer_id)
        assert listed.values("transactions/transaction/settleAmount") == details
        return details

    assert settle_amounts() == ["0.00", "30.00", "0.00"]
    sandbox.settle_now()
    assert settle_amounts() == ["0.00", "30.00", "0.00"]
    refund = trans_id(sdk.refund(kept, "10.00"))
    assert sdk.details(refund, wide=True).value("transaction/settleAmount") == "10.00"


def test_a_settled_charge_cannot_be_voided(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile))
    sandbox.settle_now()
    refused = sdk.void(charge)
    assert error_of(refused)[:2] == ("3", "16")
    assert [e.kind for e in sandbox.ledger()] == ["charge"]


def test_a_pending_refund_can_be_voided_and_frees_its_amount(
    sdk: Sdk, sandbox: SandboxServer, clock: FrozenClock, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile, "40.00"))
    sandbox.settle_now()
    refund = trans_id(sdk.refund(charge, "40.00"))
    assert sdk.void(refund).value("transactionResponse/responseCode") == "1"
    # The same refund again at once is a duplicate submission, voided or not ...
    assert error_of(sdk.refund(charge, "40.00"))[1] == "11"
    clock.advance(timedelta(seconds=121))
    # ... and once the window has passed the voided refund no longer counts.
    assert sdk.refund(charge, "40.00").value("transactionResponse/responseCode") == "1"


def test_transactions_settle_after_the_delay_by_the_clock(
    sdk: Sdk, clock: FrozenClock, visa_profile: tuple[str, str]
) -> None:
    charge = trans_id(sdk.charge_profile(*visa_profile, "15.00"))
    clock.advance(timedelta(seconds=599))
    pending = sdk.details(charge, wide=True)
    assert pending.value("transaction/transactionStatus") == "capturedPendingSettlement"
    assert not pending.has("transaction/batch")
    clock.advance(timedelta(seconds=1))
    settled = sdk.details(charge, wide=True)
    assert settled.value("transaction/transactionStatus") == "settledSuccessfully"
    assert settled.value("transaction/batch/batchId").isdigit()
    assert settled.value("transaction/batch/settlementTimeUTC") == "2026-01-15T12:10:00.000Z"
    assert settled.value("transaction/settleAmount") == "15.00"


# --- reporting -----------------------------------------------------------------------------------


def test_transaction_details_of_a_profile_charge(sdk: Sdk, visa_profile: tuple[str, str]) -> None:
    customer_id, profile_id = visa_profile
    charge = trans_id(
        sdk.charge_profile(customer_id, profile_id, "18.75", "INV-D", card_code="903")
    )
    details = sdk.details(charge, wide=True)
    assert details.result_code == "Ok"
    assert details.value("transaction/transId") == charge
    assert details.value("transaction/submitTimeUTC") == "2026-01-15T12:00:00.000Z"
    assert details.value("transaction/transactionType") == "authCaptureTransaction"
    assert details.value("transaction/responseCode") == "1"
    assert details.value("transaction/AVSResponse") == "Y"
    assert details.value("transaction/cardCodeResponse") == "U"
    assert details.value("transaction/order/invoiceNumber") == "INV-D"
    assert details.value("transaction/authAmount") == "18.75"
    assert details.value("transaction/payment/creditCard/cardNumber") == "XXXX1111"
    assert details.value("transaction/payment/creditCard/expirationDate") == "XXXX"
    assert details.value("transaction/billTo/zip") == "98004"
    assert details.value("transaction/profile/customerProfileId") == customer_id
    assert details.value("transaction/profile/customerPaymentProfileId") == profile_id


def test_details_of_an_unknown_transaction_answer_e00040(sdk: Sdk) -> None:
    answer = sdk.details("40012345678")
    assert (answer.result_code, answer.code) == ("Error", "E00040")


def transaction_list(
    sdk: Sdk,
    customer_id: str,
    profile_id: str | None = None,
    *,
    limit: int = 100,
    page: int = 1,
    descending: bool = False,
) -> Answer:
    request = contracts.getTransactionListForCustomerRequest()
    request.customerProfileId = customer_id
    if profile_id is not None:
        request.customerPaymentProfileId = profile_id
    sorting = contracts.TransactionListSorting()
    sorting.orderBy = "submitTimeUTC"
    sorting.orderDescending = descending
    request.sorting = sorting
    paging = contracts.Paging()
    paging.limit = limit
    paging.offset = page
    request.paging = paging
    return sdk.call(controllers.getTransactionListForCustomerController, request)


def test_transaction_list_for_a_customer(
    sdk: Sdk, clock: FrozenClock, visa_profile: tuple[str, str]
) -> None:
    customer_id, visa_id = visa_profile
    second = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card("5424000000000015"), sdk.bill_to())
    )
    master_id = second.value("customerPaymentProfileId")
    ids = []
    for index, profile_id in enumerate([visa_id, master_id, visa_id]):
        clock.advance(timedelta(seconds=1))
        ids.append(trans_id(sdk.charge_profile(customer_id, profile_id, f"{index + 1}.00")))
    other_customer = sdk.customer_with_card(merchant_customer_id="OTHER")
    sdk.charge_profile(*other_customer, "9.00")

    everything = transaction_list(sdk, customer_id)
    assert everything.value("totalNumInResultSet") == "3"
    assert everything.values("transactions/transaction/transId") == ids
    assert everything.values("transactions/transaction/accountNumber") == [
        "XXXX1111",
        "XXXX0015",
        "XXXX1111",
    ]
    assert everything.values("transactions/transaction/settleAmount") == ["1.00", "2.00", "3.00"]
    only_visa = transaction_list(sdk, customer_id, visa_id)
    assert only_visa.values("transactions/transaction/transId") == [ids[0], ids[2]]
    newest_first_page = transaction_list(sdk, customer_id, limit=2, descending=True)
    assert newest_first_page.values("transactions/transaction/transId") == [ids[2], ids[1]]
    assert newest_first_page.value("totalNumInResultSet") == "3"
    assert transaction_list(sdk, "999999999").code == "E00040"


def test_unsettled_list_empties_at_settlement(
    sdk: Sdk, sandbox: SandboxServer, visa_profile: tuple[str, str]
) -> None:
    charges = [trans_id(sdk.charge_profile(*visa_profile, f"{n}.00", f"U-{n}")) for n in (1, 2)]

    def unsettled() -> Answer:
        return sdk.call(
            controllers.getUnsettledTransactionListController,
            contracts.getUnsettledTransactionListRequest(),
        )

    listed = unsettled()
    assert listed.values("transactions/transaction/transId") == charges
    assert (
        listed.values("transactions/transaction/transactionStatus")
        == ["capturedPendingSettlement"] * 2
    )
    assert listed.values("transactions/transaction/invoiceNumber") == ["U-1", "U-2"]
    sandbox.settle_now()
    after = unsettled()
    assert after.values("transactions/transaction/transId") == []
    assert after.value("totalNumInResultSet") == "0"
