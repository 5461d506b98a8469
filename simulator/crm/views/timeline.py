"""The timeline page (historia zdarzeń) shared by companies and persons: events with links to their records."""

from __future__ import annotations

from flask import render_template, url_for

from simulator.crm.services.timeline import Timeline, TimelineItem

# the page of each kind of record a timeline links to: (endpoint, name of its id argument)
RECORD_PAGES = {
    "account": ("crm.account_detail", "account_id"),
    "contact": ("crm.contact_detail", "contact_id"),
    "consent": ("crm.contact_rodo", "contact_id"),  # the service links a consent to its person
    "subject_request": ("crm.request_detail", "request_id"),
    "activity": ("crm.activity_edit", "activity_id"),
    "opportunity": ("crm.opportunity_detail", "opportunity_id"),
    "offer": ("crm.offer_detail", "offer_id"),
    "segment": ("crm.segment_detail", "segment_id"),
    "goal": ("crm.goal_detail", "goal_id"),
    "pipeline": ("crm.pipeline_detail", "pipeline_id"),
}


def record_url(item: TimelineItem) -> str | None:
    """Return the URL of the record an event is about, or None when it has no page."""
    if item.link is None or item.link[0] not in RECORD_PAGES:
        return None
    endpoint, argument = RECORD_PAGES[item.link[0]]
    return url_for(endpoint, **{argument: item.link[1]})


def render_timeline(timeline: Timeline, *, subject: str, subject_url: str, scope: str, notice: str = ""):
    """Render a timeline: its subject with a link to its card, what it covers, and the events newest first."""
    rows = [(item, record_url(item)) for item in timeline.items]
    return render_template(
        "crm/timeline.html",
        rows=rows,
        subject=subject,
        subject_url=subject_url,
        scope=scope,
        notice=notice,
    )
