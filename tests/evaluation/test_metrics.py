import pytest
from hypothesis import given
from hypothesis import strategies as st

from receptionist.evaluation.metrics import UNPLACED, percentile, score


def test_hand_worked_example() -> None:
    gold = ["a", "a", "a", "b", "b", "c"]
    pred = ["a", "a", "b", "b", None, "a"]
    s = score(gold, pred)
    assert s.n == 6
    assert s.accuracy == pytest.approx(3 / 6)
    # a: tp 2, predicted 3, support 3 -> p 2/3 r 2/3 ; b: tp 1, predicted 2, support 2 -> p .5 r .5 ; c: 0
    assert s.per_label["a"].f1 == pytest.approx(2 / 3)
    assert s.per_label["b"].f1 == pytest.approx(0.5)
    assert s.per_label["c"].f1 == 0
    assert s.macro_f1 == pytest.approx((2 / 3 + 0.5 + 0) / 3)
    assert s.confusion["b"] == {"b": 1, UNPLACED: 1}


def test_unplaced_is_always_wrong() -> None:
    assert score(["a"], [None]).accuracy == 0


labels = st.sampled_from(["x", "y", "z"])


@given(st.lists(st.tuples(labels, st.one_of(labels, st.none())), min_size=1))
def test_accuracy_matches_count_and_f1_bounded(pairs) -> None:
    gold = [g for g, _ in pairs]
    pred = [p for _, p in pairs]
    s = score(gold, pred)
    assert s.accuracy == pytest.approx(sum(g == p for g, p in pairs) / len(pairs))
    assert 0 <= s.macro_f1 <= 1
    assert sum(sum(row.values()) for row in s.confusion.values()) == len(pairs)


def test_percentile() -> None:
    assert percentile([], 95) == 0
    assert percentile([5], 50) == 5
    assert percentile(list(range(1, 101)), 50) == pytest.approx(50.5)
    assert percentile([1, 2, 3, 4], 100) == 4
