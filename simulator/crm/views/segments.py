"""Segments (segmenty): list with member counts, create, edit, detail with live members, static list upkeep."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy import select

from simulator.crm.forms.sales import ActionForm
from simulator.crm.forms.segments import MemberForm, SegmentForm
from simulator.crm.models import Account, Contact, Segment
from simulator.crm.models.segments import SegmentEntity, SegmentKind
from simulator.crm.services import segments as svc
from simulator.crm.services.common import CrmError
from simulator.crm.views import choices
from simulator.crm.views.context import bp, ctx, get_or_404, refuse
from simulator.crm.views.feedback import refuse_and_tell


def _vocabulary() -> dict:
    """Describe the fields, operators and allowed values for the condition editor's help table."""
    return {
        "fields": svc.RULE_FIELDS,
        "ops": svc.OPS,
        "kind_ops": svc.KIND_OPS,
    }


@bp.get("/segments/")
def segment_list():
    """List segments with their kind and current member count."""
    segments = list(g.db.scalars(select(Segment).order_by(Segment.name)))
    counts = {s.id: len(svc.members(ctx(), s)) for s in segments}
    return render_template("crm/segments/list.html", segments=segments, counts=counts)


def _save(form: SegmentForm, segment: Segment | None):
    if form.validate_on_submit():
        try:
            if segment is None:
                segment = svc.create_segment(ctx(), form.values())
                message = f"Utworzono segment „{segment.name}”."
            else:
                changed = svc.update_segment(ctx(), segment, form.values())
                message = "Zapisano zmiany." if changed else "Nic nie zmieniono."
        except CrmError as exc:
            refuse(form, exc, form_name="segment", entity_type="segment", entity_id=segment and segment.id)
        else:
            g.db.commit()
            flash(message, "success")
            return redirect(url_for(".segment_detail", segment_id=segment.id))
    elif form.is_submitted():
        refuse(form, None, form_name="segment", entity_type="segment", entity_id=segment and segment.id)
    return None


@bp.route("/segments/new", methods=["GET", "POST"])
def segment_new():
    """Create a static list or a rule-based segment."""
    form = SegmentForm()
    return _save(form, None) or render_template("crm/segments/form.html", form=form, segment=None, **_vocabulary())


@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
def segment_edit(segment_id: int):
    """Rename a segment or change its conditions."""
    segment = get_or_404(Segment, segment_id)
    form = SegmentForm(data={"name": segment.name, "description": segment.description})
    if not form.is_submitted():
        form.kind.data, form.entity.data = segment.kind.value, segment.entity.value
        for row, condition in zip(form.conditions, segment.conditions, strict=False):
            row.field.data, row.op.data, row.value.data = condition["field"], condition["op"], condition["value"]
    else:  # kind and entity never change after creation
        form.kind.data, form.entity.data = segment.kind.value, segment.entity.value
    return _save(form, segment) or render_template(
        "crm/segments/form.html", form=form, segment=segment, **_vocabulary()
    )


def _member_form(segment: Segment) -> MemberForm:
    form = MemberForm()
    form.record_id.choices = choices.accounts() if segment.entity == SegmentEntity.ACCOUNT else choices.contacts()
    return form


@bp.get("/segments/<int:segment_id>")
def segment_detail(segment_id: int):
    """Show a segment's conditions and its members as of now."""
    segment = get_or_404(Segment, segment_id)
    members = svc.members(ctx(), segment)
    return render_template(
        "crm/segments/detail.html",
        segment=segment,
        members=members,
        conditions=[svc.describe(c) for c in segment.conditions],
        add=_member_form(segment) if segment.kind == SegmentKind.STATIC else None,
        action=ActionForm(),
        is_account=segment.entity == SegmentEntity.ACCOUNT,
    )


@bp.post("/segments/<int:segment_id>/members")
def segment_add_member(segment_id: int):
    """Add a company or person to a static list."""
    segment = get_or_404(Segment, segment_id)
    form = _member_form(segment)
    if form.validate_on_submit():
        try:
            added = svc.add_member(ctx(), segment, form.record_id.value())
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="członek listy", entity_type="segment", entity_id=segment.id)
        else:
            g.db.commit()
            flash("Dodano do listy." if added else "Ten rekord już jest na liście.", "success")
    else:
        refuse_and_tell(form, None, form_name="członek listy", entity_type="segment", entity_id=segment.id)
    return redirect(url_for(".segment_detail", segment_id=segment.id))


@bp.post("/segments/<int:segment_id>/members/remove")
def segment_remove_member(segment_id: int):
    """Remove a company or person from a static list (its id comes in the form)."""
    segment = get_or_404(Segment, segment_id)
    form = _member_form(segment)
    if form.validate_on_submit() and form.record_id.value() is not None:
        model = Account if segment.entity == SegmentEntity.ACCOUNT else Contact
        get_or_404(model, form.record_id.value())
        try:
            removed = svc.remove_member(ctx(), segment, form.record_id.value())
        except CrmError as exc:
            refuse_and_tell(form, exc, form_name="członek listy", entity_type="segment", entity_id=segment.id)
        else:
            g.db.commit()
            flash("Usunięto z listy." if removed else "Tego rekordu nie było na liście.", "success")
    else:
        refuse_and_tell(form, None, form_name="członek listy", entity_type="segment", entity_id=segment.id)
    return redirect(url_for(".segment_detail", segment_id=segment.id))
