"""Polish first, English second: the switch, the catalogue, and refusal of unknown languages."""

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from examplatform.auth.models import Role
from tests.conftest import PROJECT_ROOT

CATALOGUE = PROJECT_ROOT / "examplatform" / "translations" / "en" / "LC_MESSAGES" / "messages.po"


def test_polish_is_the_default(client):
    page = client.get("/kwalifikacja/").get_data(as_text=True)
    assert '<html lang="pl">' in page and "Efekty uczenia się i kryteria weryfikacji" in page


def test_switch_to_english_and_back(client):
    response = client.post("/language?next=/kwalifikacja/", data={"lang": "en"})
    assert response.status_code == 302 and response.headers["Location"] == "/kwalifikacja/"
    page = client.get("/kwalifikacja/").get_data(as_text=True)
    assert '<html lang="en">' in page and "Learning outcomes and verification criteria" in page
    assert "Customer relationship management with a CRM system" in page  # content in English too
    client.post("/language", data={"lang": "pl"})
    assert '<html lang="pl">' in client.get("/kwalifikacja/").get_data(as_text=True)


def test_language_choice_is_remembered_for_the_user(client, auth, factories):
    user = factories.user(roles=(Role.CANDIDATE,))
    auth.login(user.email)
    client.post("/language", data={"lang": "en"})
    auth.logout()
    auth.login(user.email)
    assert '<html lang="en">' in client.get("/").get_data(as_text=True)


def test_unknown_language_is_refused_in_polish(client):
    response = client.post("/language", data={"lang": "xx"})
    assert response.status_code == 400
    assert "Nieobsługiwany język" in response.get_data(as_text=True)
    assert '<html lang="pl">' in client.get("/auth/login").get_data(as_text=True)


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post("/language?next=https://evil.example/", data={"lang": "en"})
    assert response.headers["Location"] == "/"


def test_every_ui_string_has_an_english_translation():
    method_map = [
        ("examplatform/**.py", "python"),
        ("examplatform/**/templates/**.html", "jinja2"),
        ("examplatform/**/templates/**.txt", "jinja2"),
    ]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
    found = {
        (message if isinstance(message, str) else message[0])
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(PROJECT_ROOT), method_map=method_map, keywords=keywords
        )
    }
    with CATALOGUE.open("rb") as fh:
        catalogue = {m.id: m.string for m in read_po(fh) if m.id}
    missing = sorted(found - catalogue.keys())
    untranslated = sorted(k for k in found & catalogue.keys() if not catalogue[k])
    assert not missing, f"not in the English catalogue (run `make translations-update`): {missing[:10]}"
    assert not untranslated, f"untranslated: {untranslated[:10]}"
