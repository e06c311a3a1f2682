"""Node functions with typed parameters (importable by worker processes)."""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class Split:
    test_size: float
    seed: int = 0


@dataclass(frozen=True)
class Training:
    split: Split
    features: list[str] = field(default_factory=list)


class ModelOptions(BaseModel):
    alpha: float = Field(gt=0)
    layers: list[int]


def describe_split(rows: int, options: Split) -> str:
    return f"{type(options).__name__}:{int(rows * options.test_size)}:{options.seed}"


def describe_training(options: Training) -> str:
    return f"{type(options.split).__name__}:{options.split.test_size}:{','.join(options.features)}"


def describe_model(options: ModelOptions) -> str:
    return f"{type(options).__name__}:{options.alpha}:{sum(options.layers)}"
