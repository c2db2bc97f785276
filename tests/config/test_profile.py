from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from receptionist.config import ProfileError, load_profile

ROOT = Path(__file__).resolve().parents[2]
PROFILES = [ROOT / "examples/dental-clinic.yaml", ROOT / "examples/software-company.yaml",
            ROOT / "evals/profiles/concerns.yaml"]  # fmt: skip


def write(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "profile.yaml"
    p.write_text(yaml.safe_dump(data) if not isinstance(data, str) else data)
    return p


def base() -> dict:
    return yaml.safe_load((ROOT / "examples/dental-clinic.yaml").read_text())


@pytest.mark.parametrize("path", PROFILES, ids=lambda p: p.name)
def test_shipped_profiles_load(path: Path) -> None:
    profile = load_profile(path)
    assert profile.concerns and profile.greeting


def test_eval_profile_has_the_eval_labels_and_at_most_12_examples() -> None:
    profile = load_profile(ROOT / "evals/profiles/concerns.yaml")
    assert {c.id for c in profile.concerns} == {
        "sales", "support", "billing", "after_sales", "appointment", "human_request", "complaint", "other"
    }  # fmt: skip
    assert all(len(c.examples) <= 12 for c in profile.concerns)


def test_software_company_has_billing() -> None:
    assert load_profile(ROOT / "examples/software-company.yaml").concern("billing") is not None


@pytest.mark.parametrize(
    ("mutate", "field", "words"),
    [
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone", "IANA"),
        (lambda d: d.update(country="XX"), "country", "ISO"),
        (lambda d: d["concerns"][1]["handling"].update(action="transfer"), "concerns.1.handling", "queue"),
        (lambda d: d.update(greeting="Hello, Bright Smile Dental."), "(top level)", "automated"),
        (lambda d: d.update(greeting="Hi, I'm the automated assistant."), "(top level)", "recorded"),
        (lambda d: d["hours"].update(funday="09:00-17:00"), "hours", "weekday"),
        (lambda d: d["hours"].update(monday="17:00-09:00"), "hours", "ends before"),
        (lambda d: d.update(numbers=["12"]), "(top level)", "phone number"),
        (lambda d: d["concerns"].append(dict(d["concerns"][0])), "(top level)", "unique"),
        (lambda d: d.update(surprise=1), "surprise", "Extra inputs"),
        (lambda d: d["recipients"][0].update(address="not-an-email"), "recipients.0", "pattern"),
    ],
)
def test_invalid_profile_errors_name_file_and_field(tmp_path: Path, mutate, field: str, words: str) -> None:
    data = base()
    mutate(data)
    path = write(tmp_path, data)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    msg = str(err.value)
    assert str(path) in msg
    assert field in msg
    assert words in msg


@pytest.mark.parametrize("text", ["", "- just\n- a list\n", "key: [unclosed\n"])
def test_not_a_profile(tmp_path: Path, text: str) -> None:
    with pytest.raises(ProfileError, match=r"profile\.yaml"):
        load_profile(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no such profile file"):
        load_profile(tmp_path / "nope.yaml")


def test_hours_closures_and_timezone() -> None:
    p = load_profile(ROOT / "examples/dental-clinic.yaml")  # America/New_York
    # Wednesday 2026-11-25: open 08-12 and 13-19 local (UTC-5)
    assert p.is_open(datetime(2026, 11, 25, 14, 0, tzinfo=UTC))  # 09:00 local
    assert not p.is_open(datetime(2026, 11, 25, 17, 30, tzinfo=UTC))  # 12:30 local, lunch
    assert p.is_open(datetime(2026, 11, 25, 23, 0, tzinfo=UTC))  # 18:00 local
    assert not p.is_open(datetime(2026, 11, 26, 0, 30, tzinfo=UTC))  # 19:30 local
    assert not p.is_open(datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # Saturday
    # Christmas is a Friday, normally open 08-14
    assert not p.is_open(datetime(2026, 12, 25, 15, 0, tzinfo=UTC))
    assert p.closure_on(datetime(2026, 12, 25, 15, 0, tzinfo=UTC)).reason == "Christmas Day"
    assert "noon" in p.hours_sentence()


def test_numbers_normalise_to_e164() -> None:
    assert load_profile(ROOT / "examples/software-company.yaml").e164_numbers() == [
        "+442079460321", "+448000460321"
    ]  # fmt: skip
