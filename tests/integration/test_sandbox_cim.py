"""Customer Information Manager calls, through the unchanged SDK over HTTP to the sandbox."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers
from sandbox_sdk_support import VISA, Answer, Sdk, Wire

from w365desk.clock import FrozenClock
from w365desk.sandbox.authorizenet import SandboxServer
from w365desk.sandbox.authorizenet.cards import TEST_CARDS


@pytest.fixture
def sdk(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> Sdk:
    return Sdk(sandbox, Wire(monkeypatch))


def get_customer(sdk: Sdk, customer_id: str, *, unmask: bool = False) -> Answer:
    request = contracts.getCustomerProfileRequest()
    request.customerProfileId = customer_id
    if unmask:
        request.unmaskExpirationDate = True
    return sdk.call(controllers.getCustomerProfileController, request, wide=True)


def get_payment_profile(
    sdk: Sdk, customer_id: str, profile_id: str, *, unmask: bool = False
) -> Answer:
    request = contracts.getCustomerPaymentProfileRequest()
    request.customerProfileId = customer_id
    request.customerPaymentProfileId = profile_id
    if unmask:
        request.unmaskExpirationDate = True
    return sdk.call(controllers.getCustomerPaymentProfileController, request, wide=True)


# --- authentication ------------------------------------------------------------------------------


def test_authenticate_test_succeeds_with_the_sandbox_keys(sdk: Sdk) -> None:
    answer = sdk.call(controllers.authenticateTestController, contracts.authenticateTestRequest())
    assert (answer.result_code, answer.code, answer.text) == ("Ok", "I00001", "Successful.")
    assert answer.response.messages.resultCode == "Ok"  # what the app reads


@pytest.mark.parametrize(
    ("login", "key"),
    [("w365sandbox", "WrongKey12345678"), ("someone-else", "w365SandboxKey16")],
)
def test_wrong_credentials_are_refused_with_e00007(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch, login: str, key: str
) -> None:
    sdk = Sdk(sandbox, Wire(monkeypatch), login=login, key=key)
    answer = sdk.call(controllers.authenticateTestController, contracts.authenticateTestRequest())
    assert (answer.result_code, answer.code) == ("Error", "E00007")
    assert answer.text == "User authentication failed due to invalid authentication values."
    assert answer.raw[3:].decode().split("<")[2].startswith("ErrorResponse")


def test_custom_credentials_replace_the_defaults(
    start_sandbox: Callable[..., SandboxServer], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = start_sandbox(api_login_id="merchant7", transaction_key="Key7Key7Key7Key7")
    wire = Wire(monkeypatch)
    ok = Sdk(server, wire).call(
        controllers.authenticateTestController, contracts.authenticateTestRequest()
    )
    refused = Sdk(server, wire, login="w365sandbox", key="w365SandboxKey16").call(
        controllers.authenticateTestController, contracts.authenticateTestRequest()
    )
    assert ok.code == "I00001"
    assert refused.code == "E00007"


# --- customer profiles ---------------------------------------------------------------------------


def test_create_customer_profile_with_a_card_returns_both_ids(sdk: Sdk) -> None:
    answer = sdk.create_customer(
        payment_profiles=[sdk.payment_profile(sdk.card(code="123"), sdk.bill_to())]
    )
    assert answer.result_code == "Ok"
    customer_id = answer.value("customerProfileId")
    payment_ids = answer.values("customerPaymentProfileIdList/numericString")
    assert customer_id.isdigit() and len(payment_ids) == 1 and payment_ids[0].isdigit()
    assert str(answer.response.customerProfileId) == customer_id

    profile = get_customer(sdk, customer_id).xml.profile
    assert str(profile.merchantCustomerId) == "ACME-1"
    assert str(profile.email) == "billing@acme.test"
    (stored,) = profile.paymentProfiles
    assert str(stored.customerPaymentProfileId) == payment_ids[0]
    assert bool(stored.defaultPaymentProfile) is True  # the first card becomes the default
    assert str(stored.payment.creditCard.cardNumber) == "XXXX1111"
    assert str(stored.payment.creditCard.expirationDate) == "XXXX"
    assert str(stored.payment.creditCard.cardType) == "Visa"
    assert str(stored.billTo.zip) == "98004"


def test_unmask_expiration_date_shows_year_and_month(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    masked = get_payment_profile(sdk, customer_id, profile_id).xml.paymentProfile
    shown = get_payment_profile(sdk, customer_id, profile_id, unmask=True).xml.paymentProfile
    assert str(masked.payment.creditCard.expirationDate) == "XXXX"
    assert str(shown.payment.creditCard.expirationDate) == "2030-12"
    assert str(shown.payment.creditCard.cardNumber) == "XXXX1111"


def test_customer_profile_without_payment_profiles_and_no_validation(sdk: Sdk) -> None:
    answer = sdk.create_customer(merchant_customer_id="EMPTY-1")
    assert answer.result_code == "Ok"
    assert answer.values("customerPaymentProfileIdList/numericString") == []
    assert answer.has("validationDirectResponseList")
    assert answer.values("validationDirectResponseList/string") == []


def test_duplicate_customer_profile_names_the_existing_id_in_the_text(sdk: Sdk) -> None:
    first = sdk.create_customer()
    second = sdk.create_customer()
    existing = first.value("customerProfileId")
    assert (second.result_code, second.code) == ("Error", "E00039")
    assert second.text == f"A duplicate record with ID {existing} already exists."
    assert not second.has("customerProfileId")  # the id is only in the text


def test_profiles_differing_by_email_are_not_duplicates(sdk: Sdk) -> None:
    assert sdk.create_customer(email="a@acme.test").result_code == "Ok"
    assert sdk.create_customer(email="b@acme.test").result_code == "Ok"


def test_customer_profile_needs_an_identifying_field(sdk: Sdk) -> None:
    request = contracts.createCustomerProfileRequest()
    profile = contracts.customerProfileType()
    profile.description = None
    request.profile = profile
    answer = sdk.call(controllers.createCustomerProfileController, request)
    assert (answer.code, answer.text) == ("E00041", "One or more fields must contain a value.")


def test_unknown_ids_answer_e00040(sdk: Sdk) -> None:
    assert get_customer(sdk, "999999999").code == "E00040"
    customer_id, _ = sdk.customer_with_card()
    assert get_payment_profile(sdk, customer_id, "999999999").code == "E00040"
    request = contracts.deleteCustomerProfileRequest()
    request.customerProfileId = "999999999"
    answer = sdk.call(controllers.deleteCustomerProfileController, request)
    assert (answer.code, answer.text) == ("E00040", "The record cannot be found.")


def test_a_payment_profile_of_another_customer_is_not_found(sdk: Sdk) -> None:
    _, profile_of_first = sdk.customer_with_card(merchant_customer_id="FIRST")
    second_id, _ = sdk.customer_with_card(merchant_customer_id="SECOND")
    assert get_payment_profile(sdk, second_id, profile_of_first).code == "E00040"


def test_delete_customer_profile_removes_its_payment_profiles(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    request = contracts.deleteCustomerProfileRequest()
    request.customerProfileId = customer_id
    assert sdk.call(controllers.deleteCustomerProfileController, request).code == "I00001"
    assert get_customer(sdk, customer_id).code == "E00040"
    assert get_payment_profile(sdk, customer_id, profile_id).code == "E00040"


# --- payment profiles ----------------------------------------------------------------------------


def test_same_card_and_billing_is_a_duplicate_that_returns_the_existing_id(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    again = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to(zip_code="98004"))
    )
    assert (again.result_code, again.code) == ("Error", "E00039")
    assert again.text == "A duplicate customer payment profile already exists."
    assert again.value("customerPaymentProfileId") == profile_id
    assert again.value("customerProfileId") == customer_id


@pytest.mark.parametrize(
    "change",
    [
        {"zip_code": "98005"},
        {"first": "Janet"},
        {"last": "Smith"},
        {"address": "2 Main St"},
    ],
)
def test_same_card_with_other_billing_is_not_a_duplicate(sdk: Sdk, change: dict[str, str]) -> None:
    customer_id, _ = sdk.customer_with_card()
    billing = {"zip_code": "98004"} | change
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to(**billing))
    )
    assert answer.result_code == "Ok"


def test_other_card_with_same_billing_is_not_a_duplicate(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card("5424000000000015"), sdk.bill_to())
    )
    assert answer.result_code == "Ok"


def test_the_eleventh_payment_profile_is_refused_with_e00042(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    for index in range(9):
        answer = sdk.add_payment_profile(
            customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to(zip_code=f"1000{index}"))
        )
        assert answer.result_code == "Ok", answer.text
    eleventh = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to(zip_code="20000"))
    )
    assert (eleventh.code, eleventh.text) == (
        "E00042",
        "You cannot add more than 10 payment profiles.",
    )


@pytest.mark.parametrize(
    ("number", "expiry", "code", "text"),
    [
        ("4111111111111112", "2030-12", None, "Card Number is invalid."),  # fails Luhn
        ("411111111111", "2030-12", None, "Card Number is invalid."),  # too short
        (VISA, "2025-12", None, "The credit card has expired."),  # before 2026-01
        (VISA, "2030-13", None, "Expiration Date is invalid."),
        ("370000000000002", "2030-12", "123", "Card Code is invalid."),  # Amex needs 4
    ],
)
def test_invalid_card_fields_answer_e00013_naming_the_field(
    sdk: Sdk, number: str, expiry: str, code: str | None, text: str
) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(number, expiry, code), sdk.bill_to("Other"))
    )
    assert (answer.result_code, answer.code, answer.text) == ("Error", "E00013", text)
    assert number.encode() not in answer.raw


def test_a_payment_profile_without_payment_answers_e00029(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    profile = contracts.customerPaymentProfileType()
    profile.billTo = sdk.bill_to("Other")
    answer = sdk.add_payment_profile(customer_id, profile)
    assert (answer.code, answer.text) == ("E00029", "Payment information is required.")


@pytest.mark.parametrize(("number", "brand"), sorted(TEST_CARDS.items()))
def test_each_test_card_reports_its_brand(sdk: Sdk, number: str, brand: str) -> None:
    code = "1234" if brand == "AmericanExpress" else "123"
    customer_id, profile_id = sdk.customer_with_card(number=number)
    shown = get_payment_profile(sdk, customer_id, profile_id).xml.paymentProfile
    assert str(shown.payment.creditCard.cardType) == brand
    assert str(shown.payment.creditCard.cardNumber) == "XXXX" + number[-4:]
    assert (
        sdk.add_payment_profile(
            customer_id, sdk.payment_profile(sdk.card(number, code=code), sdk.bill_to("B"))
        ).result_code
        == "Ok"
    )


def test_bank_account_profile_is_masked(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.add_payment_profile(customer_id, sdk.payment_profile(sdk.bank(), sdk.bill_to()))
    assert answer.result_code == "Ok", answer.text
    shown = get_payment_profile(
        sdk, customer_id, answer.value("customerPaymentProfileId")
    ).xml.paymentProfile
    bank = shown.payment.bankAccount
    assert (str(bank.accountNumber), str(bank.routingNumber)) == ("XXXX6789", "XXXX2882")
    assert (bank.accountType, str(bank.nameOnAccount), bank.echeckType) == (
        "checking",
        "Jane Doe",
        "WEB",
    )


@pytest.mark.parametrize(
    ("routing", "account", "text"),
    [
        ("121042883", "123456789", "Routing Number is invalid."),  # bad ABA checksum
        ("121042882", "12ab", "Account Number is invalid."),
    ],
)
def test_invalid_bank_fields_answer_e00013(sdk: Sdk, routing: str, account: str, text: str) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.bank(account=account, routing=routing))
    )
    assert (answer.code, answer.text) == ("E00013", text)


def test_default_payment_profile_moves_to_the_new_one_when_asked(sdk: Sdk) -> None:
    customer_id, first_id = sdk.customer_with_card()
    second = sdk.add_payment_profile(
        customer_id,
        sdk.payment_profile(sdk.card("5424000000000015"), sdk.bill_to(), default=True),
    )
    second_id = second.value("customerPaymentProfileId")
    defaults = {
        str(p.customerPaymentProfileId): bool(p.defaultPaymentProfile)
        for p in get_customer(sdk, customer_id).xml.profile.paymentProfiles
    }
    assert defaults == {first_id: False, second_id: True}


# --- validation modes ----------------------------------------------------------------------------


def test_live_mode_decline_answers_e00027_with_the_transaction_text(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.add_payment_profile(
        customer_id,
        sdk.payment_profile(sdk.card("5424000000000015"), sdk.bill_to(zip_code="46282")),
        validation_mode="liveMode",
    )
    assert (answer.result_code, answer.code) == ("Error", "E00027")
    assert answer.text == "This transaction has been declined."
    direct = answer.value("validationDirectResponse").split(",")
    assert direct[:4] == ["2", "1", "2", "This transaction has been declined."]
    assert direct[50:52] == ["XXXX0015", "MasterCard"]
    assert not answer.has("customerPaymentProfileId")
    profiles = get_customer(sdk, customer_id).xml.profile.paymentProfiles
    assert len(profiles) == 1  # the declined card was not stored


def test_live_mode_needs_address_and_zip_for_a_visa_zero_dollar_check(sdk: Sdk) -> None:
    answer = sdk.create_customer(
        payment_profiles=[sdk.payment_profile(sdk.card())], validation_mode="liveMode"
    )
    assert (answer.code, answer.text) == (
        "E00027",
        "There is one or more missing or invalid required fields.",
    )
    (direct,) = answer.values("validationDirectResponseList/string")
    assert str(direct).split(",")[:3] == ["3", "1", "290"]
    assert not answer.has("customerProfileId")


def test_live_mode_approval_reports_avs_and_cvv(sdk: Sdk) -> None:
    answer = sdk.create_customer(
        payment_profiles=[sdk.payment_profile(sdk.card(code="901"), sdk.bill_to(zip_code="46205"))],
        validation_mode="liveMode",
    )
    assert answer.result_code == "Ok", answer.text
    (direct,) = answer.values("validationDirectResponseList/string")
    fields = str(direct).split(",")
    assert len(fields) == 69
    assert fields[:4] == ["1", "1", "1", "This transaction has been approved."]
    assert len(fields[4]) == 6  # authorization code
    assert (fields[5], fields[38]) == ("N", "N")  # AVS for 46205, CVV for 901
    assert fields[9] == "0.00"  # Visa supports zero-dollar authorization


def test_test_mode_answers_a_testmode_approval_with_transaction_id_zero(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    answer = sdk.add_payment_profile(
        customer_id,
        sdk.payment_profile(sdk.card("6011000000000012"), sdk.bill_to(zip_code="46282")),
        validation_mode="testMode",
    )
    assert answer.result_code == "Ok"
    fields = answer.value("validationDirectResponse").split(",")
    assert fields[3] == "(TESTMODE) This transaction has been approved."
    assert fields[6] == "0"
    assert fields[9] == "0.01"  # no zero-dollar authorization for Discover


def test_test_mode_still_checks_the_card_number(sdk: Sdk) -> None:
    answer = sdk.create_customer(
        payment_profiles=[sdk.payment_profile(sdk.card("4111111111111112"), sdk.bill_to())],
        validation_mode="testMode",
    )
    assert (answer.code, answer.text) == ("E00013", "Card Number is invalid.")


def test_validate_customer_payment_profile_live_and_declined(sdk: Sdk) -> None:
    customer_id, good_id = sdk.customer_with_card()
    declining = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to(zip_code="46282"))
    )
    declining_id = declining.value("customerPaymentProfileId")

    def validate(profile_id: str, card_code: str | None = None) -> Answer:
        request = contracts.validateCustomerPaymentProfileRequest()
        request.customerProfileId = customer_id
        request.customerPaymentProfileId = profile_id
        request.validationMode = "liveMode"
        if card_code is not None:
            request.cardCode = card_code
        return sdk.call(controllers.validateCustomerPaymentProfileController, request)

    approved = validate(good_id, "902")
    assert approved.result_code == "Ok"
    fields = approved.value("directResponse").split(",")
    assert (fields[0], fields[38]) == ("1", "S")
    declined = validate(declining_id)
    assert (declined.code, declined.text) == ("E00027", "This transaction has been declined.")
    assert declined.value("directResponse").startswith("2,1,2,")


# --- updates and deletes -------------------------------------------------------------------------


def update_request(customer_id: str, profile_id: str, payment: object, bill_to: object) -> object:
    profile = contracts.customerPaymentProfileExType()
    profile.billTo = bill_to
    profile.payment = payment
    profile.customerPaymentProfileId = profile_id
    request = contracts.updateCustomerPaymentProfileRequest()
    request.customerProfileId = customer_id
    request.paymentProfile = profile
    return request


def test_update_with_masked_card_keeps_number_and_expiry(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    request = update_request(
        customer_id, profile_id, sdk.card("XXXX1111", "XXXX"), sdk.bill_to(zip_code="10001")
    )
    answer = sdk.call(controllers.updateCustomerPaymentProfileController, request)
    assert answer.result_code == "Ok", answer.text
    shown = get_payment_profile(sdk, customer_id, profile_id, unmask=True).xml.paymentProfile
    assert str(shown.payment.creditCard.expirationDate) == "2030-12"
    assert str(shown.payment.creditCard.cardNumber) == "XXXX1111"
    assert str(shown.billTo.zip) == "10001"
    # The kept card still counts for duplicates: the same card at the new billing is one.
    again = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.card(), sdk.bill_to(zip_code="10001"))
    )
    assert (again.code, again.value("customerPaymentProfileId")) == ("E00039", profile_id)


def test_update_can_change_the_expiry_alone(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    request = update_request(
        customer_id, profile_id, sdk.card("XXXX1111", "2031-06"), sdk.bill_to()
    )
    assert sdk.call(controllers.updateCustomerPaymentProfileController, request).code == "I00001"
    shown = get_payment_profile(sdk, customer_id, profile_id, unmask=True).xml.paymentProfile
    assert str(shown.payment.creditCard.expirationDate) == "2031-06"


def test_update_with_a_masked_number_of_another_card_is_invalid(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    request = update_request(customer_id, profile_id, sdk.card("XXXX0015", "XXXX"), sdk.bill_to())
    answer = sdk.call(controllers.updateCustomerPaymentProfileController, request)
    assert (answer.code, answer.text) == ("E00013", "Card Number is invalid.")


def test_update_to_a_new_card_replaces_brand_and_last_four(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    request = update_request(
        customer_id, profile_id, sdk.card("370000000000002", "2029-01"), sdk.bill_to()
    )
    assert sdk.call(controllers.updateCustomerPaymentProfileController, request).code == "I00001"
    card = get_payment_profile(sdk, customer_id, profile_id).xml.paymentProfile.payment.creditCard
    assert (str(card.cardNumber), str(card.cardType)) == ("XXXX0002", "AmericanExpress")


def test_update_of_an_unknown_payment_profile_answers_e00040(sdk: Sdk) -> None:
    customer_id, _ = sdk.customer_with_card()
    request = update_request(customer_id, "123456789", sdk.card(), sdk.bill_to())
    assert sdk.call(controllers.updateCustomerPaymentProfileController, request).code == "E00040"


def test_delete_payment_profile(sdk: Sdk) -> None:
    customer_id, profile_id = sdk.customer_with_card()
    request = contracts.deleteCustomerPaymentProfileRequest()
    request.customerProfileId = customer_id
    request.customerPaymentProfileId = profile_id
    assert sdk.call(controllers.deleteCustomerPaymentProfileController, request).code == "I00001"
    assert sdk.call(controllers.deleteCustomerPaymentProfileController, request).code == "E00040"
    assert get_payment_profile(sdk, customer_id, profile_id).code == "E00040"


# --- expiring cards ------------------------------------------------------------------------------


def expiring(
    sdk: Sdk, month: str, *, limit: int = 10, page: int = 1, descending: bool = False
) -> Answer:
    request = contracts.getCustomerPaymentProfileListRequest()
    request.searchType = "cardsExpiringInMonth"
    request.month = month
    sorting = contracts.CustomerPaymentProfileSorting()
    sorting.orderBy = "id"
    sorting.orderDescending = descending
    request.sorting = sorting
    paging = contracts.Paging()
    paging.limit = limit
    paging.offset = page
    request.paging = paging
    return sdk.call(controllers.getCustomerPaymentProfileListController, request, wide=True)


def test_cards_expiring_in_a_month_are_listed_with_paging_and_sorting(sdk: Sdk) -> None:
    ids = []
    for index in range(3):
        customer = sdk.create_customer(
            merchant_customer_id=f"EXP-{index}",
            payment_profiles=[sdk.payment_profile(sdk.card(expiry="2027-03"), sdk.bill_to())],
        )
        ids.append(customer.values("customerPaymentProfileIdList/numericString")[0])
    sdk.create_customer(
        merchant_customer_id="OTHER",
        payment_profiles=[sdk.payment_profile(sdk.card(expiry="2027-04"), sdk.bill_to())],
    )
    first_page = expiring(sdk, "2027-03", limit=2)
    assert first_page.value("totalNumInResultSet") == "3"
    listed = [
        str(p.customerPaymentProfileId) for p in first_page.xml.paymentProfiles.paymentProfile
    ]
    assert listed == ids[:2]
    second_page = expiring(sdk, "2027-03", limit=2, page=2)
    assert [
        str(p.customerPaymentProfileId) for p in second_page.xml.paymentProfiles.paymentProfile
    ] == ids[2:]
    newest_first = expiring(sdk, "2027-03", descending=True)
    assert [
        str(p.customerPaymentProfileId) for p in newest_first.xml.paymentProfiles.paymentProfile
    ] == ids[::-1]
    item = first_page.xml.paymentProfiles.paymentProfile[0]
    assert str(item.payment.creditCard.cardNumber) == "XXXX1111"
    assert bool(item.defaultPaymentProfile) is True


def test_expiring_list_with_no_match_and_with_a_bad_month(sdk: Sdk) -> None:
    empty = expiring(sdk, "2029-02")
    assert (empty.result_code, empty.value("totalNumInResultSet")) == ("Ok", "0")
    bad = expiring(sdk, "2029-13")
    assert (bad.code, bad.text) == ("E00013", "Month is invalid.")
    assert bad.value("totalNumInResultSet") == "0"


# --- Accept nonces in profiles -------------------------------------------------------------------


def test_a_payment_profile_from_an_accept_nonce(sdk: Sdk, sandbox: SandboxServer) -> None:
    customer_id, _ = sdk.customer_with_card()
    nonce = sandbox.issue_nonce("5424000000000015", 11, 2029, "123")
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.opaque(nonce), sdk.bill_to())
    )
    assert answer.result_code == "Ok", answer.text
    card = get_payment_profile(
        sdk, customer_id, answer.value("customerPaymentProfileId"), unmask=True
    ).xml.paymentProfile.payment.creditCard
    assert (str(card.cardNumber), str(card.expirationDate)) == ("XXXX0015", "2029-11")
    reused = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.opaque(nonce), sdk.bill_to("Other"))
    )
    assert (reused.code, reused.text) == ("E00114", "Invalid OTS Token.")


def test_an_accept_nonce_expires_after_fifteen_minutes(
    sdk: Sdk, sandbox: SandboxServer, clock: FrozenClock
) -> None:
    customer_id, _ = sdk.customer_with_card()
    nonce = sandbox.issue_nonce("5424000000000015", 11, 2029)
    clock.advance(timedelta(minutes=15))
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.opaque(nonce), sdk.bill_to())
    )
    assert (answer.code, answer.text) == ("E00115", "Expired OTS Token.")


def test_a_nonce_used_just_before_expiry_still_works(
    sdk: Sdk, sandbox: SandboxServer, clock: FrozenClock
) -> None:
    customer_id, _ = sdk.customer_with_card()
    nonce = sandbox.issue_nonce("5424000000000015", 11, 2029)
    clock.advance(timedelta(minutes=14, seconds=59))
    answer = sdk.add_payment_profile(
        customer_id, sdk.payment_profile(sdk.opaque(nonce), sdk.bill_to())
    )
    assert answer.result_code == "Ok"


def test_update_customer_profile_replaces_its_fields_as_the_sdk_reads_it(sdk: Sdk) -> None:
    created = sdk.create_customer(merchant_customer_id="OLD-1", email="old@acme.test")
    customer_id = created.value("customerProfileId")
    profile = contracts.customerProfileExType()
    profile.merchantCustomerId = "NEW-1"
    profile.description = "Acme Renamed"
    profile.customerProfileId = customer_id
    request = contracts.updateCustomerProfileRequest()
    request.profile = profile
    answer = sdk.call(controllers.updateCustomerProfileController, request)
    assert (answer.result_code, answer.code) == ("Ok", "I00001")
    assert answer.response.messages.resultCode == "Ok"  # what the SDK reads
    stored = get_customer(sdk, customer_id)
    assert stored.value("profile/merchantCustomerId") == "NEW-1"
    assert stored.value("profile/description") == "Acme Renamed"
    assert not stored.has("profile/email")  # replaced wholesale: left out means cleared

    profile.customerProfileId = "99999"
    missing = sdk.call(controllers.updateCustomerProfileController, request)
    assert (missing.result_code, missing.code) == ("Error", "E00040")
