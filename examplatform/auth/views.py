"""Login, logout, password change and reset."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from examplatform.auth import services
from examplatform.auth.forms import ChangePasswordForm, LoginForm, ResetPasswordForm, ResetRequestForm
from examplatform.auth.models import User
from examplatform.core.clock import utcnow
from examplatform.core.errors import DomainError
from examplatform.core.guards import login_required, public
from examplatform.core.web import client_ip, safe_next
from examplatform.extensions import db, limiter

bp = Blueprint("auth", __name__, url_prefix="/auth", template_folder="templates")


def init_login(app, login_manager: LoginManager) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Zaloguj się, aby zobaczyć tę stronę.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        ident, _sep, token = user_id.partition(":")
        if not ident.isdigit():
            return None
        # the roles come in the same query: every request's guard reads them
        user = db.session.scalar(select(User).options(joinedload(User.roles)).where(User.id == int(ident)))
        if user is None or not user.is_active or user.session_token != token:
            return None
        return user


def _login_email_key() -> str:
    return "login:" + services.normalise_email(request.form.get("email", ""))[:254]


def _failed(response) -> bool:
    return response.status_code != 302


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(
    lambda: current_app.config["LOGIN_RATE_LIMIT"], key_func=_login_email_key, methods=["POST"], deduct_when=_failed
)
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data, now=utcnow(), ip=client_ip())
        except DomainError as exc:
            db.session.commit()  # the failed attempt stays in the audit log
            form.password.errors.append(exc.message)
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        login_user(user, remember=form.remember.data)
        flash(_("Zalogowano jako %(name)s.", name=user.full_name), "success")
        return redirect(safe_next(request.args.get("next"), url_for("main.dashboard")))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    services.log_logout(current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    logout_user()
    flash(_("Wylogowano."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(
                current_user,
                form.current_password.data,
                form.new_password.data,
                now=utcnow(),
                ip=client_ip(),
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except services.InvalidCredentials as exc:
            db.session.commit()
            form.current_password.errors.append(exc.message)
        except DomainError as exc:
            db.session.rollback()
            form.new_password.errors.append(exc.message)
        else:
            db.session.commit()
            login_user(
                current_user._get_current_object()
            )  # the session token changed: keep this session, drop the others
            flash(_("Hasło zostało zmienione. Inne sesje tego konta zostały wylogowane."), "success")
            return redirect(url_for("main.dashboard"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/change_password.html", form=form), status


@bp.route("/reset", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_RATE_LIMIT"], methods=["POST"])
@public
def reset_request():
    form = ResetRequestForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data,
            now=utcnow(),
            ip=client_ip(),
            ttl_minutes=current_app.config["PASSWORD_RESET_TTL_MINUTES"],
            link_for=lambda token: url_for("auth.reset_password", token=token, _external=True),
        )
        db.session.commit()
        flash(
            _("Jeśli konto o tym adresie istnieje, wysłaliśmy na nie link do ustawienia hasła. Link jest jednorazowy."),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT_PER_IP"], methods=["POST"])
@public
def reset_password(token: str):
    now = utcnow()
    if len(token) > 100:
        return render_template("auth/reset_invalid.html"), 404
    try:
        services.check_reset_token(token, now=now)
    except DomainError:
        return render_template("auth/reset_invalid.html"), 404
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(
                token,
                form.new_password.data,
                now=now,
                ip=client_ip(),
                min_length=current_app.config["PASSWORD_MIN_LENGTH"],
            )
        except DomainError as exc:
            db.session.rollback()
            form.new_password.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Nowe hasło zostało ustawione. Możesz się zalogować."), "success")
            return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("auth/reset_password.html", form=form), status
