"""Crisis detection and escalation (the one place alerts are created).

May import: matching (to mark a request as a crisis), the SMS channel, audit
and the ground. Never conversations, checkins or any person's package.
"""
