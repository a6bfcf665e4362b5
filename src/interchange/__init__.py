"""Interchange: pseudonymised social-services records exchanged between agencies."""

__version__ = "0.1.0"
