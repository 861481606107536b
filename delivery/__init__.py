"""Talks to the world (SMTP, DNS, DKIM) and returns result objects; never prints."""
