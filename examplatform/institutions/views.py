"""Institutions, their centres and staff (with eligibility and roles)."""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from examplatform.auth.models import Role
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError, NotFound, PermissionDenied
from examplatform.core.guards import role_required
from examplatform.extensions import db
from examplatform.institutions import forms, services
from examplatform.institutions.models import DocumentKind, Education, Voivodeship
from examplatform.qualification.services import current_qualification

bp = Blueprint("institutions", __name__, url_prefix="/institutions", template_folder="templates")

READ = (Role.INSTITUTION_ADMIN, Role.QA_AUDITOR, Role.PLATFORM_ADMIN)
WRITE = (Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)


def _status() -> int:
    return 400 if request.method == "POST" else 200


def _fail(form, exc: DomainError, field: str | None = None) -> None:
    """Show a domain error next to the field it concerns; missing or forbidden objects stay 404/403."""
    if isinstance(exc, (NotFound, PermissionDenied)):
        raise exc
    db.session.rollback()
    target = getattr(form, field, None) if field else None
    if target is not None:
        target.errors = [*target.errors, exc.message]
    else:
        flash(exc.message, "danger")


@bp.route("/")
@role_required(*READ)
def index():
    return render_template("institutions/index.html", institutions=services.visible_institutions(current_user))


@bp.route("/new", methods=["GET", "POST"])
@role_required(Role.PLATFORM_ADMIN)
def create():
    form = forms.InstitutionForm()
    if form.validate_on_submit():
        try:
            institution = services.create_institution(
                current_user,
                now=utcnow(),
                name=form.name.data,
                short_name=form.short_name.data,
                nip=form.nip.data,
                address=form.address.data,
                email=form.email.data,
                crm_system_info=form.crm_system_info.data,
            )
        except DomainError as exc:
            _fail(form, exc, "nip" if "NIP" in exc.message else "name")
        else:
            db.session.commit()
            flash(_("Instytucja została zarejestrowana."), "success")
            return redirect(url_for(".detail", institution_id=institution.id))
    return render_template("institutions/form.html", form=form, title=_("Nowa instytucja certyfikująca")), _status()


@bp.route("/<int:institution_id>")
@role_required(*READ)
def detail(institution_id: int):
    institution = services.institution_for(current_user, institution_id)
    return render_template("institutions/detail.html", institution=institution, can_write=_can_write(institution_id))


def _can_write(institution_id: int) -> bool:
    return current_user.has_role(Role.PLATFORM_ADMIN) or current_user.has_role(
        Role.INSTITUTION_ADMIN, institution_id=institution_id
    )


@bp.route("/<int:institution_id>/settings", methods=["GET", "POST"])
@role_required(*WRITE)
def settings(institution_id: int):
    institution = services.institution_for(current_user, institution_id, write=True)
    form = forms.InstitutionSettingsForm(obj=institution)
    if form.validate_on_submit():
        values = {name: getattr(form, name).data.strip() for name in services.SETTINGS_FIELDS}
        try:
            changes = services.update_settings(
                current_user, institution, now=utcnow(), reason=form.reason.data, **values
            )
        except DomainError as exc:
            _fail(form, exc, "nip")
        else:
            db.session.commit()
            flash(_("Zapisano zmiany: %(n)d.", n=len(changes)) if changes else _("Nic nie zmieniono."), "success")
            return redirect(url_for(".detail", institution_id=institution.id))
    return render_template(
        "institutions/form.html", form=form, title=_("Ustawienia: %(name)s", name=institution.name)
    ), _status()


@bp.route("/<int:institution_id>/centres/new", methods=["GET", "POST"])
@role_required(*WRITE)
def create_centre(institution_id: int):
    institution = services.institution_for(current_user, institution_id, write=True)
    form = forms.CentreForm()
    if form.validate_on_submit():
        try:
            services.add_centre(
                current_user,
                institution,
                now=utcnow(),
                name=form.name.data,
                street=form.street.data,
                postal_code=form.postal_code.data,
                city=form.city.data,
                voivodeship=Voivodeship(form.voivodeship.data),
                workstations=form.workstations.data,
            )
        except DomainError as exc:
            _fail(form, exc, "name")
        else:
            db.session.commit()
            flash(_("Dodano ośrodek walidacyjny."), "success")
            return redirect(url_for(".detail", institution_id=institution.id))
    return render_template("institutions/form.html", form=form, title=_("Nowy ośrodek walidacyjny")), _status()


@bp.route("/<int:institution_id>/staff/")
@role_required(*READ)
def staff_index(institution_id: int):
    institution = services.institution_for(current_user, institution_id)
    q, today = current_qualification(), utcnow().date()
    rows = [
        (s, services.eligibility_of(s, q, today), services.staff_roles(s)) for s in services.staff_list(institution)
    ]
    return render_template(
        "institutions/staff_index.html", institution=institution, rows=rows, can_write=_can_write(institution_id)
    )


@bp.route("/<int:institution_id>/staff/new", methods=["GET", "POST"])
@role_required(*WRITE)
def staff_create(institution_id: int):
    institution = services.institution_for(current_user, institution_id, write=True)
    form = forms.StaffForm()
    if form.validate_on_submit():
        try:
            staff = services.create_staff(
                current_user,
                institution,
                now=utcnow(),
                full_name=form.full_name.data.strip(),
                email=form.email.data,
                education=Education(form.education.data),
                education_details=form.education_details.data.strip(),
                it_skills_confirmed=form.it_skills_confirmed.data,
            )
        except DomainError as exc:
            _fail(form, exc, "email")
        else:
            db.session.commit()
            flash(_("Dodano pracownika. Uzupełnij okresy pracy i dokumenty."), "success")
            return redirect(url_for(".staff_detail", institution_id=institution.id, staff_id=staff.id))
    return render_template("institutions/form.html", form=form, title=_("Nowy pracownik")), _status()


def _staff_page(staff, status: int = 200, **form_overrides):
    q = current_qualification()
    context = {
        "staff": staff,
        "institution": staff.institution,
        "eligibility": services.eligibility_of(staff, q, utcnow().date()),
        "roles": services.staff_roles(staff),
        "can_write": _can_write(staff.institution_id),
        "experience_form": forms.ExperienceForm(formdata=None),
        "document_form": forms.DocumentForm(formdata=None),
        "role_form": forms.GrantRoleForm(formdata=None),
        "revoke_form": forms.RevokeRoleForm(formdata=None),
    }
    context.update(form_overrides)
    return render_template("institutions/staff_detail.html", **context), status


@bp.route("/<int:institution_id>/staff/<int:staff_id>")
@role_required(*READ)
def staff_detail(institution_id: int, staff_id: int):
    return _staff_page(services.staff_for(current_user, institution_id, staff_id))


@bp.route("/<int:institution_id>/staff/<int:staff_id>/edit", methods=["GET", "POST"])
@role_required(*WRITE)
def staff_edit(institution_id: int, staff_id: int):
    staff = services.staff_for(current_user, institution_id, staff_id, write=True)
    form = forms.StaffEditForm(obj=staff)
    if form.validate_on_submit():
        try:
            changes = services.update_staff(
                current_user,
                staff,
                now=utcnow(),
                reason=form.reason.data,
                full_name=form.full_name.data.strip(),
                email=form.email.data,
                education=Education(form.education.data),
                education_details=form.education_details.data.strip(),
                it_skills_confirmed=form.it_skills_confirmed.data,
            )
        except DomainError as exc:
            _fail(form, exc, "email")
        else:
            db.session.commit()
            flash(_("Zapisano zmiany: %(n)d.", n=len(changes)) if changes else _("Nic nie zmieniono."), "success")
            return redirect(url_for(".staff_detail", institution_id=institution_id, staff_id=staff.id))
    return render_template(
        "institutions/form.html", form=form, title=_("Edycja: %(name)s", name=staff.full_name)
    ), _status()


@bp.route("/<int:institution_id>/staff/<int:staff_id>/experience", methods=["POST"])
@role_required(*WRITE)
def staff_add_experience(institution_id: int, staff_id: int):
    staff = services.staff_for(current_user, institution_id, staff_id, write=True)
    form = forms.ExperienceForm()
    if form.validate_on_submit():
        try:
            services.add_experience(
                current_user,
                staff,
                now=utcnow(),
                employer=form.employer.data,
                position=form.position.data,
                start_date=form.start_date.data,
                end_date=form.end_date.data,
                supervises_crm_operators=form.supervises_crm_operators.data,
            )
        except DomainError as exc:
            _fail(form, exc, "end_date" if "zakończenia" in exc.message else "start_date")
        else:
            db.session.commit()
            flash(_("Dodano okres pracy."), "success")
            return redirect(url_for(".staff_detail", institution_id=institution_id, staff_id=staff.id))
    return _staff_page(staff, 400, experience_form=form)


@bp.route("/<int:institution_id>/staff/<int:staff_id>/documents", methods=["POST"])
@role_required(*WRITE)
def staff_add_document(institution_id: int, staff_id: int):
    staff = services.staff_for(current_user, institution_id, staff_id, write=True)
    form = forms.DocumentForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            services.add_document(
                current_user,
                staff,
                now=utcnow(),
                kind=DocumentKind(form.kind.data),
                title=form.title.data,
                filename=upload.filename or "",
                content=upload.read(current_app.config["EVIDENCE_MAX_BYTES"] + 1),
                max_bytes=current_app.config["EVIDENCE_MAX_BYTES"],
            )
        except DomainError as exc:
            _fail(form, exc, "file")
        else:
            db.session.commit()
            flash(_("Dołączono dokument."), "success")
            return redirect(url_for(".staff_detail", institution_id=institution_id, staff_id=staff.id))
    return _staff_page(staff, 400, document_form=form)


@bp.route("/<int:institution_id>/staff/<int:staff_id>/documents/<int:document_id>")
@role_required(*READ)
def staff_document(institution_id: int, staff_id: int, document_id: int):
    document = services.document_for(current_user, institution_id, staff_id, document_id)
    return send_file(
        BytesIO(document.content), mimetype=document.content_type, as_attachment=True, download_name=document.filename
    )


@bp.route("/<int:institution_id>/staff/<int:staff_id>/roles", methods=["POST"])
@role_required(*WRITE)
def staff_grant_role(institution_id: int, staff_id: int):
    staff = services.staff_for(current_user, institution_id, staff_id, write=True)
    form = forms.GrantRoleForm()
    if form.validate_on_submit():
        try:
            services.grant_staff_role(
                current_user,
                staff,
                Role(form.role.data),
                now=utcnow(),
                reason=form.reason.data,
                qualification=current_qualification(),
                link_for=lambda token: url_for("auth.reset_password", token=token, _external=True),
            )
        except DomainError as exc:
            _fail(form, exc, "role")
        else:
            db.session.commit()
            flash(_("Nadano rolę."), "success")
            return redirect(url_for(".staff_detail", institution_id=institution_id, staff_id=staff.id))
    return _staff_page(staff, 400, role_form=form)


@bp.route("/<int:institution_id>/staff/<int:staff_id>/roles/<int:assignment_id>/revoke", methods=["POST"])
@role_required(*WRITE)
def staff_revoke_role(institution_id: int, staff_id: int, assignment_id: int):
    staff = services.staff_for(current_user, institution_id, staff_id, write=True)
    form = forms.RevokeRoleForm()
    if form.validate_on_submit():
        try:
            services.revoke_staff_role(current_user, staff, assignment_id, now=utcnow(), reason=form.reason.data)
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(_("Odebrano rolę."), "success")
            return redirect(url_for(".staff_detail", institution_id=institution_id, staff_id=staff.id))
    return _staff_page(staff, 400, revoke_form=form)


@bp.route("/<int:institution_id>/test-plan", methods=["GET", "POST"])
@role_required(*WRITE)
def test_plan(institution_id: int):
    """The institution's plan of the theoretical test: items per criterion, time, pass mark, shuffling."""
    from examplatform.theory.blueprints import blueprint_for, update_blueprint, usable_counts
    from examplatform.theory.models import PartialCredit

    institution = services.institution_for(current_user, institution_id, write=True)
    q, now = current_qualification(), utcnow()
    blueprint = blueprint_for(institution.id, q, now=now)
    available = usable_counts()
    codes = [c.code for c in q.criteria if available.get(c.code) or blueprint.allocation.get(c.code)]
    form_class = forms.test_plan_form_class(codes)
    form = form_class(obj=blueprint) if request.method == "GET" else form_class()
    if request.method == "GET":
        for code in codes:
            getattr(form, f"n_{code.replace('.', '_')}").data = blueprint.allocation.get(code, 0)
    if form.validate_on_submit():
        try:
            changes = update_blueprint(
                blueprint,
                actor=current_user,
                now=now,
                reason=form.reason.data,
                qualification=q,
                allocation={code: getattr(form, f"n_{code.replace('.', '_')}").data or 0 for code in codes},
                time_limit_minutes=form.time_limit_minutes.data,
                pass_percent=form.pass_percent.data,
                shuffle_items=form.shuffle_items.data,
                shuffle_options=form.shuffle_options.data,
                partial_credit=PartialCredit(form.partial_credit.data),
                answer_review_allowed=form.answer_review_allowed.data,
            )
        except DomainError as exc:
            _fail(form, exc)
        else:
            db.session.commit()
            flash(
                _("Zapisano plan testu (zmian: %(n)d). Dotyczy formularzy przygotowanych od teraz.", n=len(changes)),
                "success",
            )
            return redirect(url_for(".test_plan", institution_id=institution.id))
    db.session.commit()  # the default plan is created on first visit
    rows = [
        (c, getattr(form, f"n_{c.code.replace('.', '_')}"), available.get(c.code, 0))
        for c in q.criteria
        if c.code in codes
    ]
    return render_template(
        "institutions/test_plan.html",
        institution=institution,
        form=form,
        rows=rows,
        total=sum(blueprint.allocation.values()),
    ), _status()
