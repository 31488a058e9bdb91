"""WSGI entry point for gunicorn: `gunicorn perception.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")

application = get_wsgi_application()
