"""The peer's and the supervisor's pages beside the workspace (peers/routes.py),
all on the one `peers` blueprint (`common.bp`): endpoint names and URLs are
those of a single module.

May import: what peerwork.peers may import, and peerwork.peers itself.
"""
