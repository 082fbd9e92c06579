"""Administration (admins only). The full admin views come in a later issue."""
