"""The sections of the client page, declared in page order (see :mod:`.registry`)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from . import comparisons, decision, identity, review, terms
from .registry import Section, SectionInput, all_sections, get, register, sections_for, unregister

__all__ = ["Section", "SectionInput", "all_sections", "get", "register", "sections_for",
           "unregister"]

register(Section("identity", _l("Identité du demandeur"), _l("Identité"), identity.build,
                 "credit/sections/_identity.html", eager=True, needs_model=False))
register(Section("decision", _l("Décision"), _l("Décision"), decision.build_decision,
                 "credit/sections/_decision.html", eager=True, logged=True))
register(Section("reasons", _l("Les raisons de la décision"), _l("Raisons"),
                 decision.build_reasons, "credit/sections/_reasons.html", eager=True,
                 logged=True))
register(Section("review", _l("Réexamen humain"), _l("Réexamen"), review.build_review,
                 "credit/sections/_review.html", eager=True, drafts=False, needs_model=False))
register(Section("population", _l("Comparé à tous les clients"), _l("Face à tous les clients"),
                 comparisons.build_population, "credit/sections/_population.html"))
register(Section("neighbours", _l("Comparé aux clients similaires"), _l("Clients similaires"),
                 comparisons.build_neighbours, "credit/sections/_neighbours.html"))
register(Section("bivariate", _l("Deux variables au choix"), _l("Deux variables"),
                 comparisons.build_bivariate, "credit/sections/_bivariate.html"))
register(Section("whatif", _l("Simulation : et si…"), _l("Simulation"), terms.build_whatif,
                 "credit/sections/_whatif.html"))
register(Section("recourse", _l("Ce qui ferait accorder le crédit"), _l("Pour être accordé"),
                 terms.build_recourse, "credit/sections/_recourse.html"))
