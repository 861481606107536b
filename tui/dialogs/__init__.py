"""Modal dialogs and full-screen notices."""
