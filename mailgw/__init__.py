"""mailgw: the email-gateway console of the GPS-tracking platform."""

__version__ = "0.1.0"
