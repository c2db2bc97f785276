"""Human agents and their API tokens, from a YAML file (until a later issue adds real accounts).

```yaml
agents:
  - id: ann
    name: Ann Lee
    tenants: [acme-cloud, bright-smile-dental]
    skills: {support: 8}
    token_sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
```

Only the SHA-256 of a token is stored, never the token (``python -m receptionist.acd.agents_file``
prints a new token and its hash). Tokens are random 256-bit strings, so a plain hash is enough; a slow
hash (argon2) would only matter for guessable secrets. :meth:`AgentDirectory.authenticate` compares the
presented token's hash with every agent's in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from receptionist.acd.config import AgentConfig
from receptionist.acd.errors import InvalidConfig

_HEX64 = r"^[0-9a-f]{64}$"


class AgentsFileError(ValueError):
    """The agents file is missing, malformed or inconsistent."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str | None = None
    tenants: list[str] = Field(min_length=1)
    skills: dict[str, int] = Field(default_factory=dict)
    token_sha256: str = Field(pattern=_HEX64, description="hex SHA-256 of the agent's API token")
    reject_delay_s: float = 0.0
    no_answer_delay_s: float = 0.0
    max_no_answer: int = 3


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")

    agents: list[_Entry] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class AgentAccount:
    """An agent as the API knows them: their ACD configuration and the hash of their token."""

    config: AgentConfig
    token_sha256: bytes

    @property
    def agent_id(self) -> str:
        return self.config.agent_id

    @property
    def name(self) -> str:
        return self.config.name or self.config.agent_id

    @property
    def tenants(self) -> frozenset[str]:
        return self.config.tenants

    def serves(self, tenant_id: str) -> bool:
        return tenant_id in self.config.tenants


def hash_token(token: str) -> str:
    """The hex SHA-256 of an API token, as the agents file stores it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    """A fresh random API token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


class AgentDirectory:
    """Every agent of the agents file, by id and by token."""

    def __init__(self, accounts: Iterable[AgentAccount]) -> None:
        self._by_id: dict[str, AgentAccount] = {}
        for account in accounts:
            if account.agent_id in self._by_id:
                raise AgentsFileError(f"agent {account.agent_id!r} is listed twice")
            if any(hmac.compare_digest(a.token_sha256, account.token_sha256) for a in self._by_id.values()):
                raise AgentsFileError(f"agent {account.agent_id!r} shares a token with another agent")
            self._by_id[account.agent_id] = account

    def __iter__(self) -> Iterator[AgentAccount]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    def get(self, agent_id: str) -> AgentAccount | None:
        return self._by_id.get(agent_id)

    def authenticate(self, token: str) -> AgentAccount | None:
        """The agent whose token this is, or None. Every stored hash is compared, in constant time."""
        if not token or len(token) > 512:
            return None
        digest = hashlib.sha256(token.encode("utf-8")).digest()
        found: AgentAccount | None = None
        for account in self._by_id.values():
            if hmac.compare_digest(account.token_sha256, digest):
                found = account
        return found


def load_agents(path: Path) -> AgentDirectory:
    """Read and validate the agents file; :class:`AgentsFileError` says what is wrong and where."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise AgentsFileError(f"{path}: {exc}") from exc
    return parse_agents(raw, source=str(path))


def parse_agents(raw: object, *, source: str = "agents") -> AgentDirectory:
    try:
        parsed = _File.model_validate(raw or {})
    except ValidationError as exc:
        errors = exc.errors()
        plain = next((e for e in errors if e["loc"][-1:] == ("token",)), None)
        first = plain or errors[0]
        where = ".".join(str(p) for p in first["loc"])
        why = "a plain token is not allowed; store token_sha256, never the token" if plain else first["msg"]
        raise AgentsFileError(f"{source}: {where}: {why}") from None
    accounts = []
    for entry in parsed.agents:
        try:
            config = AgentConfig(
                agent_id=entry.id,
                tenants=frozenset(entry.tenants),
                skills=dict(entry.skills),
                name=entry.name,
                reject_delay_s=entry.reject_delay_s,
                no_answer_delay_s=entry.no_answer_delay_s,
                max_no_answer=entry.max_no_answer,
            )
        except InvalidConfig as exc:
            raise AgentsFileError(f"{source}: agent {entry.id!r}: {exc}") from None
        accounts.append(AgentAccount(config=config, token_sha256=bytes.fromhex(entry.token_sha256)))
    return AgentDirectory(accounts)


if __name__ == "__main__":  # pragma: no cover - a tiny helper for operators
    token = new_token()
    print(f"token:        {token}\ntoken_sha256: {hash_token(token)}")
