"""Four-eyes through the pages: who may approve a submitted campaign, with exact statuses."""

from __future__ import annotations

from typing import Any

from tests.conftest import PASSWORD, counts, login
from tests.web.route_cases_schedule import campaign


def _submitted_by(svc: Any, username: str) -> int:
    """A campaign with a rendered entry, submitted by `username`."""
    campaign_id = campaign(svc, entry=True)
    for made in svc.creatives.list_creatives():
        svc.creatives.request_render("test", made.id, (128, 72))
    svc.render_queue.run_until_empty("test")
    user = next(u for u in svc.users.list_users() if u.username == username)
    svc.campaigns.submit(user, campaign_id)
    return campaign_id


def test_staff_cannot_approve_and_nothing_changes(app: Any) -> None:
    svc = app.extensions["signage"]
    campaign_id = _submitted_by(svc, "staff")
    client = app.test_client()
    login(client, "staff")
    before = counts(svc)
    response = client.post(f"/campaigns/{campaign_id}/approve")
    assert response.status_code == 403
    assert b"may approve campaigns" in response.data
    assert svc.campaigns.get_campaign(campaign_id).state.value == "submitted"
    assert counts(svc) == before


def test_an_approver_cannot_approve_their_own_submission(app: Any) -> None:
    svc = app.extensions["signage"]
    both = svc.users.create_user("test", "lead", PASSWORD, ["approver", "staff"])
    campaign_id = _submitted_by(svc, both.username)
    client = app.test_client()
    login(client, "lead")
    response = client.post(f"/campaigns/{campaign_id}/approve")
    assert response.status_code == 403
    assert b"cannot approve a campaign they submitted" in response.data
    other = app.test_client()
    login(other, "approver")
    assert other.post(f"/campaigns/{campaign_id}/approve").status_code == 303
    assert svc.campaigns.get_campaign(campaign_id).state.value == "approved"


def test_withdrawal_needs_a_reason(app: Any) -> None:
    svc = app.extensions["signage"]
    campaign_id = _submitted_by(svc, "staff")
    approver = next(u for u in svc.users.list_users() if u.username == "approver")
    svc.campaigns.approve(approver, campaign_id)
    client = app.test_client()
    login(client, "approver")
    refused = client.post(f"/campaigns/{campaign_id}/withdraw", data={"reason": "  "})
    assert refused.status_code == 422
    assert b"say why the campaign is withdrawn" in refused.data
    assert svc.campaigns.get_campaign(campaign_id).state.value == "approved"
    done = client.post(f"/campaigns/{campaign_id}/withdraw", data={"reason": "refused by the city"})
    assert done.status_code == 303
    assert svc.campaigns.get_campaign(campaign_id).state.value == "withdrawn"
