from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class LateThing(Base):
    __tablename__ = "late_thing"

    id: Mapped[int] = mapped_column(primary_key=True)
