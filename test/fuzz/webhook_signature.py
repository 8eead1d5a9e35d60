"""schemathesis hook: signs every `POST /v1/payments/webhook` the way the payment provider does.

`Boxoffice-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">` (the same as
services/platform/src/auth/webhook-signature.ts and scripts/sign-webhook.ts), computed over the
exact bytes sent: a requests auth object sees the prepared request, after schemathesis serialised
the body. Without it every callback would stop at 401 and the handler would never be fuzzed. The
secret comes from BOXOFFICE_FUZZ_WEBHOOK_SECRET.

The configuration (schemathesis.toml) sends the header with the placeholder value `sign-me`, as
explicit credentials; only that value is replaced. A request schemathesis makes to test
authentication itself (the header removed, or a value it made up) goes out as it is, so
`ignored_auth` still proves that an unsigned or badly signed callback is refused.
"""

import hashlib
import hmac
import os
import time

import requests
import schemathesis

HEADER = "Boxoffice-Signature"
PLACEHOLDER = "sign-me"


class ProviderSignature(requests.auth.AuthBase):
    def __init__(self, secret: str) -> None:
        self.secret = secret.encode()

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        if request.headers.get(HEADER) != PLACEHOLDER:
            return request
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        timestamp = str(int(time.time()))
        digest = hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        request.headers[HEADER] = f"t={timestamp},v1={digest}"
        return request


@schemathesis.hook
def before_call(context, case, kwargs):
    if case.operation.path != "/v1/payments/webhook" or case.method.upper() != "POST":
        return
    kwargs["auth"] = ProviderSignature(os.environ["BOXOFFICE_FUZZ_WEBHOOK_SECRET"])
