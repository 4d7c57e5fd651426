"""A second class named like the owner's, on the owner's table: fails while being declared."""

from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class FaultyShared(Base):
    __tablename__ = "faulty_shared"

    id: Mapped[int] = mapped_column(primary_key=True)
