"""Results of health checks."""

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True, slots=True)
class HealthResult:
    status: Literal["ok", "degraded", "fail"]
    detail: str = ""
