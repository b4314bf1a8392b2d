"""WSGI entry point: `gunicorn wsgi:app` (development secrets are made on first start)."""

from peerwork import create_app
from peerwork.cli import register
from peerwork.config import serving_instance_path

app = create_app(instance_path=serving_instance_path())
register(app)  # `flask --app wsgi ...` has the peerwork commands too
