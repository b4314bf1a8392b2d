"""The admin's pages, one module per page group, all on the one `admin` blueprint
(`common.bp`), so endpoint names and URLs are those of a single module.

May import: what peerwork.admin may import, and peerwork.admin itself.
"""
