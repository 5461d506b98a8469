"""Forms for companies and persons."""

from __future__ import annotations

from wtforms import BooleanField, DateField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from simulator.crm import validators as v
from simulator.crm.enums import AcquisitionMethod, CompanySize, ContactChannel, DataSource, LegalForm, Voivodeship
from simulator.crm.forms.fields import REQUIRED, CrmForm, IdSelect, OptionalSelect, clean, enum_choices, normalised

SOURCE_REQUIRED = "Wskaż źródło, z którego pochodzą dane."


class AccountForm(CrmForm):
    """A company (firma)."""

    name = StringField("Nazwa firmy", [InputRequired(REQUIRED), Length(max=200, message="Najwyżej 200 znaków.")])
    legal_form = OptionalSelect("Forma prawna", choices=enum_choices(LegalForm, empty=True))
    nip = StringField("NIP", [normalised(v.normalise_nip)], description="10 cyfr, np. 779-463-05-39")
    regon = StringField("REGON", [normalised(v.normalise_regon)], description="9 lub 14 cyfr")
    krs = StringField("Numer KRS", [normalised(v.normalise_krs)], description="10 cyfr, np. 0000253193")
    pesel = StringField(
        "PESEL przedsiębiorcy",
        [normalised(v.normalise_pesel)],
        description="Tylko dla jednoosobowej działalności gospodarczej (PESEL właściciela).",
    )
    street = StringField("Ulica i numer", [Length(max=200, message="Najwyżej 200 znaków.")])
    postal_code = StringField("Kod pocztowy", [normalised(v.normalise_postal_code)], description="NN-NNN")
    city = StringField("Miejscowość", [Length(max=100, message="Najwyżej 100 znaków.")])
    voivodeship = OptionalSelect("Województwo", choices=enum_choices(Voivodeship, empty=True))
    pkd = StringField("Kod PKD (branża)", [normalised(v.normalise_pkd)], description="np. 62.01.Z")
    size = OptionalSelect("Wielkość firmy", choices=enum_choices(CompanySize, empty=True))
    email = StringField("E-mail firmy", [normalised(v.normalise_email)])
    phone = StringField("Telefon firmy", [normalised(v.normalise_phone)], description="np. 61 842 17 30")
    website = StringField("Strona WWW", [Length(max=200, message="Najwyżej 200 znaków.")])
    data_source = OptionalSelect(
        "Źródło danych", [DataRequired(SOURCE_REQUIRED)], choices=enum_choices(DataSource, empty=True)
    )
    acquisition_method = OptionalSelect("Metoda pozyskania", choices=enum_choices(AcquisitionMethod, empty=True))
    preferred_channel = OptionalSelect("Preferowany kanał kontaktu", choices=enum_choices(ContactChannel, empty=True))
    owner_id = IdSelect("Opiekun handlowy", [DataRequired("Wskaż opiekuna handlowego.")])
    notes = TextAreaField("Uwagi")
    confirm_duplicates = BooleanField("Tak, zapisz mimo podobnych rekordów")

    def values(self) -> dict:
        """Return the model values the form carries."""
        return {
            "name": clean(self.name),
            "nip": self.nip.data or None,
            "regon": self.regon.data or None,
            "krs": self.krs.data or None,
            "legal_form": LegalForm(self.legal_form.data) if self.legal_form.data else None,
            "pesel": self.pesel.data or None,
            "street": clean(self.street),
            "postal_code": self.postal_code.data,
            "city": clean(self.city),
            "voivodeship": Voivodeship(self.voivodeship.data) if self.voivodeship.data else None,
            "pkd": self.pkd.data,
            "size": CompanySize(self.size.data) if self.size.data else None,
            "email": self.email.data,
            "phone": self.phone.data,
            "website": clean(self.website),
            "data_source": DataSource(self.data_source.data),
            "acquisition_method": AcquisitionMethod(self.acquisition_method.data)
            if self.acquisition_method.data
            else None,
            "preferred_channel": ContactChannel(self.preferred_channel.data) if self.preferred_channel.data else None,
            "owner_id": self.owner_id.value(),
            "notes": clean(self.notes),
        }


class ContactForm(CrmForm):
    """A person (osoba kontaktowa)."""

    first_name = StringField("Imię", [InputRequired(REQUIRED), Length(max=80, message="Najwyżej 80 znaków.")])
    last_name = StringField("Nazwisko", [InputRequired(REQUIRED), Length(max=120, message="Najwyżej 120 znaków.")])
    account_id = IdSelect("Firma")
    position = StringField("Stanowisko", [Length(max=120, message="Najwyżej 120 znaków.")])
    email = StringField("E-mail", [normalised(v.normalise_email)])
    phone = StringField("Telefon", [normalised(v.normalise_phone)], description="np. 601 234 567")
    pesel = StringField(
        "PESEL", [normalised(v.normalise_pesel)], description="Tylko gdy jest niezbędny (np. osoba fizyczna)."
    )
    birth_date = DateField("Data urodzenia", [Optional()], format="%Y-%m-%d")
    data_source = OptionalSelect(
        "Źródło danych", [DataRequired(SOURCE_REQUIRED)], choices=enum_choices(DataSource, empty=True)
    )
    acquisition_method = OptionalSelect("Metoda pozyskania", choices=enum_choices(AcquisitionMethod, empty=True))
    preferred_channel = OptionalSelect("Preferowany kanał kontaktu", choices=enum_choices(ContactChannel, empty=True))
    notes = TextAreaField("Uwagi")
    confirm_duplicates = BooleanField("Tak, zapisz mimo podobnych rekordów")

    def validate_birth_date(self, field) -> None:
        if field.data and self.pesel.data and not self.pesel.errors:
            try:
                v.check_pesel_birth_date(self.pesel.data, field.data)
            except v.InvalidValue as exc:
                raise ValidationError(str(exc)) from exc

    def values(self) -> dict:
        """Return the model values the form carries."""
        return {
            "first_name": clean(self.first_name),
            "last_name": clean(self.last_name),
            "account_id": self.account_id.value(),
            "position": clean(self.position),
            "email": self.email.data,
            "phone": self.phone.data,
            "pesel": self.pesel.data or None,
            "birth_date": self.birth_date.data,
            "data_source": DataSource(self.data_source.data),
            "acquisition_method": AcquisitionMethod(self.acquisition_method.data)
            if self.acquisition_method.data
            else None,
            "preferred_channel": ContactChannel(self.preferred_channel.data) if self.preferred_channel.data else None,
            "notes": clean(self.notes),
        }
