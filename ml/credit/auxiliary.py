"""Per-client aggregates of Home Credit's auxiliary tables (credit bureau, previous
applications, instalments, POS and credit-card balances).

They are joined to the applications only when the *full* Kaggle tables are supplied
(``bureau.csv``, ``previous_application.csv``, ...). The ``*_sample.csv`` files in
``shared/`` hold about 1 % of each client's history: aggregates computed from them would be
wrong feature values, so training never reads them; the tests use them to check the joins.

The aggregates read only the auxiliary tables' columns listed in :data:`TABLE_COLUMNS`, never
a field of the application itself, so no aggregate is computed from a protected attribute.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .schema import ID_COLUMN, SchemaError

#: Table name -> the columns its aggregation needs.
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "bureau": (ID_COLUMN, "CREDIT_ACTIVE", "DAYS_CREDIT", "CREDIT_DAY_OVERDUE",
               "AMT_CREDIT_SUM", "AMT_CREDIT_SUM_DEBT", "AMT_CREDIT_SUM_OVERDUE"),
    "previous_application": (ID_COLUMN, "NAME_CONTRACT_STATUS", "AMT_APPLICATION", "AMT_CREDIT"),
    "installments_payments": (ID_COLUMN, "DAYS_INSTALMENT", "DAYS_ENTRY_PAYMENT",
                              "AMT_INSTALMENT", "AMT_PAYMENT"),
    "POS_CASH_balance": (ID_COLUMN, "SK_DPD", "SK_DPD_DEF"),
    "credit_card_balance": (ID_COLUMN, "AMT_BALANCE", "AMT_CREDIT_LIMIT_ACTUAL", "SK_DPD"),
}


def find_full_tables(directory: Path) -> dict[str, Path]:
    """The full auxiliary tables present in ``directory`` (file name ``<table>.csv``)."""
    return {name: directory / f"{name}.csv" for name in TABLE_COLUMNS
            if (directory / f"{name}.csv").is_file()}


def read_table(name: str, path: Path) -> pd.DataFrame:
    """Read one auxiliary table, keeping only the columns its aggregation needs."""
    wanted = TABLE_COLUMNS[name]
    header = pd.read_csv(path, nrows=0).columns
    missing = [c for c in wanted if c not in header]
    if missing:
        raise SchemaError(f"{path}: missing required column(s): {', '.join(missing)}")
    return pd.read_csv(path, usecols=list(wanted), low_memory=False)


def _bureau(t: pd.DataFrame) -> pd.DataFrame:
    g = t.assign(active=(t["CREDIT_ACTIVE"] == "Active").astype(float),
                 overdue=(t["CREDIT_DAY_OVERDUE"] > 0).astype(float)).groupby(ID_COLUMN)
    out = pd.DataFrame({
        "BUREAU_CREDIT_COUNT": g.size(),
        "BUREAU_ACTIVE_COUNT": g["active"].sum(),
        "BUREAU_OVERDUE_COUNT": g["overdue"].sum(),
        "BUREAU_DEBT_TOTAL": g["AMT_CREDIT_SUM_DEBT"].sum(min_count=1),
        "BUREAU_CREDIT_TOTAL": g["AMT_CREDIT_SUM"].sum(min_count=1),
        "BUREAU_OVERDUE_AMOUNT": g["AMT_CREDIT_SUM_OVERDUE"].sum(min_count=1),
        "BUREAU_YEARS_SINCE_LAST_CREDIT": -g["DAYS_CREDIT"].max() / 365.25,
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["BUREAU_DEBT_RATIO"] = out["BUREAU_DEBT_TOTAL"] / out["BUREAU_CREDIT_TOTAL"]
    return out


def _previous(t: pd.DataFrame) -> pd.DataFrame:
    g = t.assign(approved=(t["NAME_CONTRACT_STATUS"] == "Approved").astype(float),
                 refused=(t["NAME_CONTRACT_STATUS"] == "Refused").astype(float)).groupby(ID_COLUMN)
    return pd.DataFrame({
        "PREV_APPLICATION_COUNT": g.size(),
        "PREV_APPROVED_RATIO": g["approved"].mean(),
        "PREV_REFUSED_COUNT": g["refused"].sum(),
        "PREV_CREDIT_MEAN": g["AMT_CREDIT"].mean(),
    })


def _instalments(t: pd.DataFrame) -> pd.DataFrame:
    late = (t["DAYS_ENTRY_PAYMENT"] - t["DAYS_INSTALMENT"]).clip(lower=0)
    under = (t["AMT_PAYMENT"] < t["AMT_INSTALMENT"]).astype(float)
    g = t.assign(late_days=late, late=(late > 0).astype(float), under=under).groupby(ID_COLUMN)
    return pd.DataFrame({
        "INSTAL_COUNT": g.size(),
        "INSTAL_LATE_RATIO": g["late"].mean(),
        "INSTAL_LATE_DAYS_MEAN": g["late_days"].mean(),
        "INSTAL_UNDERPAID_RATIO": g["under"].mean(),
    })


def _pos(t: pd.DataFrame) -> pd.DataFrame:
    g = t.groupby(ID_COLUMN)
    return pd.DataFrame({"POS_MONTHS": g.size(), "POS_DPD_MEAN": g["SK_DPD"].mean(),
                         "POS_DPD_DEF_MAX": g["SK_DPD_DEF"].max()})


def _credit_card(t: pd.DataFrame) -> pd.DataFrame:
    with np.errstate(divide="ignore", invalid="ignore"):
        limit = t["AMT_CREDIT_LIMIT_ACTUAL"]
        usage = t["AMT_BALANCE"] / limit.where(limit > 0)
    g = t.assign(usage=usage).groupby(ID_COLUMN)
    return pd.DataFrame({"CC_USAGE_MEAN": g["usage"].mean(), "CC_DPD_MAX": g["SK_DPD"].max()})


_AGGREGATORS = {
    "bureau": _bureau, "previous_application": _previous, "installments_payments": _instalments,
    "POS_CASH_balance": _pos, "credit_card_balance": _credit_card,
}


def aggregate(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per client (index ``SK_ID_CURR``) with the aggregates of the given tables."""
    parts = [_AGGREGATORS[name](table) for name, table in tables.items()]
    if not parts:
        return pd.DataFrame(index=pd.Index([], name=ID_COLUMN))
    out = pd.concat(parts, axis=1)
    out.index.name = ID_COLUMN
    return out.astype("float64")


def join(applications: pd.DataFrame, aggregates: pd.DataFrame) -> pd.DataFrame:
    """The applications with the aggregates joined by ``SK_ID_CURR`` (missing when absent)."""
    if aggregates.empty and not len(aggregates.columns):
        return applications
    return applications.join(aggregates, on=ID_COLUMN)
