from django.http import HttpRequest

from perception.models import SiteSettings


def site(request: HttpRequest) -> dict:
    """Make the site settings (organisation name, contact line) available to every page."""
    return {"site": SiteSettings.load()}
