"""Flask-Babel for the API and the pages: one locale selector, the catalogues, a cookie.

The language of a request (:func:`select_locale`), in this order:

1. the ``?lang=`` query parameter (``ko`` or ``en``), so a language switch is a plain link;
2. on pages only, the ``lang`` cookie that :func:`remember_locale` sets (pages set it when
   ``?lang=`` was given, see :func:`init_app`); the API reads no cookie;
3. the first of ``ko`` and ``en`` in ``Accept-Language`` by preference (its q-values), a
   regional tag counting as its language (``ko-KR, en;q=0.3`` is Korean);
4. else Korean, except under ``/api/`` where machine clients that send no language keep the
   English they always had (:data:`API_FALLBACK`).

Flask-Babel's ``gettext``/``_``, ``lazy_gettext``, ``ngettext`` and Jinja's ``_()`` /
``{% trans %}`` all read the catalogues of :mod:`votesvc.i18n` (compiled in memory, no ``.mo``
files) and resolve Korean particles after the parameters are filled in; templates also get
``current_language()`` and the ``local_time`` filter. To keep a language a page chose, link to
it with ``?lang=en`` (the cookie follows) or call :func:`remember_locale`. Layer: an edge module
(it imports Flask), beside the API and the pages that use it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from flask import Flask, Response, request
from flask_babel import Babel, Domain, get_locale
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header, parse_cookie
from werkzeug.utils import cached_property

from votesvc.i18n import DEFAULT_LANGUAGE, LANGUAGES, finish, translations
from votesvc.i18n.times import LocalTime

LANG_PARAMETER = "lang"
LANG_COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
API_PREFIX = "/api/"
API_FALLBACK = "en"
"""The API's language when a request names none it knows: English, as before Flask-Babel."""


def fallback_locale() -> str:
    """The language of a request that asks for none of ours."""
    return API_FALLBACK if request.path.startswith(API_PREFIX) else DEFAULT_LANGUAGE


def choose_language(
    asked: str | None, remembered: str | None, accepted: LanguageAccept, fallback: str
) -> str:
    """The rule of the module's docstring on a request's parts: ``?lang=``, the cookie,
    ``Accept-Language``, then ``fallback``. One rule for Flask-Babel's selector and for the
    worker's memory of published pages (:func:`language_of`), so both pick the same page."""
    for choice in (asked, remembered):
        if choice in LANGUAGES:
            return choice
    for tag, quality in accepted:  # most preferred first (werkzeug sorts by quality)
        language = tag.replace("_", "-").split("-", 1)[0].lower()
        if quality > 0 and language in LANGUAGES:
            return language
    return fallback


def select_locale() -> str:
    """The request's language (see the module's docstring)."""
    page = not request.path.startswith(API_PREFIX)
    return choose_language(
        request.args.get(LANG_PARAMETER),
        request.cookies.get(LANG_COOKIE) if page else None,
        request.accept_languages,
        fallback_locale(),
    )


def language_of(environ: Mapping[str, Any]) -> str:
    """The language :func:`select_locale` picks for a page request with no query string, read
    off the WSGI environ before Flask sees it."""
    cookie = parse_cookie(environ.get("HTTP_COOKIE", "")).get(LANG_COOKIE)
    accepted = parse_accept_header(environ.get("HTTP_ACCEPT_LANGUAGE"), LanguageAccept)
    return choose_language(None, cookie, accepted, DEFAULT_LANGUAGE)


def current_language() -> str:
    """The language Flask-Babel chose for this request (``ko`` or ``en``)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LANGUAGE


def remember_locale(response: Response, lang: str) -> Response:
    """Keeps ``lang`` in the ``lang`` cookie for a year (pages' language switch)."""
    if lang in LANGUAGES:
        response.set_cookie(
            LANG_COOKIE,
            lang,
            max_age=COOKIE_MAX_AGE,
            samesite="Lax",
            secure=request.is_secure,
            httponly=True,
        )
    return response


class CatalogueDomain(Domain):
    """Flask-Babel's domain reading :func:`votesvc.i18n.translations` instead of ``.mo``
    files, and resolving Korean particles once a message is filled in."""

    def get_translations(self) -> Any:
        return translations(current_language())

    def gettext(self, string: str, **variables: Any) -> str:
        return finish(super().gettext(string, **variables), current_language())

    def ngettext(self, singular: str, plural: str, num: int, **variables: Any) -> str:
        text = super().ngettext(singular, plural, num, **variables)
        return finish(text, current_language())

    def pgettext(self, context: str, string: str, **variables: Any) -> str:
        return finish(super().pgettext(context, string, **variables), current_language())

    def npgettext(
        self, context: str, singular: str, plural: str, num: int, **variables: Any
    ) -> str:
        text = super().npgettext(context, singular, plural, num, **variables)
        return finish(text, current_language())


class VotesvcBabel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return CatalogueDomain(domain=self.domain)


babel = VotesvcBabel(configure_jinja=True)


def _filled(context: Context, template: str, variables: dict[str, Any]) -> str:
    """A translated template filled in as Jinja's newstyle gettext fills it (parameters
    escaped when the template autoescapes), then Korean particles resolved."""
    autoescape = context.eval_ctx.autoescape
    text: str = Markup(template) if autoescape else template
    if variables:
        text = text % variables
    text = finish(text, current_language())
    return Markup(text) if autoescape else text


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """Jinja's ``_()``, ``gettext()`` and ``{% trans %}``."""
    return _filled(context, translations(current_language()).gettext(string), variables)


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    variables.setdefault("num", num)
    template = translations(current_language()).ngettext(singular, plural, num)
    return _filled(context, template, variables)


def local_time(moment: datetime, zone: str) -> str:
    """Jinja's ``{{ moment | local_time(election.timezone) }}``: the local date and time with
    the zone's name, in the request's language (:class:`votesvc.i18n.times.LocalTime`)."""
    return LocalTime(moment, zone).text(current_language())


def _remember_asked_locale(response: Response) -> Response:
    """A page asked with ``?lang=`` keeps that language in the cookie (not the API, which
    sets no cookies)."""
    if request.path.startswith(API_PREFIX):  # first: API requests need not parse a query
        return response
    asked = request.args.get(LANG_PARAMETER)
    if asked in LANGUAGES and request.cookies.get(LANG_COOKIE) != asked:
        remember_locale(response, asked)
    return response


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    babel.init_app(app, default_locale=DEFAULT_LANGUAGE, locale_selector=select_locale)
    app.jinja_env.globals.update(_=_template_gettext, gettext=_template_gettext)
    app.jinja_env.globals.update(ngettext=_template_ngettext)
    app.jinja_env.globals.update(current_language=current_language)
    app.jinja_env.filters["local_time"] = local_time
    app.after_request(_remember_asked_locale)
