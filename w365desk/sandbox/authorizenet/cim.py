"""Customer Information Manager: customer profiles and their payment profiles.

Rules reproduced from the real service: E00039 duplicates (customer profile: same
merchantCustomerId, description and email, reported with the id only inside the
text; payment profile: same card or account and routing number and same billing
first name, last name, address and zip, reported with the existing id), E00040 for
unknown ids, at most 10 payment profiles per customer (E00042), masked card numbers
and expiry dates, and masked values in an update meaning "keep what is stored".
"""

from __future__ import annotations

from dataclasses import dataclass
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.context import Context
from w365desk.sandbox.authorizenet.errors import (
    MAX_PAYMENT_PROFILES,
    ApiError,
    invalid_field,
    missing_field,
)
from w365desk.sandbox.authorizenet.fields import (
    limited_text,
    numeric_id,
    read_address,
    read_paging,
    read_sorting,
)
from w365desk.sandbox.authorizenet.payments import PaymentProblem, read_payment, to_stored
from w365desk.sandbox.authorizenet.records import (
    Address,
    CustomerProfile,
    PaymentProfile,
    StoredPayment,
)
from w365desk.sandbox.authorizenet.shapes import (
    add_address,
    add_masked_payment,
    add_masked_payment_profile,
    api_response,
    boolean,
    numeric_list,
    string_list,
)
from w365desk.sandbox.authorizenet.validation import ValidationResult, check_mode, validate_payment
from w365desk.sandbox.authorizenet.xmlio import bool_of, find, leaf, sub, sub_if, text_of

CUSTOMER_TYPES = ("individual", "business")
DUPLICATE_PAYMENT_PROFILE_TEXT = "A duplicate customer payment profile already exists."


@dataclass(frozen=True)
class PreparedPaymentProfile:
    """A checked payment profile, not yet stored (the card code is kept for validation only)."""

    customer_type: str | None
    bill_to: Address | None
    payment: StoredPayment
    card_code: str | None
    make_default: bool


# --- shared steps ------------------------------------------------------------------------------


def _customer(ctx: Context, request: Element) -> CustomerProfile:
    customer_id = numeric_id(request, "customerProfileId", "Customer Profile ID")
    if customer_id is None:
        raise missing_field("Customer Profile ID")
    customer = ctx.state.customers.get(customer_id)
    if customer is None:
        raise ApiError("E00040")
    return customer


def _payment_profile(
    ctx: Context, customer: CustomerProfile, profile_id: str | None
) -> PaymentProfile:
    if profile_id is None:
        raise missing_field("Customer Payment Profile ID")
    if not profile_id.isdigit():
        raise invalid_field("Customer Payment Profile ID")
    profile = ctx.state.payment_profiles.get(profile_id)
    if profile is None or profile.customer_profile_id != customer.id:
        raise ApiError("E00040")
    return profile


def _prepare(
    ctx: Context, element: Element, existing: StoredPayment | None = None
) -> PreparedPaymentProfile:
    customer_type = text_of(element, "customerType")
    if customer_type is not None and customer_type not in CUSTOMER_TYPES:
        raise invalid_field("Customer Type")
    bill_to = read_address(element, "billTo")
    try:
        payment = read_payment(
            find(element, "payment"), now=ctx.now, nonces=ctx.nonces, existing=existing
        )
    except PaymentProblem as problem:
        raise problem.as_api_error() from None
    stored = to_stored(payment, ctx.state, existing)
    return PreparedPaymentProfile(
        customer_type=customer_type,
        bill_to=bill_to,
        payment=stored,
        card_code=getattr(payment, "card_code", None),
        make_default=bool(bool_of(element, "defaultPaymentProfile")),
    )


def _find_duplicate(
    ctx: Context, customer: CustomerProfile, prepared: PreparedPaymentProfile, skip: str | None
) -> PaymentProfile | None:
    wanted = (prepared.payment.fingerprint, (prepared.bill_to or Address()).duplicate_key())
    for profile_id in customer.payment_profile_ids:
        if profile_id == skip:
            continue
        profile = ctx.state.payment_profiles[profile_id]
        key = (profile.payment.fingerprint, (profile.bill_to or Address()).duplicate_key())
        if key == wanted:
            return profile
    return None


def _validate(
    ctx: Context,
    mode: str,
    prepared: PreparedPaymentProfile,
    merchant_customer_id: str | None,
    email: str | None,
) -> ValidationResult:
    return validate_payment(
        mode,
        ctx.state,
        prepared.payment,
        prepared.bill_to,
        prepared.card_code,
        merchant_customer_id=merchant_customer_id,
        email=email,
    )


def _store(ctx: Context, customer: CustomerProfile, prepared: PreparedPaymentProfile) -> str:
    profile_id = ctx.state.new_id("payment")
    ctx.state.payment_profiles[profile_id] = PaymentProfile(
        id=profile_id,
        customer_profile_id=customer.id,
        payment=prepared.payment,
        created_at=ctx.now,
        customer_type=prepared.customer_type,
        bill_to=prepared.bill_to,
    )
    customer.payment_profile_ids.append(profile_id)
    if prepared.make_default or customer.default_payment_profile_id is None:
        customer.default_payment_profile_id = profile_id
    return profile_id


# --- customer profiles -------------------------------------------------------------------------


def create_customer_profile(ctx: Context, request: Element) -> Element:
    profile = find(request, "profile")
    if profile is None:
        raise missing_field("Profile")
    merchant_customer_id = limited_text(profile, "merchantCustomerId", 20)
    description = limited_text(profile, "description", 255)
    email = limited_text(profile, "email", 255)
    if merchant_customer_id is None and description is None and email is None:
        raise ApiError("E00041")
    mode = check_mode(text_of(request, "validationMode"))
    for existing in ctx.state.customers.values():
        same = (existing.merchant_customer_id, existing.description, existing.email)
        if same == (merchant_customer_id, description, email):
            raise ApiError("E00039", f"A duplicate record with ID {existing.id} already exists.")
    elements = profile.findall("paymentProfiles")
    if len(elements) > MAX_PAYMENT_PROFILES:
        raise ApiError("E00042")
    prepared = [_prepare(ctx, element) for element in elements]
    responses: list[str] = []
    for index, candidate in enumerate(prepared):
        for earlier in prepared[:index]:
            if (earlier.payment.fingerprint, (earlier.bill_to or Address()).duplicate_key()) == (
                candidate.payment.fingerprint,
                (candidate.bill_to or Address()).duplicate_key(),
            ):
                raise ApiError("E00039", DUPLICATE_PAYMENT_PROFILE_TEXT)
        result = _validate(ctx, mode, candidate, merchant_customer_id, email)
        if result.direct_response is not None:
            responses.append(result.direct_response)
        if not result.passed:
            raise ApiError(
                "E00027",
                result.text,
                extra=[
                    numeric_list("customerPaymentProfileIdList", []),
                    numeric_list("customerShippingAddressIdList", []),
                    string_list("validationDirectResponseList", responses),
                ],
            )
    customer = CustomerProfile(
        id=ctx.state.new_id("customer"),
        created_at=ctx.now,
        merchant_customer_id=merchant_customer_id,
        description=description,
        email=email,
    )
    ctx.state.customers[customer.id] = customer
    profile_ids = [_store(ctx, customer, candidate) for candidate in prepared]
    root = api_response(ctx.response_name, ctx.ref_id)
    sub(root, "customerProfileId", customer.id)
    root.append(numeric_list("customerPaymentProfileIdList", profile_ids))
    root.append(numeric_list("customerShippingAddressIdList", []))
    root.append(string_list("validationDirectResponseList", responses))
    return root


def get_customer_profile(ctx: Context, request: Element) -> Element:
    customer_id = numeric_id(request, "customerProfileId", "Customer Profile ID")
    merchant_customer_id = text_of(request, "merchantCustomerId")
    email = text_of(request, "email")
    unmask = bool(bool_of(request, "unmaskExpirationDate"))
    customer: CustomerProfile | None = None
    if customer_id is not None:
        customer = ctx.state.customers.get(customer_id)
    elif merchant_customer_id is not None or email is not None:
        for candidate in ctx.state.customers.values():
            if merchant_customer_id is not None and candidate.merchant_customer_id != (
                merchant_customer_id
            ):
                continue
            if email is not None and candidate.email != email:
                continue
            customer = candidate
            break
    else:
        raise missing_field("Customer Profile ID")
    if customer is None:
        raise ApiError("E00040")
    root = api_response(ctx.response_name, ctx.ref_id)
    profile = sub(root, "profile")
    sub_if(profile, "merchantCustomerId", customer.merchant_customer_id)
    sub_if(profile, "description", customer.description)
    sub_if(profile, "email", customer.email)
    sub(profile, "customerProfileId", customer.id)
    for profile_id in customer.payment_profile_ids:
        add_masked_payment_profile(
            profile,
            "paymentProfiles",
            ctx.state.payment_profiles[profile_id],
            is_default=profile_id == customer.default_payment_profile_id,
            unmask_expiry=unmask,
        )
    return root


def update_customer_profile(ctx: Context, request: Element) -> Element:
    """Replace a customer profile's merchantCustomerId, description and email.

    As on Authorize.Net the profile is replaced wholesale: a field left out is cleared.
    """
    profile = find(request, "profile")
    if profile is None:
        raise missing_field("Profile")
    customer = _customer(ctx, profile)
    merchant_customer_id = limited_text(profile, "merchantCustomerId", 20)
    description = limited_text(profile, "description", 255)
    email = limited_text(profile, "email", 255)
    if merchant_customer_id is None and description is None and email is None:
        raise ApiError("E00041")
    for existing in ctx.state.customers.values():
        same = (existing.merchant_customer_id, existing.description, existing.email)
        if existing.id != customer.id and same == (merchant_customer_id, description, email):
            raise ApiError("E00039", f"A duplicate record with ID {existing.id} already exists.")
    customer.merchant_customer_id = merchant_customer_id
    customer.description = description
    customer.email = email
    return api_response(ctx.response_name, ctx.ref_id)


def delete_customer_profile(ctx: Context, request: Element) -> Element:
    customer = _customer(ctx, request)
    for profile_id in customer.payment_profile_ids:
        ctx.state.payment_profiles.pop(profile_id, None)
    del ctx.state.customers[customer.id]
    return api_response(ctx.response_name, ctx.ref_id)


# --- payment profiles --------------------------------------------------------------------------


def create_customer_payment_profile(ctx: Context, request: Element) -> Element:
    customer = _customer(ctx, request)
    element = find(request, "paymentProfile")
    if element is None:
        raise missing_field("Payment Profile")
    mode = check_mode(text_of(request, "validationMode"))
    prepared = _prepare(ctx, element)
    duplicate = _find_duplicate(ctx, customer, prepared, skip=None)
    if duplicate is not None:
        raise ApiError(
            "E00039",
            DUPLICATE_PAYMENT_PROFILE_TEXT,
            extra=[
                leaf("customerProfileId", customer.id),
                leaf("customerPaymentProfileId", duplicate.id),
            ],
        )
    if len(customer.payment_profile_ids) >= MAX_PAYMENT_PROFILES:
        raise ApiError("E00042")
    result = _validate(ctx, mode, prepared, customer.merchant_customer_id, customer.email)
    if not result.passed:
        raise ApiError(
            "E00027",
            result.text,
            extra=[
                leaf("customerProfileId", customer.id),
                leaf("validationDirectResponse", result.direct_response),
            ],
        )
    profile_id = _store(ctx, customer, prepared)
    root = api_response(ctx.response_name, ctx.ref_id)
    sub(root, "customerProfileId", customer.id)
    sub(root, "customerPaymentProfileId", profile_id)
    sub_if(root, "validationDirectResponse", result.direct_response)
    return root


def get_customer_payment_profile(ctx: Context, request: Element) -> Element:
    customer = _customer(ctx, request)
    profile = _payment_profile(ctx, customer, text_of(request, "customerPaymentProfileId"))
    root = api_response(ctx.response_name, ctx.ref_id)
    add_masked_payment_profile(
        root,
        "paymentProfile",
        profile,
        is_default=profile.id == customer.default_payment_profile_id,
        unmask_expiry=bool(bool_of(request, "unmaskExpirationDate")),
    )
    return root


def get_customer_payment_profile_list(ctx: Context, request: Element) -> Element:
    search_type = text_of(request, "searchType")
    if search_type is None:
        raise missing_field("Search Type")
    if search_type != "cardsExpiringInMonth":
        raise invalid_field("Search Type")
    month = text_of(request, "month")
    if month is None:
        raise missing_field("Month")
    if not _is_year_month(month):
        raise invalid_field("Month")
    sorting = read_sorting(request, ("id",), "id")
    page = read_paging(request)
    matches = [
        profile
        for profile in ctx.state.payment_profiles.values()
        if profile.payment.kind == "card" and profile.payment.expiry == month
    ]
    matches.sort(key=lambda profile: int(profile.id), reverse=sorting.descending)
    root = api_response(ctx.response_name, ctx.ref_id)
    sub(root, "totalNumInResultSet", str(len(matches)))
    listing = sub(root, "paymentProfiles")
    for profile in page.slice(matches):
        customer = ctx.state.customers[profile.customer_profile_id]
        item = sub(listing, "paymentProfile")
        sub(
            item,
            "defaultPaymentProfile",
            boolean(profile.id == customer.default_payment_profile_id),
        )
        sub(item, "customerPaymentProfileId", profile.id)
        sub(item, "customerProfileId", profile.customer_profile_id)
        add_address(item, "billTo", profile.bill_to)
        add_masked_payment(item, profile.payment, unmask_expiry=False)
    return root


def update_customer_payment_profile(ctx: Context, request: Element) -> Element:
    customer = _customer(ctx, request)
    element = find(request, "paymentProfile")
    if element is None:
        raise missing_field("Payment Profile")
    profile = _payment_profile(ctx, customer, text_of(element, "customerPaymentProfileId"))
    mode = check_mode(text_of(request, "validationMode"))
    prepared = _prepare(ctx, element, existing=profile.payment)
    duplicate = _find_duplicate(ctx, customer, prepared, skip=profile.id)
    if duplicate is not None:
        raise ApiError("E00039", DUPLICATE_PAYMENT_PROFILE_TEXT)
    result = _validate(ctx, mode, prepared, customer.merchant_customer_id, customer.email)
    if not result.passed:
        raise ApiError(
            "E00027", result.text, extra=[leaf("validationDirectResponse", result.direct_response)]
        )
    profile.customer_type = prepared.customer_type
    profile.bill_to = prepared.bill_to
    profile.payment = prepared.payment
    if prepared.make_default:
        customer.default_payment_profile_id = profile.id
    root = api_response(ctx.response_name, ctx.ref_id)
    sub_if(root, "validationDirectResponse", result.direct_response)
    return root


def delete_customer_payment_profile(ctx: Context, request: Element) -> Element:
    customer = _customer(ctx, request)
    profile = _payment_profile(ctx, customer, text_of(request, "customerPaymentProfileId"))
    del ctx.state.payment_profiles[profile.id]
    customer.payment_profile_ids.remove(profile.id)
    if customer.default_payment_profile_id == profile.id:
        customer.default_payment_profile_id = None
    return api_response(ctx.response_name, ctx.ref_id)


def validate_customer_payment_profile(ctx: Context, request: Element) -> Element:
    customer = _customer(ctx, request)
    profile = _payment_profile(ctx, customer, text_of(request, "customerPaymentProfileId"))
    mode = text_of(request, "validationMode")
    if mode is None:
        raise missing_field("Validation Mode")
    if check_mode(mode) == "none":
        raise invalid_field("Validation Mode")
    card_code = text_of(request, "cardCode")
    if card_code is not None and not card_code.isdigit():
        raise invalid_field("Card Code")
    result = validate_payment(
        mode,
        ctx.state,
        profile.payment,
        profile.bill_to,
        card_code,
        merchant_customer_id=customer.merchant_customer_id,
        email=customer.email,
    )
    if not result.passed:
        raise ApiError(
            "E00027", result.text, extra=[leaf("directResponse", result.direct_response)]
        )
    root = api_response(ctx.response_name, ctx.ref_id)
    sub_if(root, "directResponse", result.direct_response)
    return root


def _is_year_month(value: str) -> bool:
    if len(value) != 7 or value[4] != "-":
        return False
    year, month = value[:4], value[5:]
    return year.isdigit() and month.isdigit() and 1 <= int(month) <= 12
