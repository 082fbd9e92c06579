"""Find a client, read the client page (decision, reasons, comparisons, what-if), enter a
new application; and the ``flask clients`` commands."""
