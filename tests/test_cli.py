"""The ``receptionist`` command as a user runs it: a real process, a real database, real local servers."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

import pytest
import yaml

from receptionist.notify.signing import verify_signature
from receptionist.storage.database import Database
from receptionist.storage.repository import CallRepository, MessageRepository
from tests.fakes.smtp import FakeSmtpServer
from tests.fakes.webhook_receiver import WebhookReceiver
from tests.helpers import DENTAL, EVAL_PROFILE, ROOT

EXE = [sys.executable, "-m", "receptionist.cli"]
SECRET = "s3cret-for-tests"


async def run(
    *args: str, stdin: str = "", env: dict[str, str] | None = None, cwd: Path = ROOT
) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *EXE, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})}, cwd=cwd,
    )  # fmt: skip
    out, err = await asyncio.wait_for(proc.communicate(stdin.encode()), timeout=180)
    return proc.returncode or 0, out.decode(), err.decode()


@pytest.mark.slow
async def test_chat_leaves_a_message_that_is_stored_signed_webhooked_and_emailed(tmp_path: Path) -> None:
    with FakeSmtpServer() as smtp:
        async with WebhookReceiver(secret=SECRET) as hook:
            profile = yaml.safe_load(DENTAL.read_text())
            profile["recipients"] = [
                {"type": "email", "address": "frontdesk@clinic.example"},
                {"type": "webhook", "url": hook.url, "secret_env": "CLINIC_HOOK_SECRET"},
            ]
            path = tmp_path / "clinic.yaml"
            path.write_text(yaml.safe_dump(profile))
            env = {
                "RECEPTIONIST_DATA_DIR": str(tmp_path / "data"),
                "RECEPTIONIST_SMTP_HOST": smtp.host,
                "RECEPTIONIST_SMTP_PORT": str(smtp.port),
                "CLINIC_HOOK_SECRET": SECRET,
            }
            lines = [
                "Hi, I need my x-rays sent over to my new dentist",
                "My name is Oren Falk",
                "six one seven, five five five, zero one six six",
                "yes",
                "mornings",
                "no that's all, thanks",
            ]
            code, out, err = await run("chat", "--profile", str(path), stdin="\n".join(lines) + "\n", env=env)
    assert code == 0, err
    assert "Outcome: message_taken" in out
    assert "Notifications: 2 sent" in out
    # the database
    db = Database(f"sqlite:///{tmp_path / 'data' / 'receptionist.db'}")
    messages = MessageRepository(db, "bright-smile-dental").list()
    assert [(m.name, m.phone) for m in messages] == [("Oren Falk", "+16175550166")]
    record = CallRepository(db, "bright-smile-dental").get(messages[0].call_id)
    assert record is not None and record.call.concern == "records"
    # the webhook, with a signature the receiver (and we) can verify
    assert len(hook.delivered) == 1
    request = hook.delivered[0]
    assert verify_signature(SECRET, request.headers["X-Receptionist-Signature"], request.body)
    assert not verify_signature("wrong", request.headers["X-Receptionist-Signature"], request.body)
    assert request.json["message"]["phone"] == "+16175550166"
    # the email
    assert len(smtp.messages) == 1
    mail = smtp.messages[0]
    assert mail.rcpt_tos == ("frontdesk@clinic.example",)
    assert "Oren Falk" in mail.message["Subject"]
    assert "617" in mail.message.get_body(preferencelist=("plain",)).get_content()


async def test_invalid_profile_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("tenant_id: x\nname: X\ncountry: US\ntimezone: Nowhere/Land\n")
    code, _out, err = await run("chat", "--profile", str(bad))
    assert code == 2
    assert f"{bad}: timezone:" in err and "greeting" in err
    assert "Traceback" not in err


async def test_check_profile_and_help() -> None:
    code, out, _ = await run("check-profile", str(DENTAL))
    assert code == 0 and "OK" in out and "+16175550142" in out
    for args in (["--help"], ["chat", "--help"], ["calls", "list", "--help"], ["eval", "concerns", "--help"]):
        code, out, _ = await run(*args)
        assert code == 0 and "Usage" in out


@pytest.mark.slow
async def test_eval_concerns_json_is_one_object_on_stdout(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    rows = [
        {"text": "I'd like to set up a time to come in next Tuesday", "concern": "appointment"},
        {"text": "why is there an extra fee on my latest invoice", "concern": "billing"},
        {"text": "let me talk to an actual person", "concern": "human_request"},
        {"text": "asdf jkl qwerty", "concern": "other"},
    ]
    data.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    code, out, err = await run(
        "eval", "concerns", "--data", str(data), "--profile", str(EVAL_PROFILE), "--json"
    )
    assert code == 0, err
    result = json.loads(out)  # exactly one JSON object, nothing else on stdout
    assert result["n"] == 4
    assert set(result) >= {"n", "accuracy", "macro_f1", "per_concern", "latency_ms"}
    assert set(result["latency_ms"]) == {"p50", "p95"}
    assert result["per_concern"]["appointment"]["support"] == 1
    assert result["unplaced"] >= 1  # the keyboard mash cannot be placed, and counts as wrong
    assert result["accuracy"] <= 0.75


async def test_eval_rejects_malformed_data(tmp_path: Path) -> None:
    data = tmp_path / "rows.jsonl"
    data.write_text('{"text": "hi", "concern": "other"}\nnot json\n')
    code, _, err = await run(
        "eval", "concerns", "--data", str(data), "--profile", str(EVAL_PROFILE), "--json"
    )
    assert code == 2 and f"{data}:2:" in err


@pytest.mark.slow
async def test_calls_list_and_show(tmp_path: Path) -> None:
    env = {"RECEPTIONIST_DATA_DIR": str(tmp_path), "RECEPTIONIST_SMTP_PORT": "1"}
    code, _, err = await run("chat", "--profile", str(DENTAL), stdin="where are you located?\nbye\n", env=env)
    assert code == 0, err
    code, out, err = await run("calls", "list", "--json", env=env)
    assert code == 0, err
    calls = json.loads(out)
    assert len(calls) == 1 and calls[0]["outcome"] == "resolved"
    code, out, _ = await run("calls", "show", calls[0]["id"], env=env)
    assert "120 Harbor Street" in out and "Outcome: resolved" in out
    code, _, err = await run("calls", "show", "nope", env=env)
    assert code == 1 and "no call" in err
