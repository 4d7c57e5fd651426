"""The one declarative base of every plugin's models."""

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Constraint names are part of the schema: stable names make migrations and `db check` exact.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """The one declarative base of every plugin's models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
