"""An exponential moving average of the generator's weights (a named, switchable
stabiliser; Yazıcı et al. 2019): θ_ema ← β θ_ema + (1 − β) θ after every G step, and the
same for batch norm's running statistics.
Samples from the averaged weights are sharper and steadier than from the last iterate."""
import copy

from tinygan.backend import split_elementwise

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    def __init__(self, model, decay=0.999):
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.model = copy.deepcopy(model)
        self.model.requires_grad_(False).eval()

    def update(self, model):
        """Average the parameters and the floating-point buffers (batch norm's running
        mean and variance) with the same decay, so the averaged G is evaluated with
        statistics of the same window of training as its weights (timm's ModelEmaV2 does
        the same); without them it would keep the statistics it was copied with."""
        for average, current in zip(self.model.parameters(), model.parameters()):
            split_elementwise(_average, (average.data, current.data), (self.decay,))
        for average, current in zip(self.model.buffers(), model.buffers()):
            if average.dtype.kind == "f":
                split_elementwise(_average, (average, current), (self.decay,))

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state):
        self.model.load_state_dict(state)


def _average(average, current, decay):
    """average ← β·average + (1 − β)·current, in place (on whole arrays or matching slices)."""
    average *= decay
    average += (1 - decay) * current
