"""Helpers for mmext's own tests: loading the repository's tools, reference implementations."""
from .tools import load_tool, tool_path

__all__ = ['load_tool', 'tool_path']
