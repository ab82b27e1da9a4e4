"""Plots and overlays for reports and tools (registers nothing)."""
