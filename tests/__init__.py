"""Test suite of the showroom app."""
