"""WSGI entry point: `gunicorn wsgi:app`."""

from peerwork import create_app

app = create_app()
