"""Where Authorize.Net answers, and how long a call may take."""

from __future__ import annotations

from authorizenet.constants import constants as sdk_constants

SANDBOX_URL = "https://apitest.authorize.net/xml/v1/request.api"
PRODUCTION_URL = "https://api.authorize.net/xml/v1/request.api"
DEFAULT_TIMEOUT_S = 30.0
# The SDK's own request headers (content type), so our POST looks like its own.
SDK_HEADERS: dict[str, str] = dict(sdk_constants.headers)
