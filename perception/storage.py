"""Static files' URLs, worked out once per process."""

from whitenoise.storage import CompressedManifestStaticFilesStorage

# Distinct names a process keeps the URL of (templates name a few dozen files).
KEPT_URLS = 1_000


class ManifestStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """WhiteNoise's hashed, compressed files, each URL worked out once per name and
    process instead of once per ``{% static %}`` on every page (about 5% of the public
    survey page's CPU): the manifest is read when the process starts and does not change
    while it runs (``collectstatic`` runs before a deploy starts its processes)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name, force=False):
        if force:
            return super().url(name, force)
        url = self._urls.get(name)
        if url is None:
            url = super().url(name)  # a name missing from the manifest raises, and is not kept
            if len(self._urls) >= KEPT_URLS:
                self._urls.clear()
            self._urls[name] = url
        return url
