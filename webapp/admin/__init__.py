"""Administration (admins only): clients, imports, users, decision records and human
reviews, one module per resource on one blueprint; thin views over the ``clients`` and
``accounts`` services."""
