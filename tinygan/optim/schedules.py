"""Schedules the 2014 paper used, as functions of the update count t (so a resumed run
recomputes them exactly from t alone).

- ``ExponentialDecay``: η_t = max(η₀ / factorᵗ, floor) — the paper: η₀ = 0.1,
  factor 1.000004, floor 1e-6. The floor stops the decay; it never raises a rate that
  starts below it (η_t ≤ η₀ always).
- ``LinearRamp``: a hyper-parameter moving linearly from ``start`` to ``end`` over
  ``steps`` updates, then held — the paper's momentum 0.5 → 0.7.
"""

__all__ = ["Schedule", "ExponentialDecay", "LinearRamp"]


class Schedule:
    """Sets ``group[key] = value(t)`` on every parameter group of an optimizer at each
    ``step()``; ``t`` counts the steps taken."""

    key = "lr"

    def __init__(self, optimizer, key=None):
        self.optimizer = optimizer
        self.key = key or self.key
        self.t = 0
        self._apply()

    def value(self, t):
        raise NotImplementedError

    def _apply(self):
        for group in self.optimizer.param_groups:
            group[self.key] = self.value(self.t)

    def step(self):
        self.t += 1
        self._apply()

    def state_dict(self):
        return {"t": self.t}

    def load_state_dict(self, state):
        self.t = int(state["t"])
        self._apply()


class ExponentialDecay(Schedule):
    def __init__(self, optimizer, initial, factor=1.000004, floor=1e-6, key="lr"):
        self.initial, self.factor, self.floor = initial, factor, floor
        super().__init__(optimizer, key)

    def value(self, t):
        try:
            decayed = self.initial / self.factor ** t
        except OverflowError:                  # factorᵗ beyond a float: decayed to nothing
            decayed = 0.0
        return max(decayed, min(self.floor, self.initial))


class LinearRamp(Schedule):
    def __init__(self, optimizer, start, end, steps, key="momentum"):
        if steps <= 0:
            raise ValueError(f"a ramp needs a positive number of steps, got {steps}")
        self.start, self.end, self.steps = start, end, steps
        super().__init__(optimizer, key)

    def value(self, t):
        return self.start + (self.end - self.start) * min(t / self.steps, 1.0)
