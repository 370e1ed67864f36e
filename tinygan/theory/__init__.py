"""GAN theory you can check numerically: divergences, the optimal discriminator, the
value function and C(G), estimators from samples, generator-gradient diagnostics, and the
Wasserstein distance with its critic."""
from tinygan.theory.divergences import (entropy, jsd, jsd_densities, kl, kl_densities,
                                        kl_diagonal_gaussian, kl_gaussian)
from tinygan.theory.estimators import (JSDEstimate, discriminator_jsd, fit_discriminator,
                                       histogram_jsd)
from tinygan.theory.game import (LOG4, binary_objective, binary_objective_argmax,
                                 generator_criterion, label_smoothed_optimum,
                                 optimal_discriminator, value_function)
from tinygan.theory.saturation import generator_gradient
from tinygan.theory.wasserstein import (CriticEstimate, critic_wasserstein_estimate,
                                        gradient_penalty, parallel_lines_distances,
                                        parallel_lines_gradients, parallel_lines_samples,
                                        wasserstein1_gaussian, wasserstein1_gaussian_quadrature,
                                        wasserstein1_quantiles, wasserstein1_samples,
                                        wasserstein2_gaussian)

__all__ = ["entropy", "kl", "jsd", "kl_densities", "jsd_densities", "kl_gaussian",
           "kl_diagonal_gaussian", "binary_objective", "binary_objective_argmax",
           "optimal_discriminator", "value_function", "generator_criterion",
           "label_smoothed_optimum", "LOG4", "histogram_jsd", "fit_discriminator",
           "discriminator_jsd", "JSDEstimate", "generator_gradient",
           "wasserstein1_quantiles", "wasserstein1_gaussian", "wasserstein1_gaussian_quadrature",
           "wasserstein2_gaussian", "wasserstein1_samples", "parallel_lines_samples",
           "parallel_lines_distances", "parallel_lines_gradients", "gradient_penalty",
           "critic_wasserstein_estimate", "CriticEstimate"]
