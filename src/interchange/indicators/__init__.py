"""Indicators: the catalogue, their computation, disclosure control and publications."""
