"""Schemathesis hooks for the API run (loaded by ``SCHEMATHESIS_HOOKS``): values for the
formats the document names that schemathesis does not know.

``phone``: numbers in use, in E.164, from several countries' numbering plans (phonenumbers'
own examples), so that valid data is valid for any organisation's home region.

``webhook-url``: addresses a webhook takes outside production, all on loopback ports nothing
listens on (a delivery the run sets off fails at once and reaches no one).
"""

from __future__ import annotations

import phonenumbers
import schemathesis
from hypothesis import strategies as st

REGIONS = ("SE", "NL", "GB", "DE", "NO", "FI", "US")


def _example(region: str, kind: phonenumbers.PhoneNumberType) -> str:
    number = phonenumbers.example_number_for_type(region, kind)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


PHONES = sorted(
    {
        _example(region, kind)
        for region in REGIONS
        for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE)
    }
)

schemathesis.openapi.format("phone", st.sampled_from(PHONES))

WEBHOOK_URLS = (
    "http://127.0.0.1:9/hooks/stoop",
    "http://127.0.0.1:9/",
    "http://[::1]:9/in?source=stoop",
    "http://localhost:9/hooks",
)

schemathesis.openapi.format("webhook-url", st.sampled_from(WEBHOOK_URLS))
