"""Process settings, read from ``RECEPTIONIST_*`` environment variables (or a ``.env`` file) once."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Everything a process needs besides the business profiles. Secrets are ``SecretStr``: never logged."""

    model_config = SettingsConfigDict(env_prefix="RECEPTIONIST_", env_file=".env", extra="ignore")

    data_dir: Path = Path(".receptionist")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL; default: SQLite file in data_dir"
    )

    # LLM brain: any OpenAI-compatible endpoint. Without llm_base_url/llm_model the offline brain runs.
    llm_base_url: str | None = None
    llm_model: str | None = None
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_timeout_s: float = Field(default=2.0, gt=0, description="first-token and between-chunk timeout")
    llm_total_timeout_s: float = Field(default=20.0, gt=0)

    # message delivery
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_from: str = "receptionist@localhost"
    webhook_secret: SecretStr = SecretStr("change-me")
    delivery_timeout_s: float = 10.0
    # 30 s doubling over 10 attempts keeps retrying for about four hours before a delivery is dead
    delivery_max_attempts: int = 10
    delivery_backoff_s: float = 30.0

    # voice: local models by directory/path only (a size name would mean a hub download)
    whisper_model_dir: Path | None = Field(
        default=None, description="CTranslate2 Whisper dir; default tiny.en"
    )
    piper_voice: Path | None = Field(default=None, description="Piper .onnx voice; default en_US-joe-medium")
    max_calls: int = Field(default=8, ge=1, description="voice calls this process carries at once")

    # telephony: Twilio (webhook signatures) and signed media/softphone WebSocket tokens
    public_url: str | None = Field(default=None, description="https://host as Twilio reaches this server")
    twilio_auth_token: SecretStr | None = None
    media_token_secret: SecretStr | None = Field(
        default=None, description="signs media/softphone WebSocket tokens; random per process if unset"
    )
    media_token_ttl_s: float = Field(default=60.0, gt=0)

    retention_days: int | None = Field(
        default=None,
        ge=1,
        description="delete transcripts and recording links of calls ended this many days ago; None keeps all",
    )

    # web
    metrics_token: SecretStr | None = Field(default=None, description="when set, /metrics needs it as bearer")
    secure_cookies: bool = Field(default=False, description="behind TLS: session cookies get Secure")

    @property
    def llm_enabled(self) -> bool:
        return bool(self.llm_base_url and self.llm_model)

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'receptionist.db').resolve()}"
