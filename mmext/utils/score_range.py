"""Scores and score thresholds are probabilities in [0, 1]: one check for command-line
arguments (:func:`score_thr_arg`, an argparse ``type``) and configs (:func:`check_score_thr`)."""
import argparse

from .errors import InputError

#: what a refusal says
RANGE = 'not in [0, 1] (scores are probabilities)'


def in_unit_interval(value) -> bool:
    """A real number (not a bool) in [0, 1]; NaN is not."""
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and 0.0 <= value <= 1.0)


def check_score_thr(value, name='score_thr') -> float:
    """``value`` as a float, or :class:`InputError` when it is not in [0, 1]."""
    if not in_unit_interval(value):
        raise InputError(f'{name} {value!r} is {RANGE}')
    return float(value)


def score_thr_arg(text: str) -> float:
    """argparse ``type`` of ``--score-thr``: refuses a value outside [0, 1] at parsing."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
    if not in_unit_interval(value):
        raise argparse.ArgumentTypeError(f'{text} is {RANGE}')
    return value
