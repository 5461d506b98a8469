"""The public page about the qualification (O kwalifikacji)."""

from flask import Blueprint, render_template
from flask_babel import get_locale

from examplatform.core.guards import public
from examplatform.institutions import services as institution_services
from examplatform.qualification.services import current_qualification

bp = Blueprint("qualification", __name__, url_prefix="/kwalifikacja", template_folder="templates")


@bp.route("/")
@public
def about():
    return render_template(
        "qualification/about.html",
        q=current_qualification(),
        lang=str(get_locale()),
        institutions=institution_services.all_institutions(),
    )
