"""Tidegate: let AI agents change code under rules that can be proven afterwards."""

__version__ = "0.1.0"

__all__ = ["__version__"]
