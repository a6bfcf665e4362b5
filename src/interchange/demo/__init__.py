"""Synthetic Kretinga data and the end-to-end demo."""
