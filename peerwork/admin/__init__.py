"""HR admin: program setup, topics, peers, training authoring, reports, audit.

May import: the domain (conversations, matching, checkins, training, safety),
the SMS channel, hours, and the ground (access, audit, auth, models...).
Never another person's package (peers, texter), but for the texter's keyword
registry: a topic keyword must not shadow a command.
"""
