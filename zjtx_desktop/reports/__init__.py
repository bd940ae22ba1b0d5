"""Printable reports: one PDF layout (`document.py`) and a builder per report kind."""
