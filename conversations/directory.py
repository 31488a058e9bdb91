"""People as invitation recipients, offered to ``surveys`` through perception.lib.hooks."""

from perception.lib.hooks import PeopleDirectory, Recipient


def influence_choices() -> list[tuple[str, str]]:
    from conversations.models import Person

    return list(Person.INFLUENCE_CHOICES)


def find(department_ids: list[int], influences: list[str]) -> list[Recipient]:
    """Everyone with an address in one of the departments and of one of the influence
    levels (an empty list means any), one recipient per address."""
    from conversations.models import Person

    people = Person.objects.exclude(email="")
    if department_ids:
        people = people.filter(department_id__in=department_ids)
    if influences:
        people = people.filter(influence__in=influences)
    seen: set[str] = set()
    found = []
    for email, department_id in people.order_by("email", "id").values_list("email", "department_id"):
        if email.lower() not in seen:
            seen.add(email.lower())
            found.append(Recipient(email, department_id))
    return found


DIRECTORY = PeopleDirectory(influence_choices=influence_choices, find=find)
