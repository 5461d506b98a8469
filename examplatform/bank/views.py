"""Browse, search, preview and review the item bank."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from examplatform.auth.models import Role
from examplatform.bank import services
from examplatform.bank.forms import ReviewForm, SearchForm
from examplatform.bank.items import ItemStatus, ItemType
from examplatform.bank.models import ReviewVerdict
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError
from examplatform.core.guards import role_required
from examplatform.extensions import db
from examplatform.qualification.services import current_qualification

bp = Blueprint("bank", __name__, url_prefix="/bank", template_folder="templates")

READERS = (Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN, Role.QA_AUDITOR)
REVIEWERS = (Role.INSTITUTION_ADMIN, Role.PLATFORM_ADMIN)

TYPE_LABELS = {
    ItemType.SINGLE: _l("jednokrotnego wyboru"),
    ItemType.MULTIPLE: _l("wielokrotnego wyboru"),
    ItemType.TRUEFALSE: _l("prawda/fałsz"),
    ItemType.MATCHING: _l("na dopasowanie"),
    ItemType.ORDERING: _l("na porządkowanie"),
}
STATUS_LABELS = {
    ItemStatus.DRAFT: _l("szkic"),
    ItemStatus.REVIEWED: _l("zatwierdzone"),
    ItemStatus.RETIRED: _l("wycofane"),
}


def _labels() -> dict:
    return {"type_labels": TYPE_LABELS, "status_labels": STATUS_LABELS}


@bp.route("/")
@role_required(*READERS)
def index():
    form = SearchForm(request.args)
    any_ = SelectChoice("", _("— wszystkie —"))
    form.criterion.choices = [any_, *(SelectChoice(c.code, c.code) for c in current_qualification().criteria)]
    form.status.choices = [any_, *(SelectChoice(s.value, str(label)) for s, label in STATUS_LABELS.items())]
    form.type.choices = [any_, *(SelectChoice(t.value, str(label)) for t, label in TYPE_LABELS.items())]
    versions = []
    if form.validate():
        versions = services.search(
            text=form.q.data or "",
            criterion=form.criterion.data or "",
            status=form.status.data or "",
            item_type=form.type.data or "",
        )
    return render_template("bank/index.html", form=form, versions=versions, counts=services.stats(), **_labels())


@bp.route("/<int:version_id>")
@role_required(*READERS)
def detail(version_id: int):
    version = services.item_version(version_id)
    return render_template(
        "bank/detail.html",
        version=version,
        item=version.to_item(),
        criterion=current_qualification().criterion(version.criterion),
        form=ReviewForm(formdata=None),
        can_review=current_user.has_role(*REVIEWERS),
        **_labels(),
    )


@bp.route("/<int:version_id>/preview")
@role_required(*READERS)
def preview(version_id: int):
    """Show the item exactly as a candidate sees it: no key, no rationale, no source."""
    version = services.item_version(version_id)
    return render_template("bank/preview.html", item=version.to_item(), **_labels())


@bp.route("/<int:version_id>/review", methods=["POST"])
@role_required(*REVIEWERS)
def review(version_id: int):
    version = services.item_version(version_id)
    form = ReviewForm()
    if form.validate_on_submit():
        try:
            services.review(
                version,
                ReviewVerdict(form.verdict.data),
                actor=current_user,
                now=utcnow(),
                comment=form.comment.data or "",
            )
        except DomainError as exc:
            db.session.rollback()
            form.comment.errors = [*form.comment.errors, exc.message]
        else:
            db.session.commit()
            flash(_("Zapisano recenzję zadania %(id)s.", id=version.item_key), "success")
            return redirect(url_for(".detail", version_id=version.id))
    return render_template(
        "bank/detail.html",
        version=version,
        item=version.to_item(),
        criterion=current_qualification().criterion(version.criterion),
        form=form,
        can_review=True,
        **_labels(),
    ), 400
