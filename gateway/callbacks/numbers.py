"""A customer's phone number, validated and normalised to E.164 against the tenant's allowed countries."""

from __future__ import annotations

import phonenumbers

from gateway.config.schema import CallbacksConfig
from gateway.errors import ClientError


def normalise(raw: str, cfg: CallbacksConfig) -> str:
    """The number as E.164 (``+4930123456``); ClientError with a sentence a customer understands."""
    region = cfg.default_region.upper() or None
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException as err:
        hint = "" if region else " with its country code (e.g. +49 …)"
        raise ClientError("bad_phone", f"This is not a phone number we can call; please write it{hint}.") from err
    if not phonenumbers.is_valid_number(number):
        raise ClientError("bad_phone", "This phone number is not valid; please check the digits and the country code.")
    country = phonenumbers.region_code_for_number(number)
    allowed = {c.upper() for c in cfg.allowed_countries}
    if allowed and country not in allowed:
        raise ClientError(
            "phone_not_allowed",
            f"We can only call numbers in {', '.join(sorted(allowed))}; this one is in {country or 'another country'}.",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
