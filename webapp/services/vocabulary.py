"""French and English words for Home Credit's raw fields and their category values.

The model's own labels (``model.labels``) name the *features*; these name the *raw
application fields* an advisor reads and edits (identity card, filters, forms).
"""

from __future__ import annotations

#: raw field -> (French label, English label)
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "SK_ID_CURR": ("Identifiant du dossier", "Application ID"),
    "NAME_CONTRACT_TYPE": ("Type de contrat", "Contract type"),
    "CODE_GENDER": ("Sexe", "Gender"),
    "FLAG_OWN_CAR": ("Possède une voiture", "Owns a car"),
    "FLAG_OWN_REALTY": ("Propriétaire d'un bien immobilier", "Owns real estate"),
    "CNT_CHILDREN": ("Nombre d'enfants", "Number of children"),
    "CNT_FAM_MEMBERS": ("Personnes dans le foyer", "Household members"),
    "AMT_INCOME_TOTAL": ("Revenu annuel déclaré", "Declared annual income"),
    "AMT_CREDIT": ("Montant du crédit", "Credit amount"),
    "AMT_ANNUITY": ("Montant de l'échéance", "Loan annuity"),
    "AMT_GOODS_PRICE": ("Prix du bien financé", "Price of the goods"),
    "NAME_TYPE_SUITE": ("Accompagné lors de la demande", "Accompanied by"),
    "NAME_INCOME_TYPE": ("Source de revenus", "Income type"),
    "NAME_EDUCATION_TYPE": ("Niveau d'études", "Education"),
    "NAME_FAMILY_STATUS": ("Situation familiale", "Family status"),
    "NAME_HOUSING_TYPE": ("Logement", "Housing"),
    "OCCUPATION_TYPE": ("Profession", "Occupation"),
    "ORGANIZATION_TYPE": ("Secteur de l'employeur", "Employer's sector"),
    "DAYS_BIRTH": ("Âge", "Age"),
    "DAYS_EMPLOYED": ("Ancienneté dans l'emploi", "Employment length"),
    "EXT_SOURCE_1": ("Score externe 1", "External score 1"),
    "EXT_SOURCE_2": ("Score externe 2", "External score 2"),
    "EXT_SOURCE_3": ("Score externe 3", "External score 3"),
    "OWN_CAR_AGE": ("Âge de la voiture", "Age of the car"),
    "REGION_RATING_CLIENT": ("Note de la région", "Region rating"),
}

#: raw field -> {Kaggle value: (French, English)}
CATEGORY_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "NAME_CONTRACT_TYPE": {
        "Cash loans": ("Prêt personnel", "Cash loan"),
        "Revolving loans": ("Crédit renouvelable", "Revolving loan"),
    },
    "CODE_GENDER": {"F": ("Femme", "Woman"), "M": ("Homme", "Man")},
    "FLAG_OWN_CAR": {"Y": ("Oui", "Yes"), "N": ("Non", "No")},
    "FLAG_OWN_REALTY": {"Y": ("Oui", "Yes"), "N": ("Non", "No")},
    "NAME_EDUCATION_TYPE": {
        "Lower secondary": ("Collège", "Lower secondary"),
        "Secondary / secondary special": ("Lycée / CAP-BEP", "Secondary"),
        "Incomplete higher": ("Études supérieures non terminées", "Incomplete higher"),
        "Higher education": ("Études supérieures", "Higher education"),
        "Academic degree": ("Doctorat", "Academic degree"),
    },
    "NAME_FAMILY_STATUS": {
        "Married": ("Marié(e)", "Married"),
        "Civil marriage": ("Union libre / PACS", "Civil union"),
        "Single / not married": ("Célibataire", "Single"),
        "Separated": ("Séparé(e)", "Separated"),
        "Widow": ("Veuf / veuve", "Widowed"),
        "Unknown": ("Inconnue", "Unknown"),
    },
    "NAME_HOUSING_TYPE": {
        "House / apartment": ("Maison / appartement", "House / apartment"),
        "With parents": ("Chez ses parents", "With parents"),
        "Municipal apartment": ("Logement social", "Municipal apartment"),
        "Rented apartment": ("Location", "Rented apartment"),
        "Office apartment": ("Logement de fonction", "Office apartment"),
        "Co-op apartment": ("Coopérative d'habitation", "Co-op apartment"),
    },
    "NAME_INCOME_TYPE": {
        "Working": ("Salarié(e)", "Working"),
        "Commercial associate": ("Commercial(e) / indépendant(e)", "Commercial associate"),
        "Pensioner": ("Retraité(e)", "Pensioner"),
        "State servant": ("Fonctionnaire", "State servant"),
        "Student": ("Étudiant(e)", "Student"),
        "Businessman": ("Chef d'entreprise", "Businessman"),
        "Unemployed": ("Sans emploi", "Unemployed"),
        "Maternity leave": ("Congé maternité", "Maternity leave"),
    },
    "NAME_TYPE_SUITE": {
        "Unaccompanied": ("Seul(e)", "Unaccompanied"),
        "Family": ("Famille", "Family"),
        "Spouse, partner": ("Conjoint(e)", "Spouse, partner"),
        "Children": ("Enfants", "Children"),
        "Other_A": ("Autre (A)", "Other (A)"),
        "Other_B": ("Autre (B)", "Other (B)"),
        "Group of people": ("Groupe", "Group of people"),
    },
}


def field_label(field: str, lang: str = "fr") -> str:
    """The human name of a raw field (the field name itself when unknown)."""
    labels = FIELD_LABELS.get(field)
    if labels is None:
        return field
    return labels[0] if lang == "fr" else labels[1]


def category_label(field: str, value: str | None, lang: str = "fr") -> str | None:
    """The human word for a category value (the value itself when unknown)."""
    if value is None:
        return None
    labels = CATEGORY_LABELS.get(field, {}).get(value)
    if labels is None:
        return value
    return labels[0] if lang == "fr" else labels[1]


def choices(field: str, lang: str = "fr") -> list[tuple[str, str]]:
    """``(value, label)`` pairs of a categorical field, for select inputs."""
    return [(value, labels[0] if lang == "fr" else labels[1])
            for value, labels in CATEGORY_LABELS.get(field, {}).items()]
