"""The pre-run check of annotations: producer returns against consumer arguments, and
parameter values against the arguments that take them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Annotated, Any, Literal, NewType, Optional, Protocol, TypedDict, TypeVar

import pytest

from datamill import DataCatalog, MemoryDataset, Pipeline, node
from datamill.datasets.partitions import PartitionedDataset
from datamill.errors import RunnerError
from datamill.runner import find_problems, run
from datamill.runner._annotations import accepts_value, agrees

T = TypeVar("T")
UserId = NewType("UserId", int)


class Sized(Protocol):
    def size(self) -> int: ...


class Scores(TypedDict):
    accuracy: float
    label: str


@dataclasses.dataclass
class Split:
    ratio: float


class Base:
    pass


class Child(Base):
    pass


@pytest.mark.parametrize(
    ("returned", "accepted"),
    [
        (int, int),
        (int, float),
        (int, complex),
        (bool, int),
        (Child, Base),
        (Base, Child),  # the consumer may narrow: not a definite mismatch
        (list[int], Sequence[int]),
        (Sequence[int], list[int]),
        (dict[str, int], Mapping[str, int]),
        (dict[str, int], Mapping[str, float]),
        (tuple[int, ...], tuple[int, ...]),
        (Any, int),
        (int, Any),
        (int, object),
        (T, int),
        (int, Sized),  # a protocol without runtime checks: cannot tell
        (UserId, int),
        (Annotated[int, "unit: m"], int),
        (Optional[int], int),  # noqa: UP045 - the old spelling must work too
        (int | None, int),
        (int, int | str),
        (Literal["a", "b"], str),
        (Scores, dict[str, Any]),
        (Callable[[int], str], Callable[..., str]),
        (list[Any], list[str]),
        (Iterator[int], Iterator[int]),
    ],
)
def test_agreeing_annotations(returned: Any, accepted: Any) -> None:
    assert agrees(returned, accepted)


@pytest.mark.parametrize(
    ("returned", "accepted"),
    [
        (int, str),
        (float, int),
        (str | None, int),
        (None, int),
        (list[int], list[str]),
        (dict[str, int], list[int]),
        (dict[str, int], dict[str, str]),
        (Literal[1, 2], str),
        (Path, str),
        (Annotated[str, "id"], UserId),
        (Mapping[str, list[int]], Mapping[str, list[str]]),
    ],
)
def test_disagreeing_annotations(returned: Any, accepted: Any) -> None:
    assert not agrees(returned, accepted)


@pytest.mark.parametrize(
    ("annotation", "value", "fits"),
    [
        (float, 1, True),
        (float, 0.5, True),
        (float, "1e-3", False),  # YAML 1.1 reads 1e-3 as a string
        (float, True, False),
        (int, 3, True),
        (int, "3", False),
        (str | None, None, True),
        (list[int], [1, 2], True),
        (list[int], (1, 2), False),
        (dict[str, Any], {"a": 1}, True),
        (Literal["gini", "entropy"], "gini", True),
        (Any, object(), True),
    ],
)
def test_parameter_values(annotation: Any, value: Any, fits: bool) -> None:
    assert accepts_value(annotation, value) is fits


# -- nodes for pipeline-level checks --------------------------------------------------------------


def make_rows(n: int) -> list[dict[str, int]]:
    return [{"i": i} for i in range(n)]


def count_text(text: str) -> int:
    return len(text)


def count_rows(rows: list[dict[str, int]]) -> int:
    return len(rows)


def split(rows: list[dict[str, int]]) -> tuple[list[int], str]:
    return [r["i"] for r in rows], "done"


def scores(rows: list[dict[str, int]]) -> Scores:
    return {"accuracy": 1.0, "label": "ok"}


def by_name(rows: list[dict[str, int]]) -> dict[str, float]:
    return {"mean": 1.0}


def takes_float(x: float) -> float:
    return x


def takes_str(x: str) -> str:
    return x


def takes_list(x: list[str]) -> int:
    return len(x)


def scale(rows: list[dict[str, int]], factor: float) -> list[dict[str, int]]:
    return rows


def fraction(rows: list[dict[str, int]], split: Split) -> float:
    return split.ratio


def chunks(n: int) -> Iterator[list[int]]:
    yield [n]


def untyped(x):  # type: ignore[no-untyped-def]
    return x


def total(parts: dict[str, int]) -> int:
    return sum(parts.values())


def by_partition(n: int) -> dict[str, int]:
    return {"a": n}


def params(**values: Any) -> DataCatalog:
    return DataCatalog(parameters=values)


def test_a_mismatch_names_the_dataset_both_nodes_the_argument_and_both_annotations() -> None:
    pipe = Pipeline(
        [node(make_rows, "n", "rows", name="make"), node(count_text, "rows", "size", name="count")]
    )
    catalog = DataCatalog({"n": MemoryDataset(3)})
    [problem] = find_problems(pipe, catalog)
    assert problem == (
        "dataset 'rows': node 'make' returns list[dict[str, int]], but node 'count' takes it "
        "as argument 'text': str. Fix one of the two annotations (or the function)."
    )


def test_agreeing_edges_and_unannotated_functions_are_not_problems() -> None:
    pipe = Pipeline(
        [
            node(make_rows, "n", "rows"),
            node(count_rows, "rows", "size"),
            node(untyped, "size", "same"),
            node(takes_str, "same", "text"),  # untyped producer: nothing to compare
        ]
    )
    assert find_problems(pipe, DataCatalog({"n": MemoryDataset(3)})) == []


def test_tuple_and_mapping_returns_give_each_output_its_own_annotation() -> None:
    pipe = Pipeline(
        [
            node(split, "rows", ["ids", "status"], name="split"),
            node(takes_list, "ids", "a", name="ids_as_text"),
            node(takes_str, "status", "b", name="status_ok"),
            node(scores, "rows", {"accuracy": "acc", "label": "label"}, name="scores"),
            node(takes_str, "acc", "c", name="acc_as_text"),
            node(takes_str, "label", "d", name="label_ok"),
            node(by_name, "rows", {"mean": "mean"}, name="by_name"),
            node(takes_float, "mean", "e", name="mean_ok"),
        ]
    )
    problems = find_problems(pipe, DataCatalog({"rows": MemoryDataset([{"i": 1}])}))
    assert len(problems) == 2
    assert "dataset 'ids': node 'split' returns int" not in problems[0]
    assert "dataset 'ids': node 'split' returns list[int]" in problems[0]
    assert "node 'ids_as_text' takes it as argument 'x': list[str]" in problems[0]
    assert "dataset 'acc': node 'scores' returns float" in problems[1]


def test_generator_nodes_and_datasets_that_load_otherwise_are_not_compared(tmp_path: Path) -> None:
    parts = PartitionedDataset(str(tmp_path / "parts"), "json.JSONDataset")
    pipe = Pipeline([node(by_partition, "n", "parts"), node(total, "parts", "sum")])
    catalog = DataCatalog({"n": MemoryDataset(1), "parts": parts})
    # Saved as dict[str, int], loaded as a mapping of loaders: annotations cannot agree.
    assert find_problems(pipe, catalog) == []
    pipe = Pipeline([node(chunks, "n", "parts"), node(takes_str, "parts", "x")])
    assert find_problems(pipe, catalog) == []


def test_parameters_are_checked_against_the_annotation_of_their_argument() -> None:
    pipe = Pipeline(
        [
            node(scale, ["rows", "params:factor"], "scaled", name="scale"),
            node(fraction, ["rows", "params:split"], "f", name="fraction"),
            node(takes_float, "params:missing", "g", name="missing"),
        ]
    )
    catalog = DataCatalog(
        {"rows": MemoryDataset([])}, parameters={"factor": "1e-3", "split": {"ratio": 0.2}}
    )
    problems = find_problems(pipe, catalog)
    assert problems[0].startswith("input 'params:missing'")
    assert problems[1:] == [
        "parameter 'params:factor' is '1e-3' (str), but node 'scale' takes it as argument "
        "'factor': float. Fix the value in the parameters, or the annotation."
    ]


def test_a_run_reports_annotation_problems_with_the_others_before_any_node_runs() -> None:
    ran: list[str] = []

    def record(rows: list[dict[str, int]]) -> list[dict[str, int]]:
        ran.append("record")
        return rows

    pipe = Pipeline(
        [
            node(record, "rows", "copy"),
            node(make_rows, "n", "made"),
            node(count_text, "made", "size"),
            node(count_rows, "absent", "other"),
        ]
    )
    with pytest.raises(RunnerError, match="2 problems") as info:
        run(pipe, DataCatalog({"rows": MemoryDataset([]), "n": MemoryDataset(1)}))
    assert "input 'absent'" in str(info.value)
    assert "dataset 'made'" in str(info.value)
    assert ran == []
