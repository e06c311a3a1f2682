"""The Retry policy: its waits, which errors it retries, its checks, and its value semantics."""

from __future__ import annotations

import itertools
import math
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datamill.pipeline import Retry


def test_defaults_wait_one_second_then_double() -> None:
    retry = Retry(3)

    assert (retry.times, retry.delay, retry.backoff, retry.on) == (3, 1.0, 2.0, (Exception,))
    assert retry.attempts == 4
    assert retry.delays() == (1.0, 2.0, 4.0)


def test_a_backoff_of_one_waits_the_same_every_time() -> None:
    assert Retry(3, delay=0.25, backoff=1).delays() == (0.25, 0.25, 0.25)


def test_zero_times_means_one_attempt_and_no_wait() -> None:
    retry = Retry(0)

    assert retry.attempts == 1
    assert retry.delays() == ()
    assert not retry.retries(ValueError(), 1)


@given(
    times=st.integers(0, 8),
    delay=st.floats(0.001, 100),
    backoff=st.floats(1, 10, allow_nan=False),
)
def test_each_wait_is_the_previous_one_times_the_backoff(
    times: int, delay: float, backoff: float
) -> None:
    delays = Retry(times, delay=delay, backoff=backoff).delays()

    assert len(delays) == times
    assert delays[:1] == ((delay,) if times else ())
    for before, after in itertools.pairwise(delays):
        assert after >= before
        assert math.isclose(after, before * backoff)


def test_retries_counts_attempts_and_filters_errors() -> None:
    retry = Retry(2, on=(ConnectionError, TimeoutError))

    assert retry.retries(ConnectionRefusedError(), 1)  # a subclass of a named error
    assert retry.retries(TimeoutError(), 2)
    assert not retry.retries(TimeoutError(), 3)  # the third attempt was the last
    assert not retry.retries(KeyError(), 1)


def test_one_exception_class_is_a_tuple_of_one() -> None:
    assert Retry(1, on=OSError) == Retry(1, on=(OSError,))
    assert Retry(1, on=[OSError]).on == (OSError,)


def test_equal_policies_hash_alike_and_differ_in_any_field() -> None:
    base = Retry(2, delay=1, backoff=3, on=OSError)

    assert base == Retry(2, delay=1.0, backoff=3.0, on=(OSError,))
    assert hash(base) == hash(Retry(2, delay=1.0, backoff=3.0, on=(OSError,)))
    others = [
        Retry(3, delay=1, backoff=3, on=OSError),
        Retry(2, delay=2, backoff=3, on=OSError),
        Retry(2, delay=1, backoff=2, on=OSError),
        Retry(2, delay=1, backoff=3, on=ValueError),
    ]
    assert all(base != other for other in others)


def test_policies_are_frozen() -> None:
    retry = Retry(2)
    with pytest.raises(AttributeError):
        retry.times = 3  # type: ignore[misc]


def test_policies_survive_pickling() -> None:
    retry = Retry(2, delay=0.5, backoff=1.5, on=(ConnectionError, TimeoutError))

    copy = pickle.loads(pickle.dumps(retry))

    assert copy == retry
    assert hash(copy) == hash(retry)
    assert copy.delays() == (0.5, 0.75)


def test_repr_reads_like_the_call() -> None:
    assert repr(Retry(2, delay=0.5, on=ConnectionError)) == (
        "Retry(2, delay=0.5, backoff=2.0, on=(ConnectionError,))"
    )
    assert repr(Retry(1, on=(OSError, KeyError))) == (
        "Retry(1, delay=1.0, backoff=2.0, on=(OSError, KeyError))"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"times": -1}, "times must be 0 or more (the retries after a failure), got -1."),
        ({"times": 1, "delay": -0.5}, "delay must be a number of seconds, 0 or more, got -0.5."),
        ({"times": 1, "delay": math.inf}, "delay must be a number of seconds, 0 or more, got inf"),
        ({"times": 1, "backoff": 0.5}, "backoff must be 1 or more (1 waits the same delay"),
        ({"times": 1, "backoff": math.nan}, "backoff must be 1 or more"),
    ],
)
def test_out_of_range_numbers_are_value_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=r"^Invalid retry policy: ") as info:
        Retry(**kwargs)
    assert message in str(info.value)


def test_every_range_problem_is_reported_at_once() -> None:
    with pytest.raises(ValueError, match=r"times must .* delay must .* backoff must"):
        Retry(-1, delay=-1, backoff=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"times": "3"}, "times must be a whole number of retries, got '3'."),
        ({"times": 2.0}, "times must be a whole number of retries, got 2.0."),
        ({"times": True}, "times must be a whole number of retries, got True."),
        ({"times": 1, "delay": "1s"}, "delay must be a number, got '1s'."),
        ({"times": 1, "backoff": None}, "backoff must be a number, got None."),
        ({"times": 1, "on": "OSError"}, "on must be an exception class or a tuple of them"),
        ({"times": 1, "on": ()}, "on must be an exception class or a tuple of them"),
        ({"times": 1, "on": (OSError, 3)}, "on must be an exception class or a tuple of them"),
        ({"times": 1, "on": KeyboardInterrupt}, "(subclasses of Exception)"),
    ],
)
def test_wrong_types_are_type_errors(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(TypeError, match=r"^Invalid retry policy: ") as info:
        Retry(**kwargs)
    assert message in str(info.value)
