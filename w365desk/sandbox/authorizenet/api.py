"""The sandbox API engine: one request body in, one response body out.

A body is read once (``read_request``): the server looks at what it names to apply a
fault, then hands the same reading to ``SandboxApi.answer``. That authenticates,
dispatches by root element to the operation handlers, settles due batches first,
and makes every change durable before answering, all under one lock so concurrent
requests see a consistent sandbox. It knows nothing of HTTP or faults.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from xml.etree.ElementTree import Element

from w365desk.sandbox.authorizenet import accept, cim, reporting, transactions
from w365desk.sandbox.authorizenet.accept import JSON_CONTENT_TYPE
from w365desk.sandbox.authorizenet.cards import (
    NOT_A_TEST_CARD_TEXT,
    card_number_well_formed,
    is_test_card,
    parse_expiry,
)
from w365desk.sandbox.authorizenet.clock import Now
from w365desk.sandbox.authorizenet.context import Context, Handler
from w365desk.sandbox.authorizenet.credentials import Credentials
from w365desk.sandbox.authorizenet.errors import OK, ApiError, api_text
from w365desk.sandbox.authorizenet.nonces import NonceVault
from w365desk.sandbox.authorizenet.payments import NonceCard
from w365desk.sandbox.authorizenet.records import LedgerEntry
from w365desk.sandbox.authorizenet.settlement import settle_all, settle_due
from w365desk.sandbox.authorizenet.shapes import api_response, numeric_list, string_list
from w365desk.sandbox.authorizenet.state import SandboxState, StateStore
from w365desk.sandbox.authorizenet.xmlio import (
    NAMESPACE,
    XML_CONTENT_TYPE,
    XmlRequest,
    XmlRequestError,
    leaf,
    parse_request,
    serialize,
    text_of,
)

log = logging.getLogger("w365desk.sandbox.authorizenet")

SECURE_PAYMENT_CONTAINER = "securePaymentContainerRequest"


def _authenticate_test(ctx: Context, _request: Element) -> Element:
    return api_response(ctx.response_name, ctx.ref_id)


HANDLERS: dict[str, Handler] = {
    "authenticateTestRequest": _authenticate_test,
    "createCustomerProfileRequest": cim.create_customer_profile,
    "getCustomerProfileRequest": cim.get_customer_profile,
    "updateCustomerProfileRequest": cim.update_customer_profile,
    "deleteCustomerProfileRequest": cim.delete_customer_profile,
    "createCustomerPaymentProfileRequest": cim.create_customer_payment_profile,
    "getCustomerPaymentProfileRequest": cim.get_customer_payment_profile,
    "getCustomerPaymentProfileListRequest": cim.get_customer_payment_profile_list,
    "updateCustomerPaymentProfileRequest": cim.update_customer_payment_profile,
    "deleteCustomerPaymentProfileRequest": cim.delete_customer_payment_profile,
    "validateCustomerPaymentProfileRequest": cim.validate_customer_payment_profile,
    "createTransactionRequest": transactions.create_transaction,
    "getTransactionDetailsRequest": reporting.get_transaction_details,
    "getTransactionListForCustomerRequest": reporting.get_transaction_list_for_customer,
    "getUnsettledTransactionListRequest": reporting.get_unsettled_transaction_list,
    SECURE_PAYMENT_CONTAINER: accept.secure_payment_container,
}

# Calls that only read (a due settlement may still change the state before them): the
# records they reach are not journaled.
READ_ONLY = frozenset(
    {
        "authenticateTestRequest",
        "getCustomerProfileRequest",
        "getCustomerPaymentProfileRequest",
        "getCustomerPaymentProfileListRequest",
        "getTransactionDetailsRequest",
        "getTransactionListForCustomerRequest",
        "getUnsettledTransactionListRequest",
        SECURE_PAYMENT_CONTAINER,  # nonces live in memory only
    }
)

# The SDK expects these responses under a root that is not simply "...Response".
RESPONSE_NAMES = {"getTransactionListForCustomerRequest": "getTransactionListResponse"}


def response_name_for(request_name: str) -> str:
    return RESPONSE_NAMES.get(request_name, request_name.removesuffix("Request") + "Response")


@dataclass(frozen=True)
class Reply:
    body: bytes
    content_type: str
    request_name: str
    result_code: str  # first message code: "I00001", "E00007", ...


# Responses whose schema requires content an error cannot supply are answered under the
# schema's generic ErrorResponse root instead.
ERROR_RESPONSE_ROOT = "ErrorResponse"
NO_ERROR_FORM = frozenset({"getTransactionDetailsResponse", "securePaymentContainerResponse"})


def _required_on_error(name: str, error: ApiError) -> list[Element]:
    """Elements the XSD requires even in an error answer of this response type."""
    if name == "createCustomerProfileResponse":
        return [
            numeric_list("customerPaymentProfileIdList", []),
            numeric_list("customerShippingAddressIdList", []),
            string_list("validationDirectResponseList", []),
        ]
    if name == "getCustomerPaymentProfileListResponse":
        return [leaf("totalNumInResultSet", "0")]
    if name == "createTransactionResponse":
        return [transactions.error_transaction_response(error.code, error.text)]
    return []


def _error_document(name: str, ref_id: str | None, error: ApiError) -> Element:
    if name in NO_ERROR_FORM:
        name = ERROR_RESPONSE_ROOT
    root = api_response(name, ref_id, [(error.code, error.text)])
    for element in error.extra or _required_on_error(name, error):
        root.append(element)
    return root


@dataclass(frozen=True)
class RequestInfo:
    """Just enough about a request to apply a fault before (or instead of) processing it."""

    name: str  # "" when the body cannot be read
    ref_id: str | None
    is_json: bool


@dataclass(frozen=True)
class IncomingRequest:
    """A request body read once: what it names, and its parsed content or why it has none."""

    info: RequestInfo
    xml: XmlRequest | None = None
    json_payload: Mapping[str, Any] | None = None
    problem: ApiError | None = None  # set when the body could not be read


def read_request(body: bytes, content_type: str = "") -> IncomingRequest:
    if _looks_like_json(body, content_type):
        return _read_json(body)
    try:
        request = parse_request(body)
    except XmlRequestError as error:
        problem = ApiError("E00003", f"{api_text('E00003')} {error}")
        return IncomingRequest(RequestInfo("", None, False), problem=problem)
    info = RequestInfo(request.name, text_of(request.root, "refId"), False)
    return IncomingRequest(info, xml=request)


def _read_json(body: bytes) -> IncomingRequest:
    unreadable = IncomingRequest(RequestInfo("", None, True), problem=ApiError("E00003"))
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        return unreadable
    if not isinstance(document, dict) or len(document) != 1:
        return unreadable
    name, payload = next(iter(document.items()))
    if not isinstance(payload, dict):
        return IncomingRequest(RequestInfo(str(name), None, True), problem=ApiError("E00003"))
    info = RequestInfo(str(name), _json_text(payload.get("refId")), True)
    return IncomingRequest(info, json_payload=payload)


class SandboxApi:
    def __init__(
        self,
        store: StateStore,
        clock: Now,
        credentials: Credentials,
        settlement_delay: timedelta,
    ) -> None:
        self._store = store
        self._clock = clock
        self._credentials = credentials
        self._settlement_delay = settlement_delay
        self._lock = threading.Lock()
        self._closed = False
        self._state: SandboxState = store.load()
        self.nonces = NonceVault(clock)
        # Fold any journal into a fresh snapshot: start-up replays little next time, and a
        # state file from an older sandbox is rewritten in today's form at once.
        self._store.save(self._state)

    def close(self) -> None:
        """Compact the journal into the snapshot and refuse every later request.

        Taking the lock waits for a request that is still writing; after this returns,
        nothing touches the data folder again.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
            try:
                self._store.save(self._state)
            except OSError:
                log.exception("sandbox: cannot compact the state at stop; the journal is kept")
            finally:
                self._store.close()

    # --- requests ------------------------------------------------------------------------------

    def handle(self, body: bytes, content_type: str = "") -> Reply:
        return self.answer(read_request(body, content_type))

    def answer(self, incoming: IncomingRequest) -> Reply:
        if incoming.info.is_json:
            return self._answer_json(incoming)
        return self._answer_xml(incoming)

    def _answer_xml(self, incoming: IncomingRequest) -> Reply:
        request = incoming.xml
        if request is None:
            problem = incoming.problem or ApiError("E00003")
            return self._xml_reply(
                "", _error_document(ERROR_RESPONSE_ROOT, None, problem), problem.code
            )
        ref_id = incoming.info.ref_id
        if request.namespace != NAMESPACE:
            return self._xml_error(request.name, ref_id, ApiError("E00045"))
        handler = HANDLERS.get(request.name)
        if handler is None:
            return self._xml_error(request.name, ref_id, ApiError("E00004"))
        name = text_of(request.root, "merchantAuthentication/name")
        if request.name == SECURE_PAYMENT_CONTAINER:
            client_key = text_of(request.root, "merchantAuthentication/clientKey")
            allowed = self._credentials.accepts_client_key(name, client_key)
        else:
            key = text_of(request.root, "merchantAuthentication/transactionKey")
            allowed = self._credentials.accepts_transaction_key(name, key)
        if not allowed:
            return self._xml_error(request.name, ref_id, ApiError("E00007"))
        response_name = response_name_for(request.name)
        with self._lock:
            root, code = self._run(request.name, handler, request.root, ref_id, response_name)
        return self._xml_reply(request.name, root, code)

    def _run(
        self,
        request_name: str,
        handler: Handler,
        request: Element,
        ref_id: str | None,
        response_name: str,
    ) -> tuple[Element, str]:
        if self._closed:
            return _error_document(ERROR_RESPONSE_ROOT, ref_id, ApiError("E00001")), "E00001"
        now = self._clock()
        state = self._state
        state.start_changes()
        settle_due(state, now, self._settlement_delay)
        read_only = request_name in READ_ONLY
        settlement = state.take_changes() if read_only else None
        if read_only:
            state.start_changes()
        ctx = Context(
            state=state,
            now=now,
            nonces=self.nonces,
            ref_id=ref_id,
            response_name=response_name,
        )
        try:
            root = handler(ctx, request)
            # Some answers carry an error without raising (E00027 duplicates, refused
            # refunds and voids): report the code the document itself gives.
            code = answered_code(root)
        except ApiError as error:
            root = _error_document(response_name, ref_id, error)
            code = error.code
        except Exception:
            log.exception("sandbox: %s failed; state rolled back to the file", request_name)
            state.take_changes()
            self._state = self._store.load()
            return _error_document(ERROR_RESPONSE_ROOT, ref_id, ApiError("E00001")), "E00001"
        changes = state.take_changes()
        if settlement is not None:
            changes = settlement  # a read reaches records without changing them
        try:
            self._store.record(state, changes)
        except OSError:
            log.exception("sandbox: cannot write the state; request rolled back")
            self._state = self._store.load()
            return _error_document(ERROR_RESPONSE_ROOT, ref_id, ApiError("E00001")), "E00001"
        return root, code

    def _xml_error(self, request_name: str, ref_id: str | None, error: ApiError) -> Reply:
        return self._xml_reply(
            request_name, _error_document(ERROR_RESPONSE_ROOT, ref_id, error), error.code
        )

    @staticmethod
    def _xml_reply(request_name: str, root: Element, code: str) -> Reply:
        return Reply(serialize(root), XML_CONTENT_TYPE, request_name, code)

    def _answer_json(self, incoming: IncomingRequest) -> Reply:
        request_name, ref_id = incoming.info.name, incoming.info.ref_id
        payload = incoming.json_payload
        if payload is None:
            return self._json_error(request_name, incoming.problem or ApiError("E00003"), None)
        if request_name != SECURE_PAYMENT_CONTAINER:
            # Only the Accept call is spoken in JSON here; everything else uses XML.
            return self._json_error(request_name, ApiError("E00004"), ref_id)
        auth = payload.get("merchantAuthentication")
        auth = auth if isinstance(auth, dict) else {}
        if not self._credentials.accepts_client_key(
            _json_text(auth.get("name")), _json_text(auth.get("clientKey"))
        ):
            return self._json_error(request_name, ApiError("E00007"), ref_id)
        data = payload.get("data")
        try:
            # Nonces live in the vault (its own lock), not in the state: no state lock needed.
            nonce = accept.tokenize(
                data if isinstance(data, dict) else {}, self._clock(), self.nonces
            )
        except ApiError as error:
            return self._json_error(request_name, error, ref_id)
        return Reply(accept.json_success(nonce, ref_id), JSON_CONTENT_TYPE, request_name, "I00001")

    @staticmethod
    def _json_error(request_name: str, error: ApiError, ref_id: str | None) -> Reply:
        body = accept.json_error(error.code, error.text, ref_id)
        return Reply(body, JSON_CONTENT_TYPE, request_name, error.code)

    # --- control -------------------------------------------------------------------------------

    def settle_now(self) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox has stopped")
            self._state.start_changes()
            settle_all(self._state, self._clock())
            changes = self._state.take_changes()
            try:
                self._store.record(self._state, changes)
            except OSError:
                self._state = self._store.load()
                raise

    def reset(self) -> None:
        """Start over empty: no profiles, transactions, batches, ledger or nonces.

        The empty state is written as the next snapshot at once, so a restart after a
        reset finds the empty sandbox too.
        """
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox has stopped")
            self._state = SandboxState(bank_key=self._store.bank_key)
            self._store.save(self._state)
            self.nonces.clear()

    def ledger(self) -> list[LedgerEntry]:
        with self._lock:
            return list(self._state.ledger)

    def issue_nonce(
        self, card_number: str, exp_month: int, exp_year: int, card_code: str | None = None
    ) -> str:
        if not card_number_well_formed(card_number):
            raise ValueError("card_number is not a valid card number")
        if not is_test_card(card_number):
            raise ValueError(NOT_A_TEST_CARD_TEXT)
        expiry = parse_expiry(f"{exp_year:04d}-{exp_month:02d}")
        if expiry is None:
            raise ValueError("exp_month/exp_year do not form a valid expiry")
        return self.nonces.issue(NonceCard(number=card_number, expiry=expiry, card_code=card_code))


def answered_code(root: Element) -> str:
    """The first message code of a response document, as the client will read it."""
    return text_of(root, "messages/message/code") or OK


def error_reply(info: RequestInfo, error: ApiError) -> Reply:
    """An error answer shaped like the request (JSON or XML), without processing anything."""
    if info.is_json:
        return Reply(
            accept.json_error(error.code, error.text, info.ref_id),
            JSON_CONTENT_TYPE,
            info.name,
            error.code,
        )
    root = _error_document(ERROR_RESPONSE_ROOT, info.ref_id, error)
    return Reply(serialize(root), XML_CONTENT_TYPE, info.name, error.code)


def _looks_like_json(body: bytes, content_type: str) -> bool:
    if "json" in content_type.lower():
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def _json_text(value: Any) -> str | None:
    if value is None or isinstance(value, Mapping | list):
        return None
    text = str(value).strip()
    return text or None
