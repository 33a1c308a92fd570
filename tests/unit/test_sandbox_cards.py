"""Card and bank rules of the sandbox: test cards only, its own number rules (checked against the
desk's independent ones), expiry formats, ABA, AVS and CVV tables."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from w365desk import cards as desk_rules
from w365desk.sandbox.authorizenet.cards import (
    TEST_CARDS,
    Expiry,
    avs_code_for,
    bank_account_number_valid,
    brand_of,
    card_code_valid,
    card_number_well_formed,
    cvv_code_for,
    is_test_card,
    last4_of,
    parse_expiry,
    routing_number_valid,
)
from w365desk.sandbox.authorizenet.processor import authorize, direct_response
from w365desk.sandbox.authorizenet.records import Address, StoredPayment


def full_width(digits: str) -> str:
    """The same digits in full-width form (U+FF10...), which ``str.isdigit`` also accepts."""
    return "".join(chr(0xFF10 + int(digit)) for digit in digits)


@pytest.mark.parametrize("number", sorted(TEST_CARDS))
def test_every_test_card_is_well_formed(number: str) -> None:
    assert card_number_well_formed(number)


@given(st.text(alphabet="0123456789", min_size=12, max_size=17))
def test_well_formed_is_exactly_the_desk_rules(number: str) -> None:
    """The sandbox and the desk accept the same numbers: no second set of rules here."""
    shared = len(number) in desk_rules.CARD_NUMBER_LENGTHS and desk_rules.luhn_valid(number)
    assert card_number_well_formed(number) is shared


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",
        "411111111111",
        "41111111111111111",
        "4111-1111-1111-1111",
        "",
        full_width("4111111111111111"),
    ],
)
def test_malformed_numbers(number: str) -> None:
    assert not card_number_well_formed(number)


@pytest.mark.parametrize(
    "number",
    ["4000056655665556", "5105105105105100", "378282246310005", "3530111333300000"],
)
def test_well_formed_cards_outside_the_test_table_are_not_test_cards(number: str) -> None:
    assert card_number_well_formed(number)
    assert not is_test_card(number)
    assert brand_of(number) == "Unknown"


@pytest.mark.parametrize(("number", "brand"), sorted(TEST_CARDS.items()))
def test_the_sandbox_reports_the_published_brand_of_each_test_card(number: str, brand: str) -> None:
    assert brand_of(number) == brand


def test_the_desks_brand_rules_agree_with_the_published_test_cards() -> None:
    """The published brand of every test card is the brand the desk's own rules find."""
    assert {n: desk_rules.card_brand(n) for n in TEST_CARDS} == TEST_CARDS
    assert set(TEST_CARDS.values()) == {
        "Visa",
        "MasterCard",
        "AmericanExpress",
        "Discover",
        "JCB",
        "DinersClub",
    }


@pytest.mark.parametrize(
    ("code", "brand", "valid"),
    [
        ("123", "Visa", True),
        ("1234", "Visa", False),
        ("1234", "AmericanExpress", True),
        (full_width("123"), "Visa", False),
    ],
)
def test_card_code_length_depends_on_brand(code: str, brand: str, valid: bool) -> None:
    """Amex codes have four digits, other brands three; only ASCII digits count."""
    assert card_code_valid(code, brand) is valid


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2030-12", Expiry(2030, 12)),
        ("2030/1", Expiry(2030, 1)),
        ("1230", Expiry(2030, 12)),
        ("12/30", Expiry(2030, 12)),
        ("122030", Expiry(2030, 12)),
        ("1/2030", Expiry(2030, 1)),
        (full_width("12") + "/30", None),
        ("2030-13", None),
        ("0030", None),
        ("XXXX", None),
        ("", None),
    ],
)
def test_expiry_formats(text: str, expected: Expiry | None) -> None:
    assert parse_expiry(text) == expected


def test_a_card_is_good_through_its_expiry_month() -> None:
    expiry = Expiry(2026, 1)
    assert not expiry.expired_at(datetime(2026, 1, 31, 23, 59, tzinfo=UTC))
    assert expiry.expired_at(datetime(2026, 2, 1, tzinfo=UTC))
    assert expiry.iso() == "2026-01"


@pytest.mark.parametrize(
    ("routing", "valid"),
    [("121042882", True), ("011000015", True), ("121042883", False), ("12104288", False)],
)
def test_aba_routing_checksum(routing: str, valid: bool) -> None:
    assert routing_number_valid(routing) is valid


def test_only_ascii_digits_count_in_bank_numbers() -> None:
    assert not routing_number_valid("1210428" + full_width("8") + "2")
    assert bank_account_number_valid("12345")
    assert not bank_account_number_valid(full_width("12345"))
    assert not bank_account_number_valid("1234")


def test_avs_and_cvv_tables() -> None:
    assert avs_code_for("46205", "1 Main") == "N"
    assert avs_code_for("46205-1234", None) == "N"
    assert avs_code_for("98004", "1 Main") == "Y"
    assert avs_code_for(None, None) == "B"
    assert [cvv_code_for(c) for c in ("900", "901", "902", "903", "904")] == list("MNSUP")
    assert cvv_code_for("555") == "M"
    assert cvv_code_for(None) == ""


def test_last_four_of_masked_and_full_numbers() -> None:
    assert last4_of("XXXX1111") == last4_of("4111111111111111") == "1111"


def card(brand: str = "Visa") -> StoredPayment:
    return StoredPayment(kind="card", fingerprint="f", last4="1111", brand=brand, expiry="2030-12")


def test_processor_declines_zip_46282_and_approves_otherwise() -> None:
    declined = authorize(card(), Decimal("5.00"), Address(zip="46282"), None)
    approved = authorize(card(), Decimal("5.00"), Address(zip="46214", address="1 Main"), "900")
    assert (declined.response_code, declined.reason_code, declined.auth_code) == (2, 2, "")
    assert (approved.response_code, approved.avs_code, approved.cvv_code) == (1, "X", "M")
    assert len(approved.auth_code) == 6


def test_processor_echeck_limit() -> None:
    bank = StoredPayment(kind="bank", fingerprint="f", last4="6789", brand="eCheck")
    assert authorize(bank, Decimal("100.00"), None, None).approved
    assert not authorize(bank, Decimal("100.01"), None, None).approved


def test_direct_response_has_69_fields_and_drops_commas() -> None:
    text = direct_response(
        response_code=1,
        reason_code=1,
        text="This transaction has been approved.",
        auth_code="ABC123",
        avs_code="Y",
        cvv_code="M",
        trans_id="400",
        amount=Decimal("0"),
        payment=card(),
        bill_to=Address(first_name="Doe, Jane", zip="98004"),
        customer_id="C-1",
        email="a@b.c",
        description="Test transaction for ValidateCustomerPaymentProfile.",
    )
    fields = text.split(",")
    assert len(fields) == 69
    assert (fields[0], fields[4], fields[6], fields[9]) == ("1", "ABC123", "400", "0.00")
    assert (fields[13], fields[19], fields[23]) == ("Doe  Jane", "98004", "a@b.c")
    assert (fields[38], fields[50], fields[51]) == ("M", "XXXX1111", "Visa")
