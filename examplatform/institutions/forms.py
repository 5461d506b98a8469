"""Forms for institutions, centres, staff and their evidence."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import NumberRange, Optional, Regexp

from examplatform.auth.models import Role
from examplatform.core.forms import email, length, max_length, reason_field_validators, required
from examplatform.institutions.models import DocumentKind, Education, Voivodeship
from examplatform.institutions.services import STAFF_ROLE_CHOICES


class InstitutionForm(FlaskForm):
    name = StringField(_l("Pełna nazwa"), validators=[required(), length(3, 300)])
    short_name = StringField(_l("Nazwa skrócona"), validators=[required(), length(2, 60)])
    nip = StringField(
        _l("NIP"), validators=[Optional(), max_length(13)], description=_l("10 cyfr, z kreskami lub bez.")
    )
    address = StringField(_l("Adres siedziby"), validators=[required(), max_length(300)])
    email = EmailField(_l("E-mail kontaktowy"), validators=[required(), email(), max_length(254)])
    crm_system_info = TextAreaField(
        _l("Informacja o systemie CRM wykorzystywanym w walidacji"),
        validators=[required(), length(20, 5000)],
        description=_l("Publikowana na stronie „O kwalifikacji” — instytucja certyfikująca musi ją udostępnić."),
        render_kw={"rows": 6},
    )
    submit = SubmitField(_l("Zapisz"))


class InstitutionSettingsForm(InstitutionForm):
    reason = StringField(_l("Powód zmiany (do dziennika zdarzeń)"), validators=reason_field_validators())
    submit = SubmitField(_l("Zapisz zmiany"))


class CentreForm(FlaskForm):
    name = StringField(_l("Nazwa ośrodka"), validators=[required(), length(3, 200)])
    street = StringField(_l("Ulica i numer"), validators=[required(), max_length(200)])
    postal_code = StringField(
        _l("Kod pocztowy"),
        validators=[required(), Regexp(r"^\d{2}-\d{3}$", message=_l("Kod pocztowy w formacie 00-000."))],
    )
    city = StringField(_l("Miejscowość"), validators=[required(), max_length(100)])
    voivodeship = SelectField(
        _l("Województwo"), choices=[SelectChoice(v.value, v.value) for v in Voivodeship], validators=[required()]
    )
    workstations = IntegerField(
        _l("Liczba stanowisk komputerowych"),
        validators=[required(), NumberRange(min=1, max=500, message=_l("Od 1 do 500."))],
        default=10,
    )
    submit = SubmitField(_l("Dodaj ośrodek"))


class StaffForm(FlaskForm):
    full_name = StringField(_l("Imię i nazwisko"), validators=[required(), length(3, 200)])
    email = EmailField(_l("Adres e-mail"), validators=[required(), email(), max_length(254)])
    education = SelectField(_l("Wykształcenie (najwyższe ukończone)"), validators=[required()])
    education_details = StringField(_l("Szkoła / uczelnia, kierunek, rok ukończenia"), validators=[max_length(300)])
    it_skills_confirmed = BooleanField(
        _l("Potwierdzona obsługa komputera i umiejętność rozwiązywania problemów z połączeniem i przeglądarką")
    )
    submit = SubmitField(_l("Zapisz"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.education.choices = [SelectChoice(e.value, str(e.label)) for e in Education]


class StaffEditForm(StaffForm):
    reason = StringField(_l("Powód zmiany (do dziennika zdarzeń)"), validators=reason_field_validators())
    submit = SubmitField(_l("Zapisz zmiany"))


class ExperienceForm(FlaskForm):
    employer = StringField(_l("Pracodawca"), validators=[required(), max_length(200)])
    position = StringField(_l("Stanowisko"), validators=[required(), max_length(200)])
    start_date = DateField(_l("Od"), validators=[required()])
    end_date = DateField(_l("Do (puste = nadal)"), validators=[Optional()])
    supervises_crm_operators = BooleanField(_l("Kierowanie / nadzorowanie pracy operatorów systemów CRM"))
    submit = SubmitField(_l("Dodaj okres pracy"))


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Rodzaj dokumentu"), validators=[required()])
    title = StringField(_l("Opis"), validators=[required(), max_length(200)])
    file = FileField(_l("Plik (PDF, PNG lub JPEG)"), validators=[FileRequired(message=_l("Wybierz plik."))])
    submit = SubmitField(_l("Dołącz dokument"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice(k.value, str(k.label)) for k in DocumentKind]


class GrantRoleForm(FlaskForm):
    role = SelectField(_l("Rola"), validators=[required()])
    reason = StringField(_l("Uzasadnienie (do dziennika zdarzeń)"), validators=reason_field_validators())
    submit = SubmitField(_l("Nadaj rolę"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice(r.value, r.label) for r in STAFF_ROLE_CHOICES]


class RevokeRoleForm(FlaskForm):
    reason = StringField(_l("Powód odebrania roli"), validators=reason_field_validators())
    submit = SubmitField(_l("Odbierz"))


ROLE_VALUES = {r.value: r for r in Role}


def test_plan_form_class(criterion_codes: list[str]) -> type[FlaskForm]:
    """Build the test-plan form with one item-count field per criterion (the bank decides which exist)."""
    from wtforms import BooleanField as Bool

    from examplatform.theory.models import PartialCredit

    class TestPlanForm(FlaskForm):
        time_limit_minutes = IntegerField(
            _l("Czas testu (minuty)"), validators=[required(), NumberRange(min=5, max=300, message=_l("Od 5 do 300."))]
        )
        pass_percent = IntegerField(
            _l("Próg zaliczenia (%)"), validators=[required(), NumberRange(min=1, max=100, message=_l("Od 1 do 100."))]
        )
        shuffle_items = Bool(_l("Losowa kolejność zadań"))
        shuffle_options = Bool(_l("Losowa kolejność odpowiedzi"))
        partial_credit = SelectField(
            _l("Punktacja częściowa w zadaniach wielokrotnego wyboru"),
            choices=[
                SelectChoice(PartialCredit.PER_ITEM.value, str(_l("według ustawienia zadania"))),
                SelectChoice(PartialCredit.NONE.value, str(_l("wyłączona (wszystko albo nic)"))),
            ],
        )
        answer_review_allowed = Bool(_l("Kandydat może przejrzeć swoje odpowiedzi po udostępnieniu wyniku"))
        reason = StringField(_l("Powód zmiany (do dziennika zdarzeń)"), validators=reason_field_validators())
        submit = SubmitField(_l("Zapisz plan testu"))

    for code in criterion_codes:
        setattr(
            TestPlanForm,
            f"n_{code.replace('.', '_')}",
            IntegerField(code, default=0, validators=[NumberRange(min=0, max=40, message=_l("Od 0 do 40."))]),
        )
    return TestPlanForm
