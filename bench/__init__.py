"""Benchmarks of the translator: ``python -m bench.translate`` measures the translation core.

Not part of the installed package: run from a checkout, with the project's virtualenv.
"""
