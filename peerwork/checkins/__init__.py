"""Check-ins, crisis plans, skill cards and resources."""
