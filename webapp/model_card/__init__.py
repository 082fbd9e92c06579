"""The model page: what the credit model is, how well it does, and how it was made."""
