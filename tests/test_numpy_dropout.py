"""The numpy reference dropout and the lecture function's demonstrated defects."""

import inspect
import math

import numpy as np
import pytest

from dropviz.numpy_dropout import (
    LECTURE_DROPOUT_SOURCE,
    check_keep_p,
    dropout,
    dropout_inference,
    lecture_defects,
    lecture_dropout,
)
from ui.text.lecture import OUTCOME_TEXT


@pytest.fixture(autouse=True)
def _restore_global_numpy_rng():
    # These tests run the lecture function, which reseeds numpy's global
    # generator; other test modules in the same process must not notice.
    state = np.random.get_state()
    yield
    np.random.set_state(state)


# ---------------------------------------------------------------- statistics


@pytest.mark.parametrize("keep_p", [0.1, 0.5, 0.8])
def test_mask_density_within_binomial_bound(keep_p):
    n = 200_000
    _, mask = dropout(np.ones(n), keep_p, 0, return_mask=True)
    sigma = math.sqrt(n * keep_p * (1 - keep_p))
    assert abs(mask.sum() - n * keep_p) < 5 * sigma


@pytest.mark.parametrize("keep_p", [0.2, 0.5, 0.9])
def test_inverted_dropout_preserves_mean_and_has_known_variance(keep_p):
    n = 400_000
    x = 3.0
    y = dropout(np.full(n, x), keep_p, np.random.default_rng(7))
    var = x * x * (1 - keep_p) / keep_p
    # The mean of n draws has sd sqrt(var/n); 5 of those is a safe bound.
    assert abs(y.mean() - x) < 5 * math.sqrt(var / n)
    # Sample variance of a two-point distribution: relative sd ~ few/sqrt(n).
    assert y.var() == pytest.approx(var, rel=0.02)
    # Only two values can appear: 0 and x / keep_p.
    assert set(np.unique(y)) <= {0.0, x / keep_p}


def test_weight_scaling_keeps_values_and_inference_multiplies():
    x = np.arange(1.0, 9.0)
    y, mask = dropout(x, 0.5, 3, scaling="weight-scaling", return_mask=True)
    np.testing.assert_array_equal(y, np.where(mask, x, 0.0))
    np.testing.assert_array_equal(dropout_inference(x, 0.5, "weight-scaling"), x * 0.5)
    np.testing.assert_array_equal(dropout_inference(x, 0.5, "inverted"), x)


def test_inverted_kept_values_are_divided_by_keep_p():
    x = np.arange(1.0, 101.0)
    y, mask = dropout(x, 0.25, 11, return_mask=True)
    np.testing.assert_allclose(y[mask], x[mask] / 0.25)
    assert np.all(y[~mask] == 0)


def test_callers_array_untouched_and_not_aliased():
    x = np.array([1.0, 2.0, 3.0, 4.0])
    before = x.copy()
    y = dropout(x, 0.5, 0)
    np.testing.assert_array_equal(x, before)
    assert not np.shares_memory(x, y)


def test_integers_promoted_to_float64_and_float32_kept():
    x = np.array([1, 2, 3, 4, 5, 6])
    y, mask = dropout(x, 0.5, 1, return_mask=True)
    assert y.dtype == np.float64
    np.testing.assert_allclose(y, np.where(mask, x / 0.5, 0.0))
    np.testing.assert_array_equal(x, [1, 2, 3, 4, 5, 6])
    assert dropout(np.ones(3, np.float32), 0.5, 0).dtype == np.float32


def test_keep_p_one_is_identity_copy_without_rng_draw():
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    x = np.array([[1.0, -2.0], [3.0, 4.0]])
    y, mask = dropout(x, 1.0, rng, return_mask=True)
    np.testing.assert_array_equal(y, x)
    assert mask.all()
    assert not np.shares_memory(x, y)
    assert rng.bit_generator.state == state


def test_global_rng_is_never_touched():
    np.random.seed(42)
    expected = np.random.rand()
    np.random.seed(42)
    dropout(np.ones(100), 0.5, 0)
    dropout(np.ones(100), 0.5, np.random.default_rng(1))
    assert np.random.rand() == expected


def test_same_seed_same_mask_and_generator_argument():
    a = dropout(np.ones(50), 0.5, 9)
    b = dropout(np.ones(50), 0.5, np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bad", [0, 0.0, -0.1, 1.0001, 2, float("nan"), float("inf")])
def test_invalid_keep_p_message_names_value_and_range(bad):
    with pytest.raises(ValueError) as err:
        dropout(np.ones(3), bad, 0)
    msg = str(err.value)
    assert "keep_p" in msg and "(0, 1]" in msg and repr(bad) in msg


@pytest.mark.parametrize("bad", [True, "0.5", None])
def test_non_numeric_keep_p_rejected(bad):
    with pytest.raises(ValueError, match=r"keep_p must be a real number in \(0, 1\]"):
        check_keep_p(bad)


def test_rng_none_rejected_and_bad_scaling_rejected():
    with pytest.raises(TypeError, match="Generator or a non-negative int seed"):
        dropout(np.ones(3), 0.5, None)
    with pytest.raises(ValueError, match="scaling must be one of"):
        dropout(np.ones(3), 0.5, 0, scaling="rescale")


# ---------------------------------------------------------------- the lecture


def test_lecture_source_is_verbatim_and_is_what_runs():
    lines = LECTURE_DROPOUT_SOURCE.splitlines()
    assert lines[0] == "import numpy as np"
    assert "discard_prob : 每个神经元被丢弃的概率，计算时要换成keep_prob" in lines
    assert "    seed = np.random.seed(seed)" in lines
    assert lines[-1] == "    return x"
    assert len(lines) == 20  # the lecture numbers its lines 1..20
    # The function object was compiled from that very text.
    assert inspect.getsource(lecture_dropout) in LECTURE_DROPOUT_SOURCE
    assert lecture_dropout.__name__ == "dropout"


def _defects():
    return {d.key: d for d in lecture_defects()}


def _outcome(defect, lang: int = 0) -> str:
    """The sentence the Theory page shows for a defect: the engine's numbers in ui/text/lecture.py's words."""
    words = {name: OUTCOME_TEXT[f"word.{key}"][lang] for name, key in defect.words.items()}
    return OUTCOME_TEXT[f"outcome.{defect.case}"][lang].format(**defect.values, **words)


def test_defect_records_are_complete():
    defects = lecture_defects()
    assert [d.key for d in defects][:4] == ["global-seed", "in-place", "integer-input", "discard-all"]
    for d in defects:
        assert d.code and d.case.split(".")[0] == d.key
        # numbers and keys, no sentences: its name, explanation and outcome sentence are UI text
        assert set(d.as_dict()) == {"key", "code", "case", "values", "words"}
        for lang in (0, 1):
            assert _outcome(d, lang)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in _outcome(d, 1))


def test_defect_global_seed_demonstrated():
    # Direct demonstration, independent of the record's text.
    assert np.random.seed(0) is None
    np.random.seed(0)
    np.random.binomial(n=1, p=0.5, size=4)
    after_seed0 = np.random.rand()
    np.random.seed(123)
    lecture_dropout(np.ones(4), discard_prob=0.5, seed=0)
    assert np.random.rand() == after_seed0
    outcome = _outcome(_defects()["global-seed"])
    assert "returned None" in outcome and "was reseeded" in outcome
    assert f"{after_seed0:.6f}" in outcome


def test_lecture_defects_does_not_disturb_global_state():
    np.random.seed(2024)
    expected = np.random.rand()
    np.random.seed(2024)
    lecture_defects()
    assert np.random.rand() == expected


def test_defect_in_place_demonstrated():
    x = np.arange(1.0, 7.0)
    y = lecture_dropout(x, discard_prob=0.5, seed=1)
    assert y is x
    assert not np.array_equal(x, np.arange(1.0, 7.0))
    assert "modified in place" in _outcome(_defects()["in-place"])


def test_defect_integer_input_demonstrated():
    x = np.array([1, 2, 3, 4, 5, 6])
    # numpy 2: the in-place true division cannot cast float64 back to int64.
    with pytest.raises(TypeError):
        lecture_dropout(x, discard_prob=0.5, seed=1)
    # ...but the masking already happened in place.
    assert x.dtype.kind == "i"
    assert np.all((x == 0) | (x == np.arange(1, 7)))
    assert (x == 0).any()
    outcome = _outcome(_defects()["integer-input"])
    assert outcome.startswith("raised UFuncTypeError") and "masked but not rescaled" in outcome


def test_defect_discard_all_demonstrated():
    with pytest.warns(RuntimeWarning):
        out = lecture_dropout(np.array([1.0, -2.0, 3.0]), discard_prob=1.0, seed=0)
    assert np.isnan(out).all()
    outcome = _outcome(_defects()["discard-all"])
    assert "nan: 3" in outcome and "RuntimeWarning" in outcome
    # The reference refuses the same request up front.
    with pytest.raises(ValueError):
        dropout(np.ones(3), 0.0, 0)


def test_defect_nan_prob_demonstrated():
    with pytest.raises(ValueError) as err:
        lecture_dropout(np.ones(3), discard_prob=float("nan"), seed=0)
    assert "Dropout prob must be" not in str(err.value)
    assert "let NaN through" in _outcome(_defects()["nan-prob"])
