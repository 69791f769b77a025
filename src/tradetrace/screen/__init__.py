"""Screening: sanctions lists with listing dates, and matching parties against them."""
