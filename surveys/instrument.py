"""The built-in IT service perception instrument, slug ``it-service``.

Written for Perception (not taken from a published instrument). Fifteen agreement
items, three per dimension, two of them reverse scored; one 0–10 question; two free-text
questions. It is installed by a data migration, so every fresh install has it.
"""

SLUG = "it-service"
TITLE = "How is IT doing for you?"
INTRO = (
    "Tell us how IT's help feels from where you sit. It takes about three minutes. "
    "Skip any statement you can't judge."
)

# (dimension, text, reverse_scored)
AGREEMENT_ITEMS = [
    ("Reliability", "The IT systems I need are available when I need them.", False),
    ("Reliability", "When IT says a problem is fixed, it stays fixed.", False),
    ("Reliability", "IT does what it says it will do, when it says it will.", False),
    ("Responsiveness", "When I ask IT for help, I hear back quickly.", False),
    ("Responsiveness", "I am kept waiting too long for IT problems to be solved.", True),
    ("Responsiveness", "IT treats urgent problems with the urgency they need.", False),
    ("Competence", "IT staff know how to solve the problems I bring them.", False),
    ("Competence", "IT usually gets it right the first time.", False),
    ("Competence", "IT understands the tools my work depends on.", False),
    ("Communication and empathy", "IT explains things in words I understand.", False),
    ("Communication and empathy", "IT understands what my work involves and why it matters.", False),
    ("Communication and empathy", "IT tells me in good time about changes that affect my work.", False),
    ("Professionalism", "IT staff are courteous and respectful.", False),
    ("Professionalism", "I trust IT to handle confidential information with care.", False),
    ("Professionalism", "IT staff make me feel that my question is a nuisance.", True),
]

DIMENSIONS = sorted({dimension for dimension, _, _ in AGREEMENT_ITEMS})

RECOMMEND = "How likely are you to recommend IT's help to a colleague?"
CHANGE = "What one thing should IT change?"
GOT_IN_THE_WAY = "Was there a time IT got in the way of your work? What were you trying to get done?"
GOT_IN_THE_WAY_HELP = "We assume you had a good reason. Workarounds tell us what we are not yet providing."


def install(Survey, Question) -> None:
    """Create the instrument if it is missing. Takes model classes so migrations can call it."""
    survey, created = Survey.objects.get_or_create(
        slug=SLUG, defaults={"title": TITLE, "intro": INTRO, "anonymity": "anonymous"}
    )
    if not created:
        return
    order = 0
    for dimension, text, reverse in AGREEMENT_ITEMS:
        order += 10
        Question.objects.create(
            survey=survey,
            order=order,
            text=text,
            kind="rating_5",
            dimension=dimension,
            reverse_scored=reverse,
        )
    # Migrations before 0007 know no likelihood_to_recommend field; 0007 then sets it.
    recommend = {"likelihood_to_recommend": True} if _has_field(Question, "likelihood_to_recommend") else {}
    Question.objects.create(
        survey=survey,
        order=order + 10,
        text=RECOMMEND,
        kind="scale_10",
        required=True,
        low_label="Not at all likely",
        high_label="Extremely likely",
        **recommend,
    )
    Question.objects.create(survey=survey, order=order + 20, text=CHANGE, kind="text")
    Question.objects.create(
        survey=survey,
        order=order + 30,
        text=GOT_IN_THE_WAY,
        help_text=GOT_IN_THE_WAY_HELP,
        kind="text",
    )


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def mark_recommend(Question) -> None:
    """Mark the instrument's 0–10 recommend question as likelihood-to-recommend (for
    installs made before the field existed). Takes the model class so migrations can call it."""
    Question.objects.filter(survey__slug=SLUG, kind="scale_10", text=RECOMMEND).update(
        likelihood_to_recommend=True
    )
