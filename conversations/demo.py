"""The listening log of the demo organisation: people, ten conversations of all three
kinds, coded notes and follow-up actions.

Two themes show the product's point: "Slow ticket resolution" is heard from many people
across channels (a trend), while "Printers" comes from one loud person who repeats it
many times (a single voice, worth a follow-up conversation, not a conclusion).
"""

from datetime import date, timedelta

from django.db import transaction

from conversations import services
from conversations.models import Action, Conversation, Person
from perception.models import Department, Theme

PEOPLE = [
    # name, role, department, influence, influencer, email
    ("Priya Shah", "Head of Finance Operations", "Finance", "high", True, "priya.shah@northwind.example"),
    ("Tom Becker", "Sales Director", "Sales", "high", True, "tom.becker@northwind.example"),
    ("Liam Chen", "Lab Manager", "Research", "high", True, "liam.chen@northwind.example"),
    ("Grace Okafor", "HR Business Partner", "Human Resources", "medium", False, ""),
    ("Maria Rossi", "Team Lead", "Customer Service", "medium", True, ""),
    ("Jonas Weber", "Operations Planner", "Operations", "low", False, ""),
    ("Aisha Khan", "Legal Counsel", "Legal", "medium", False, ""),
    ("Ben Hughes", "Accountant", "Finance", "low", False, ""),
    ("Derek Moss", "Warehouse Supervisor", "Operations", "medium", False, ""),
    ("Sofia Lind", "Account Manager", "Sales", "low", False, ""),
]

# (days ago, kind, departments, named participants, unnamed, summary, notes)
# notes: (person or None, text, themes, sentiment, quote)
CONVERSATIONS = [
    (
        290,
        "focus_group",
        ["Sales"],
        ["Tom Becker", "Sofia Lind"],
        4,
        "Quarterly focus group with the sales team about tools on the road.",
        [
            (
                "Tom Becker",
                "We lose deals waiting weeks for a CRM add-on to be approved.",
                ["Software requests"],
                -1,
                True,
            ),
            (
                "Sofia Lind",
                "Nobody tells us when the VPN changes; I found out at a client.",
                ["Communication of changes"],
                -1,
                False,
            ),
            (None, "Tickets about phones sit for days with no reply.", ["Slow ticket resolution"], -1, False),
        ],
    ),
    (
        250,
        "one_on_one",
        ["Finance"],
        ["Priya Shah"],
        0,
        "Monthly one-on-one with the head of finance operations.",
        [
            (
                "Priya Shah",
                "Month-end close is when we need IT most, and that is when tickets stall.",
                ["Slow ticket resolution"],
                -1,
                True,
            ),
            (
                "Priya Shah",
                "The new expense system was announced the day it went live.",
                ["Communication of changes"],
                -1,
                False,
            ),
        ],
    ),
    (
        220,
        "walkabout",
        ["Operations"],
        ["Derek Moss"],
        0,
        "",
        [
            ("Derek Moss", "The second-floor printer jammed again.", ["Printers"], -1, False),
            ("Derek Moss", "Printer still jams; we print pick lists by hand now.", ["Printers"], -1, True),
            ("Derek Moss", "Can someone look at that printer?", ["Printers"], -1, False),
        ],
    ),
    (
        190,
        "one_on_one",
        ["Research"],
        ["Liam Chen"],
        0,
        "Catch-up with the lab manager.",
        [
            (
                "Liam Chen",
                "Analysis software licences take a month; students install trial versions meanwhile.",
                ["Software requests"],
                -1,
                True,
            ),
            (
                "Liam Chen",
                "The help desk people are patient and know our instruments.",
                ["Friendly, helpful staff"],
                1,
                False,
            ),
        ],
    ),
    (
        150,
        "focus_group",
        ["Customer Service"],
        ["Maria Rossi"],
        5,
        "Focus group on the contact-centre tools.",
        [
            (
                "Maria Rossi",
                "When the phone system fails, our ticket waits like any other.",
                ["Slow ticket resolution"],
                -1,
                False,
            ),
            (None, "Wi-Fi drops in the training room.", ["Wi-Fi in meeting rooms"], -1, False),
            (
                None,
                "The technician who came last week explained everything.",
                ["Friendly, helpful staff"],
                1,
                False,
            ),
        ],
    ),
    (
        120,
        "walkabout",
        ["Finance"],
        ["Ben Hughes"],
        0,
        "",
        [
            (
                "Ben Hughes",
                "An update restarted my laptop during a payment run.",
                ["Communication of changes"],
                -1,
                True,
            )
        ],
    ),
    (
        95,
        "walkabout",
        ["Operations"],
        ["Derek Moss"],
        0,
        "",
        [
            ("Derek Moss", "That printer again.", ["Printers"], -1, False),
            ("Derek Moss", "Printer jam, third time this week.", ["Printers"], -1, False),
            ("Derek Moss", "We need a new printer, honestly.", ["Printers"], -1, True),
            ("Derek Moss", "Printer is out of toner and jams.", ["Printers"], -1, False),
        ],
    ),
    (
        70,
        "one_on_one",
        ["Human Resources"],
        ["Grace Okafor"],
        0,
        "",
        [
            (
                "Grace Okafor",
                "New starters wait a week for a laptop, so their first days are lost.",
                ["Slow ticket resolution"],
                -1,
                False,
            ),
            (
                "Grace Okafor",
                "The weekly change note has really helped.",
                ["Communication of changes"],
                1,
                False,
            ),
        ],
    ),
    (
        40,
        "focus_group",
        ["Research"],
        ["Liam Chen", "Aisha Khan"],
        3,
        "Cross-department session on software and data sharing.",
        [
            (
                "Aisha Khan",
                "We share contracts through personal cloud accounts because guests can't use ours.",
                ["Software requests"],
                -1,
                True,
            ),
            (None, "The request form for software is confusing.", ["Software requests"], -1, False),
            (
                "Liam Chen",
                "Ticket updates arrive quicker than last year.",
                ["Slow ticket resolution"],
                1,
                False,
            ),
        ],
    ),
    (
        12,
        "walkabout",
        ["Operations"],
        ["Derek Moss", "Jonas Weber"],
        0,
        "",
        [
            ("Derek Moss", "The printer is still the problem.", ["Printers"], -1, False),
            ("Derek Moss", "Printer. Again.", ["Printers"], -1, False),
            ("Derek Moss", "If you fix one thing, fix the printer.", ["Printers"], -1, True),
            (
                "Jonas Weber",
                "Wi-Fi in the planning room is much better since the new access point.",
                ["Wi-Fi in meeting rooms"],
                1,
                False,
            ),
        ],
    ),
]

ACTIONS = [
    # title, themes, status, due (days from today), done (days ago), told (days ago)
    (
        "Send a short 'what's changing' note every Monday before updates",
        ["Communication of changes"],
        "done",
        None,
        100,
        90,
    ),
    (
        "Software fast lane: answer standard requests within two working days",
        ["Software requests"],
        "in_progress",
        30,
        None,
        None,
    ),
    (
        "Acknowledge every ticket within four working hours",
        ["Slow ticket resolution"],
        "done",
        None,
        20,
        None,
    ),
    ("Talk to the Operations team about the second-floor printer", ["Printers"], "planned", 14, None, None),
]

# Two done actions whose effect the survey waves measure (reports/impact.py): done days
# ago, told days ago, the measures they should move, the departments they concern. Both
# fall between the demo's second and third waves; surveys/demo.py gives the first a real
# shift after it and the second none.
MEASURED_ACTIONS = [
    (
        "Every ticket gets a named person and a first answer within one working day",
        ["Slow ticket resolution"],
        150,
        120,
        ["dimension:Responsiveness"],
        [],
    ),
    (
        "Replace the Wi-Fi access points in the Human Resources meeting rooms",
        ["Wi-Fi in meeting rooms"],
        140,
        None,
        ["dimension:Reliability"],
        ["Human Resources"],
    ),
]


@transaction.atomic
def build(today: date, facilitator) -> int:
    """Create the demo listening log; returns the number of conversations."""
    departments = {d.name: d for d in Department.objects.all()}
    people = {}
    for name, role, department, influence, influencer, email in PEOPLE:
        people[name], _ = Person.objects.get_or_create(
            name=name,
            defaults={
                "role": role,
                "department": departments.get(department),
                "influence": influence,
                "is_influencer": influencer,
                "email": email,
            },
        )
    printers = Theme.objects.named("Printers")
    printers.description = "Printing problems in the offices and the warehouse."
    printers.save(update_fields=["description"])
    for days_ago, kind, where, named, unnamed, summary, notes in CONVERSATIONS:
        conversation = Conversation.objects.create(
            kind=kind,
            date=today - timedelta(days=days_ago),
            facilitator=facilitator,
            unnamed_participants=unnamed,
            summary=summary,
        )
        conversation.departments.set(departments[name] for name in where)
        conversation.participants.set(people[name] for name in named)
        for person, text, themes, sentiment, quote in notes:
            services.note_add(
                conversation=conversation,
                text=text,
                person=people.get(person),
                themes=[Theme.objects.named(t) for t in themes],
                sentiment=sentiment,
                is_quote=quote,
            )
    for title, themes, status, due, done, told in ACTIONS:
        action = Action.objects.create(
            title=title,
            owner=facilitator,
            status=status,
            due=today + timedelta(days=due) if due is not None else None,
            done_on=today - timedelta(days=done) if done is not None else None,
            told_on=today - timedelta(days=told) if told is not None else None,
        )
        action.themes.set(Theme.objects.filter(name__in=themes))
    for title, themes, done, told, targets, concerned in MEASURED_ACTIONS:
        action = Action.objects.create(
            title=title,
            owner=facilitator,
            status=Action.DONE,
            done_on=today - timedelta(days=done),
            told_on=today - timedelta(days=told) if told is not None else None,
            targets=targets,
        )
        action.themes.set(Theme.objects.filter(name__in=themes))
        action.departments.set(departments[name] for name in concerned if name in departments)
    return len(CONVERSATIONS)
