"""The full-screen Textual console."""
