"""Non-English detection: name the language when it is clearly not English, never flag English."""

from __future__ import annotations

import pytest

from receptionist.brain.offline.language import detect_non_english, script_language


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Buenas tardes, quiero pagar mi factura", "Spanish"),
        ("¿Tienen una cita libre el lunes?", "Spanish"),
        ("Hola", "Spanish"),
        ("Bonjour, je voudrais annuler mon rendez-vous", "French"),
        ("Est-ce que vous êtes ouverts aujourd'hui ?", "French"),
        ("Guten Morgen, ich habe eine Frage zu meiner Rechnung", "German"),
        ("Olá, eu preciso falar com alguém", "Portuguese"),
        ("Buonasera, vorrei parlare con il tecnico", "Italian"),
        ("Добрый день, мне нужна помощь", "Russian"),
        ("我想取消我的预约", "Chinese"),
        ("予約をキャンセルしたいです", "Japanese"),
        ("예약을 변경하고 싶어요", "Korean"),
        ("أريد تغيير موعدي", "Arabic"),
        ("मुझे अपॉइंटमेंट चाहिए", "Hindi"),
        ("Γεια σας, θέλω ένα ραντεβού", "Greek"),
    ],
)
def test_names_clearly_foreign_text(text: str, language: str) -> None:
    assert detect_non_english(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Hi, I need to move my cleaning to Thursday",
        "i wanna talk 2 sum1 abt my acct pls",
        "thx, u guys r the best",
        "My name is José de la Cruz and I'm calling about the invoice",
        "I had the chile con carne special and got sick",
        "Hola! I just need my balance please",
        "ok gracias, bye",
        "thanks, ciao",
        "la la la",
        "Is Señor Garcia in today?",
        "I'm callin bout my bil, its to hihg",
        "j o h n",
        "4155550134",
        "",
        "...",
    ],
)
def test_english_with_names_slang_typos_and_loanwords_is_english(text: str) -> None:
    assert detect_non_english(text) is None


def test_a_few_foreign_letters_in_english_do_not_make_it_foreign() -> None:
    assert script_language("My surname is Ødegård, with the funny o") is None
    assert detect_non_english("I ordered the 寿司 platter and it never arrived") is None


def test_kana_means_japanese_even_with_more_kanji() -> None:
    assert script_language("東京駅予約確認です") == "Japanese"
