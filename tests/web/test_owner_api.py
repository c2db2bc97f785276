"""The owner's dashboard API over a real database (SQLite and PostgreSQL): shapes, pages, 404s across
tenants, 422 bodies, profile editing and the provider's usage report.

Who is signed in comes from a test-only stand-in at the authentication boundary: the ``X-Test-Principal``
header (``admin``, ``owner:<tenant>`` or ``agent:<id>``) becomes the principal the route dependencies
read. The real middleware's own tests cover sessions and tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import HTTPConnection

from receptionist.acd.agents_file import AgentDirectory
from receptionist.acd.clock import FakeClock
from receptionist.acd.engine import Acd
from receptionist.acd.memory import MemoryStore
from receptionist.acd.service import AcdService
from receptionist.app import Receptionist, Tenant
from receptionist.calls import Outcome
from receptionist.config import Settings, load_profile
from receptionist.dashboard.profiles import profile_to_yaml
from receptionist.storage.database import Database
from receptionist.storage.repository import CallRepository, TenantRepository
from receptionist.web.app import create_app
from receptionist.web.auth.deps import optional_principal
from receptionist.web.auth.principal import Principal, Role
from tests.fakes.brains import KeywordFaq, ScriptedBrain
from tests.helpers import DENTAL, SOFTWARE, build
from tests.storage import factories as f

DENTAL_ID = "bright-smile-dental"  # America/New_York
ACME = "acme-cloud"  # Europe/London
BARE = "bare-co"  # stored, but no profile in this process
T0 = datetime(2030, 7, 1, 16, 0, tzinfo=UTC)
ADMIN = {"X-Test-Principal": "admin"}
OWNER = {"X-Test-Principal": f"owner:{DENTAL_ID}"}
ACME_OWNER = {"X-Test-Principal": f"owner:{ACME}"}


def fake_principal(connection: HTTPConnection) -> Principal | None:
    """The principal named by the test header (stands in for the authentication middleware)."""
    who = connection.headers.get("x-test-principal")
    if who is None:
        return None
    role, _, rest = who.partition(":")
    return Principal(
        user_id=f"user-{role}-{rest}", email=f"{role}@example.com", name=role.title(), role=Role(role),
        tenant_id=rest if role == "owner" else None, agent_id=rest if role == "agent" else None,
        served=frozenset({rest}) if role == "agent" else frozenset(),
    )  # fmt: skip


def profile_only(rx_tenants: dict[str, Tenant]) -> Receptionist:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    return Receptionist(settings=settings, db=None, tenants=rx_tenants)


def tenant_of(path: Any) -> Tenant:
    """A tenant carrying its profile and scripted brains: the dashboard reads only the profile."""
    profile = load_profile(path)
    brain = ScriptedBrain([])
    return Tenant(profile=profile, brain=brain, offline=brain, faq=KeywordFaq(list(profile.faq)))  # type: ignore[arg-type]


@dataclass
class Owner:
    client: TestClient
    db: Database

    def get(self, path: str, headers: dict[str, str] = OWNER, **params: Any) -> Any:
        return self.client.get(path, headers=headers, params=params)


def client_for(db: Database, receptionist: Receptionist | None) -> TestClient:
    repo = TenantRepository(db)
    for tenant_id, name in ((DENTAL_ID, "Bright Smile Dental"), (ACME, "Acme Cloud"), (BARE, "Bare Co")):
        repo.upsert(tenant_id, name)
    service = AcdService(Acd(MemoryStore(), clock=FakeClock()))
    app = create_app(service=service, agents=AgentDirectory([]), db=db, receptionist=receptionist)
    app.dependency_overrides[optional_principal] = fake_principal
    return TestClient(app)


@pytest.fixture
def api(db: Database) -> Iterator[Owner]:
    rx = profile_only({DENTAL_ID: tenant_of(DENTAL), ACME: tenant_of(SOFTWARE)})
    with client_for(db, rx) as client:
        yield Owner(client=client, db=db)


def store_calls(
    db: Database, tenant_id: str, n: int, *, start: datetime = T0, message_every: int = 0
) -> list[str]:
    repo = CallRepository(db, tenant_id)
    ids = []
    for i in range(n):
        call = f.ended(f.call(tenant_id, started=start + timedelta(minutes=i)), Outcome.RESOLVED)
        if message_every and i % message_every == 0:
            call.message = f.message(name=f"Caller {i}")
            call.outcome = Outcome.MESSAGE_TAKEN
        call.concern = "billing" if i % 2 else "cleaning"
        repo.finish(call, f.summary(f"summary {i}"), [])
        ids.append(call.id)
    return ids


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"]
    return error


def test_each_user_sees_the_tenants_they_may_read(api: Owner) -> None:
    everything = api.get("/api/tenants", ADMIN).json()
    assert everything == [
        {"id": ACME, "name": "Acme Cloud", "timezone": "Europe/London"},
        {"id": BARE, "name": "Bare Co", "timezone": "UTC"},
        {"id": DENTAL_ID, "name": "Bright Smile Dental", "timezone": "America/New_York"},
    ]
    assert [t["id"] for t in api.get("/api/tenants").json()] == [DENTAL_ID]
    assert api.get("/api/tenants", {"X-Test-Principal": f"agent:{ACME}"}).json() == []
    assert_error(api.client.get("/api/tenants"), 401, "unauthorized")


def test_calls_page_through_the_api_with_local_times_and_utc_instants(api: Owner) -> None:
    ids = store_calls(api.db, DENTAL_ID, 7, message_every=3)
    store_calls(api.db, ACME, 2)
    path = f"/api/tenants/{DENTAL_ID}/calls"

    first = api.get(path, limit=3).json()
    assert set(first) == {"items", "next_cursor", "timezone"} and first["timezone"] == "America/New_York"
    item = first["items"][0]
    assert set(item) == {
        "id", "started_at", "ended_at", "duration_s", "caller_number", "concern", "outcome", "summary",
        "has_message",
    }  # fmt: skip
    assert item["id"] == ids[6] and item["started_at"] == "2030-07-01T16:06:00Z" and item["has_message"]
    assert (
        item["duration_s"] == 180.0 and item["summary"] == "summary 6" and item["outcome"] == "message_taken"
    )
    seen, cursor = [i["id"] for i in first["items"]], first["next_cursor"]
    while cursor:
        page = api.get(path, limit=3, cursor=cursor).json()
        seen += [i["id"] for i in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids[::-1]
    assert [i["id"] for i in api.get(path, concern="billing").json()["items"]] == ids[1::2][::-1]
    assert [i["id"] for i in api.get(path, outcome="message_taken").json()["items"]] == [
        ids[6],
        ids[3],
        ids[0],
    ]
    assert len(api.get(path, caller="555-0100").json()["items"]) == 7


def test_date_filters_are_the_tenants_local_days(api: Owner) -> None:
    late = datetime(2030, 7, 2, 3, 30, tzinfo=UTC)  # 23:30 on July 1 in New York
    (call_id,) = store_calls(api.db, DENTAL_ID, 1, start=late)
    path = f"/api/tenants/{DENTAL_ID}/calls"

    def ids(**params: Any) -> list[str]:
        return [i["id"] for i in api.get(path, **params).json()["items"]]

    assert ids(**{"from": "2030-07-01", "to": "2030-07-01"}) == [call_id]
    assert ids(**{"from": "2030-07-02"}) == []
    assert ids(to="2030-07-01") == [call_id]
    assert ids(to="2030-06-30") == []


def test_bad_queries_answer_422_with_the_standard_body(api: Owner) -> None:
    path = f"/api/tenants/{DENTAL_ID}/calls"
    error = assert_error(api.get(path, **{"from": "2030-13-01"}), 422, "invalid_request")
    assert error["details"][0]["loc"] == ["query", "from"]
    for params in ({"limit": 0}, {"limit": 201}, {"outcome": "bogus"}, {"caller": "abc"}):
        assert_error(api.get(path, **params), 422, "invalid_request")
    error = assert_error(api.get(path, cursor="not-a-cursor"), 422, "invalid_request")
    assert error["details"][0]["loc"] == ["query", "cursor"]
    error = assert_error(api.get(path, **{"from": "2030-07-02", "to": "2030-07-01"}), 422, "invalid_request")
    assert error["details"][0]["loc"] == ["query", "to"]
    stats = f"/api/tenants/{DENTAL_ID}/stats"
    assert_error(api.get(stats, **{"from": "2029-01-01", "to": "2030-07-01"}), 422, "invalid_request")
    assert_error(api.get(f"/api/tenants/{DENTAL_ID}/messages", offset=-1), 422, "invalid_request")


def test_another_tenants_ids_and_unreadable_tenants_answer_404(api: Owner) -> None:
    (acme_call,) = store_calls(api.db, ACME, 1, message_every=1)
    acme_message = api.get(f"/api/tenants/{ACME}/messages", ACME_OWNER).json()["items"][0]["id"]
    for path in (f"/api/tenants/{ACME}/calls", f"/api/tenants/{ACME}/stats", f"/api/tenants/{ACME}/profile"):
        assert_error(api.get(path), 404, "not_found")
    assert_error(api.get(f"/api/tenants/{DENTAL_ID}/calls/{acme_call}"), 404, "not_found")
    assert_error(api.client.post(f"/api/tenants/{DENTAL_ID}/messages/{acme_message}/handled", headers=OWNER), 404, "not_found")  # fmt: skip
    assert api.get(f"/api/tenants/{ACME}/messages", ACME_OWNER).json()["items"][0]["handled_at"] is None
    assert_error(api.get("/api/tenants/no-such-tenant/calls", ADMIN), 404, "not_found")
    assert_error(api.get(f"/api/tenants/{DENTAL_ID}/calls", {"X-Test-Principal": f"agent:{DENTAL_ID}"}), 404, "not_found")  # fmt: skip
    assert api.get(f"/api/tenants/{ACME}/calls/{acme_call}", ADMIN).status_code == 200


def test_call_detail_shape(api: Owner) -> None:
    (call_id,) = store_calls(api.db, DENTAL_ID, 1, message_every=1)
    detail = api.get(f"/api/tenants/{DENTAL_ID}/calls/{call_id}").json()
    assert detail["id"] == call_id and detail["timezone"] == "America/New_York"
    assert detail["outcome"] == "message_taken" and detail["duration_s"] == 180.0
    assert [t["role"] for t in detail["turns"]] == ["caller", "receptionist"]
    assert detail["turns"][0]["at"] == "2030-07-01T16:00:10Z"
    assert detail["summary"] == {"text": "summary 0", "source": "offline", "reason": "leak",
                                 "action_items": ["call back", "send plumber"]}  # fmt: skip
    assert detail["message"]["name"] == "Caller 0" and detail["message"]["handled_at"] is None
    assert detail["escalations"] == [] and detail["queue_events"] == [] and detail["notes"] == []
    assert_error(api.get(f"/api/tenants/{DENTAL_ID}/calls/{'x' * 32}"), 404, "not_found")


def test_messages_are_listed_paged_and_ticked_off(api: Owner) -> None:
    store_calls(api.db, DENTAL_ID, 5, message_every=1)
    path = f"/api/tenants/{DENTAL_ID}/messages"
    page = api.get(path, limit=2).json()
    assert page["timezone"] == "America/New_York" and page["next_offset"] == 2
    assert [m["name"] for m in page["items"]] == ["Caller 4", "Caller 3"]
    assert api.get(path, limit=2, offset=4).json()["next_offset"] is None

    done = api.client.post(f"{path}/{page['items'][0]['id']}/handled", headers=OWNER)
    assert done.status_code == 200 and done.json()["handled_at"].endswith("Z")
    assert [m["name"] for m in api.get(path, handled=True).json()["items"]] == ["Caller 4"]
    assert len(api.get(path, handled=False).json()["items"]) == 4
    assert_error(api.client.post(f"{path}/nope/handled", headers=OWNER), 404, "not_found")


def test_stats_default_to_the_last_seven_local_days(api: Owner) -> None:
    now = datetime.now(UTC)
    store_calls(api.db, DENTAL_ID, 3, start=now - timedelta(days=1))
    store_calls(api.db, DENTAL_ID, 2, start=now - timedelta(days=30))
    body = api.get(f"/api/tenants/{DENTAL_ID}/stats").json()
    assert body["timezone"] == "America/New_York" and body["calls"] == 3
    assert len(body["by_day"]) == 7 and len(body["by_hour"]) == 24
    assert body["start"].endswith("Z") and set(body) >= {"from", "to", "by_concern", "outcomes", "queue"}
    assert body["outcomes"]["ai_resolved"] == 3 and body["queue"]["offered"] == 0
    assert {c["concern"]: c["calls"] for c in body["by_concern"]} == {"cleaning": 2, "billing": 1}
    day = (now - timedelta(days=30)).astimezone(load_profile(DENTAL).zone).date().isoformat()
    assert api.get(f"/api/tenants/{DENTAL_ID}/stats", **{"from": day, "to": day}).json()["calls"] >= 1


def test_the_profile_is_edited_with_versions_and_validation(api: Owner) -> None:
    path = f"/api/tenants/{DENTAL_ID}/profile"
    current = api.get(path).json()
    assert current == {"yaml": profile_to_yaml(load_profile(DENTAL)), "version": 0}
    text = current["yaml"].replace("Bright Smile Dental", "Brighter Smile Dental")

    saved = api.client.put(path, headers=OWNER, json={"yaml": text, "version": 0})
    assert saved.status_code == 200 and saved.json() == {"yaml": text, "version": 1}
    assert api.get(path).json() == {"yaml": text, "version": 1}

    stale = assert_error(
        api.client.put(path, headers=OWNER, json={"yaml": text, "version": 0}), 409, "conflict"
    )
    assert stale["details"] == {"current_version": 1}
    bad = api.client.put(
        path, headers=OWNER, json={"yaml": text.replace("America/New_York", "Nowhere"), "version": 1}
    )
    error = assert_error(bad, 422, "invalid_profile")
    assert error["details"] == [{"field": "timezone", "message": error["details"][0]["message"]}]
    renamed = api.client.put(
        path, headers=OWNER, json={"yaml": text.replace(DENTAL_ID, "x-dental"), "version": 1}
    )
    assert assert_error(renamed, 422, "invalid_profile")["details"][0]["field"] == "tenant_id"
    assert_error(
        api.client.put(path, headers=OWNER, json={"yaml": text, "version": 1, "x": 1}), 422, "invalid_request"
    )
    assert_error(api.client.get(f"/api/tenants/{BARE}/profile", headers=ADMIN), 404, "not_found")


def test_usage_is_for_the_providers_admin_only(api: Owner) -> None:
    store_calls(api.db, DENTAL_ID, 2)
    assert_error(api.get("/api/admin/usage", **{"from": "2030-07-01", "to": "2030-07-31"}), 404, "not_found")
    body = api.get("/api/admin/usage", ADMIN, **{"from": "2030-07-01", "to": "2030-07-31"}).json()
    assert body["from"] == "2030-07-01" and body["start"] == "2030-07-01T00:00:00Z"
    assert body["end"] == "2030-08-01T00:00:00Z"
    assert {u["tenant_id"]: (u["calls"], u["minutes"]) for u in body["tenants"]} == {
        ACME: (0, 0), BARE: (0, 0), DENTAL_ID: (2, 6),
    }  # fmt: skip
    assert api.get("/api/admin/usage", ADMIN).status_code == 200
    assert_error(api.get("/api/admin/usage", ADMIN, **{"from": "nope"}), 422, "invalid_request")


@pytest.mark.slow
async def test_a_saved_profile_is_what_the_next_call_hears(db: Database) -> None:
    rx = build(None, DENTAL)  # the real brain, trained on the file
    with client_for(db, rx) as client:
        path = f"/api/tenants/{DENTAL_ID}/profile"
        text = client.get(path, headers=OWNER).json()["yaml"]
        edited = text.replace("There's free parking behind the building", "Park in the Harbor Street garage")
        assert client.put(path, headers=OWNER, json={"yaml": edited, "version": 0}).status_code == 200
    conversation = rx.conversation(DENTAL_ID)
    await conversation.open()
    assert "Harbor Street garage" in await conversation.say("where can I park when I come in?")
