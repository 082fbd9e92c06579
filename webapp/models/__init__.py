"""The application's tables (SQLAlchemy 2 typed models); the schema itself is built by the
Alembic revisions in ``migrations/``, never by ``create_all``."""

from .clients import Client
from .decisions import (
    RECORD_ACTIONS,
    REVIEW_STATUSES,
    AppendOnlyError,
    ApplicationVersion,
    DecisionRecord,
    ImportJob,
    Review,
)
from .users import ROLES, ApiToken, User

__all__ = ["RECORD_ACTIONS", "REVIEW_STATUSES", "ROLES", "ApiToken", "AppendOnlyError",
           "ApplicationVersion", "Client", "DecisionRecord", "ImportJob", "Review", "User"]
