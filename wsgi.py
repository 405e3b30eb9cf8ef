"""WSGI entry point: ``gunicorn wsgi:app``."""

from votesvc import create_app

app = create_app()
