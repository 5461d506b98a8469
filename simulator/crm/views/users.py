"""CRM users and roles inside the instance: who owns records and which personal fields each role sees.

Only a role that administers users and roles may open the page with its forms or send them (403 otherwise,
logged); the commission's read-only view shows the page without forms.
"""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from simulator.crm.forms.fields import options
from simulator.crm.forms.users import RoleFieldsForm, UserForm, UserRoleForm
from simulator.crm.models import CrmRole, CrmUser
from simulator.crm.models.roles import MANAGE_USERS_LABEL, PROTECTED_FIELDS
from simulator.crm.services import permissions as svc
from simulator.crm.services.common import CrmError
from simulator.crm.validators import record_id
from simulator.crm.views.context import bp, ctx, get_or_404, read_only
from simulator.crm.views.feedback import refuse_and_tell


def _roles() -> list[CrmRole]:
    return list(g.db.scalars(select(CrmRole).order_by(CrmRole.id)))


def _role_choices():
    return [options([("", "— wybierz —")])[0], *options((r.id, r.name) for r in _roles())]


def _user_form() -> UserForm:
    form = UserForm()
    form.role_id.choices = _role_choices()
    return form


@bp.get("/users/")
def user_list():
    """List CRM users with their roles, and each role's visible personal fields (user administrators only)."""
    if not read_only():
        svc.require_user_admin(ctx(), "Zarządzanie użytkownikami i rolami")
    users = list(g.db.scalars(select(CrmUser).order_by(CrmUser.is_me.desc(), CrmUser.full_name)))
    role_forms = {}
    for user in users:
        form = UserRoleForm(formdata=None)
        form.role_id.choices = _role_choices()
        form.role_id.data = str(user.role_id or "")
        role_forms[user.id] = form
    field_forms = {}
    for role in _roles():
        form = RoleFieldsForm(formdata=None)
        form.fields.data = sorted(role.fields)
        field_forms[role.id] = form
    return render_template(
        "crm/users/list.html",
        users=users,
        roles=_roles(),
        role_forms=role_forms,
        field_forms=field_forms,
        fields=PROTECTED_FIELDS,
        manage_label=MANAGE_USERS_LABEL,
        new=_user_form(),
    )


@bp.post("/users/new")
def user_new():
    """Add a CRM user with a role."""
    svc.require_user_admin(ctx(), "Dodanie użytkownika CRM", entity_type="user")
    form = _user_form()
    if form.validate_on_submit():
        try:
            user = svc.create_user(ctx(), form.full_name.data or "", form.email.data or "", form.role_id.value())
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="użytkownik CRM", entity_type="user")
        else:
            g.db.commit()
            flash(f"Dodano użytkownika {user.full_name}.", "success")
    else:
        refuse_and_tell(form, None, form_name="użytkownik CRM", entity_type="user")
    return redirect(url_for(".user_list"))


@bp.post("/users/<int:user_id>/role")
def user_role(user_id: int):
    """Give a user another role."""
    user = get_or_404(CrmUser, user_id)
    svc.require_user_admin(ctx(), "Zmiana roli użytkownika", entity_type="user", entity_id=user.id)
    form = UserRoleForm()
    form.role_id.choices = _role_choices()
    if form.validate_on_submit():
        try:
            changed = svc.set_user_role(ctx(), user, form.role_id.value())
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="rola użytkownika", entity_type="user", entity_id=user.id)
        else:
            g.db.commit()
            flash("Zmieniono rolę." if changed else "Rola bez zmian.", "success")
    else:
        refuse_and_tell(form, None, form_name="rola użytkownika", entity_type="user", entity_id=user.id)
    return redirect(url_for(".user_list"))


@bp.post("/users/roles/fields")
def role_fields():
    """Set which personal fields a role may see (the role comes in the form)."""
    role = get_or_404(CrmRole, request.form.get("role_id", type=record_id) or 0)
    svc.require_user_admin(ctx(), "Zmiana uprawnień roli", entity_type="role", entity_id=role.id)
    form = RoleFieldsForm()
    if form.validate_on_submit():
        try:
            changed = svc.set_role_fields(ctx(), role, form.fields.data or [])
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="uprawnienia roli", entity_type="role", entity_id=role.id)
        else:
            g.db.commit()
            flash(f"Zapisano uprawnienia roli „{role.name}”." if changed else "Uprawnienia bez zmian.", "success")
    else:
        refuse_and_tell(form, None, form_name="uprawnienia roli", entity_type="role", entity_id=role.id)
    return redirect(url_for(".user_list"))
