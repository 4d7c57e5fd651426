"""Defines ``fake_widget`` a second time; importing it fails once the widgets plugin is loaded."""

from __future__ import annotations

from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class CopiedWidget(Base):
    __tablename__ = "fake_widget"

    id: Mapped[int] = mapped_column(primary_key=True)
