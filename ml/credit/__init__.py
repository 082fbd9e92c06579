"""Credit-risk model: load Home Credit applications, build features, train an XGBoost model
with a business threshold, evaluate, explain (SHAP), and save self-describing artifacts.

Command line: ``python -m ml.credit train|evaluate|score|prepare`` (see ``ml/credit/cli.py``).
"""
