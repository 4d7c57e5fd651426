from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from modular_server.core.database import Base


class FaultyParent(Base):
    __tablename__ = "faulty_parent"

    id: Mapped[int] = mapped_column(primary_key=True)
    children: Mapped[list["FaultyChild"]] = relationship(back_populates="parent")


class FaultyChild(Base):
    __tablename__ = "faulty_child"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(ForeignKey("faulty_parent.id"))
    parent: Mapped[FaultyParent] = relationship(back_populates="children")
    # names a class that is mapped nowhere
    owner: Mapped["FaultyNobody"] = relationship()  # type: ignore[name-defined]  # noqa: F821
