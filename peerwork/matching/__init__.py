"""Matching: eligibility and ranking (pure) and the offer lifecycle (database).

May import: the SMS channel, hours, audit and the ground below them. Never
conversations, checkins, safety or any person's package (they import it).
"""
