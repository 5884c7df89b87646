"""The base of Vigil's pydantic models: validators are built on first use, not at import,
so a cold start pays only for the models its request needs."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    model_config = ConfigDict(defer_build=True)
