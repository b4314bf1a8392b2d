"""Volunteer workspace: training, profile, availability, offers, conversations.

May import: the domain (conversations, matching, training, safety), and the
ground (access, audit, models...). Never admin or the texter's side.
"""
