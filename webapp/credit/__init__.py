"""Credit explanations: a client's decision explained to an advisor and to the applicant.

The explanation itself (score, distance to the threshold, reasons in plain words), the
what-if and the recourse, the client page and its sections (one registry,
``credit.sections``), the printable sheet, unsaved applications, the review request, and the
model page. Services never commit; views do.
"""
