"""Test zones for the sender-domain checks: a correct domain, and ways to break it."""

from __future__ import annotations

from mailgw.config.model import Settings
from tests.dns.keys import rsa_key
from tests.support.dnsserver import Zone

DOMAIN = "example.test"
KEY = "K1"
GATEWAY_SPF = "v=spf1 ip4:198.2.128.0/18 ip4:205.201.128.0/20 -all"


def settings(**overrides: str) -> Settings:
    """Platform gateway, From alerts@example.test, verification key K1."""
    result = Settings()
    result.email.from_address = overrides.get("from_address", f"alerts@{DOMAIN}")
    result.sender_domain.verification_key = overrides.get("key", KEY)
    return result


def good_zone(ns_address: str = "127.0.0.1", domain: str = DOMAIN) -> Zone:
    """Everything the platform gateway needs, published correctly."""
    zone = Zone()
    zone.add_txt(domain, f"mandrill_verify.{KEY}", "v=spf1 include:spf.mandrillapp.com -all")
    zone.add_txt("spf.mandrillapp.com", GATEWAY_SPF)
    zone.add(f"mte1._domainkey.{domain}", "CNAME", "dkim1.mandrillapp.com.")
    zone.add(f"mte2._domainkey.{domain}", "CNAME", "dkim2.mandrillapp.com.")
    zone.add_txt("dkim1.mandrillapp.com", rsa_key(2048).record)
    zone.add_txt("dkim2.mandrillapp.com", rsa_key(2048).record)
    zone.add_txt(f"_dmarc.{domain}", "v=DMARC1; p=none;")
    zone.add(domain, "MX", f"10 mail.{domain}.")
    zone.add(f"mail.{domain}", "A", "127.0.0.1")
    zone.add(domain, "NS", f"ns1.{domain}.")
    zone.add(f"ns1.{domain}", "A", ns_address)
    return zone


def set_txt(zone: Zone, name: str, *values: str) -> Zone:
    zone.remove(name, "TXT")
    return zone.add_txt(name, *values)
