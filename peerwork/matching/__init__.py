"""Matching: eligibility and ranking (pure) and the offer lifecycle (database)."""
