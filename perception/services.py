"""Writes of the Administration pages that span several models: staff and their roles,
departments. Keyword-only functions, each in one transaction."""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from perception.lib import emails
from perception.models import Department
from perception.roles import ADMINISTRATORS, ROLE_PERMISSIONS

User = get_user_model()


class StaffError(ValueError):
    """A change to staff that is refused; the message says why, in plain words."""


class DepartmentInUse(ValueError):
    """A department others still refer to; the message says what refers to it."""


def role_groups() -> QuerySet[Group]:
    """The groups that are Perception's roles (perception/roles.py), by name."""
    return Group.objects.filter(name__in=ROLE_PERMISSIONS).order_by("name")


def administrators() -> QuerySet:
    """Active people who may administer the site: superusers, and whoever holds
    ``administer_site`` through a role or on their own."""
    holds = {"codename": "administer_site", "content_type__app_label": "perception"}
    return User.objects.filter(
        Q(is_superuser=True)
        | Q(**{f"groups__permissions__{key}": value for key, value in holds.items()})
        | Q(**{f"user_permissions__{key}": value for key, value in holds.items()}),
        is_active=True,
    ).distinct()


def _refuse_leaving_no_administrator(user, *, still_administrator: bool) -> None:
    if still_administrator or not administrators().filter(pk=user.pk).exists():
        return
    if not administrators().exclude(pk=user.pk).exists():
        raise StaffError(
            f"{user.get_username()} is the last administrator; make someone else an administrator first, "
            "or nobody could manage staff any more."
        )


def _refuse_touching_a_superuser(user, by) -> None:
    if user.is_superuser and not by.is_superuser:
        raise StaffError(f"{user.get_username()} is a superuser; only a superuser can change their account.")


def set_password_link(user) -> str:
    """The one-use link that lets ``user`` choose a password (Django's password-reset
    tokens: it stops working once a password is set, or after PASSWORD_RESET_TIMEOUT)."""
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    return settings.SITE_URL + reverse("password_reset_confirm", args=[uid, token])


@transaction.atomic
def staff_invite(*, email: str, name: str = "", roles: list[Group], invited_by) -> object:
    """Create a staff account for ``email`` with ``roles`` and email them a link to set
    their password. The account has no usable password until they do; if the email
    cannot be sent, no account is created."""
    email = email.strip().lower()
    if User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists():
        raise StaffError(f"Someone with the address {email} already has an account.")
    first, _, last = name.strip().partition(" ")
    user = User(username=email, email=email, first_name=first[:150], last_name=last.strip()[:150])
    user.set_unusable_password()
    user.save()
    user.groups.set(roles)
    _send_invitation(user, invited_by)
    return user


def _send_invitation(user, invited_by) -> None:
    invitation = emails.render(
        "staff-invitation",
        {
            "user": user,
            "link": set_password_link(user),
            "roles": list(user.groups.filter(pk__in=role_groups()).values_list("name", flat=True)),
            "invited_by": invited_by,
            "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
    )
    emails.message(invitation, to=[user.email]).send()


def staff_reinvite(*, user, by) -> None:
    """Email a fresh set-your-password link to someone invited who has not set one yet
    (the first link may have expired or been lost)."""
    if user.has_usable_password() or not user.is_active or not user.email:
        raise StaffError(
            f"{user.get_username()} already has a password or cannot sign in; no invitation was sent."
        )
    _send_invitation(user, by)


@transaction.atomic
def staff_set_roles(*, user, roles: list[Group], by) -> None:
    """Give ``user`` exactly these Perception roles (other groups are left alone),
    never leaving the site without an administrator."""
    _refuse_touching_a_superuser(user, by)
    names = {group.name for group in roles}
    keeps_administer = (
        user.is_superuser
        or ADMINISTRATORS in names
        or user.user_permissions.filter(codename="administer_site").exists()
        or user.groups.exclude(name__in=ROLE_PERMISSIONS)
        .filter(permissions__codename="administer_site")
        .exists()
    )
    _refuse_leaving_no_administrator(user, still_administrator=keeps_administer)
    user.groups.remove(*role_groups())
    user.groups.add(*roles)


@transaction.atomic
def staff_deactivate(*, user, by) -> None:
    """Stop ``user`` signing in; their account and everything they wrote stay. Nobody
    deactivates themselves, and the last administrator stays."""
    if user.pk == by.pk:
        raise StaffError("You cannot deactivate your own account; ask another administrator.")
    _refuse_touching_a_superuser(user, by)
    _refuse_leaving_no_administrator(user, still_administrator=False)
    user.is_active = False
    user.save(update_fields=["is_active"])


@transaction.atomic
def staff_reactivate(*, user, by) -> None:
    _refuse_touching_a_superuser(user, by)
    user.is_active = True
    user.save(update_fields=["is_active"])


@transaction.atomic
def department_delete(*, department: Department) -> None:
    """Delete a department nothing refers to; otherwise say what still does."""
    references = department.references()
    if references:
        listed = ", ".join(f"{count} {name}" for name, count in references)
        raise DepartmentInUse(
            f"“{department.name}” cannot be deleted: {listed} still refer to it. "
            "Move them to another department first, or rename this one instead."
        )
    department.delete()
