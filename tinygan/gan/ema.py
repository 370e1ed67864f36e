"""An exponential moving average of the generator's weights (a named, switchable
stabiliser; Yazıcı et al. 2019), and of batch norm's running statistics with them.
Samples from the averaged weights are sharper and steadier than from the last iterate.

After t updates with the weights θ_1 … θ_t it holds their average weighted as
βᵗ⁻¹, βᵗ⁻², …, 1, divided by the weights' sum (1 − βᵗ)/(1 − β):

    θ_ema,t = Σ_k β^(t−k) θ_k (1 − β) / (1 − βᵗ)

It is the bias-corrected average of Adam's moments (Kingma & Ba 2015) and is computed
recursively as θ_ema ← β_t θ_ema + (1 − β_t) θ with β_t = 1 − (1 − β)/(1 − βᵗ): the first
update copies θ_1 (β_1 = 0) and β_t tends to β. The plain recursion started from G's
initial weights would keep βᵗ of them, random weights (1.1% after 4,500 updates at
β = 0.999), and blur every early sample with them."""
import copy
import math

from tinygan.backend import split_elementwise
from tinygan.nn.utils import spectral_norms

__all__ = ["ExponentialMovingAverage"]


class ExponentialMovingAverage:
    def __init__(self, model, decay=0.999):
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be in (0, 1), got {decay}")
        self.decay = decay
        self.updates = 0
        self.model = copy.deepcopy(model)
        self.model.requires_grad_(False).eval()

    def update(self, model):
        """Average the parameters and the floating-point buffers (batch norm's running
        mean and variance) with the same decay, so the averaged G is evaluated with
        statistics of the same window of training as its weights (timm's ModelEmaV2 does
        the same); without them it would keep the statistics it was copied with. A
        spectrally normalised layer's u and v then take one step of power iteration on the
        averaged weight, which makes them unit vectors again (an average of unit vectors is
        shorter) and keeps σ = uᵀWv an estimate of the averaged weight's norm."""
        self.updates += 1
        decay = 1 - (1 - self.decay) / (1 - self.decay ** self.updates)      # β_t
        for average, current in zip(self.model.parameters(), model.parameters()):
            split_elementwise(_average, (average.data, current.data), (decay,))
        for average, current in zip(self.model.buffers(), model.buffers()):
            if average.dtype.kind == "f":
                split_elementwise(_average, (average, current), (decay,))
        for layer, hook in spectral_norms(self.model):   # averaged, u and v are no longer
            hook.power_iterate(layer, 1)                 # unit vectors: one step on the averaged W

    def state_dict(self):
        return self.model.state_dict()

    def load_state_dict(self, state, updates=math.inf):
        """Load averaged weights that ``updates`` updates made (the trainer passes its step
        count); by default the average is taken as long since warm (β_t = β from here)."""
        self.model.load_state_dict(state)
        self.updates = updates


def _average(average, current, decay):
    """average ← β·average + (1 − β)·current, in place (on whole arrays or matching slices)."""
    average *= decay
    average += (1 - decay) * current
