"""Type aliases shared across the core, defined once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

Document = dict[str, Any]  # a MongoDB document
SideName = Literal["erp", "crm"]  # which side of a mapping a record is on
Values = Mapping[str, Any]  # a record's field values, named as its system names them
