"""The agents file: agents, their tenants and skills, and only the hashes of their tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from receptionist.acd.agents_file import AgentsFileError, hash_token, load_agents, new_token, parse_agents


def test_agents_load_and_authenticate_by_token(tmp_path: Path) -> None:
    ann, dan = new_token(), new_token()
    path = tmp_path / "agents.yaml"
    path.write_text(
        f"""
agents:
  - id: ann
    name: Ann Lee
    tenants: [acme-cloud, bright-smile-dental]
    skills: {{support: 8}}
    token_sha256: {hash_token(ann)}
    no_answer_delay_s: 30
  - id: dan
    tenants: [bright-smile-dental]
    token_sha256: {hash_token(dan)}
""",
        encoding="utf-8",
    )
    agents = load_agents(path)
    account = agents.authenticate(ann)
    assert account is not None and account.agent_id == "ann" and account.name == "Ann Lee"
    assert account.tenants == {"acme-cloud", "bright-smile-dental"}
    assert account.config.skills == {"support": 8} and account.config.no_answer_delay_s == 30
    assert agents.authenticate(dan) is agents.get("dan")
    assert agents.authenticate("") is None and agents.authenticate(ann + "x") is None
    assert ann not in path.read_text(encoding="utf-8")


def test_a_plain_token_is_refused() -> None:
    with pytest.raises(AgentsFileError, match="never the token"):
        parse_agents({"agents": [{"id": "ann", "tenants": ["a"], "token": "secret"}]})


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"id": "ann", "tenants": [], "token_sha256": "0" * 64}, "tenants"),
        ({"id": "ann", "tenants": ["a"], "token_sha256": "abc"}, "token_sha256"),
        ({"id": "a b", "tenants": ["a"], "token_sha256": "0" * 64}, "agent 'a b'"),
        ({"id": "ann", "tenants": ["a"], "skills": {"x": 11}, "token_sha256": "0" * 64}, "level"),
    ],
)
def test_bad_entries_say_what_is_wrong(entry: dict[str, object], message: str) -> None:
    with pytest.raises(AgentsFileError, match=message):
        parse_agents({"agents": [entry]})


def test_ids_and_tokens_are_unique() -> None:
    twice = {"id": "ann", "tenants": ["a"], "token_sha256": "1" * 64}
    with pytest.raises(AgentsFileError, match="twice"):
        parse_agents({"agents": [twice, {**twice, "token_sha256": "2" * 64}]})
    with pytest.raises(AgentsFileError, match="shares a token"):
        parse_agents({"agents": [twice, {**twice, "id": "bob"}]})
