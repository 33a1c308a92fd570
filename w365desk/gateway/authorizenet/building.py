"""Every request the adapter sends, built with the official SDK's contract classes.

Each builder returns an ``SdkCall``: the contract object, the SDK controller that
serialises it and the root element its answer must have. ``serialise`` then adds the
merchant's credentials and lets the controller write the XML exactly as ``execute()``
would (``setClientId()`` then ``buildrequest()``), so element order, schema facets and
the clientId are the SDK's own; only the POST is ours (see ``transport.py``).

PyXB checks values as they are assigned, and its messages (and tracebacks) quote the
value, which may be a card number. Builders therefore run under ``_guarded``, which
keeps only the kind of problem and raises ``InvalidField`` *after* the except block,
so the PyXB exception is neither the new error's cause nor its context and is freed.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import pyxb
from authorizenet import apicontractsv1 as contracts
from authorizenet import apicontrollers as controllers

from w365desk.gateway.errors import InvalidField
from w365desk.gateway.types import (
    AcceptNonce,
    BankAccountInput,
    BillingAddress,
    ChargeRequest,
    CustomerProfileInput,
    MaskedPaymentProfile,
    RefundRequest,
    ValidationMode,
)

PAGE_SIZE = 1000
VALIDATION_MODES = ("none", "testMode", "liveMode")

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class SdkCall:
    """One request ready to serialise, and the root element its answer must have."""

    controller: Callable[[Any], Any]
    request: Any
    answer_root: str


def _guarded(build: Callable[P, T]) -> Callable[P, T]:
    @functools.wraps(build)
    def guarded(*args: P.args, **kwargs: P.kwargs) -> T:
        failure: str | None = None
        try:
            return build(*args, **kwargs)
        except pyxb.PyXBException as error:
            failure = type(error).__name__
        raise InvalidField("request", f"A value does not fit the gateway's format ({failure}).")

    return guarded


@_guarded
def serialise(call: SdkCall, api_login_id: str, transaction_key: str) -> bytes:
    authentication = contracts.merchantAuthenticationType()
    authentication.name = api_login_id
    authentication.transactionKey = transaction_key
    call.request.merchantAuthentication = authentication
    controller = call.controller(call.request)
    controller.setClientId()
    body: bytes = controller.buildrequest()
    return body


def check_validation_mode(mode: str) -> None:
    if mode not in VALIDATION_MODES:
        raise InvalidField(
            "validation_mode", "The validation mode must be none, testMode or liveMode."
        )


# --- parts ------------------------------------------------------------------------------


def _bill_to(address: BillingAddress | None) -> Any:
    if address is None:
        return None
    bill_to = contracts.customerAddressType()
    for attribute, value in (
        ("firstName", address.first_name),
        ("lastName", address.last_name),
        ("company", address.company),
        ("address", address.address),
        ("city", address.city),
        ("state", address.state),
        ("zip", address.zip),
        ("country", address.country),
        ("phoneNumber", address.phone),
    ):
        if value:
            setattr(bill_to, attribute, value)
    return bill_to


def card_payment(number: str, expiration: str, cvv: str | None = None) -> Any:
    card = contracts.creditCardType()
    card.cardNumber = number
    card.expirationDate = expiration
    if cvv:
        card.cardCode = cvv
    payment = contracts.paymentType()
    payment.creditCard = card
    return payment


def bank_payment(account: BankAccountInput) -> Any:
    bank = contracts.bankAccountType()
    bank.accountType = account.account_type
    bank.routingNumber = account.routing_number
    bank.accountNumber = account.account_number
    bank.nameOnAccount = account.name_on_account
    bank.echeckType = account.echeck_type
    if account.bank_name:
        bank.bankName = account.bank_name
    payment = contracts.paymentType()
    payment.bankAccount = bank
    return payment


def masked_bank_payment(current: MaskedPaymentProfile) -> Any:
    # Masked numbers tell the gateway to keep the stored routing and account numbers.
    bank = contracts.bankAccountType()
    if current.account_type:
        bank.accountType = current.account_type
    bank.routingNumber = f"XXXX{current.routing_last4 or ''}"
    bank.accountNumber = f"XXXX{current.last4}"
    bank.nameOnAccount = current.name_on_account or ""
    payment = contracts.paymentType()
    payment.bankAccount = bank
    return payment


def nonce_payment(nonce: AcceptNonce) -> Any:
    opaque = contracts.opaqueDataType()
    opaque.dataDescriptor = nonce.descriptor
    opaque.dataValue = nonce.value
    payment = contracts.paymentType()
    payment.opaqueData = opaque
    return payment


def _paging(offset: int) -> Any:
    paging = contracts.Paging()
    paging.limit = PAGE_SIZE
    paging.offset = offset
    return paging


def _payment_profile_element(
    billing: BillingAddress | None, payment: Any, make_default: bool, profile_type: Any
) -> Any:
    profile = profile_type()
    bill_to = _bill_to(billing)
    if bill_to is not None:
        profile.billTo = bill_to
    profile.payment = payment
    if make_default:
        profile.defaultPaymentProfile = True
    return profile


def _profile_payment(customer_profile_id: str, payment_profile_id: str, cvv: str | None) -> Any:
    profile = contracts.customerProfilePaymentType()
    profile.customerProfileId = customer_profile_id
    payment_profile = contracts.paymentProfile()
    payment_profile.paymentProfileId = payment_profile_id
    if cvv:
        payment_profile.cardCode = cvv
    profile.paymentProfile = payment_profile
    return profile


def _order(invoice_number: str, description: str | None = None) -> Any:
    order = contracts.orderType()
    order.invoiceNumber = invoice_number
    if description:
        order.description = description
    return order


# --- account and customer profiles ------------------------------------------------------


@_guarded
def authenticate_test() -> SdkCall:
    return SdkCall(
        controllers.authenticateTestController,
        contracts.authenticateTestRequest(),
        "authenticateTestResponse",
    )


@_guarded
def create_customer_profile(profile: CustomerProfileInput) -> SdkCall:
    body = contracts.customerProfileType()
    if profile.merchant_customer_id:
        body.merchantCustomerId = profile.merchant_customer_id
    if profile.description:
        body.description = profile.description
    if profile.email:
        body.email = profile.email
    request = contracts.createCustomerProfileRequest()
    request.profile = body
    return SdkCall(
        controllers.createCustomerProfileController, request, "createCustomerProfileResponse"
    )


@_guarded
def update_customer_profile(customer_profile_id: str, profile: CustomerProfileInput) -> SdkCall:
    body = contracts.customerProfileExType()
    if profile.merchant_customer_id:
        body.merchantCustomerId = profile.merchant_customer_id
    if profile.description:
        body.description = profile.description
    if profile.email:
        body.email = profile.email
    body.customerProfileId = customer_profile_id
    request = contracts.updateCustomerProfileRequest()
    request.profile = body
    return SdkCall(
        controllers.updateCustomerProfileController, request, "updateCustomerProfileResponse"
    )


@_guarded
def get_customer_profile(customer_profile_id: str) -> SdkCall:
    request = contracts.getCustomerProfileRequest()
    request.customerProfileId = customer_profile_id
    request.unmaskExpirationDate = True
    return SdkCall(controllers.getCustomerProfileController, request, "getCustomerProfileResponse")


@_guarded
def delete_customer_profile(customer_profile_id: str) -> SdkCall:
    request = contracts.deleteCustomerProfileRequest()
    request.customerProfileId = customer_profile_id
    return SdkCall(
        controllers.deleteCustomerProfileController, request, "deleteCustomerProfileResponse"
    )


# --- payment profiles -------------------------------------------------------------------


@_guarded
def create_payment_profile(
    customer_profile_id: str,
    make_payment: Callable[[], Any],
    billing: BillingAddress | None,
    validation_mode: ValidationMode,
    make_default: bool,
) -> SdkCall:
    request = contracts.createCustomerPaymentProfileRequest()
    request.customerProfileId = customer_profile_id
    request.paymentProfile = _payment_profile_element(
        billing, make_payment(), make_default, contracts.customerPaymentProfileType
    )
    request.validationMode = validation_mode
    return SdkCall(
        controllers.createCustomerPaymentProfileController,
        request,
        "createCustomerPaymentProfileResponse",
    )


@_guarded
def get_payment_profile(customer_profile_id: str, payment_profile_id: str) -> SdkCall:
    request = contracts.getCustomerPaymentProfileRequest()
    request.customerProfileId = customer_profile_id
    request.customerPaymentProfileId = payment_profile_id
    request.unmaskExpirationDate = True
    return SdkCall(
        controllers.getCustomerPaymentProfileController,
        request,
        "getCustomerPaymentProfileResponse",
    )


@_guarded
def cards_expiring_in(month: str, offset: int) -> SdkCall:
    request = contracts.getCustomerPaymentProfileListRequest()
    request.searchType = "cardsExpiringInMonth"
    request.month = month
    sorting = contracts.CustomerPaymentProfileSorting()
    sorting.orderBy = "id"
    sorting.orderDescending = False
    request.sorting = sorting
    request.paging = _paging(offset)
    return SdkCall(
        controllers.getCustomerPaymentProfileListController,
        request,
        "getCustomerPaymentProfileListResponse",
    )


@_guarded
def update_payment_profile(
    customer_profile_id: str,
    payment_profile_id: str,
    make_payment: Callable[[], Any],
    billing: BillingAddress | None,
    make_default: bool,
    validation_mode: ValidationMode,
) -> SdkCall:
    profile = _payment_profile_element(
        billing, make_payment(), make_default, contracts.customerPaymentProfileExType
    )
    profile.customerPaymentProfileId = payment_profile_id
    request = contracts.updateCustomerPaymentProfileRequest()
    request.customerProfileId = customer_profile_id
    request.paymentProfile = profile
    request.validationMode = validation_mode
    return SdkCall(
        controllers.updateCustomerPaymentProfileController,
        request,
        "updateCustomerPaymentProfileResponse",
    )


@_guarded
def delete_payment_profile(customer_profile_id: str, payment_profile_id: str) -> SdkCall:
    request = contracts.deleteCustomerPaymentProfileRequest()
    request.customerProfileId = customer_profile_id
    request.customerPaymentProfileId = payment_profile_id
    return SdkCall(
        controllers.deleteCustomerPaymentProfileController,
        request,
        "deleteCustomerPaymentProfileResponse",
    )


@_guarded
def validate_payment_profile(
    customer_profile_id: str,
    payment_profile_id: str,
    cvv: str | None,
    validation_mode: ValidationMode,
) -> SdkCall:
    request = contracts.validateCustomerPaymentProfileRequest()
    request.customerProfileId = customer_profile_id
    request.customerPaymentProfileId = payment_profile_id
    if cvv:
        request.cardCode = cvv
    request.validationMode = validation_mode
    return SdkCall(
        controllers.validateCustomerPaymentProfileController,
        request,
        "validateCustomerPaymentProfileResponse",
    )


# --- transactions -----------------------------------------------------------------------


def _transaction(transaction: Any, ref_id: str | None) -> SdkCall:
    request = contracts.createTransactionRequest()
    if ref_id:
        request.refId = ref_id
    request.transactionRequest = transaction
    return SdkCall(controllers.createTransactionController, request, "createTransactionResponse")


@_guarded
def charge(request: ChargeRequest) -> SdkCall:
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "authCaptureTransaction"
    transaction.amount = request.amount
    transaction.profile = _profile_payment(
        request.customer_profile_id, request.payment_profile_id, request.cvv
    )
    transaction.order = _order(request.invoice_number, request.description)
    setting = contracts.settingType()
    setting.settingName = "duplicateWindow"
    setting.settingValue = str(request.duplicate_window_s)
    settings = contracts.ArrayOfSetting()
    settings.setting.append(setting)
    transaction.transactionSettings = settings
    return _transaction(transaction, request.ref_id)


@_guarded
def refund(request: RefundRequest) -> SdkCall:
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "refundTransaction"
    transaction.amount = request.amount
    if request.customer_profile_id and request.payment_profile_id:
        transaction.profile = _profile_payment(
            request.customer_profile_id, request.payment_profile_id, None
        )
    else:
        transaction.payment = card_payment(request.last4, "XXXX")
    transaction.refTransId = request.transaction_id
    transaction.order = _order(request.invoice_number)
    return _transaction(transaction, request.ref_id)


@_guarded
def void(transaction_id: str, ref_id: str | None) -> SdkCall:
    transaction = contracts.transactionRequestType()
    transaction.transactionType = "voidTransaction"
    transaction.refTransId = transaction_id
    return _transaction(transaction, ref_id)


# --- reporting --------------------------------------------------------------------------


@_guarded
def transaction_details(transaction_id: str) -> SdkCall:
    request = contracts.getTransactionDetailsRequest()
    request.transId = transaction_id
    return SdkCall(
        controllers.getTransactionDetailsController, request, "getTransactionDetailsResponse"
    )


def _sorted_by_submit_time(request: Any, offset: int) -> Any:
    sorting = contracts.TransactionListSorting()
    sorting.orderBy = "submitTimeUTC"
    sorting.orderDescending = False
    request.sorting = sorting
    request.paging = _paging(offset)
    return request


@_guarded
def transactions_for_customer(
    customer_profile_id: str, payment_profile_id: str | None, offset: int
) -> SdkCall:
    request = contracts.getTransactionListForCustomerRequest()
    request.customerProfileId = customer_profile_id
    if payment_profile_id:
        request.customerPaymentProfileId = payment_profile_id
    return SdkCall(
        controllers.getTransactionListForCustomerController,
        _sorted_by_submit_time(request, offset),
        # Not a typo: the gateway answers this request with getTransactionListResponse.
        "getTransactionListResponse",
    )


@_guarded
def unsettled_transactions(offset: int) -> SdkCall:
    return SdkCall(
        controllers.getUnsettledTransactionListController,
        _sorted_by_submit_time(contracts.getUnsettledTransactionListRequest(), offset),
        "getUnsettledTransactionListResponse",
    )
