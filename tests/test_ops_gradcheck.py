"""Every op of the op table is checked from the table itself (minitorch's idea): each
:class:`~tinygan.ops.table.Case` of each entry runs a first-order and a second-order
gradient check in float64 and a float32-stays-float32 check, on every backend. Adding an
op without a case fails ``test_every_op_has_a_case``, so no op goes untested.

Tolerance: central differences with ε = 1e-6 have truncation error O(ε²·f''') ≈ 1e-12 and
rounding error ≈ 1e-16/ε = 1e-10 (for the second order, the differenced quantity is a
first-order gradient computed to ~1e-15, so the same bound holds), so atol 1e-6 /
rtol 1e-4 leaves a wide margin yet fails on any wrong formula (those are off by O(1)).
"""
import numpy as np
import pytest

import tinygan as tg
from tinygan import backend
from tinygan.ops.table import OPS

pytestmark = pytest.mark.usefixtures("on_backend")

CASES = [(name, case) for name, entry in OPS.items() for case in entry.cases]
DIFFERENTIABLE = [(name, case) for name, case in CASES if OPS[name].differentiable]
IDS = [f"{name} {case.label}".strip() for name, case in DIFFERENTIABLE]


def _inputs(case, seed, dtype="float64"):
    rng = np.random.default_rng(seed)
    low, high = case.domain
    values = [rng.uniform(low, high, shape) for shape in case.shapes]
    # keep entries away from kinks (0 for relu/abs, the clip bounds −0.5 and 0.7) by > ε,
    # shifting rather than replacing them so that no two entries tie (maxout, max)
    for kink in (0.0, -0.5, 0.7):
        values = [np.where(np.abs(v - kink) < 0.05, v + 0.1, v) for v in values]
    return [tg.tensor(v.astype(dtype), requires_grad=True) for v in values]


def _call(name, case):
    return case.call or OPS[name].function


def test_every_op_has_a_case():
    missing = [name for name, entry in OPS.items() if not entry.cases]
    assert not missing, f"ops without a test case in the table: {missing}"


def test_table_and_tensor_methods_agree():
    """Every method an entry names exists on Tensor and calls that entry; every op a
    Tensor method names is in the table."""
    from tinygan.tensor import METHODS
    for name, entry in OPS.items():
        for method in entry.methods + entry.reflected:
            assert hasattr(tg.Tensor, method), f"{name}: Tensor has no {method}"
            assert method == "T" or METHODS[method] == name
    for attribute, name in METHODS.items():
        assert name in OPS, f"Tensor.{attribute} names {name!r}, not in the table"
        assert attribute in OPS[name].methods + OPS[name].reflected, \
            f"Tensor.{attribute} calls {name} but the table does not list it"
        assert getattr(tg.Tensor, attribute).__doc__ == OPS[name].function.__doc__


def test_public_ops_are_exported_with_their_formula():
    for name, entry in OPS.items():
        forward, gradient = entry.formula
        assert forward and gradient, f"{name}: docstring needs 'y = …;  ∂y/∂x = …'"
        if entry.public:
            assert getattr(tg, name) is entry.function and name in tg.__all__


def test_docs_table_is_generated_from_the_table():
    from pathlib import Path
    from tinygan.ops.table import markdown
    docs = Path(__file__).resolve().parents[1] / "docs" / "ops.md"
    assert docs.read_text(encoding="utf-8") == markdown(), \
        "docs/ops.md is stale: run `python -m tinygan.ops > docs/ops.md`"


@pytest.mark.parametrize("name, case", DIFFERENTIABLE, ids=IDS)
def test_op_gradient_matches_finite_differences(name, case):
    inputs = _inputs(case, seed=len(name) + len(case.label))
    result = tg.gradcheck(_call(name, case), *inputs, eps=1e-6, atol=1e-6, rtol=1e-4)
    assert result.passed, str(result)
    assert result.max_abs_error < 1e-6


@pytest.mark.parametrize("name, case", DIFFERENTIABLE, ids=IDS)
def test_op_second_derivative_matches_finite_differences(name, case):
    inputs = _inputs(case, seed=len(name) + len(case.label))
    result = tg.gradgradcheck(_call(name, case), *inputs, eps=1e-6, atol=1e-6, rtol=1e-4)
    assert result.passed, str(result)


@pytest.mark.parametrize("name, case", DIFFERENTIABLE, ids=IDS)
def test_first_order_pass_on_arrays_equals_the_recorded_pass(name, case):
    """A first-order pass runs the rules on raw arrays (ops marked ``arrays``) or on
    unrecorded Tensors; with ``create_graph=True`` the same rules run on recorded Tensors.
    Both must give the same gradients, bit for bit (the same arithmetic in the same order)."""
    inputs = _inputs(case, seed=2, dtype="float32")
    results = []
    for create_graph in (False, True):
        out = _call(name, case)(*inputs)
        direction = tg.tensor(np.random.default_rng(0).normal(size=out.shape).astype("float32"))
        results.append(tg.grad((out * direction).sum(), inputs, create_graph=create_graph,
                               allow_unused=True))
    for plain, recorded in zip(*results):
        assert (plain is None) == (recorded is None)
        if plain is not None:
            np.testing.assert_array_equal(plain.numpy(), recorded.numpy())


@pytest.mark.parametrize("name, case", CASES, ids=[f"{n} {c.label}".strip() for n, c in CASES])
def test_op_keeps_float32(name, case):
    """No silent upcast: float32 in, float32 out, float32 gradients of the input's shape."""
    inputs = _inputs(case, seed=1, dtype="float32")
    out = _call(name, case)(*inputs)
    if not OPS[name].differentiable:
        assert out.dtype == np.bool_ and not out.requires_grad
        return
    assert out.dtype == np.float32
    out.sum().backward()
    for x in inputs:
        assert x.grad is None or (x.grad.dtype == np.float32 and x.grad.shape == x.shape)


def test_gradcheck_catches_a_wrong_gradient():
    """gradcheck itself can fail: an op whose rule is off by a factor 2 is reported."""
    from tinygan.tensor import op
    from tinygan.ops import table

    bad_square = op(grads=(lambda g, y, x: g * 4 * x,), public=False, name="bad_square")(
        lambda x: x ** 2)
    try:
        x = tg.tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
        with pytest.raises(tg.GradcheckError, match="worst entry is input 0"):
            tg.gradcheck(bad_square, x)
        result = tg.gradcheck(bad_square, x, raise_exception=False)
        assert not result.passed and result.max_abs_error > 1.0
    finally:
        del table.OPS["bad_square"]


def test_gradgradcheck_catches_a_rule_that_is_not_differentiable():
    """The classic higher-order bug: a rule that uses the input's raw data (detached) is
    right to first order and wrong to second (∂²x²/∂x² = 2, the detached rule gives 0)."""
    from tinygan.tensor import op
    from tinygan.ops import table

    detached_square = op(grads=(lambda g, y, x: g * 2 * tg.Tensor(x.data),), public=False,
                         name="detached_square")(lambda x: x ** 2)
    try:
        x = tg.tensor([0.3, -1.2, 2.0], dtype="float64", requires_grad=True)
        assert tg.gradcheck(detached_square, x)
        result = tg.gradgradcheck(detached_square, x, raise_exception=False)
        assert not result.passed and result.analytic == 0 and abs(result.numeric) > 0.1
        with pytest.raises(tg.GradcheckError, match="gradgradcheck FAILED"):
            tg.gradgradcheck(detached_square, x)
    finally:
        del table.OPS["detached_square"]


def test_gradcheck_refuses_float32():
    x = tg.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError, match="float64"):
        tg.gradcheck(tg.exp, x)


def test_arrays_live_on_the_active_backend(on_backend):
    x = tg.tensor([1.0, 2.0])
    assert backend.get_array_module(x.data) is backend.xp
    assert type(x.numpy()) is np.ndarray


def test_astype_gradient_is_converted_back():
    """astype is the identity on values, so its gradient is g in the input's dtype."""
    x = tg.tensor([0.25, -1.5], dtype="float64", requires_grad=True)
    (x.astype("float32") * tg.tensor([2.0, 3.0])).sum().backward()
    assert x.grad.dtype == np.float64
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 3.0])
