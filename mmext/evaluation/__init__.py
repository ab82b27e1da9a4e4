"""Evaluation as upstream splits it: ``functional/`` (plain numeric functions) and
``metrics/`` (registered evaluators). Reports written from predictions live in
:mod:`mmext.reports`."""
