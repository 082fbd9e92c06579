"""Client records and their administration: the stored applications (storage, validation,
search, editing and versions), the CSV import (a preview, then the job), the decision log and
the human reviews; the advisor's search page and the ``flask clients`` commands.

Transaction rule (as in every domain package): services add and flush, never commit nor roll
back; the view, command or job that calls them owns the transaction.
"""
