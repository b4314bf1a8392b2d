"""Volunteer workspace: training, profile, availability, offers, conversations."""
