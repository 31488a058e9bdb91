"""WSGI entry point for gunicorn: `gunicorn perception.wsgi`."""

import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perception.settings")

application = get_wsgi_application()

# Load the URLconf, and with it every view and what they import (pandas, scipy and
# matplotlib for the analysis pages), while the worker starts: otherwise the first request
# each worker serves after a start or restart pays over a second of CPU for it.
get_resolver().url_patterns  # noqa: B018 -- read for its side effect
# pandas and scipy.special are imported on first use (a command reading a stored document
# needs neither); a server loads them now, in one thread, before any request.
import pandas  # noqa: E402
import scipy.special  # noqa: E402, F401

pandas.DataFrame  # noqa: B018 -- read for its side effect: the lazily imported module loads
