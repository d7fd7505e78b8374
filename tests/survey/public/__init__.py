"""Tests of the citizen web survey."""
