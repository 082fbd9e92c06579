"""Accounts: advisors and admins, their passwords and API tokens, signing in and out, the
language switch, and access control (who may call each view).

Transaction rule of every domain package (``accounts``, ``clients``, ``credit``): services add
and flush, they never commit nor roll back; the caller (a view, a command, a job) owns the
transaction and commits once its work is complete.
"""
