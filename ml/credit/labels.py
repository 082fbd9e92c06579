"""Human labels for the model's features: French first, English too, with a unit kind.

The ~70 features an advisor meets most often (every feature that ranks high in the model's
global importance) have hand-written labels; the rest fall back to Home Credit's own
description of the column (``HomeCredit_columns_description.csv``, English, cp1252).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

#: feature -> (French label, English label, kind). Kinds drive formatting and units:
#: money (€), years, ratio (× or %), percent, count, score (0–1), flag (oui/non), category,
#: number, hour, rating.
LABELS: dict[str, tuple[str, str, str]] = {
    "AMT_CREDIT": ("Montant du crédit", "Credit amount", "money"),
    "AMT_ANNUITY": ("Montant de l'échéance", "Loan annuity", "money"),
    "AMT_GOODS_PRICE": ("Prix du bien financé", "Price of the goods", "money"),
    "AMT_INCOME_TOTAL": ("Revenu annuel déclaré", "Declared annual income", "money"),
    "AGE_YEARS": ("Âge", "Age", "years"),
    "EMPLOYMENT_YEARS": ("Ancienneté dans l'emploi", "Time in current job", "years"),
    "EMPLOYMENT_UNKNOWN": ("Sans emploi déclaré (retraite, chômage)",
                           "No employment declared (pension, unemployed)", "flag"),
    "YEARS_SINCE_REGISTRATION": ("Ancienneté de l'adresse enregistrée",
                                 "Years since registration changed", "years"),
    "YEARS_SINCE_ID_PUBLISH": ("Ancienneté de la pièce d'identité",
                               "Years since the identity document was issued", "years"),
    "YEARS_SINCE_PHONE_CHANGE": ("Ancienneté du numéro de téléphone",
                                 "Years since the phone changed", "years"),
    "EMPLOYED_TO_AGE": ("Part de la vie passée dans l'emploi actuel",
                        "Share of life in current job", "percent"),
    "CREDIT_TO_INCOME": ("Crédit rapporté au revenu annuel", "Credit to annual income", "ratio"),
    "ANNUITY_TO_INCOME": ("Échéance rapportée au revenu (taux d'effort)",
                          "Annuity to income (debt burden)", "percent"),
    "PAYMENT_RATE": ("Taux de remboursement (échéance / crédit)",
                     "Payment rate (annuity / credit)", "percent"),
    "CREDIT_TERM": ("Durée implicite du crédit (en échéances)",
                    "Implied term (number of annuities)", "number"),
    "GOODS_TO_CREDIT": ("Prix du bien rapporté au crédit", "Goods price to credit", "percent"),
    "CREDIT_MINUS_GOODS": ("Crédit au-delà du prix du bien", "Credit above the goods price",
                           "money"),
    "INCOME_PER_PERSON": ("Revenu par membre du foyer", "Income per family member", "money"),
    "CHILDREN_RATIO": ("Part d'enfants dans le foyer", "Share of children in the family",
                       "percent"),
    "CAR_AGE_TO_AGE": ("Âge de la voiture rapporté à l'âge", "Car age to age", "percent"),
    "PHONE_CHANGE_TO_AGE": ("Ancienneté du téléphone rapportée à l'âge",
                            "Phone change to age", "percent"),
    "REGISTRATION_TO_AGE": ("Ancienneté de l'adresse rapportée à l'âge",
                            "Registration change to age", "percent"),
    "EXT_SOURCE_1": ("Score externe n° 1", "External score 1", "score"),
    "EXT_SOURCE_2": ("Score externe n° 2", "External score 2", "score"),
    "EXT_SOURCE_3": ("Score externe n° 3", "External score 3", "score"),
    "EXT_SOURCES_MEAN": ("Moyenne des scores externes", "Mean external score", "score"),
    "EXT_SOURCES_MIN": ("Plus faible score externe", "Lowest external score", "score"),
    "EXT_SOURCES_MAX": ("Meilleur score externe", "Highest external score", "score"),
    "EXT_SOURCES_STD": ("Dispersion des scores externes", "Spread of external scores", "score"),
    "EXT_SOURCES_PROD": ("Produit des scores externes", "Product of external scores", "score"),
    "EXT_SOURCES_WEIGHTED": ("Score externe pondéré", "Weighted external score", "score"),
    "EXT_SOURCES_MISSING": ("Scores externes manquants", "Missing external scores", "count"),
    "DOCUMENT_COUNT": ("Justificatifs fournis", "Documents provided", "count"),
    "BUREAU_ENQUIRIES_TOTAL": ("Demandes au bureau de crédit (total)",
                               "Credit bureau enquiries (total)", "count"),
    "SOCIAL_DEFAULT_RATIO_30": ("Part de défauts dans l'entourage (30 jours)",
                                "Defaults in the social circle (30 days)", "percent"),
    "CONTACT_FLAGS": ("Moyens de contact fournis", "Contact details provided", "count"),
    "ADDRESS_MISMATCHES": ("Adresses non concordantes", "Address mismatches", "count"),
    "CNT_CHILDREN": ("Nombre d'enfants", "Number of children", "count"),
    "CNT_FAM_MEMBERS": ("Taille du foyer", "Family members", "count"),
    "OWN_CAR_AGE": ("Âge de la voiture", "Age of the car", "years"),
    "REGION_POPULATION_RELATIVE": ("Densité de population de la région",
                                   "Relative population of the region", "number"),
    "REGION_RATING_CLIENT": ("Note de la région", "Region rating", "rating"),
    "REGION_RATING_CLIENT_W_CITY": ("Note de la région et de la ville", "Region and city rating",
                                    "rating"),
    "HOUR_APPR_PROCESS_START": ("Heure de la demande", "Hour of the application", "hour"),
    "CODE_GENDER": ("Genre", "Gender", "category"),
    "FLAG_OWN_CAR": ("Propriétaire d'une voiture", "Owns a car", "category"),
    "FLAG_OWN_REALTY": ("Propriétaire d'un logement", "Owns a home", "category"),
    "NAME_CONTRACT_TYPE": ("Type de contrat", "Contract type", "category"),
    "NAME_TYPE_SUITE": ("Accompagnant lors de la demande", "Accompanied by", "category"),
    "NAME_INCOME_TYPE": ("Type de revenu", "Income type", "category"),
    "NAME_EDUCATION_TYPE": ("Niveau d'études", "Education", "category"),
    "NAME_FAMILY_STATUS": ("Situation familiale", "Family status", "category"),
    "NAME_HOUSING_TYPE": ("Logement", "Housing", "category"),
    "OCCUPATION_TYPE": ("Profession", "Occupation", "category"),
    "ORGANIZATION_TYPE": ("Secteur de l'employeur", "Employer's sector", "category"),
    "WEEKDAY_APPR_PROCESS_START": ("Jour de la demande", "Weekday of the application", "category"),
    "FONDKAPREMONT_MODE": ("Fonds de rénovation de l'immeuble", "Building renovation fund",
                           "category"),
    "HOUSETYPE_MODE": ("Type d'immeuble", "Building type", "category"),
    "WALLSMATERIAL_MODE": ("Matériau des murs", "Wall material", "category"),
    "EMERGENCYSTATE_MODE": ("Immeuble en état d'urgence", "Building in emergency state",
                            "category"),
    "FLAG_DOCUMENT_3": ("Justificatif n° 3 fourni", "Document 3 provided", "flag"),
    "FLAG_EMP_PHONE": ("Téléphone professionnel fourni", "Work phone provided", "flag"),
    "FLAG_WORK_PHONE": ("Téléphone fixe fourni", "Home phone provided", "flag"),
    "FLAG_PHONE": ("Téléphone domicile fourni", "Home phone provided", "flag"),
    "REG_CITY_NOT_WORK_CITY": ("Ville de résidence différente de la ville de travail",
                               "Registered city differs from work city", "flag"),
    "REG_CITY_NOT_LIVE_CITY": ("Adresse enregistrée différente de l'adresse de contact",
                               "Registered city differs from contact city", "flag"),
    "DEF_30_CNT_SOCIAL_CIRCLE": ("Défauts à 30 jours dans l'entourage",
                                 "Social circle defaults (30 days)", "count"),
    "DEF_60_CNT_SOCIAL_CIRCLE": ("Défauts à 60 jours dans l'entourage",
                                 "Social circle defaults (60 days)", "count"),
    "OBS_30_CNT_SOCIAL_CIRCLE": ("Entourage observé (30 jours)", "Social circle observed (30 days)",
                                 "count"),
    "AMT_REQ_CREDIT_BUREAU_YEAR": ("Demandes au bureau de crédit sur un an",
                                   "Credit bureau enquiries in the year", "count"),
    "AMT_REQ_CREDIT_BUREAU_QRT": ("Demandes au bureau de crédit sur 3 mois",
                                  "Credit bureau enquiries in 3 months", "count"),
    "AMT_REQ_CREDIT_BUREAU_MON": ("Demandes au bureau de crédit sur un mois",
                                  "Credit bureau enquiries in the month", "count"),
    "TOTALAREA_MODE": ("Surface totale de l'immeuble (normalisée)", "Building total area",
                       "number"),
    "APARTMENTS_AVG": ("Taille des appartements de l'immeuble (normalisée)",
                       "Building apartments size", "number"),
    "YEARS_BEGINEXPLUATATION_AVG": ("Âge d'exploitation de l'immeuble (normalisé)",
                                    "Building age in use", "number"),
    "LIVINGAREA_AVG": ("Surface habitable de l'immeuble (normalisée)", "Building living area",
                       "number"),
    "FLOORSMAX_AVG": ("Nombre d'étages de l'immeuble (normalisé)", "Building floors", "number"),
    "BASEMENTAREA_AVG": ("Surface des sous-sols de l'immeuble (normalisée)",
                         "Building basement area", "number"),
    "YEARS_BUILD_AVG": ("Ancienneté de construction de l'immeuble (normalisée)",
                        "Building construction age", "number"),
    "COMMONAREA_AVG": ("Parties communes de l'immeuble (normalisées)", "Building common area",
                       "number"),
    "ELEVATORS_AVG": ("Ascenseurs de l'immeuble (normalisé)", "Building elevators", "number"),
    "ENTRANCES_AVG": ("Entrées de l'immeuble (normalisé)", "Building entrances", "number"),
    "FLOORSMIN_AVG": ("Étages minimum de l'immeuble (normalisé)", "Building minimum floors",
                      "number"),
    "LANDAREA_AVG": ("Surface du terrain (normalisée)", "Land area", "number"),
    "LIVINGAPARTMENTS_AVG": ("Logements habités de l'immeuble (normalisé)",
                             "Building living apartments", "number"),
    "NONLIVINGAPARTMENTS_AVG": ("Locaux non habités de l'immeuble (normalisé)",
                                "Building non-living apartments", "number"),
    "NONLIVINGAREA_AVG": ("Surface non habitable de l'immeuble (normalisée)",
                          "Building non-living area", "number"),
    "OBS_60_CNT_SOCIAL_CIRCLE": ("Entourage observé (60 jours)", "Social circle observed (60 days)",
                                 "count"),
    "LIVE_CITY_NOT_WORK_CITY": ("Ville de contact différente de la ville de travail",
                                "Contact city differs from work city", "flag"),
    "BUREAU_CREDIT_COUNT": ("Crédits connus du bureau de crédit", "Credits at the bureau", "count"),
    "BUREAU_ACTIVE_COUNT": ("Crédits en cours au bureau", "Active credits at the bureau", "count"),
    "BUREAU_OVERDUE_COUNT": ("Crédits en retard au bureau", "Overdue credits at the bureau",
                             "count"),
    "BUREAU_DEBT_TOTAL": ("Dette en cours au bureau", "Outstanding debt at the bureau", "money"),
    "BUREAU_CREDIT_TOTAL": ("Total des crédits au bureau", "Total credit at the bureau", "money"),
    "BUREAU_OVERDUE_AMOUNT": ("Montant en retard au bureau", "Overdue amount at the bureau",
                              "money"),
    "BUREAU_YEARS_SINCE_LAST_CREDIT": ("Ancienneté du dernier crédit", "Years since last credit",
                                       "years"),
    "BUREAU_DEBT_RATIO": ("Part des crédits restant due", "Share of credit still owed", "percent"),
    "PREV_APPLICATION_COUNT": ("Demandes précédentes", "Previous applications", "count"),
    "PREV_APPROVED_RATIO": ("Part des demandes précédentes accordées",
                            "Share of previous applications approved", "percent"),
    "PREV_REFUSED_COUNT": ("Demandes précédentes refusées", "Previous applications refused",
                           "count"),
    "PREV_CREDIT_MEAN": ("Montant moyen des crédits précédents", "Mean previous credit", "money"),
    "INSTAL_COUNT": ("Échéances passées", "Past instalments", "count"),
    "INSTAL_LATE_RATIO": ("Part des échéances payées en retard", "Share of late instalments",
                          "percent"),
    "INSTAL_LATE_DAYS_MEAN": ("Retard moyen de paiement (jours)", "Mean payment delay (days)",
                              "number"),
    "INSTAL_UNDERPAID_RATIO": ("Part des échéances payées partiellement",
                               "Share of underpaid instalments", "percent"),
    "POS_MONTHS": ("Mois de crédits en magasin", "Months of point-of-sale loans", "count"),
    "POS_DPD_MEAN": ("Retard moyen sur les crédits en magasin (jours)",
                     "Mean days past due on point-of-sale loans", "number"),
    "POS_DPD_DEF_MAX": ("Retard maximal toléré (jours)", "Max days past due (tolerant)", "number"),
    "CC_USAGE_MEAN": ("Utilisation moyenne de la carte de crédit", "Mean credit-card usage",
                      "percent"),
    "CC_DPD_MAX": ("Retard maximal sur carte de crédit (jours)", "Max credit-card days past due",
                   "number"),
}

#: French names of the category values an advisor reads most often.
CATEGORY_VALUES_FR: dict[str, str] = {
    "Cash loans": "Prêt personnel", "Revolving loans": "Crédit renouvelable",
    "M": "Homme", "F": "Femme", "Y": "Oui", "N": "Non",
    "Working": "Salarié", "Commercial associate": "Associé commercial", "Pensioner": "Retraité",
    "State servant": "Fonctionnaire", "Unemployed": "Sans emploi", "Student": "Étudiant",
    "Businessman": "Chef d'entreprise", "Maternity leave": "Congé maternité",
    "Secondary / secondary special": "Secondaire", "Higher education": "Supérieur",
    "Incomplete higher": "Supérieur inachevé", "Lower secondary": "Premier cycle",
    "Academic degree": "Doctorat",
    "Married": "Marié(e)", "Single / not married": "Célibataire", "Civil marriage": "Union civile",
    "Separated": "Séparé(e)", "Widow": "Veuf/veuve", "Unknown": "Inconnu",
    "House / apartment": "Propriétaire / appartement", "With parents": "Chez les parents",
    "Municipal apartment": "Logement municipal", "Rented apartment": "Location",
    "Office apartment": "Logement de fonction", "Co-op apartment": "Coopérative",
    "Unaccompanied": "Seul(e)", "Family": "Famille", "Spouse, partner": "Conjoint(e)",
    "Children": "Enfants", "Other_A": "Autre (A)", "Other_B": "Autre (B)",
    "Group of people": "Groupe",
    "Laborers": "Ouvrier", "Core staff": "Employé", "Sales staff": "Vendeur",
    "Managers": "Cadre", "Drivers": "Chauffeur", "High skill tech staff": "Technicien qualifié",
    "Accountants": "Comptable", "Medicine staff": "Personnel médical",
    "Security staff": "Agent de sécurité", "Cooking staff": "Cuisinier",
    "Cleaning staff": "Agent d'entretien", "Private service staff": "Employé de maison",
    "Low-skill Laborers": "Ouvrier non qualifié", "Waiters/barmen staff": "Serveur",
    "Secretaries": "Secrétaire", "Realty agents": "Agent immobilier", "HR staff": "RH",
    "IT staff": "Informaticien",
    "MONDAY": "Lundi", "TUESDAY": "Mardi", "WEDNESDAY": "Mercredi", "THURSDAY": "Jeudi",
    "FRIDAY": "Vendredi", "SATURDAY": "Samedi", "SUNDAY": "Dimanche",
}


def read_kaggle_descriptions(path: Path) -> dict[str, str]:
    """Column -> description for the application table, from Home Credit's file (cp1252)."""
    descriptions: dict[str, str] = {}
    with open(path, encoding="cp1252", newline="") as handle:
        for row in csv.DictReader(handle):
            if row.get("Table", "").startswith("application") and row.get("Row"):
                descriptions[row["Row"]] = (row.get("Description") or "").strip()
    return descriptions


class FeatureLabels:
    """Labels, units and descriptions for every model feature."""

    def __init__(self, descriptions: Mapping[str, str] | None = None):
        self.descriptions = dict(descriptions or {})

    def label(self, feature: str, lang: str = "fr") -> str:
        """A short human label; the raw name's words when nothing better is known."""
        if feature in LABELS:
            fr, en, _ = LABELS[feature]
            return fr if lang == "fr" else en
        return feature.replace("_", " ").capitalize()

    def kind(self, feature: str) -> str:
        """How the value is formatted: money, years, ratio, percent, count, score, flag, ..."""
        if feature in LABELS:
            return LABELS[feature][2]
        if feature.startswith("FLAG_") or feature.startswith(("REG_", "LIVE_")):
            return "flag"
        return "number"

    def unit(self, feature: str) -> str | None:
        """The unit shown after a value, if any."""
        return {"money": "€", "years": "ans", "percent": "%", "ratio": "×", "hour": "h"}.get(
            self.kind(feature))

    def description(self, feature: str) -> str:
        """Home Credit's description for raw columns, the French label otherwise."""
        return self.descriptions.get(feature) or self.label(feature, "fr")

    def category_value(self, value: str | None, lang: str = "fr") -> str:
        """A category value as an advisor would say it."""
        if value is None:
            return "non renseigné" if lang == "fr" else "not provided"
        return CATEGORY_VALUES_FR.get(value, value) if lang == "fr" else value
