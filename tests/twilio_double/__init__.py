"""A loopback stand-in for Twilio's REST API, kept honest by Twilio's OpenAPI document."""

from tests.twilio_double.calls import PhoneCall
from tests.twilio_double.double import SentMessage, TwilioDouble

__all__ = ["PhoneCall", "SentMessage", "TwilioDouble"]
