"""Evaluation: mode coverage on toy mixtures, the Parzen-window log-likelihood, and
MNIST class coverage and nearest neighbours."""
from tinygan.metrics.digits import class_coverage, nearest_neighbours, predict, train_digit_classifier
from tinygan.metrics.modes import COVERAGE_GOALS, coverage_shortfalls, mode_coverage
from tinygan.metrics.parzen import PAPER_SIGMAS, parzen_evaluation, parzen_log_likelihood

__all__ = ["mode_coverage", "COVERAGE_GOALS", "coverage_shortfalls", "parzen_log_likelihood",
           "parzen_evaluation", "PAPER_SIGMAS",
           "train_digit_classifier", "class_coverage", "nearest_neighbours", "predict"]
