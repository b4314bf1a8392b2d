"""Shipped data files (read with importlib.resources).

May import: nothing from peerwork.
"""
