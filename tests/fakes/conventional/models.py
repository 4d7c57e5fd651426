from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from modular_server.core.database import Base


class Gadget(Base):
    __tablename__ = "conv_gadget"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
