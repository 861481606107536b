"""The sample message kinds, kept apart from messages.py so commands name them cheaply."""

KINDS = ("test", "event", "report", "billing")
