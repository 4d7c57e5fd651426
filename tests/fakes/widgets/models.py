"""The widgets fake plugin's tables: a group and its widgets (with a foreign key and an index)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class FakeWidgetGroup(Base):
    __tablename__ = "fake_widget_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)


class FakeWidget(Base):
    __tablename__ = "fake_widget"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("fake_widget_group.id"), index=True)
    counter: Mapped[int] = mapped_column(Integer, default=0)
