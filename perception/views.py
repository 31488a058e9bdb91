"""The Administration pages: staff and their roles, departments, site settings. Nobody
needs the Django admin for daily work; it stays for superusers.

Views fetch, validate a form, call a service (perception/services.py), redirect."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from perception import services
from perception.forms import DepartmentForm, SiteSettingsForm, StaffInviteForm, StaffRolesForm
from perception.models import Department, SiteSettings
from perception.roles import ADMINISTER_SITE, permission_required

User = get_user_model()
PAGE_SIZE = 25


@permission_required(ADMINISTER_SITE)
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "perception/administration.html",
        {
            "staff_count": User.objects.filter(is_active=True).count(),
            "department_count": Department.objects.count(),
        },
    )


# -- Staff ------------------------------------------------------------------------------


@permission_required(ADMINISTER_SITE)
def staff(request: HttpRequest) -> HttpResponse:
    people = User.objects.order_by("-is_active", "username").prefetch_related(
        Prefetch("groups", queryset=services.role_groups(), to_attr="roles")
    )
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "perception/staff.html", {"page": page, "filters": {}})


@permission_required(ADMINISTER_SITE)
def staff_invite(request: HttpRequest) -> HttpResponse:
    form = StaffInviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.staff_invite(
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                roles=list(form.cleaned_data["roles"]),
                invited_by=request.user,
            )
        except services.StaffError as error:
            form.add_error("email", str(error))
        except OSError:
            form.add_error(
                None, "The invitation email could not be sent, so no account was made; try again later."
            )
        else:
            messages.success(
                request, f"Invitation sent to {user.email}; they choose their own password from the link."
            )
            return redirect("administration:staff")
    status = 400 if request.method == "POST" else 200
    return render(request, "perception/staff_invite.html", {"form": form}, status=status)


@permission_required(ADMINISTER_SITE)
def staff_member(request: HttpRequest, pk: int) -> HttpResponse:
    """Change someone's roles (POST), or see them with their roles (GET)."""
    member = get_object_or_404(User, pk=pk)
    current = list(member.groups.filter(pk__in=services.role_groups()))
    form = StaffRolesForm(request.POST or None, initial={"roles": current})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.staff_set_roles(user=member, roles=list(form.cleaned_data["roles"]), by=request.user)
            except services.StaffError as error:
                form.add_error("roles", str(error))
            else:
                messages.success(request, f"Roles of {member.get_username()} saved.")
                return redirect("administration:staff")
        status = 400
    return render(request, "perception/staff_member.html", {"member": member, "form": form}, status=status)


@permission_required(ADMINISTER_SITE)
@require_POST
def staff_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Deactivate (``active=0``) or reactivate (``active=1``) an account; never delete."""
    member = get_object_or_404(User, pk=pk)
    try:
        if request.POST.get("active") == "1":
            services.staff_reactivate(user=member, by=request.user)
            messages.success(request, f"{member.get_username()} can sign in again.")
        else:
            services.staff_deactivate(user=member, by=request.user)
            messages.success(
                request, f"{member.get_username()} can no longer sign in; everything they wrote stays."
            )
    except services.StaffError as error:
        messages.error(request, str(error))
        return redirect("administration:staff_member", pk=member.pk)
    return redirect("administration:staff")


@permission_required(ADMINISTER_SITE)
@require_POST
def staff_reinvite(request: HttpRequest, pk: int) -> HttpResponse:
    member = get_object_or_404(User, pk=pk)
    try:
        services.staff_reinvite(user=member, by=request.user)
    except services.StaffError as error:
        messages.error(request, str(error))
    except OSError:
        messages.error(request, "The invitation email could not be sent; try again later.")
    else:
        messages.success(request, f"A new invitation was sent to {member.email}.")
    return redirect("administration:staff_member", pk=member.pk)


# -- Departments ------------------------------------------------------------------------


@permission_required(ADMINISTER_SITE)
def departments(request: HttpRequest) -> HttpResponse:
    return render(request, "perception/departments.html", {"tree": Department.tree()})


@permission_required(ADMINISTER_SITE)
def department_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Add a department, or rename one and move it under another parent."""
    department = get_object_or_404(Department, pk=pk) if pk else None
    form = DepartmentForm(request.POST or None, instance=department)
    if request.method == "POST":
        if form.is_valid():
            saved = form.save()
            messages.success(request, f"Saved “{saved}”.")
            return redirect("administration:departments")
        status = 400
    else:
        status = 200
    context = {"form": form, "object": department}
    if department is not None:
        context["references"] = department.references()
    return render(request, "perception/department_form.html", context, status=status)


@permission_required(ADMINISTER_SITE)
@require_POST
def department_delete(request: HttpRequest, pk: int) -> HttpResponse:
    department = get_object_or_404(Department, pk=pk)
    name = department.name
    try:
        services.department_delete(department=department)
    except services.DepartmentInUse as error:
        messages.error(request, str(error))
        return redirect("administration:department_edit", pk=pk)
    messages.success(request, f"Deleted “{name}”.")
    return redirect("administration:departments")


# -- Site settings ----------------------------------------------------------------------


@permission_required(ADMINISTER_SITE)
def site_settings(request: HttpRequest) -> HttpResponse:
    form = SiteSettingsForm(request.POST or None, instance=SiteSettings.load())
    if request.method == "POST":
        if form.is_valid():
            form.save()
            messages.success(request, "Site settings saved.")
            return redirect("administration:site_settings")
        status = 400
    else:
        status = 200
    return render(request, "perception/site_settings.html", {"form": form}, status=status)
