"""The JSON quote endpoint (/api/v1/valuation/quote): values what is sent, for whoever is signed in, with a CSRF token."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from tests.conftest import csrf_token
from tests.valuation.helpers import QUOTE


def test_quote_endpoint(app: Flask, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    response = client.post("/api/v1/valuation/quote", json=QUOTE, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["total"] == "1308.00" and body["payable"] is True and [s["code"] for s in body["schedules"]] == ["hn-nanxian-rice-2025", "hn-default-2024"]
    assert body["lines"][0]["rule"].startswith("水稻 2.5亩 × 600元/亩")
    wrong = client.post("/api/v1/valuation/quote", json={**QUOTE, "losses": [{"category": "crop", "quantity": "x"}]}, headers={"X-CSRFToken": token})
    assert wrong.status_code == 422 and {e["field"] for e in wrong.get_json()["errors"]} == {"losses[0].item", "losses[0].quantity"}
    assert client.post("/api/v1/valuation/quote", json=QUOTE).status_code == 400  # no CSRF token
    assert client.post("/api/v1/valuation/quote", data={"csrf_token": token}).status_code == 415
    anonymous = app.test_client()
    anonymous_token = csrf_token(anonymous)
    assert anonymous.post("/api/v1/valuation/quote", json=QUOTE, headers={"X-CSRFToken": anonymous_token}).status_code == 401


def _post(client, token: str, losses: list[dict] | str, locale: str = "zh"):  # type: ignore[no-untyped-def]
    """Post QUOTE with these losses; as text, the numbers go exactly as written (2.50000 is not 2.5 in transit)."""
    with client.session_transaction() as session:
        session["locale"] = locale
    text = losses if isinstance(losses, str) else json.dumps(losses)
    body = json.dumps({**QUOTE, "losses": []}).replace('"losses": []', f'"losses": {text}')
    return client.post("/api/v1/valuation/quote", data=body, content_type="application/json", headers={"X-CSRFToken": token})


def test_quote_accepts_json_numbers_with_up_to_four_decimals(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    rice = {"category": "crop", "item": "水稻", "unit": "mu", "growth_stage": "mature"}
    ok = _post(client, token, [{**rice, "quantity": 2.5, "loss_rate": 80.0}, {"category": "poultry", "item": "鸡", "quantity": 3, "unit": "bird"}])
    assert ok.status_code == 200, ok.get_data(as_text=True)
    body = ok.get_json()
    # as with the strings "2.5" and 80: 2.5 x 600 x 80% = 1200, and the chickens as in QUOTE
    assert body["total"] == "1308.00" and body["lines"][0]["quantity"] == "2.5" and body["lines"][0]["loss_rate"] == 80
    rice_text = '{"id": "L%s", "category": "crop", "item": "水稻", "unit": "mu", "growth_stage": "mature", "quantity": %s}'
    exact = _post(client, token, f"[{rice_text % (1, '0.1234')}, {rice_text % (2, '2.50000')}]")
    assert exact.status_code == 200 and [line["quantity"] for line in exact.get_json()["lines"]] == ["0.1234", "2.50000"]  # 0.1234 x 600 = 74.04


@pytest.mark.parametrize(
    ("locale", "message"),
    [("zh", "小数超过四位"), ("en", "has more than four decimal places")],
)
def test_quote_refuses_more_than_four_decimals_naming_the_field(as_user, locale: str, message: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    # 1.00000000000000001 is 1.0 as a float: read from the text it has 17 decimals and is refused, not rounded
    bad = '[{"category": "crop", "item": "水稻", "unit": "mu", "quantity": 2.12345},'
    bad += ' {"category": "injury", "item": "张三", "medical_costs": 1.00000000000000001}]'
    response = _post(client, token, bad, locale)
    assert response.status_code == 422
    assert response.get_json()["errors"] == [
        {"field": "losses[0].quantity", "message": message},
        {"field": "losses[1].medical_costs", "message": message},
    ]


def test_quote_takes_the_new_loss_fields(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    lines = [
        {"category": "injury", "item": "张三", "medical_costs": 1000.5, "disability_amount": 20000.25},
        {**QUOTE["losses"][1], "grade": "成年", "owner": "李四"},
    ]
    response = _post(client, token, lines)
    assert response.status_code == 200, response.get_data(as_text=True)
    by_id = {line["id"]: line for line in response.get_json()["lines"]}
    # Hunan's default: medical 1000.5 x 80% = 800.40; no disability rule in it, so the assessed amount is explained
    assert by_id["L1.medical"]["amount"] == "800.40" and by_id["L1.disability"]["reason"] == "本标准不含伤残补偿"
    assert by_id["L2"]["reason"] == "本标准该项没有“成年”这一价格等级（可选：无）"


@pytest.mark.parametrize("number", ["1e-9999999999999999999", "1E+99999999999999999999", "1e999999999", "-1e-99999999"])
def test_quote_answers_400_to_a_number_with_an_absurd_exponent(as_user, number: str) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    response = _post(client, token, '[{"category": "crop", "item": "水稻", "unit": "mu", "quantity": NUMBER}]'.replace("NUMBER", number))
    assert response.status_code == 400


def test_quote_takes_the_claimant_named_as_an_owner_as_the_claimant(app, as_user) -> None:  # type: ignore[no-untyped-def]
    from claims.valuation.quote import parse_quote
    from tests.valuation.helpers import QUOTE as RICE

    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    rice = dict(RICE["losses"][0])
    body = {**RICE, "claimant": " 张三 ", "losses": [rice, {**rice, "owner": "张  三"}, {**rice, "owner": " 张三 "}, {**rice, "owner": " 李  四 "}]}
    response = client.post("/api/v1/valuation/quote", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    with app.app_context():
        _county, inp = parse_quote(body)
    # spaces trimmed and collapsed; the claimant's own name is the claimant (None)
    assert [line.owner for line in inp.losses] == [None, "张 三", None, "李 四"]


def test_quote_takes_what_a_survey_records(as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user("clerk")
    token = csrf_token(client, "/claims/")
    rice, chickens = QUOTE["losses"]
    sent = {**QUOTE, "losses": [rice, {**chickens, "condition": "missing"}], "prevention": ["fence", "scaring"], "in_protection_zone": True}
    response = client.post("/api/v1/valuation/quote", json=sent, headers={"X-CSRFToken": token})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    # the shipped schedules say nothing of missing animals: the chickens are refused, the rice is 2.5 x 600 x 80% = 1200
    assert body["total"] == "1200.00"
    assert body["lines"][1]["reason"] == "家禽失踪，本标准未规定失踪家禽的补偿"
    bad = {**QUOTE, "prevention": ["moat"], "in_protection_zone": "yes"}
    wrong = client.post("/api/v1/valuation/quote", json=bad, headers={"X-CSRFToken": token})
    assert wrong.status_code == 422 and {e["field"] for e in wrong.get_json()["errors"]} == {"prevention", "in_protection_zone"}
