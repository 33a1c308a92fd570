"""Gateway value types, error kinds and the error-code table: validation, masking, messages."""

from __future__ import annotations

import pickle
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from w365desk.cards import (
    CARD_NUMBER_LENGTHS,
    CardNumberError,
    card_brand,
    check_card_number,
    luhn_valid,
    normalize_card_number,
)
from w365desk.gateway import (
    AcceptNonce,
    AccountInactive,
    AuthenticationFailed,
    BankAccountInput,
    BillingAddress,
    CardInput,
    ChargeRequest,
    CustomerProfileInput,
    Declined,
    DuplicateProfile,
    DuplicateTransaction,
    FeatureNotEnabled,
    GatewayError,
    GatewayUnavailable,
    InvalidField,
    LimitReached,
    MaskedPaymentProfile,
    NonceExpired,
    NonceInvalid,
    NotFound,
    RefundRequest,
    RequestRejected,
    TransactionRejected,
    ValidationFailed,
)
from w365desk.gateway.authorizenet.answers import UnreadableResponse, parse, utc_datetime
from w365desk.gateway.authorizenet.codes import (
    API_ERRORS,
    MONEY_MAY_HAVE_MOVED,
    NOT_PROCESSED_CODES,
    api_error,
    redact,
    transaction_error,
)
from w365desk.gateway.errors import OutcomeUnknown
from w365desk.gateway.types import check_amount, check_year_month

TEST_CARDS = {
    "4111111111111111": "Visa",
    "4007000000027": "Visa",
    "4012888818888": "Visa",
    "5424000000000015": "MasterCard",
    "2223000010309703": "MasterCard",
    "370000000000002": "AmericanExpress",
    "6011000000000012": "Discover",
    "3088000000000017": "JCB",
    "38000000000006": "DinersClub",
}


def _with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("unreachable: one check digit always fits")


# -- cards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("number", "brand"), sorted(TEST_CARDS.items()))
def test_every_sandbox_test_card_is_accepted_with_its_brand(number: str, brand: str) -> None:
    card = CardInput(number, 12, 2030)
    assert card.brand == brand
    assert card.last4 == number[-4:]
    assert card_brand(number) == brand


def test_card_number_spaces_and_dashes_are_dropped() -> None:
    card = CardInput("4111 1111-1111 1111", 7, 2031, " 123 ")
    assert card.number == "4111111111111111"
    assert card.cvv == "123"
    assert card.expiration_date == "2031-07"


def _full_width(text: str) -> str:
    """The same digits in full-width form (U+FF10..U+FF19); other characters unchanged."""
    return "".join(chr(0xFF10 + int(ch)) if ch.isascii() and ch.isdigit() else ch for ch in text)


FULL_WIDTH_VISA = _full_width("4111111111111111")


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("", "Enter the card number"),
        ("   ", "Enter the card number"),
        ("4111x11111111111", "only the digits 0-9"),
        ("4111.1111.1111.1111", "only the digits 0-9"),
        (FULL_WIDTH_VISA, "only the digits 0-9"),
        ("41111111111", "13 to 16 digits; this one has 11"),
        # 12, 17, 18 and 19 digits, each with a valid check digit: the length alone refuses.
        ("411111111117", "13 to 16 digits; this one has 12"),
        ("41111111111111113", "13 to 16 digits; this one has 17"),
        ("411111111111111118", "13 to 16 digits; this one has 18"),
        ("4111111111111111110", "13 to 16 digits; this one has 19"),
        ("4111111111111112", "check digit"),
    ],
)
def test_bad_card_numbers_get_a_specific_message(number: str, words: str) -> None:
    with pytest.raises(InvalidField) as caught:
        CardInput(number, 12, 2030)
    assert caught.value.field == "card_number"
    assert words in str(caught.value)
    assert caught.value.__context__ is None


def test_length_refusals_are_not_check_digit_refusals() -> None:
    # The long and short numbers above are Luhn-valid, so it is the length that refuses.
    for number in ("411111111117", "41111111111111113", "411111111111111118"):
        assert luhn_valid(number)


def test_full_width_digits_pass_isdigit_but_not_the_card_rules() -> None:
    assert FULL_WIDTH_VISA.isdigit()  # why str.isdigit is not enough
    assert not luhn_valid(FULL_WIDTH_VISA)
    assert card_brand(FULL_WIDTH_VISA) == "Unknown"
    with pytest.raises(CardNumberError):
        normalize_card_number(FULL_WIDTH_VISA)
    arabic_indic = "".join(chr(0x0660 + int(d)) for d in "4111111111111111")
    with pytest.raises(CardNumberError):
        check_card_number(arabic_indic)


def test_card_number_lengths_are_thirteen_to_sixteen() -> None:
    assert list(CARD_NUMBER_LENGTHS) == [13, 14, 15, 16]
    assert check_card_number("4007000000027") == "4007000000027"
    assert check_card_number(" 4111-1111 1111-1111 ") == "4111111111111111"


@pytest.mark.parametrize(
    ("prefix", "brand"),
    [
        ("4", "Visa"),
        ("51", "MasterCard"),
        ("55", "MasterCard"),
        ("2221", "MasterCard"),
        ("2720", "MasterCard"),
        ("2220", "Unknown"),
        ("2721", "Unknown"),
        ("56", "Unknown"),
        ("34", "AmericanExpress"),
        ("37", "AmericanExpress"),
        ("35", "Unknown"),
        ("6011", "Discover"),
        ("644", "Discover"),
        ("649", "Discover"),
        ("65", "Discover"),
        ("622126", "Discover"),
        ("622925", "Discover"),
        ("622125", "Unknown"),
        ("622926", "Unknown"),
        ("643", "Unknown"),
        ("3528", "JCB"),
        ("3589", "JCB"),
        ("3527", "Unknown"),
        ("3590", "Unknown"),
        ("300", "DinersClub"),
        ("305", "DinersClub"),
        ("36", "DinersClub"),
        ("38", "DinersClub"),
        ("306", "Unknown"),
        ("39", "Unknown"),
        ("3088", "Unknown"),  # only the sandbox's own JCB test card, not the whole range
        ("1", "Unknown"),
    ],
)
def test_brand_prefixes(prefix: str, brand: str) -> None:
    assert card_brand(prefix.ljust(16, "0")) == brand


def test_brand_ignores_separators_and_refuses_non_digits() -> None:
    assert card_brand("3530 1113 3330 0000") == "JCB"
    assert card_brand("") == "Unknown"
    assert card_brand("4111x") == "Unknown"


@pytest.mark.parametrize(
    ("month", "year", "field"),
    [(0, 2030, "exp_month"), (13, 2030, "exp_month"), (12, 30, "exp_year"), (12, 2100, "exp_year")],
)
def test_impossible_expiry_is_refused(month: int, year: int, field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        CardInput("4111111111111111", month, year)
    assert caught.value.field == field


def test_card_is_good_through_the_end_of_its_expiry_month() -> None:
    card = CardInput("4111111111111111", 3, 2026)
    card.check_not_expired(date(2026, 3, 31))
    assert not card.is_expired(date(2026, 3, 1))
    with pytest.raises(InvalidField) as caught:
        card.check_not_expired(date(2026, 4, 1))
    assert caught.value.field == "expiration"
    assert "03/2026" in str(caught.value)


def test_cvv_length_follows_the_brand() -> None:
    CardInput("370000000000002", 12, 2030, "1234")
    with pytest.raises(InvalidField, match="4 digits"):
        CardInput("370000000000002", 12, 2030, "123")
    with pytest.raises(InvalidField, match="3 digits") as caught:
        CardInput("4111111111111111", 12, 2030, "12a")
    assert caught.value.field == "cvv"


def test_card_repr_and_str_show_only_last_four_and_expiry() -> None:
    card = CardInput("4111111111111111", 12, 2030, "987")
    assert repr(card) == "CardInput(****1111, 12/2030)"
    assert str(card) == repr(card)
    assert "987" not in repr(card)
    assert "4111111111111111" not in f"{card!r} {card!s} {[card]} { ({'c': card}) }"


@given(
    body=st.text(alphabet="0123456789", min_size=12, max_size=15),
    month=st.integers(1, 12),
    year=st.integers(2000, 2099),
)
def test_no_valid_card_number_ever_appears_in_repr(body: str, month: int, year: int) -> None:
    number = _with_check_digit(body)
    card = CardInput(number, month, year)
    assert number not in repr(card)
    assert number not in str(card)
    assert number[:-4] not in repr(card).replace("*", "")


@given(number=st.text(alphabet="0123456789 -x\uff11\u0664", min_size=0, max_size=25))
def test_no_rejected_card_number_ever_appears_in_the_error(number: str) -> None:
    try:
        CardInput(number, 12, 2030)
    except InvalidField as error:
        digits = "".join(ch for ch in number if ch.isdigit())
        if len(digits) >= 6:
            assert digits not in str(error)
            assert digits not in repr(error)


# -- bank accounts and nonces --------------------------------------------------------------


def test_bank_account_validates_routing_and_masks_the_account() -> None:
    account = BankAccountInput("121-042-882", "123456789", "Ada Lovelace")
    assert account.routing_number == "121042882"
    assert account.last4 == "6789"
    assert "123456789" not in repr(account)
    assert repr(account) == "BankAccountInput(routing 121042882, ****6789, checking)"


@pytest.mark.parametrize(
    ("routing", "number", "name", "field"),
    [
        ("121042883", "123456789", "Ada", "routing_number"),
        ("12104288", "123456789", "Ada", "routing_number"),
        ("121042882", "12a456789", "Ada", "account_number"),
        ("121042882", "123", "Ada", "account_number"),
        ("121042882", "123456789", "  ", "name_on_account"),
        ("121042882", "123456789", "A" * 23, "name_on_account"),
    ],
)
def test_bad_bank_details_name_the_field(routing: str, number: str, name: str, field: str) -> None:
    with pytest.raises(InvalidField) as caught:
        BankAccountInput(routing, number, name)
    assert caught.value.field == field
    assert number not in str(caught.value) or len(number) < 4


def test_bank_account_type_and_echeck_type_are_checked() -> None:
    with pytest.raises(InvalidField) as caught:
        BankAccountInput("121042882", "123456789", "Ada", account_type="brokerage")  # type: ignore[arg-type]
    assert caught.value.field == "account_type"
    with pytest.raises(InvalidField) as caught:
        BankAccountInput("121042882", "123456789", "Ada", echeck_type="ARC")  # type: ignore[arg-type]
    assert caught.value.field == "echeck_type"


def test_nonce_value_is_masked() -> None:
    nonce = AcceptNonce("eyJjb2RlIjoiNTBfMl8wNjAwMDUzNjJCNUM5MDk0MTMzNDE2")
    assert "eyJj" not in repr(nonce)
    assert repr(nonce) == "AcceptNonce(COMMON.ACCEPT.INAPP.PAYMENT, ****)"
    with pytest.raises(InvalidField):
        AcceptNonce("  ")


# -- profiles, addresses, charges ----------------------------------------------------------


def test_customer_profile_input_limits() -> None:
    CustomerProfileInput(merchant_customer_id="C" * 20)
    with pytest.raises(InvalidField) as caught:
        CustomerProfileInput(merchant_customer_id="C" * 21)
    assert caught.value.field == "merchant_customer_id"
    assert "20 characters" in str(caught.value)
    with pytest.raises(InvalidField, match="customer id, a description or an email"):
        CustomerProfileInput()
    with pytest.raises(InvalidField) as caught:
        CustomerProfileInput(email="not-an-address")
    assert caught.value.field == "email"


def test_billing_address_lengths_name_the_field() -> None:
    with pytest.raises(InvalidField) as caught:
        BillingAddress(zip="1" * 21)
    assert caught.value.field == "zip"


def test_charge_request_accepts_only_decimal_cents() -> None:
    request = ChargeRequest("1", "2", Decimal("10.5"), invoice_number="INV-1", ref_id="r1")
    assert request.amount == Decimal("10.50")
    for bad, words in [
        (10.5, "Decimal, not float"),
        (Decimal("0.001"), "whole cents"),
        (Decimal("0"), "greater than zero"),
        (Decimal("-1.00"), "greater than zero"),
        (Decimal("NaN"), "whole cents"),
        (Decimal("1000000000.00"), "at most"),
    ]:
        with pytest.raises(InvalidField, match=words) as caught:
            ChargeRequest("1", "2", bad, invoice_number="INV-1")  # type: ignore[arg-type]
        assert caught.value.field == "amount"


def test_charge_request_reference_limits() -> None:
    for kwargs, field in [
        ({"invoice_number": "I" * 21}, "invoice_number"),
        ({"ref_id": "R" * 21}, "ref_id"),
        ({"duplicate_window_s": 28_801}, "duplicate_window_s"),
        ({"duplicate_window_s": -1}, "duplicate_window_s"),
    ]:
        with pytest.raises(InvalidField) as caught:
            ChargeRequest("1", "2", Decimal("1.00"), **{"invoice_number": "INV-1", **kwargs})  # type: ignore[arg-type]
        assert caught.value.field == field
    ChargeRequest("1", "2", Decimal("1.00"), invoice_number="INV-1", duplicate_window_s=28_800)


@pytest.mark.parametrize("invoice", [None, "", "   "])
def test_charges_and_refunds_need_an_invoice_number(invoice: str | None) -> None:
    with pytest.raises(InvalidField) as caught:
        ChargeRequest("1", "2", Decimal("1.00"), invoice_number=invoice)  # type: ignore[arg-type]
    assert caught.value.field == "invoice_number"
    assert "found again" in str(caught.value)
    with pytest.raises(InvalidField) as caught:
        RefundRequest("9", Decimal("1.00"), "1111", invoice_number=invoice)  # type: ignore[arg-type]
    assert caught.value.field == "invoice_number"
    with pytest.raises(TypeError):
        ChargeRequest("1", "2", Decimal("1.00"))  # type: ignore[call-arg]
    assert ChargeRequest("1", "2", Decimal("1.00"), invoice_number=" INV-7 ").invoice_number == (
        "INV-7"
    )


def test_refund_request_needs_four_digits() -> None:
    RefundRequest("123", Decimal("1.00"), "1111", invoice_number="INV-1")
    for bad in ("4111111111111111", _full_width("1111"), "11a1"):
        with pytest.raises(InvalidField) as caught:
            RefundRequest("123", Decimal("1.00"), bad, invoice_number="INV-1")
        assert caught.value.field == "last4"
        assert bad not in str(caught.value)


def test_other_digit_fields_accept_ascii_digits_only() -> None:
    full_width = _full_width("121042882")
    with pytest.raises(InvalidField) as caught:
        BankAccountInput(full_width, "123456789", "Ada")
    assert caught.value.field == "routing_number"
    with pytest.raises(InvalidField) as caught:
        BankAccountInput("121042882", full_width, "Ada")
    assert caught.value.field == "account_number"
    with pytest.raises(InvalidField) as caught:
        CardInput("4111111111111111", 12, 2030, _full_width("123"))
    assert caught.value.field == "cvv"
    with pytest.raises(InvalidField) as caught:
        ChargeRequest("1", "2", Decimal("1.00"), invoice_number="I", cvv=_full_width("123"))
    assert caught.value.field == "cvv"
    with pytest.raises(InvalidField):
        check_year_month(_full_width("2030-07"))


def test_year_month_and_amount_helpers() -> None:
    assert check_year_month("2030-07") == (2030, 7)
    for bad in ("2030-13", "2030-7", "07/2030", ""):
        with pytest.raises(InvalidField, match="YYYY-MM"):
            check_year_month(bad)
    assert check_amount(Decimal("5")) == Decimal("5.00")


def test_masked_profile_expiry() -> None:
    profile = MaskedPaymentProfile("1", "2", "card", "Visa", "1111", 1, 2026, None, True)
    assert not profile.is_expired(date(2026, 1, 31))
    assert profile.is_expired(date(2026, 2, 1))
    bank = MaskedPaymentProfile("1", "3", "bank", None, "6789", None, None, None, False)
    assert not bank.is_expired(date(2099, 1, 1))


# -- error codes → error kinds --------------------------------------------------------------

NOTES_CODES = {
    "E00001": GatewayUnavailable,
    "E00003": RequestRejected,
    "E00007": AuthenticationFailed,
    "E00008": AccountInactive,
    "E00013": InvalidField,
    "E00014": InvalidField,
    "E00027": ValidationFailed,
    "E00029": InvalidField,
    "E00039": DuplicateProfile,
    "E00040": NotFound,
    "E00042": LimitReached,
    "E00044": FeatureNotEnabled,
    "E00053": GatewayUnavailable,
    "E00114": NonceInvalid,
    "E00115": NonceExpired,
}


@pytest.mark.parametrize(("code", "kind"), sorted(NOTES_CODES.items()))
def test_every_documented_code_has_its_own_kind_and_message(
    code: str, kind: type[GatewayError]
) -> None:
    error = api_error(code, "Gateway text.")
    assert type(error) is kind
    assert str(error)
    assert str(error) != "Gateway text."
    if code != "E00039":
        assert error.code == code
        assert code in API_ERRORS


def test_messages_are_distinct_per_code() -> None:
    texts = [str(api_error(code, "")) for code in NOTES_CODES]
    assert len(set(texts)) == len(texts)


def test_only_busy_and_internal_error_are_retryable() -> None:
    assert api_error("E00053", "").retryable
    assert api_error("E00001", "").retryable
    assert not api_error("E00007", "").retryable
    assert not api_error("E00027", "").retryable


def test_duplicate_customer_profile_id_is_read_from_the_text() -> None:
    error = api_error("E00039", "A duplicate record with ID 1234567 already exists.")
    assert isinstance(error, DuplicateProfile)
    assert error.existing_id == "1234567"
    assert error.kind == "customer"
    assert "1234567" in str(error)


def test_duplicate_payment_profile_uses_the_returned_id() -> None:
    error = api_error(
        "E00039",
        "A duplicate customer payment profile already exists.",
        duplicate_kind="payment",
        existing_id="555",
    )
    assert isinstance(error, DuplicateProfile)
    assert (error.existing_id, error.kind) == ("555", "payment")


def test_invalid_field_guesses_the_field_from_the_gateway_text() -> None:
    error = api_error("E00013", "Expiration Date is invalid.")
    assert isinstance(error, InvalidField)
    assert error.field == "expiration"
    assert "Expiration Date is invalid." in str(error)
    assert api_error("E00013", "Something odd.").field == "request"  # type: ignore[attr-defined]


def test_unknown_codes_still_explain_themselves() -> None:
    error = api_error("E99999", "Brand new failure.")
    assert type(error) is GatewayError
    assert "Brand new failure." in str(error)
    assert "E99999" in str(error)


def test_gateway_text_is_redacted_of_anything_like_a_card_number() -> None:
    assert redact("card 4111111111111111 bad") == "card [redacted] bad"
    assert redact("card 4111 1111 1111 1111 bad") == "card [redacted] bad"
    assert redact("profile 123456789 missing") == "profile 123456789 missing"
    error = api_error("E00013", "Card number 4111111111111111 is invalid.")
    assert "4111111111111111" not in str(error)


def test_transaction_errors_by_response_and_reason_code() -> None:
    declined = transaction_error("2", "2", "This transaction has been declined.", "60001")
    assert isinstance(declined, Declined)
    assert declined.transaction_id == "60001"
    assert str(declined).startswith("Declined")
    duplicate = transaction_error("3", "11", "A duplicate transaction has been submitted.", "0")
    assert isinstance(duplicate, DuplicateTransaction)
    assert duplicate.transaction_id is None
    assert "not charged twice" in str(duplicate)
    refund_early = transaction_error("3", "54", "The referenced transaction does not meet…", "0")
    assert isinstance(refund_early, TransactionRejected)
    assert "settled" in str(refund_early)
    odd = transaction_error("3", "999", "Odd.", None)
    assert "Odd." in str(odd) and "999" in str(odd)


def test_duplicate_wording_follows_the_operation() -> None:
    text = "A duplicate transaction has been submitted."
    refund = transaction_error("3", "11", text, "60002", operation="refund")
    assert isinstance(refund, DuplicateTransaction)
    assert refund.transaction_id == "60002"
    assert "refund" in str(refund) and "not refunded twice" in str(refund)
    assert "charged" not in str(refund)
    void = transaction_error("3", "11", text, None, operation="void")
    assert "charged" not in str(void) and "void" in str(void)


def test_reason_16_on_a_void_suggests_a_refund() -> None:
    text = "The transaction cannot be found."
    on_void = transaction_error("3", "16", text, None, operation="void")
    assert isinstance(on_void, TransactionRejected)
    assert "refund it instead" in str(on_void)
    on_refund = transaction_error("3", "16", text, None, operation="refund")
    assert "refund it instead" not in str(on_refund)
    assert "cannot find" in str(on_refund)


def test_not_processed_allowlist_is_explicit() -> None:
    # Codes that leave money in doubt are not on it.
    for doubtful in ("E00001", "E00027", "E00049", "E99999"):
        assert doubtful not in NOT_PROCESSED_CODES
    for certain in ("E00003", "E00007", "E00013", "E00040", "E00053"):
        assert certain in NOT_PROCESSED_CODES
    # Every allowlisted code has its own kind and words (no bare GatewayError).
    for code in NOT_PROCESSED_CODES:
        assert code in API_ERRORS
        assert type(api_error(code, "x")) is not GatewayError


def test_reason_codes_where_money_may_have_moved() -> None:
    assert set(MONEY_MAY_HAVE_MOVED) == {"120", "121", "122", "127", "141", "145"}
    assert all("void failed" in why for why in MONEY_MAY_HAVE_MOVED.values())


@pytest.mark.parametrize(
    "error",
    [
        OutcomeUnknown(
            "charge",
            "Unknown.",
            invoice_number="INV-1",
            transaction_id="77",
            reason_code="120",
            detail="d",
        ),
        api_error("E00040", "The record cannot be found."),
        api_error("E00039", "A duplicate record with ID 77 already exists."),
        api_error("E00013", "Expiration Date is invalid."),
        transaction_error("2", "2", "Declined.", "9"),
    ],
)
def test_errors_survive_pickling(error: GatewayError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error)
    assert str(copy) == str(error)
    assert copy.__dict__ == error.__dict__


# -- response reading ------------------------------------------------------------------------


def test_responses_are_read_with_or_without_bom_and_namespace() -> None:
    body = (
        b'<?xml version="1.0" encoding="utf-8"?><authenticateTestResponse '
        b'xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"><messages><resultCode>Ok</resultCode>'
        b"<message><code>I00001</code><text>Successful.</text></message></messages>"
        b"</authenticateTestResponse>"
    )
    for variant in (
        body,
        b"\xef\xbb\xbf" + body,
        body.replace(b' xmlns="AnetApi/xml/v1/schema/AnetApiSchema.xsd"', b""),
    ):
        root = parse(variant, "authenticateTestResponse")
        assert root.findtext("messages/resultCode") == "Ok"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>busy</html>",
        b'<?xml version="1.0"?><createTransactionResponse><messages><resultCode>Ok',
        b"<createTransactionResponse><messages/></createTransactionResponse>",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><createTransactionResponse>'
        b"<messages><resultCode>&e;</resultCode></messages></createTransactionResponse>",
    ],
)
def test_unreadable_answers_are_reported_as_such(body: bytes) -> None:
    with pytest.raises(UnreadableResponse):
        parse(body, "createTransactionResponse")


def test_gateway_timestamps_become_aware_utc() -> None:
    root = parse(
        b"<x><messages><resultCode>Ok</resultCode></messages><a>2026-01-15T12:00:00.1234567Z</a>"
        b"<b>2026-01-15T12:00:00</b><c>2026-01-15T07:00:00-05:00</c></x>",
        "x",
    )
    expected = datetime(2026, 1, 15, 12, 0, tzinfo=UTC)
    assert utc_datetime(root, "a") == expected.replace(microsecond=123456)
    assert utc_datetime(root, "b") == expected
    assert utc_datetime(root, "c") == expected
    assert utc_datetime(root, "missing") is None
