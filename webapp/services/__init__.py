"""Domain services: plain functions on the models and the credit model, with no knowledge of
Flask requests, tested directly (``tests/webapp/services``)."""
