"""Templates translate through a catalogue kept per context, and still follow every change of
language within a request: ``force_locale`` (e-mails in the recipient's language) and
``refresh`` (a setting changed)."""

from __future__ import annotations

from flask import g, render_template_string
from flask_babel import force_locale, refresh


def _said(template: str = "{{ _('Try again') }}") -> str:
    return render_template_string(template)


def test_the_template_language_follows_force_locale_and_refresh(app):
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert _said() == "Try again"
        with force_locale("sv"):
            assert _said() == "Försök igen"
            with force_locale("nl"):
                assert _said() == "Probeer opnieuw"
            assert _said() == "Försök igen"
        assert _said() == "Try again"
        g.locale = "nl"
        refresh()
        assert _said() == "Probeer opnieuw"
        plural = "{{ ngettext('%(num)s person', '%(num)s people', 2) }}"
        assert _said(plural) == "2 personen"


def test_each_request_has_its_own_language(app):
    with app.test_request_context("/", headers={"Accept-Language": "sv"}):
        assert _said() == "Försök igen"
    with app.test_request_context("/", headers={"Accept-Language": "nl"}):
        assert _said() == "Probeer opnieuw"


def test_a_task_renders_in_the_language_it_forces(app):
    with app.app_context(), force_locale("sv"):
        assert _said() == "Försök igen"
