"""Reference (pure numpy) dropout, and the lecture's own numpy function.

Two things live here side by side on purpose:

* ``lecture_dropout`` -- the function printed under 函数实现 in the source
  lecture, run *exactly as printed* (the source string below is exec'd, so the
  text the app shows is the code that runs), defects included.
* ``dropout`` / ``dropout_inference`` -- what that function means to do,
  written so that it can be trusted as the reference the torch layers are
  tested against.

``lecture_defects()`` runs the lecture function and reports, from what
actually happened, where it goes wrong.

Convention: ``keep_p`` is the paper's p, the probability of KEEPING a unit.
The lecture's function takes ``discard_prob = 1 - keep_p``; PyTorch's
``nn.Dropout(p)`` takes the drop probability too.
"""

from __future__ import annotations

import linecache
import warnings
from dataclasses import asdict, dataclass

import numpy as np

from .validation import SCALINGS, as_generator, check_keep_p, check_scaling

__all__ = [
    "LECTURE_DROPOUT_SOURCE",
    "lecture_dropout",
    "check_keep_p",
    "as_generator",
    "dropout",
    "dropout_inference",
    "SCALINGS",
    "LectureDefect",
    "lecture_defects",
]

# Verbatim from the lecture (函数实现), line numbers removed. Do not "fix" it:
# the point of this module is to show what this exact text does.
LECTURE_DROPOUT_SOURCE = '''\
import numpy as np

"""
discard_prob : 每个神经元被丢弃的概率，计算时要换成keep_prob
"""
def dropout(x, discard_prob=0.5, seed=None):
    if discard_prob < 0 or discard_prob > 1:
        raise ValueError('Dropout prob must be in interval [0,1].')

    keep_prob = 1 - discard_prob

    seed = np.random.seed(seed)

    random_tensor = np.random.binomial(n=1, p=keep_prob, size=x.shape)

    x *= random_tensor

    x /= keep_prob

    return x
'''

_LECTURE_FILENAME = "<lecture 函数实现: dropout>"


def _load_lecture_function():
    # Registering the text with linecache makes tracebacks and
    # inspect.getsource() show the lecture's lines instead of nothing.
    lines = LECTURE_DROPOUT_SOURCE.splitlines(keepends=True)
    linecache.cache[_LECTURE_FILENAME] = (len(LECTURE_DROPOUT_SOURCE), None, lines, _LECTURE_FILENAME)
    namespace: dict = {"__name__": "dropviz.lecture"}
    exec(compile(LECTURE_DROPOUT_SOURCE, _LECTURE_FILENAME, "exec"), namespace)
    return namespace["dropout"]


#: The lecture's ``dropout(x, discard_prob=0.5, seed=None)``, exactly as printed.
#: It reseeds numpy's *global* generator and modifies ``x`` in place.
lecture_dropout = _load_lecture_function()


# --------------------------------------------------------------------------
# The reference implementation
# --------------------------------------------------------------------------


def _as_float_array(x) -> np.ndarray:
    """A float array that never aliases the caller's memory.

    Integer and bool inputs become float64 (the lecture's in-place division on
    an int array fails half-way); float16/32/64 keep their dtype.
    """
    arr = np.asarray(x)
    if arr.dtype.kind in "biu":
        return arr.astype(np.float64)  # astype copies
    if arr.dtype.kind == "f":
        return arr.copy()
    raise TypeError(f"dropout needs a real numeric array, got dtype {arr.dtype}")


def dropout(x, keep_p, rng, *, scaling: str = "inverted", return_mask: bool = False):
    """Training-time dropout on a numpy array.

    Each element is kept independently with probability ``keep_p``
    (mask r ~ Bernoulli(keep_p)):

    * ``scaling="inverted"`` (what frameworks do today): y = r * x / keep_p, so
      E[y] = x and Var[y] = x^2 (1 - keep_p) / keep_p; inference is the
      identity.
    * ``scaling="weight-scaling"`` (the paper's original formulation):
      y = r * x; at test time the outputs are multiplied by keep_p instead
      (see :func:`dropout_inference`).

    Parameters
    ----------
    x : array_like; never modified. Integer/bool input is promoted to float64.
    keep_p : float in (0, 1], the paper's p.
    rng : ``np.random.Generator`` or int seed (required; the global numpy
        state is never read or written).
    return_mask : also return the boolean mask ``r``.

    ``keep_p == 1`` returns an unchanged copy and draws nothing from ``rng``,
    so a keep_p=1 run consumes the same random stream as no dropout at all.

    Example
    -------
    >>> y, r = dropout([1.0, 2.0, 3.0, 4.0], 0.5, 0, return_mask=True)
    >>> bool(np.all(y[r] == np.array([1.0, 2.0, 3.0, 4.0])[r] * 2))
    True
    """
    keep = check_keep_p(keep_p)
    check_scaling(scaling)
    out = _as_float_array(x)
    if keep == 1.0:
        mask = np.ones(out.shape, dtype=bool)
        return (out, mask) if return_mask else out
    gen = as_generator(rng)
    # random() < keep is Bernoulli(keep) and, unlike binomial(1, keep),
    # gives a bool mask that is cheap to store for the mask views.
    mask = gen.random(out.shape) < keep
    out *= mask
    if scaling == "inverted":
        out /= keep  # keep > 0 is guaranteed by check_keep_p
    return (out, mask) if return_mask else out


def dropout_inference(x, keep_p, scaling: str = "inverted") -> np.ndarray:
    """Test-time counterpart of :func:`dropout` (deterministic, returns a copy).

    inverted: y = x (the 1/keep_p was already paid during training);
    weight-scaling: y = keep_p * x, the expected value of r * x.
    """
    keep = check_keep_p(keep_p)
    check_scaling(scaling)
    out = _as_float_array(x)
    if scaling == "weight-scaling":
        out *= keep
    return out


# --------------------------------------------------------------------------
# The lecture function's defects, demonstrated by running it
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class LectureDefect:
    """One defect of the lecture's function, with what running it showed."""

    key: str  # short identifier, e.g. "global-seed"; its name and explanation are text (ui/text/lecture.py)
    code: str  # the snippet that was executed to observe it
    # What actually happened, computed at call time: which sentence ("outcome.<case>" in ui/text/lecture.py),
    # the numbers and texts it quotes, and for each either-or word of it the word's key ("word.<key>").
    case: str
    values: dict
    words: dict

    def as_dict(self) -> dict:
        return asdict(self)


def _fmt(a) -> str:
    return np.array2string(np.asarray(a), precision=4, separator=", ")


def _run_snippet(code: str) -> dict:
    """Exec ``code`` with ``np`` and ``lecture_dropout`` in scope.

    Running the very text we display keeps snippet and outcome honest. The
    lecture function reseeds numpy's global generator, so its state is saved
    and restored: showing the defect must not inflict it on the caller.
    """
    state = np.random.get_state()
    namespace = {"np": np, "lecture_dropout": lecture_dropout}
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            exec(compile(code, "<lecture defect demo>", "exec"), namespace)
    finally:
        np.random.set_state(state)
    namespace["_warnings"] = [f"{w.category.__name__}: {w.message}" for w in caught]
    return namespace


_SEED_CODE = """\
np.random.seed(123)                 # the caller's own reproducible setup
returned = np.random.seed(0)        # what the lecture stores in `seed`
np.random.seed(123)
lecture_dropout(np.ones(4), discard_prob=0.5, seed=0)
next_after_call = np.random.rand()  # the caller's next global draw
np.random.seed(0); np.random.binomial(n=1, p=0.5, size=4)
next_after_seed0 = np.random.rand()
np.random.seed(123); np.random.binomial(n=1, p=0.5, size=4)
next_if_untouched = np.random.rand()
np.random.seed(123); lecture_dropout(np.ones(4), seed=None); a = np.random.rand()
np.random.seed(123); lecture_dropout(np.ones(4), seed=None); b = np.random.rand()
"""


def _seed_outcome(ns: dict) -> tuple[str, dict, dict]:
    reseeded = ns["next_after_call"] == ns["next_after_seed0"]
    values = {
        "returned": repr(ns["returned"]),
        "after_call": ns["next_after_call"],
        "after_seed0": ns["next_after_seed0"],
        "untouched": ns["next_if_untouched"],
        "a": ns["a"],
        "b": ns["b"],
    }
    words = {
        "relation": "same_as" if reseeded else "different_from",
        "reseeded": "was" if reseeded else "was_not",
        "equal": "equal" if ns["a"] == ns["b"] else "not_equal",
    }
    return "global-seed", values, words


_INPLACE_CODE = """\
x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
before = x.copy()
y = lecture_dropout(x, discard_prob=0.5, seed=1)
after = x.copy()
same_object = y is x
"""


def _inplace_outcome(ns: dict) -> tuple[str, dict, dict]:
    changed = not np.array_equal(ns["before"], ns["after"])
    words = {
        "changed": "modified_in_place" if changed else "unchanged",
        "identity": "is" if ns["same_object"] else "is_not",
    }
    return "in-place", {"before": _fmt(ns["before"]), "after": _fmt(ns["after"])}, words


_INT_CODE = """\
x = np.array([1, 2, 3, 4, 5, 6])
before = x.copy()
try:
    result = lecture_dropout(x, discard_prob=0.5, seed=1)
    error = None
except Exception as exc:
    result, error = None, exc
after = x.copy()
"""


def _int_outcome(ns: dict) -> tuple[str, dict, dict]:
    before, after, error = ns["before"], ns["after"], ns["error"]
    touched = not np.array_equal(before, after)
    if error is not None:
        values = {
            "error_type": type(error).__name__,
            "error": str(error),
            "before": _fmt(before),
            "after": _fmt(after),
            "numpy": np.__version__,
        }
        return "integer-input.raised", values, {"left": "left_masked" if touched else "left_as_it_was"}
    values = {
        "dtype": str(np.asarray(ns["result"]).dtype),
        "before": _fmt(before),
        "result": _fmt(ns["result"]),
        "numpy": np.__version__,
    }
    return "integer-input.no-error", values, {}


_ZERO_KEEP_CODE = """\
x = np.array([1.0, -2.0, 3.0])
result = lecture_dropout(x.copy(), discard_prob=1.0, seed=0)
"""


def _zero_keep_outcome(ns: dict) -> tuple[str, dict, dict]:
    res = ns["result"]
    values = {
        "result": _fmt(res),
        "nan": int(np.isnan(res).sum()),
        "inf": int(np.isinf(res).sum()),
        "size": res.size,
        "warnings": "; ".join(ns["_warnings"]),
    }
    return "discard-all", values, {} if values["warnings"] else {"warnings": "no_warning"}


_NAN_CODE = """\
try:
    lecture_dropout(np.ones(3), discard_prob=float('nan'), seed=0)
    error = None
except Exception as exc:
    error = exc
"""


def _nan_outcome(ns: dict) -> tuple[str, dict, dict]:
    error = ns["error"]
    if error is None:
        return "nan-prob.no-error", {}, {}
    passed_check = "Dropout prob must be" not in str(error)
    words = {"check": "check_let_nan_through" if passed_check else "check_caught_it"}
    return "nan-prob.raised", {"error_type": type(error).__name__, "error": str(error)}, words


_DEFECTS = (
    ("global-seed", _SEED_CODE, _seed_outcome),
    ("in-place", _INPLACE_CODE, _inplace_outcome),
    ("integer-input", _INT_CODE, _int_outcome),
    ("discard-all", _ZERO_KEEP_CODE, _zero_keep_outcome),
    ("nan-prob", _NAN_CODE, _nan_outcome),
)


def lecture_defects() -> list[LectureDefect]:
    """Run the lecture's function and report each defect from what happened.

    Nothing is hard-coded except the snippets: each outcome's numbers come from
    executing the snippets now, with the installed numpy (the sentences around
    them are UI text). numpy's global random state is restored after each snippet.
    """
    records = []
    for key, code, describe in _DEFECTS:
        case, values, words = describe(_run_snippet(code))
        records.append(LectureDefect(key=key, code=code, case=case, values=values, words=words))
    return records
