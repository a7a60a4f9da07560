"""The installable web app (a PWA): the web app manifest, and the service worker that keeps the app shell on the phone.

The service worker (templates/main/service-worker.js, served at /sw.js so that its scope is the whole site) precaches
the shell: the stylesheet, the forms' scripts, the icons and the page shown when there is no signal. It runs Workbox
(vendored under static/vendor/, `make vendor`), loaded from the app itself. Pages are never cached: they hold
personal data and CSRF tokens, and a phone may be shared; a page asked for without a signal gets the offline page.
Each precached file carries a revision (its SHA-256), so the phone fetches again only what changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TypedDict

from flask import current_app, render_template, url_for
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from claims.core.sync import ACCOUNT_HEADER, OWNER_HEADER
from claims.regions.services import place_tree

# The shell: what every villager's and officer's page needs to look right and work without the network.
SHELL = (
    "css/app.css",
    "js/claim-form.js",
    "js/survey-form.js",
    "js/sw-register.js",
    "js/text-size.js",
    "js/drafts.js",
    "js/drafts-ui.js",
    "js/photo-shrink.js",
    "img/icon.svg",
    "img/icon-192.png",
    "img/icon-512.png",
    "manifest.webmanifest",
)
# Workbox's modules, in the order they depend on each other (each attaches itself to `self.workbox`).
WORKBOX = (
    "vendor/workbox-core/workbox-core.prod.js",
    "vendor/workbox-routing/workbox-routing.prod.js",
    "vendor/workbox-strategies/workbox-strategies.prod.js",
    "vendor/workbox-precaching/workbox-precaching.prod.js",
)
OFFLINE_PAGE = "main/offline.html"

# The words of the phone's drafts (static/js/drafts-ui.js), given to the page in its language ({n}: a number).
DRAFT_TEXTS = {
    "list_title": _l("On this phone, waiting to send"),
    "sent_title": _l("Sent from this phone"),
    "kind_claim": _l("Report of damage"),
    "kind_survey": _l("Field survey"),
    "state_editing": _l("Not finished: kept on this phone"),
    "state_waiting": _l("Waiting for a signal: sent by itself"),
    "state_login": _l("Waiting for you to log in again"),
    "state_invalid": _l("Needs correcting"),
    "state_conflict": _l("The claim changed on the server meanwhile"),
    "state_refused": _l("Not sent: the reason is below"),
    "state_done": _l("Arrived"),
    "state_arrived_draft": _l("Arrived as a draft: please correct it"),
    "photos": _l("{n} photo(s)"),
    "photo": _l("Photo {n}"),
    "on_phone": _l("On this phone"),
    "open": _l("Open"),
    "view": _l("View"),
    "send_now": _l("Send now"),
    "discard": _l("Delete from this phone"),
    "dismiss": _l("Remove from the list"),
    "confirm_discard": _l("Delete this draft from the phone? It has not been sent."),
    "logout_warning": _l("{n} draft(s) on this phone have not been sent. Logging out deletes them from the phone. Log out anyway?"),
    "login_needed": _l("Your session has expired. Log in again: the drafts stay on this phone and are sent afterwards."),
    "log_in": _l("Log in"),
    "logout_offline": _l("There is no signal, so you cannot log out now: the server must end the session too. Log out when there is a signal."),
    "saved_offline": _l("Saved on this phone. It is sent by itself when there is a signal; you can close the page."),
    "restored": _l("The draft kept on this phone is back in the form."),
    "sending": _l("Sending…"),
    "errors_title": _l("Please correct the marked fields."),
    "conflict_title": _l("This claim was changed on the server while your draft waited. Both versions:"),
    "server_status": _l("Status on the server"),
    "col_field": _l("Field"),
    "col_phone": _l("On this phone"),
    "col_server": _l("On the server now"),
    "send_mine": _l("Send mine anyway"),
}


def draft_texts() -> dict[str, str]:
    """The texts in the request's language; every page with a user has them, so they are translated once per language."""
    cache: dict[str, dict[str, str]] = current_app.extensions.setdefault("claims_draft_texts", {})
    locale = str(get_locale())
    texts = cache.get(locale)
    if texts is None:
        texts = cache[locale] = {key: str(text) for key, text in DRAFT_TEXTS.items()}
    return texts


class Entry(TypedDict, total=False):
    url: str
    revision: str
    integrity: str


def _revision(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def precache_entries() -> list[Entry]:
    """Each file of the shell with its revision, and the offline page (as rendered in this request's language)."""
    static = Path(current_app.static_folder or "static")
    entries: list[Entry] = [{"url": url_for("static", filename=name), "revision": _revision((static / name).read_bytes())} for name in SHELL]
    entries.append({"url": url_for("main.offline"), "revision": _revision(offline_page().encode())})
    # The filing form's places. With the script's hash, the browser refuses a copy another app node served from an
    # older tree (each node reads it again after 60 s) and tries the update again, rather than keep it as this one.
    tree = place_tree()
    entries.append({"url": url_for("main.places"), "revision": tree.etag, "integrity": tree.integrity})
    return entries


def offline_page() -> str:
    """The page a phone shows for any page asked for without a signal. It names no one: it is kept on the phone."""
    return render_template(OFFLINE_PAGE)


def service_worker() -> str:
    """The service worker's script, with its precache list and Workbox's URLs filled in. Browsers fetch it on every
    page view (their update check), so it is made once per language, place tree and process (again on each fetch in debug mode,
    where the files change under a running server)."""
    made: dict[tuple[str, str], str] = current_app.extensions.setdefault("claims_service_worker", {})
    language = (str(get_locale()), place_tree().etag)  # a new place tree is a new service worker: the phone fetches it
    script = made.get(language)
    if script is None or current_app.debug:
        for old in [key for key in made if key[1] != language[1]]:  # the scripts of earlier trees
            del made[old]
        workbox = [url_for("static", filename=name) for name in WORKBOX]
        script = made[language] = render_template(
            "main/service-worker.js",
            workbox=workbox,
            drafts_script=url_for("static", filename="js/drafts.js"),
            precache=precache_entries(),
            offline_url=url_for("main.offline"),
            owner_header=OWNER_HEADER,
            account_header=ACCOUNT_HEADER,
        )
    return script
