"""Reading API requests and writing API responses in Authorize.Net's XML wire format.

Requests are parsed with expat directly so a document type declaration (and with it
any entity expansion) is refused before a single element is built. Responses are
built as ElementTree elements in the exact order the XSD prescribes, then written
as UTF-8 behind a byte-order mark, as the real service does (the official SDK drops
the first three characters of every response, expecting that mark).
"""

from __future__ import annotations

import xml.parsers.expat
from dataclasses import dataclass
from xml.etree.ElementTree import Element, SubElement, TreeBuilder, tostring

NAMESPACE = "AnetApi/xml/v1/schema/AnetApiSchema.xsd"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
XSD_NAMESPACE = "http://www.w3.org/2001/XMLSchema"
BOM = "\ufeff"
XML_CONTENT_TYPE = "application/xml; charset=utf-8"
MAX_REQUEST_BYTES = 2 * 1024 * 1024


class XmlRequestError(Exception):
    """The body is not a well-formed XML document we are willing to read."""


@dataclass(frozen=True)
class XmlRequest:
    root: Element  # local names only: the namespace is checked once and dropped
    name: str
    namespace: str


class _ForbiddenConstruct(Exception):
    pass


def _forbid(*_args: object) -> None:
    raise _ForbiddenConstruct("document type declarations and entities are not accepted")


def parse_request(body: bytes) -> XmlRequest:
    """Parse a request body into a tree of un-namespaced elements.

    Raises XmlRequestError for anything that is not plain, well-formed XML.
    """
    if len(body) > MAX_REQUEST_BYTES:
        raise XmlRequestError("the request is larger than the sandbox accepts")
    if body.startswith(BOM.encode("utf-8")):
        body = body[3:]
    builder = TreeBuilder()
    namespaces: dict[str, str] = {}
    parser = xml.parsers.expat.ParserCreate(namespace_separator="\x01")
    parser.SetParamEntityParsing(xml.parsers.expat.XML_PARAM_ENTITY_PARSING_NEVER)
    for handler in (
        "StartDoctypeDeclHandler",
        "EntityDeclHandler",
        "UnparsedEntityDeclHandler",
        "ExternalEntityRefHandler",
    ):
        setattr(parser, handler, _forbid)
    parser.buffer_text = True

    def start(name: str, attributes: dict[str, str]) -> None:
        namespace, _, local = name.rpartition("\x01")
        if not namespaces:
            namespaces["root"] = namespace
        builder.start(local, {})

    def end(name: str) -> None:
        builder.end(name.rpartition("\x01")[2])

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = builder.data
    try:
        parser.Parse(body, True)
    except _ForbiddenConstruct as error:
        raise XmlRequestError(str(error)) from None
    except xml.parsers.expat.ExpatError as error:
        # expat's message names a line and column, never the document's content.
        raise XmlRequestError(xml.parsers.expat.ErrorString(error.code) or str(error)) from None
    root = builder.close()
    return XmlRequest(root=root, name=root.tag, namespace=namespaces.get("root", ""))


# --- reading helpers -------------------------------------------------------------------------


def find(element: Element | None, path: str) -> Element | None:
    if element is None:
        return None
    return element.find(path)


def text_of(element: Element | None, path: str | None = None) -> str | None:
    """Stripped text at ``path`` (or of the element itself); None when absent or empty."""
    target = element if path is None else find(element, path)
    if target is None or target.text is None:
        return None
    value = target.text.strip()
    return value or None


def bool_of(element: Element | None, path: str) -> bool | None:
    value = text_of(element, path)
    if value is None:
        return None
    return value.lower() in ("true", "1")


# --- writing helpers -------------------------------------------------------------------------


def response_root(name: str) -> Element:
    return Element(
        name, {"xmlns:xsi": XSI_NAMESPACE, "xmlns:xsd": XSD_NAMESPACE, "xmlns": NAMESPACE}
    )


def leaf(tag: str, text: str | None = None) -> Element:
    """A detached element, to be appended to a response later (see ApiError.extra)."""
    element = Element(tag)
    if text is not None:
        element.text = text
    return element


def sub(parent: Element, tag: str, text: str | None = None) -> Element:
    child = SubElement(parent, tag)
    if text is not None:
        child.text = text
    return child


def sub_if(parent: Element, tag: str, text: str | None) -> Element | None:
    """Add the element only when there is a value: optional elements are left out, not empty."""
    if text is None or text == "":
        return None
    return sub(parent, tag, text)


def serialize(root: Element) -> bytes:
    document = '<?xml version="1.0" encoding="utf-8"?>' + tostring(root, encoding="unicode")
    return (BOM + document).encode("utf-8")
