"""Personal data protection: encryption, keyed hashes, pseudonyms, retention."""
