"""The op table: every operation tinygan can differentiate, in one place.

An entry (:class:`Op`) holds an op's name, its forward computation on arrays, and one
gradient rule per input, side by side. Each op module (``arithmetic.py``,
``elementwise.py``, …) registers its ops here with the ``@op`` decorator of
``tinygan.tensor``. From this one table come:

* the ``Tensor`` methods and operators (``tensor.py`` lists each by name),
* the public functions (``tinygan.add``, ``tinygan.ops.sigmoid``, …),
* the reference table in ``docs/ops.md`` (``python -m tinygan.ops``),
* the test suite's first- and second-order gradient checks and float32 checks, which
  run every :class:`Case` of every entry, so an op cannot be added without its tests.

A gradient rule is ``rule(g, out, *inputs, **params) -> Tensor``: given g = ∂L/∂out, the
contribution to ∂L/∂input. Rules are written with Tensor ops, so gradients of gradients
work for every op; the engine runs a rule only when its input requires a gradient.
"""
from dataclasses import dataclass, field

__all__ = ["Op", "Case", "OPS", "register", "public_names", "markdown"]

ANYWHERE = (-2.0, 2.0)
POSITIVE = (0.5, 2.0)


@dataclass(frozen=True)
class Case:
    """One test input for an op: input shapes, the interval the values are drawn from,
    and optionally ``call(*inputs)`` when the op needs more than its tensor inputs."""
    shapes: tuple
    domain: tuple = ANYWHERE
    call: object = None
    label: str = ""


@dataclass(eq=False)
class Op:
    """A table entry. ``grads[i]`` is the rule for input i (``None``: not differentiable
    in that input, e.g. a condition); a ``variadic`` op has one rule for all inputs,
    called with ``position=i``. A ``derived`` entry is a composition of other ops: it
    has no rules of its own, its gradient comes from theirs."""
    name: str
    forward: object
    grads: tuple = ()
    methods: tuple = ()           # Tensor methods / operators that call it
    reflected: tuple = ()         # reflected operators (b.__radd__(a) = add(a, b))
    cases: tuple = ()
    broadcasts: bool = False      # inputs broadcast against each other
    variadic: bool = False
    derived: bool = False
    public: bool = True           # exported as tinygan.NAME
    arrays: bool = False          # rules also run on raw arrays (first-order passes)
    module: str = ""
    function: object = field(default=None, repr=False)   # the public, Tensor-level function

    def rules(self, count):
        """The gradient rules of ``count`` inputs, in order."""
        return self.grads * count if self.variadic else self.grads

    @property
    def differentiable(self):
        return self.derived or any(rule is not None for rule in self.grads)

    @property
    def formula(self):
        """(forward formula, gradient formula) from the docstring's first paragraph."""
        text = " ".join((self.forward.__doc__ or "").strip().split("\n\n")[0].split())
        forward, _, gradient = text.partition(";")
        gradient = gradient.strip().rstrip(".") or ("from its parts" if self.derived else "")
        return forward.strip(), gradient


OPS = {}


def register(entry):
    """Add an entry; a name can be registered once."""
    if entry.name in OPS:
        raise ValueError(f"op {entry.name!r} is registered twice")
    OPS[entry.name] = entry
    return entry


def public_names():
    return [name for name, entry in OPS.items() if entry.public]


def markdown():
    """The reference table of every op: name, module, formula, gradient, Tensor methods."""
    lines = ["# The op table", "",
             "Generated from `tinygan.ops.table` by `python -m tinygan.ops`; do not edit by hand.",
             "", "| op | defined in | forward | gradient | Tensor methods |",
             "|---|---|---|---|---|"]
    for name, entry in OPS.items():
        forward, gradient = entry.formula
        methods = ", ".join(f"`{m}`" for m in entry.methods + entry.reflected)
        where = entry.module.replace(".", "/") + ".py"
        visibility = "" if entry.public else " (internal)"
        lines.append(f"| `{name}`{visibility} | `{where}` | {forward} | {gradient} | {methods} |")
    return "\n".join(lines) + "\n"
