from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class FaultyShared(Base):
    __tablename__ = "faulty_shared"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
