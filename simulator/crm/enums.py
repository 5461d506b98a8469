"""Closed vocabularies of the CRM, each value with its Polish label."""

from __future__ import annotations

from simulator.crm.base import LabelledEnum


class Voivodeship(LabelledEnum):
    """One of the 16 Polish voivodeships (województwa)."""

    DOLNOSLASKIE = "dolnośląskie", "dolnośląskie"
    KUJAWSKO_POMORSKIE = "kujawsko-pomorskie", "kujawsko-pomorskie"
    LUBELSKIE = "lubelskie", "lubelskie"
    LUBUSKIE = "lubuskie", "lubuskie"
    LODZKIE = "łódzkie", "łódzkie"
    MALOPOLSKIE = "małopolskie", "małopolskie"
    MAZOWIECKIE = "mazowieckie", "mazowieckie"
    OPOLSKIE = "opolskie", "opolskie"
    PODKARPACKIE = "podkarpackie", "podkarpackie"
    PODLASKIE = "podlaskie", "podlaskie"
    POMORSKIE = "pomorskie", "pomorskie"
    SLASKIE = "śląskie", "śląskie"
    SWIETOKRZYSKIE = "świętokrzyskie", "świętokrzyskie"
    WARMINSKO_MAZURSKIE = "warmińsko-mazurskie", "warmińsko-mazurskie"
    WIELKOPOLSKIE = "wielkopolskie", "wielkopolskie"
    ZACHODNIOPOMORSKIE = "zachodniopomorskie", "zachodniopomorskie"


class CompanySize(LabelledEnum):
    """Company size class (wielkość przedsiębiorstwa)."""

    MIKRO = "mikro", "mikro (do 9 osób)"
    MALE = "małe", "małe (10–49 osób)"
    SREDNIE = "średnie", "średnie (50–249 osób)"
    DUZE = "duże", "duże (250 osób i więcej)"


class LegalForm(LabelledEnum):
    """Legal form of a business (forma prawna); where it is registered decides which identifiers it has.

    A sole trader (JDG) and the partners of a civil partnership (spółka cywilna) are entered in CEIDG, never in
    KRS; the commercial companies, foundations and associations are entered in KRS.
    """

    JDG = "jdg", "jednoosobowa działalność gospodarcza (CEIDG)"
    CIVIL_PARTNERSHIP = "spolka_cywilna", "spółka cywilna (s.c.)"
    GENERAL_PARTNERSHIP = "spolka_jawna", "spółka jawna (sp.j.)"
    PROFESSIONAL_PARTNERSHIP = "spolka_partnerska", "spółka partnerska (sp.p.)"
    LIMITED_PARTNERSHIP = "spolka_komandytowa", "spółka komandytowa (sp.k.)"
    LIMITED_JOINT_STOCK_PARTNERSHIP = "spolka_komandytowo_akcyjna", "spółka komandytowo-akcyjna (S.K.A.)"
    LIMITED_LIABILITY = "spolka_z_oo", "spółka z ograniczoną odpowiedzialnością (sp. z o.o.)"
    SIMPLE_JOINT_STOCK = "prosta_spolka_akcyjna", "prosta spółka akcyjna (P.S.A.)"
    JOINT_STOCK = "spolka_akcyjna", "spółka akcyjna (S.A.)"
    FOUNDATION_OR_ASSOCIATION = "fundacja_stowarzyszenie", "fundacja / stowarzyszenie"
    PUBLIC_SECTOR = "sektor_publiczny", "jednostka sektora publicznego"
    OTHER = "inna", "inna forma prawna"


class DataSource(LabelledEnum):
    """Where a record's data came from (źródło danych)."""

    WEB_FORM = "formularz_www", "Formularz WWW"
    TRADE_FAIR = "targi", "Targi / wydarzenie branżowe"
    REFERRAL = "polecenie", "Polecenie"
    CEIDG = "ceidg", "Rejestr publiczny – CEIDG"
    KRS = "krs", "Rejestr publiczny – KRS"
    GUS = "gus", "Rejestr publiczny – GUS (REGON)"
    PURCHASED_LIST = "kupiona_baza", "Kupiona baza danych"
    PHONE = "telefon", "Kontakt telefoniczny"
    EMAIL = "email", "Kontakt e-mailowy"
    SOCIAL = "media_spolecznosciowe", "Media społecznościowe"
    OTHER = "inne", "Inne"


class AcquisitionMethod(LabelledEnum):
    """How the data was obtained (metoda pozyskania)."""

    SELF_SERVICE = "zgloszenie_klienta", "Zgłoszenie klienta (sam podał dane)"
    PHONE_CALL = "rozmowa_telefoniczna", "Rozmowa telefoniczna"
    MEETING = "spotkanie", "Spotkanie / wywiad bezpośredni"
    BUSINESS_CARD = "wizytowka", "Wymiana wizytówek"
    REGISTER_LOOKUP = "wyszukanie_w_rejestrze", "Wyszukanie w rejestrze publicznym"
    IMPORT = "import", "Import z pliku / bazy"
    SURVEY = "ankieta", "Ankieta"
    CORRESPONDENCE = "korespondencja", "Korespondencja e-mail"


class ContactChannel(LabelledEnum):
    """Preferred channel for reaching the customer (preferowany kanał kontaktu)."""

    PHONE = "telefon", "Telefon"
    EMAIL = "email", "E-mail"
    MEETING = "spotkanie", "Spotkanie osobiste"
    VIDEO = "wideokonferencja", "Wideokonferencja"
    SMS = "sms", "SMS"
    POST = "poczta", "Poczta tradycyjna"
    SOCIAL = "media_spolecznosciowe", "Media społecznościowe (np. LinkedIn)"


class VatRate(LabelledEnum):
    """VAT rate of a product or service (stawka VAT)."""

    VAT_23 = "23", "23%"
    VAT_8 = "8", "8%"
    VAT_5 = "5", "5%"
    VAT_0 = "0", "0%"
    EXEMPT = "zw", "zw. (zwolniony)"

    @property
    def percent(self) -> int:
        """Return the rate in percent (0 for exempt)."""
        return 0 if self is VatRate.EXEMPT else int(self.value)


class ActivityType(LabelledEnum):
    """Kind of activity (rodzaj działania)."""

    CALL = "telefon", "Telefon"
    MEETING = "spotkanie", "Spotkanie"
    EMAIL = "email", "E-mail"
    TASK = "zadanie", "Zadanie"


class Priority(LabelledEnum):
    """Task priority (priorytet)."""

    LOW = "niski", "niski"
    NORMAL = "normalny", "normalny"
    HIGH = "wysoki", "wysoki"
    URGENT = "pilny", "pilny"

    @property
    def rank(self) -> int:
        """Return the sort rank (urgent first)."""
        return list(Priority).index(self)


class ActivityStatus(LabelledEnum):
    """State of an activity (status działania)."""

    NOT_STARTED = "nierozpoczete", "nierozpoczęte"
    IN_PROGRESS = "w_toku", "w toku"
    DONE = "zakonczone", "zakończone"
    CANCELLED = "anulowane", "anulowane"


class CustomerType(LabelledEnum):
    """The customers a pipeline serves (typ klienta lejka)."""

    BUSINESS = "firmy", "Firmy (B2B)"
    CONSUMERS = "klienci_indywidualni", "Klienci indywidualni (B2C)"
    PUBLIC = "sektor_publiczny", "Sektor publiczny (B2G, zamawiający publiczni)"
    PARTNERS = "partnerzy", "Partnerzy i dystrybutorzy"


class SaleForm(LabelledEnum):
    """How a pipeline's sale is made (forma sprzedaży)."""

    DIRECT = "bezposrednia", "Sprzedaż bezpośrednia (spotkania)"
    PHONE = "telefoniczna", "Sprzedaż telefoniczna (telesprzedaż)"
    ONLINE = "internetowa", "Sprzedaż internetowa (e-commerce, formularz)"
    TENDER = "przetargowa", "Sprzedaż przetargowa (przetargi, zapytania ofertowe)"
    INTERMEDIARY = "posrednia", "Sprzedaż przez pośrednika (agent, partner)"


class OpportunityStatus(LabelledEnum):
    """State of a sales opportunity (status szansy)."""

    OPEN = "otwarta", "otwarta"
    WON = "wygrana", "wygrana"
    LOST = "przegrana", "przegrana"


class Currency(LabelledEnum):
    """The currency of an opportunity's value (waluta), an ISO 4217 code; the CRM converts nothing."""

    PLN = "PLN", "PLN – złoty polski"
    EUR = "EUR", "EUR – euro"
    USD = "USD", "USD – dolar amerykański"


class LossReason(LabelledEnum):
    """Why an opportunity was lost (powód utraty)."""

    PRICE = "cena", "Cena za wysoka"
    COMPETITOR = "konkurencja", "Wybrano ofertę konkurencji"
    NO_BUDGET = "brak_budzetu", "Brak budżetu"
    NO_DECISION = "brak_decyzji", "Brak decyzji / projekt wstrzymany"
    TIMING = "termin", "Nieodpowiedni termin"
    NEEDS = "niedopasowanie", "Oferta nie odpowiada potrzebom"
    NO_CONTACT = "brak_kontaktu", "Utrata kontaktu z klientem"
    OTHER = "inny", "Inny (opisz w uwagach)"


class ActorKind(LabelledEnum):
    """Who performed a logged action."""

    CANDIDATE = "candidate", "kandydat"
    COMMISSION = "commission", "komisja (podgląd)"
    SYSTEM = "system", "system"
