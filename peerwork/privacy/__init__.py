"""Personal data protection: encryption, keyed hashes, pseudonyms, retention.

May import: models, clock, config, queue and extensions (the ground);
`privacy.jobs` sits with the job entry points.
"""
