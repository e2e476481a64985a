"""Grading: the only package that imports pytest and testinfra.

Rubric files import the check API from ``cloudlab.grading.api``.
"""
