"""Transaction reporting: details of one transaction, a customer's list, the unsettled list.

These are what reconciliation asks after an ambiguous outcome, so they report every
transaction the sandbox recorded, declines included.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet.context import Context
from w365desk.sandbox.authorizenet.errors import ApiError, invalid_field, missing_field, reason_text
from w365desk.sandbox.authorizenet.fields import (
    Page,
    Sorting,
    numeric_id,
    read_paging,
    read_sorting,
)
from w365desk.sandbox.authorizenet.records import Transaction
from w365desk.sandbox.authorizenet.shapes import (
    add_address,
    add_masked_payment,
    add_profile_ids,
    api_response,
    boolean,
    local_timestamp,
    money,
    utc_timestamp,
)
from w365desk.sandbox.authorizenet.xmlio import sub, sub_if, text_of

MARKET_TYPE = "eCommerce"
PRODUCT = "Card Not Present"
SORT_FIELDS = ("id", "submitTimeUTC")


def get_transaction_details(ctx: Context, request: Element) -> Element:
    transaction_id = text_of(request, "transId")
    if transaction_id is None:
        raise missing_field("Transaction ID")
    if not transaction_id.isdigit():
        raise invalid_field("Transaction ID")
    record = ctx.state.transactions.get(transaction_id)
    if record is None:
        raise ApiError("E00040")
    root = api_response(ctx.response_name, ctx.ref_id)
    details = sub(root, "transaction")
    sub(details, "transId", record.id)
    sub_if(details, "refTransId", record.ref_trans_id)
    sub(details, "submitTimeUTC", utc_timestamp(record.submitted_at))
    sub(details, "submitTimeLocal", local_timestamp(record.submitted_at))
    sub(details, "transactionType", record.type)
    sub(details, "transactionStatus", record.status)
    sub(details, "responseCode", str(record.response_code))
    sub(details, "responseReasonCode", str(record.reason_code))
    sub(details, "responseReasonDescription", _reason_description(record))
    sub_if(details, "authCode", record.auth_code)
    sub_if(details, "AVSResponse", record.avs_code)
    sub_if(details, "cardCodeResponse", record.cvv_code)
    if record.batch_id is not None and record.settled_at is not None:
        batch = sub(details, "batch")
        sub(batch, "batchId", record.batch_id)
        sub(batch, "settlementTimeUTC", utc_timestamp(record.settled_at))
        sub(batch, "settlementTimeLocal", local_timestamp(record.settled_at))
        sub(batch, "settlementState", "settledSuccessfully")
        sub(batch, "marketType", MARKET_TYPE)
        sub(batch, "product", PRODUCT)
    if record.invoice_number or record.description:
        order = sub(details, "order")
        sub_if(order, "invoiceNumber", record.invoice_number)
        sub_if(order, "description", record.description)
    sub(details, "authAmount", money(record.amount))
    sub(details, "settleAmount", money(record.settle_amount))
    add_masked_payment(details, record.payment, unmask_expiry=False)
    if record.customer_type or record.customer_id or record.customer_email:
        customer = sub(details, "customer")
        sub_if(customer, "type", record.customer_type)
        sub_if(customer, "id", record.customer_id)
        sub_if(customer, "email", record.customer_email)
    add_address(details, "billTo", record.bill_to)
    sub(details, "recurringBilling", boolean(False))
    sub_if(details, "customerIP", record.customer_ip)
    sub(details, "product", PRODUCT)
    sub(details, "marketType", MARKET_TYPE)
    if record.customer_profile_id and record.payment_profile_id:
        add_profile_ids(details, record.customer_profile_id, record.payment_profile_id)
    sub_if(details, "networkTransId", record.network_trans_id)
    return root


def get_transaction_list_for_customer(ctx: Context, request: Element) -> Element:
    customer_id = numeric_id(request, "customerProfileId", "Customer Profile ID")
    if customer_id is None:
        raise missing_field("Customer Profile ID")
    payment_profile_id = numeric_id(request, "customerPaymentProfileId", "Payment Profile ID")
    sorting = read_sorting(request, SORT_FIELDS, "submitTimeUTC")
    page = read_paging(request)
    matches = [
        t
        for t in ctx.state.transactions.values()
        if t.customer_profile_id == customer_id
        and (payment_profile_id is None or t.payment_profile_id == payment_profile_id)
    ]
    if not matches and customer_id not in ctx.state.customers:
        raise ApiError("E00040")
    return _listing(ctx, _sorted(matches, sorting), page)


def get_unsettled_transaction_list(ctx: Context, request: Element) -> Element:
    status = text_of(request, "status") or "any"
    if status not in ("any", "pendingApproval"):
        raise invalid_field("Status")
    sorting = read_sorting(request, SORT_FIELDS, "submitTimeUTC")
    page = read_paging(request)
    # Nothing is ever held for review here, so "pendingApproval" lists nothing.
    matches = ctx.state.unsettled() if status == "any" else []
    return _listing(ctx, _sorted(matches, sorting), page)


def _sorted(transactions: list[Transaction], sorting: Sorting) -> list[Transaction]:
    if sorting.order_by == "id":
        return sorted(transactions, key=lambda t: int(t.id), reverse=sorting.descending)
    return sorted(
        transactions, key=lambda t: (t.submitted_at, int(t.id)), reverse=sorting.descending
    )


def _listing(ctx: Context, transactions: list[Transaction], page: Page) -> Element:
    root = api_response(ctx.response_name, ctx.ref_id)
    shown = page.slice(transactions)
    if shown:
        listing = sub(root, "transactions")
        for record in shown:
            _add_summary(listing, record)
    sub(root, "totalNumInResultSet", str(len(transactions)))
    return root


def _add_summary(parent: Element, record: Transaction) -> None:
    """transactionSummaryType."""
    item = sub(parent, "transaction")
    sub(item, "transId", record.id)
    sub(item, "submitTimeUTC", utc_timestamp(record.submitted_at))
    sub(item, "submitTimeLocal", local_timestamp(record.submitted_at))
    sub(item, "transactionStatus", record.status)
    sub_if(item, "invoiceNumber", record.invoice_number)
    if record.bill_to is not None:
        sub_if(item, "firstName", record.bill_to.first_name)
        sub_if(item, "lastName", record.bill_to.last_name)
    sub(item, "accountType", record.payment.brand)
    sub(item, "accountNumber", record.payment.masked_number)
    sub(item, "settleAmount", money(record.settle_amount))
    sub(item, "marketType", MARKET_TYPE)
    sub(item, "product", PRODUCT)
    sub(item, "hasReturnedItems", boolean(False))
    if record.customer_profile_id and record.payment_profile_id:
        add_profile_ids(item, record.customer_profile_id, record.payment_profile_id)


def _reason_description(record: Transaction) -> str:
    if record.response_code == 1:
        return "Approval"
    return reason_text(record.reason_code)
