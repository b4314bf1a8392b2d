"""Personal data protection: encryption, keyed hashes, pseudonyms, retention.

May import: models, clock, config, queue and extensions (the ground).
"""
