"""Every email Perception sends is a subject, text and HTML template trio
(``emails/<name>-subject.txt``, ``-body-text.txt``, ``-body-html.html``), rendered by one
function that adds the shared footer, and sent by one that adds the shared headers.

The HTML bodies extend ``emails/_base.html`` (layout and footer); the text bodies get
the same footer line here, so the two alternatives always say the same thing.
"""

from dataclasses import dataclass
from email.mime.image import MIMEImage

from django.core import mail
from django.template.loader import render_to_string
from django.utils import translation

from perception.models import SiteSettings

# RFC 3834: out-of-office robots do not answer; people still can.
HEADERS = {"Auto-Submitted": "auto-generated"}
INLINE_IMAGE_ID = "inline-image"


@dataclass(frozen=True)
class Email:
    subject: str
    text: str
    html: str


def footer_text(site: SiteSettings) -> str:
    return f"{site.organisation_name} · {site.it_team_name}"


def render(name: str, context: dict, language: str | None = None) -> Email:
    """The three parts of email ``name``, in ``language`` (else the active one); ``site``
    (the site settings) is always in the context."""
    with translation.override(language or translation.get_language()):
        context = {"site": SiteSettings.load(), "LANGUAGE_CODE": translation.get_language()} | context
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        text = render_to_string(f"emails/{name}-body-text.txt", context).strip()
        text = f"{text}\n\n{footer_text(context['site'])}\n"
        html = render_to_string(f"emails/{name}-body-html.html", context)
    return Email(subject, text, html)


def message(
    email: Email,
    *,
    to: list[str],
    from_email: str | None = None,
    inline_png: bytes | None = None,
    connection=None,
) -> mail.EmailMultiAlternatives:
    """A message ready to send: text with its HTML alternative, the shared headers, and
    an optional inline PNG the HTML shows as ``cid:inline-image``."""
    built = mail.EmailMultiAlternatives(
        subject=email.subject,
        body=email.text,
        from_email=from_email,
        to=to,
        headers=dict(HEADERS),
        connection=connection,
    )
    built.attach_alternative(email.html, "text/html")
    if inline_png:
        image = MIMEImage(inline_png, "png")
        image.add_header("Content-ID", f"<{INLINE_IMAGE_ID}>")
        image.add_header("Content-Disposition", "inline", filename="chart.png")
        built.mixed_subtype = "related"
        built.attach(image)
    return built
