"""What every optimizer shares: parameter groups, ``zero_grad``, and its state."""
from tinygan import backend

__all__ = ["Optimizer"]


class Optimizer:
    """Holds ``param_groups``: a list of dicts, each with its ``params`` and its own
    hyper-parameters (``lr``, ``momentum``, …). Pass a list of parameters for one group,
    or a list of dicts for several (e.g. different learning rates for G and D)."""

    def __init__(self, params, defaults):
        params = list(params)
        if not params:
            raise ValueError("the optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.defaults = defaults
        self.param_groups = []
        for group in groups:
            unknown = set(group) - set(defaults) - {"params"}
            if unknown:
                raise ValueError(f"unknown optimizer settings {sorted(unknown)}; "
                                 f"known: {sorted(defaults)}")
            self.param_groups.append({**defaults, **group, "params": list(group["params"])})
        self.state = {}      # id(parameter) -> dict of arrays and counters

    def parameters(self):
        return [p for group in self.param_groups for p in group["params"]]

    def zero_grad(self):
        for parameter in self.parameters():
            parameter.grad = None

    def step(self):
        for group in self.param_groups:
            for parameter in group["params"]:
                if parameter.grad is not None:
                    self.update(parameter, parameter.grad.data, group,
                                self.state.setdefault(id(parameter), {}))

    def update(self, parameter, grad, group, state):
        raise NotImplementedError

    # ----- saving ---------------------------------------------------------------------
    def state_dict(self):
        """Hyper-parameters per group and each parameter's state, keyed by its position."""
        groups = [{k: v for k, v in group.items() if k != "params"} for group in self.param_groups]
        state = {}
        for position, parameter in enumerate(self.parameters()):
            if id(parameter) in self.state:
                state[str(position)] = {key: value for key, value in self.state[id(parameter)].items()
                                        if not key.startswith("_")}
        return {"param_groups": groups, "state": state}

    def load_state_dict(self, saved):
        if len(saved["param_groups"]) != len(self.param_groups):
            raise ValueError(f"the saved optimizer has {len(saved['param_groups'])} parameter "
                             f"groups, this one {len(self.param_groups)}")
        for group, saved_group in zip(self.param_groups, saved["param_groups"]):
            group.update({k: v for k, v in saved_group.items() if k != "params"})
        parameters = self.parameters()
        self.state = {}
        for position, entries in saved["state"].items():
            parameter = parameters[int(position)]
            self.state[id(parameter)] = {
                key: (backend.asarray(value, dtype=parameter.dtype) if hasattr(value, "shape")
                      and value.shape == parameter.shape else value)
                for key, value in entries.items()}
        return self
