"""Presentation helpers shared by every page: charts (Plotly figures with a text summary and
their data as a table), numbers in the reader's format, the htmx page-or-fragment helper,
form fields for numbers typed the French way, Jinja filters, and the plotly.js bundle."""
