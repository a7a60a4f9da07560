"""Filing journeys on a phone: real taps and typing in Chromium, with the page's own JavaScript running.

Elements are found by ids, names, hrefs and button values, never by visible text, so the tests hold
whichever language the catalog is in. Region and species names are data (the same in both languages)
and are used to pick options.
"""

from __future__ import annotations

import importlib.util
import sys
from datetime import datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any
from zoneinfo import ZoneInfo

import pytest

pytestmark = [
    pytest.mark.browser,
    # WTForms 3.3 deprecates (value, label) tuples as choices; the forms still pass them. The warnings
    # filter is process-wide, so without this the live server's thread turns the warning into a 500.
    pytest.mark.filterwarnings("ignore:Passing SelectField choices as tuples is deprecated:DeprecationWarning"),
]

DEMO_PASSWORD = "Demo@2026"
VILLAGER = "13800000001"
LOCAL = ZoneInfo("Asia/Shanghai")
SUBMITTED_TITLES = {"已提交", "Submitted"}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _load_images_helper() -> ModuleType:
    # The photo tests' generator, loaded by path under the name tests/intake/test_photos.py gives it.
    name = "tests_intake_images"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, Path(__file__).parents[1] / "intake" / "images.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


images = _load_images_helper()


def resident_id(first17: str) -> str:
    """A resident ID with its GB 11643 check digit, computed here rather than by the app's validator."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


def wrong_check_digit(number: str) -> str:
    return number[:-1] + ("0" if number[-1] != "0" else "1")


def photo(name: str, seed: int, taken: datetime) -> dict[str, Any]:
    """A phone photo of the damage: JPEG with capture time and position in its EXIF."""
    exif = images.make_exif(taken=taken, offset="+08:00", gps=(29.3625 + seed / 10000, 112.3981))
    return {"name": name, "mimeType": "image/jpeg", "buffer": images.jpeg_bytes(640, 480, seed=seed, exif=exif)}


def moments() -> tuple[str, str, datetime]:
    """Incident yesterday evening and discovery today, in Chinese time, as the inputs take them."""
    now = datetime.now(LOCAL)
    incident = (now - timedelta(days=1)).replace(hour=20, minute=30, second=0, microsecond=0)
    return incident.strftime("%Y-%m-%dT%H:%M"), now.date().isoformat(), incident + timedelta(hours=2)


# --- steps -----------------------------------------------------------------------------------------


def log_in(phone: Any, login: str) -> None:
    page = phone.page
    phone.goto("/login")
    phone.assert_no_horizontal_scroll()
    page.fill("#login", login)
    page.fill("#password", DEMO_PASSWORD)
    phone.navigate(lambda: page.click("main form button[type=submit]"), "log in")
    assert "/login" not in page.url, page.inner_text("main")


def open_nav(phone: Any, href: str) -> None:
    phone.navigate(lambda: phone.page.click(f"header nav a[href='{href}']"), f"menu link {href}")
    assert phone.page.url.endswith(href), phone.page.url


def choose_place(page: Any, village: str, *, county: str | None = "南县", township: str | None = "三仙湖镇") -> None:
    """Pick county, township and village as a user does; the JS lists the chosen parent's places from /places.js."""
    page.wait_for_selector("#places-hint", state="hidden")  # the tree has come (it loads without holding the page up)
    if county:
        page.select_option("#county_id", label=county)
    if township:
        townships = page.eval_on_selector_all("#township_id option:not([value='0'])", "os => os.map(o => o.text)")
        assert township in townships and "严塘镇" not in townships, townships  # Chaling's township is not listed under 南县
        page.select_option("#township_id", label=township)
    villages = page.eval_on_selector_all("#village_id option:not([value='0'])", "os => os.map(o => o.text)")
    assert village in villages and "八百弓村" not in villages, villages  # 八百弓村 belongs to 茅草街镇
    page.select_option("#village_id", label=village)


def fill_incident(page: Any, *, description: str) -> None:
    incident, discovered, _ = moments()
    page.fill("#incident_at", incident)
    page.fill("#discovered_on", discovered)
    page.select_option("#species_id", label="野猪")
    page.fill("#description", description)


def fill_loss(page: Any, index: int, item: str, quantity: str, unit: str = "mu", category: str = "crop") -> None:
    page.select_option(f"#losses-{index}-category", category)
    page.fill(f"#losses-{index}-item", item)
    page.fill(f"#losses-{index}-quantity", quantity)
    page.select_option(f"#losses-{index}-unit", unit)


def attach_photos(page: Any, files: list[dict[str, Any]]) -> None:
    page.set_input_files("#photo-gallery", files)
    # The page previews each photo and records where and when it was chosen (asynchronously).
    page.wait_for_function(
        "n => { try { return JSON.parse(document.querySelector('[name=photo_meta]').value || '[]').length >= n; } catch (e) { return false; } }",
        arg=len(files),
    )
    assert page.locator("#photo-preview img").count() >= len(files)


def submit(phone: Any, expect: int | None = None) -> None:
    phone.navigate(lambda: phone.page.click("button[name=action][value=submit]"), "submit", expect)


def page_problems(page: Any) -> str:
    """The messages a user would read on a form that was not accepted."""
    texts = page.eval_on_selector_all(".flash, .error", "els => els.map(e => e.innerText.trim())")
    return f"{page.url}: " + " | ".join(texts)


def claim_number(page: Any) -> str:
    """The number on the acknowledgement page that a submission leads to."""
    assert page.locator("#claim-number").count() == 1, "not submitted: " + page_problems(page)
    number = page.inner_text("#claim-number").strip()
    assert number.startswith("430921-"), number
    return number


def assert_images_loaded(page: Any, selector: str, count: int) -> None:
    locator = page.locator(selector)
    assert locator.count() == count, f"{locator.count()} images for {selector}, expected {count}"
    for i in range(count):
        locator.nth(i).scroll_into_view_if_needed()
    page.wait_for_function(
        "([s, n]) => { const imgs = document.querySelectorAll(s); return imgs.length === n && Array.from(imgs).every(i => i.complete && i.naturalWidth > 0); }",
        arg=[selector, count],
    )


# --- journeys --------------------------------------------------------------------------------------


def test_villager_reports_damage_and_follows_the_claim(phone: Any) -> None:
    page = phone.page
    _, _, taken = moments()
    log_in(phone, VILLAGER)
    open_nav(phone, "/claims/new")
    phone.assert_no_horizontal_scroll()

    page.wait_for_selector("#places-hint", state="hidden")  # the place tree came: the lists follow the choices (no saving needed)
    # The claimant's own name and mobile number come from the account.
    assert page.input_value("#claimant_name") == "张建国"
    assert page.input_value("#claimant_mobile") == VILLAGER
    page.fill("#claimant_id_number", resident_id("43232219720808002"))
    page.fill("#claimant_address", "南县三仙湖镇利群村5组")
    page.fill("#bank_name", "湖南南县农村商业银行")
    page.fill("#bank_account", "6214 8312 3456 7890")
    choose_place(page, "利群村")
    fill_incident(page, description="夜里野猪下田拱食水稻，约两亩半倒伏，田埂也被拱坏。")
    fill_loss(page, 0, "水稻", "2.5")
    mu = page.locator("#losses-0-unit option:checked").inner_text()  # 亩, or "mu" in English
    page.click("#add-loss")
    assert page.locator(".loss-line").count() == 2
    assert page.input_value("#losses-1-item") == ""  # the copy starts empty
    fill_loss(page, 1, "红薯", "0.4")
    attach_photos(page, [photo(f"IMG_2026{i}.jpg", seed=10 + i, taken=taken) for i in range(3)])
    page.check("#declaration")
    phone.assert_no_horizontal_scroll()
    phone.screenshot("filing-form-villager")
    submit(phone)

    number = claim_number(page)
    phone.assert_no_horizontal_scroll()
    open_nav(phone, "/claims/")
    phone.assert_no_horizontal_scroll()
    phone.screenshot("claims-list-villager")
    row = page.locator(".claim-row a", has=page.locator(".num", has_text=number))
    assert row.count() == 1
    phone.navigate(row.click, "open the claim")

    assert number in page.inner_text("h1")
    assert page.inner_text(".status-card .badge").strip() in SUBMITTED_TITLES
    losses = page.inner_text("ul.losses")
    assert f"水稻 2.5 {mu}" in losses and f"红薯 0.4 {mu}" in losses, losses
    assert_images_loaded(page, "ul.thumbs img", 3)
    phone.assert_no_horizontal_scroll()
    page.evaluate("window.scrollTo(0, 0)")
    phone.screenshot("claim-detail-villager")
    phone.assert_clean()


def listed(page: Any, select: str) -> list[str]:
    return page.eval_on_selector_all(f"{select} option:not([value='0'])", "os => os.filter(o => !o.hidden).map(o => o.text)")


def test_the_form_does_not_wait_for_the_place_tree(phone: Any) -> None:
    """On a first visit over a weak signal the place tree (/places.js, some 60 KB compressed at province scale) takes
    seconds: the form is usable before it comes. A county chosen meanwhile lists nothing yet and the hint says how
    to get its townships; when the tree arrives, that county's townships are listed and the hint goes."""
    page = phone.page
    log_in(phone, VILLAGER)
    held: list[Any] = []
    page.route("**/places.js", lambda route: held.append(route))
    response = page.goto(phone.base_url + "/claims/new", wait_until="domcontentloaded")
    phone.check_response(response, "GET /claims/new")
    page.wait_for_function("() => document.documentElement.classList.contains('js')")  # the form's own script ran

    assert len(held) == 1 and page.evaluate("typeof self.claimsPlaces") == "undefined"  # asked for, not here yet
    page.click("#add-loss")
    assert page.locator(".loss-line").count() == 2
    assert page.is_visible("#places-hint")
    page.select_option("#county_id", label="茶陵县")
    assert listed(page, "#township_id") == []

    held[0].continue_()
    page.wait_for_selector("#places-hint", state="hidden")
    townships = listed(page, "#township_id")
    assert "严塘镇" in townships and "三仙湖镇" not in townships, townships
    page.select_option("#township_id", label="严塘镇")
    assert listed(page, "#village_id") and "利群村" not in listed(page, "#village_id")
    phone.assert_clean()


def chosen_places(page: Any) -> tuple[str, ...]:
    shown = "s => s.selectedIndex < 0 ? '(none)' : s.options[s.selectedIndex].text"
    return tuple(page.eval_on_selector(f"#{name}", shown) for name in ("county_id", "township_id", "village_id"))


def keep_on_phone(page: Any) -> str:
    """The signal drops while the form is being filled: drafts-ui.js keeps it on the phone (its address gets ?draft=)."""
    page.evaluate("() => window.dispatchEvent(new Event('offline'))")
    page.wait_for_url("**draft=*")
    return page.url


@pytest.mark.parametrize(
    ("login", "path", "field", "township", "village"),
    [(VILLAGER, "/claims/new", "#bank_name", "三仙湖镇", "利群村"), ("clerk", "/claims/new-for-villager", "#claimant_name", "茅草街镇", "八百弓村")],
)
def test_a_draft_reopened_before_the_place_tree_keeps_its_places(phone: Any, login: str, path: str, field: str, township: str, village: str) -> None:
    """A draft kept on the phone, opened again over a weak signal: its township and village are not on the page's lists
    yet (the villager's form lists no township; the clerk's lists the villages of the clerk's own township). They are
    chosen when the tree arrives, not dropped."""
    page = phone.page
    log_in(phone, login)
    phone.goto(path)
    page.fill(field, "湖南南县农村商业银行")
    page.wait_for_selector("#places-hint", state="hidden")
    for select, label in (("#county_id", "南县"), ("#township_id", township), ("#village_id", village)):
        page.select_option(select, label=label)
    url = keep_on_phone(page)
    held: list[Any] = []
    page.route("**/places.js", lambda route: held.append(route))

    page.goto(url, wait_until="domcontentloaded")
    page.wait_for_function("(f) => document.querySelector(f).value !== ''", arg=field)  # the draft is back in the form
    assert len(held) == 1 and page.is_visible("#places-hint")
    held[0].continue_()

    page.wait_for_selector("#places-hint", state="hidden")
    assert chosen_places(page) == ("南县", township, village)
    phone.assert_clean()


def test_an_older_place_tree_without_its_event_is_taken_when_the_page_has_loaded(phone: Any) -> None:
    """After a deploy a service worker may still hand out the tree as it was (without the event it now sends)."""
    page = phone.page
    log_in(phone, VILLAGER)
    older = page.request.get(phone.base_url + "/places.js").text().replace('self.dispatchEvent(new Event("claims-places"));', "")
    held: list[Any] = []
    page.route("**/places.js", lambda route: held.append(route))
    page.goto(phone.base_url + "/claims/new", wait_until="domcontentloaded")
    page.wait_for_function("() => document.documentElement.classList.contains('js')")
    held[0].fulfill(status=200, content_type="text/javascript", body=older)

    page.wait_for_selector("#places-hint", state="hidden")
    page.select_option("#county_id", label="南县")
    assert "三仙湖镇" in listed(page, "#township_id")
    phone.assert_clean()


def test_clerk_files_for_a_villager_without_an_account(phone: Any) -> None:
    page = phone.page
    _, _, taken = moments()
    log_in(phone, "clerk")
    # The clerk's start page offers filing for a villager (the top bar only has "Report damage").
    phone.navigate(lambda: page.click("main a[href='/claims/new-for-villager']"), "file for a villager")
    phone.assert_no_horizontal_scroll()

    # The clerk's own township is chosen already; the claimant's fields are empty.
    assert page.locator("#county_id option:checked").inner_text() == "南县"
    assert page.locator("#township_id option:checked").inner_text() == "三仙湖镇"
    assert page.input_value("#claimant_name") == ""
    page.fill("#claimant_name", "罗桂兰")
    page.fill("#claimant_id_number", resident_id("43092119860304002"))
    page.fill("#claimant_mobile", "13712345678")
    page.fill("#bank_name", "中国邮政储蓄银行")
    page.fill("#bank_account", "6217995550001234567")
    choose_place(page, "关帝庙村", county=None, township=None)
    fill_incident(page, description="野猪群进入玉米地，啃食玉米棒。")
    fill_loss(page, 0, "玉米", "1.2")
    attach_photos(page, [photo(f"clerk-{i}.jpg", seed=30 + i, taken=taken) for i in range(2)])
    page.check("#declaration")
    submit(phone)

    number = claim_number(page)
    open_nav(phone, "/claims/")
    phone.assert_no_horizontal_scroll()
    assert page.locator(".claim-row .num", has_text=number).count() == 1
    phone.assert_clean()


def test_rejected_submit_keeps_values_and_photo(phone: Any) -> None:
    page = phone.page
    _, _, taken = moments()
    good_id = resident_id("43092119950315001")
    log_in(phone, VILLAGER)
    open_nav(phone, "/claims/new")

    page.fill("#claimant_id_number", wrong_check_digit(good_id))
    page.fill("#bank_name", "湖南南县农村商业银行")
    page.fill("#bank_account", "6214831234567890")
    choose_place(page, "三仙湖村")
    fill_incident(page, description="野猪拱坏油菜地。")
    fill_loss(page, 0, "油菜", "1.5")
    attach_photos(page, [photo("only.jpg", seed=50, taken=taken)])
    page.check("#declaration")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and "status of 422" not in m.text else None)
    submit(phone, expect=422)
    # The filing went from the phone once, and the page was drawn again without its photos (the server had them): no
    # photo said to be "already added" (the second post used to carry them again after a script error).
    assert "没有添加成功" not in page.inner_text("main") and not errors, errors

    # Not submitted (422): the error sits next to the ID field and everything typed is still there.
    assert page.locator("#claim-number").count() == 0
    id_field = page.locator("div.field.has-error", has=page.locator("#claimant_id_number"))
    assert id_field.locator("p.error").is_visible()
    assert page.input_value("#claimant_id_number") == wrong_check_digit(good_id)
    assert page.input_value("#bank_name") == "湖南南县农村商业银行"
    assert page.input_value("#bank_account") == "6214831234567890"
    assert page.input_value("#description") == "野猪拱坏油菜地。"
    assert page.input_value("#losses-0-item") == "油菜"
    assert page.locator("#village_id option:checked").inner_text() == "三仙湖村"
    assert page.locator("#species_id option:checked").inner_text() == "野猪"
    assert page.is_checked("#declaration")
    # The photo was saved with the draft and is shown, so it need not be chosen again.
    assert_images_loaded(page, "img[src$='/thumb']", 1)
    phone.assert_no_horizontal_scroll()
    phone.screenshot("filing-form-rejected")

    # Corrected, then the keyboard's Go key (Enter): that saves the draft; it must not press the saved
    # photo's Remove button, which would otherwise be the form's first submit button.
    page.fill("#claimant_id_number", good_id)
    phone.navigate(lambda: page.press("#claimant_id_number", "Enter"), "Enter in a field")
    assert page.locator("#claim-number").count() == 0
    assert page.input_value("#claimant_id_number") == good_id
    assert page.locator("div.field.has-error").count() == 0, page_problems(page)
    assert_images_loaded(page, "img[src$='/thumb']", 1)

    submit(phone)
    number = claim_number(page)
    phone.navigate(lambda: page.click("main a.primary[href^='/claims/']"), "follow this claim")
    assert number in page.inner_text("h1")
    assert_images_loaded(page, "ul.thumbs img", 1)
    phone.assert_clean()
