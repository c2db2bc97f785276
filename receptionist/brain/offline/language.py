"""Is the caller speaking something other than English? Scripts and function words, no model.

:func:`detect_non_english` names the language when the text is clearly not English, so the
receptionist can say it only speaks English (and the classifier does not force a concern on it).
English with typos, slang, names or a borrowed word stays English: a foreign language is named only
when its function words outnumber English ones, or when most letters are in another script.
"""

from __future__ import annotations

import re
import unicodedata


def wordset(words: str) -> frozenset[str]:
    """A set of the whitespace-separated words in ``words`` (for word lists written as text)."""
    return frozenset(words.split())


# Unicode script (first word of a character's name) -> the language callers most likely speak in it.
_SCRIPTS = {
    "CJK": "Chinese", "HIRAGANA": "Japanese", "KATAKANA": "Japanese", "HANGUL": "Korean",
    "CYRILLIC": "Russian", "ARABIC": "Arabic", "HEBREW": "Hebrew", "GREEK": "Greek",
    "DEVANAGARI": "Hindi", "BENGALI": "Bengali", "GURMUKHI": "Punjabi", "GUJARATI": "Gujarati",
    "TAMIL": "Tamil", "TELUGU": "Telugu", "KANNADA": "Kannada", "MALAYALAM": "Malayalam",
    "THAI": "Thai", "LAO": "Lao", "KHMER": "Khmer", "MYANMAR": "Burmese", "GEORGIAN": "Georgian",
    "ARMENIAN": "Armenian", "ETHIOPIC": "Amharic", "SINHALA": "Sinhala",
}  # fmt: skip

# Common English words, slang and frequent misspellings. Used both to recognise English here and,
# by the slot extractors, to tell a name from an ordinary word.
ENGLISH_WORDS = wordset(
    """
    a about after again all also am an and any anyone anything are aren't as ask at away back be
    because been before being best better between bill book both but buy by call called calling calls
    can can't cancel card change check come could couldn't day did didn't do does doesn't doing don't
    done down each else even ever every for from get gets getting give go going good got had has hasn't
    have haven't having he hello help her here hey hi him his how i i'd i'll i'm i've if in into is
    isn't it it's its just know last let like look looking make many may maybe me might more morning
    most much must my need needs never new next no not now number of off ok okay on once one only or
    other our out over please pay phone put really right said same say see she should so some someone
    something soon still such sure talk tell than thank thanks that that's the their them then there
    these they thing think this those through time to today told too try trying two up us use very
    want wanted wanting was wasn't way we week well were what what's when where which while who why
    will with won't would wouldn't yeah yes yesterday yet you you're your yours
    wanna gonna gotta lemme gimme u ur ure r pls plz thx ty im dont cant wont didnt doesnt isnt wasnt
    ive id ill youre whats thats hows wat wut cuz coz bc ya yah yep yup nope nah ok okey kinda sorta
    tryna dunno ain't y'all
    """
)

# Function words and greetings per language, minus words that are also ordinary English.
_FUNCTION_WORDS: dict[str, frozenset[str]] = {
    "Spanish": wordset(
        """
        el la los las un una unos unas del al que y o pero por para con sin sobre entre es son está
        están estoy tengo tiene quiero quisiera necesito puedo puede hay mi mis tu su sus nuestro yo
        usted ustedes nosotros ella ellos lo le les se como cuando donde porque muy más también hola
        gracias buenos buenas días tardes noches favor señor señora sí ayuda hablar cita cuenta
        """
    ),
    "French": wordset(
        """
        le la les un une des du de et ou mais pour avec sans sur dans est sont suis ai avez avons
        je tu il elle nous vous ils elles mon ma mes ton ta votre vos notre nos leur ce cette ces qui
        que quoi comment pourquoi quand où très aussi pas ne bonjour bonsoir merci oui voudrais
        veux peux pouvez parler rendez-vous aujourd'hui s'il plaît c'est j'ai
        """
    ),
    "German": wordset(
        """
        der die das den dem des ein eine einen einem einer und oder aber für mit ohne auf ist sind
        bin habe hat haben ich du er sie wir ihr mein meine dein ihre unser nicht auch sehr wie
        warum wann wo was bitte danke guten tag hallo ja nein möchte kann können sprechen termin
        rechnung heute morgen gerne
        """
    ),
    "Portuguese": wordset(
        """
        o os as um uma uns umas do da dos das no na nos nas e ou mas por para com sem sobre é são
        está estou tenho tem quero gostaria preciso posso pode meu minha meus minhas seu sua eu você
        vocês nós ele ela eles elas como quando onde porque muito mais também olá obrigado obrigada
        bom boa dia tarde noite sim não ajuda falar consulta conta
        """
    ),
    "Italian": wordset(
        """
        il lo la gli le un una uno del della dei delle che e o ma per con senza su è sono ho ha
        hanno io tu lui lei noi voi loro mio mia miei tuo suo sua nostro come quando dove perché
        molto più anche ciao buongiorno buonasera grazie prego sì non vorrei voglio posso parlare
        appuntamento aiuto conto oggi
        """
    ),
}
# Words that on their own say which language a caller has chosen ("hola", "bonjour").
_GREETINGS = {
    "hola": "Spanish", "gracias": "Spanish", "bonjour": "French", "merci": "French", "bonsoir": "French",
    "hallo": "German", "danke": "German", "olá": "Portuguese", "obrigado": "Portuguese",
    "obrigada": "Portuguese", "buongiorno": "Italian", "grazie": "Italian",
}  # fmt: skip
_MARKS = {"ñ": "Spanish", "¿": "Spanish", "¡": "Spanish", "ß": "German", "ã": "Portuguese", "õ": "Portuguese"}
_TOKEN = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*", re.UNICODE)


def script_language(text: str) -> str | None:
    """The language of the non-Latin script most letters are written in, if most are."""
    counts: dict[str, int] = {}
    letters = 0
    for ch in text:
        if not ch.isalpha():
            continue
        letters += 1
        name = unicodedata.name(ch, "")
        script = name.split(" ", 1)[0]
        if script in _SCRIPTS:
            counts[_SCRIPTS[script]] = counts.get(_SCRIPTS[script], 0) + 1
    if not counts:
        return None
    language, _ = max(counts.items(), key=lambda kv: kv[1])
    # Kana decides Japanese even when kanji (CJK) outnumber it.
    if "Japanese" in counts and language == "Chinese":
        language = "Japanese"
    return language if sum(counts.values()) * 2 > letters else None


def detect_non_english(text: str) -> str | None:
    """The language ``text`` is clearly in if it is not English ("Spanish", "Chinese"...), else None."""
    by_script = script_language(text)
    if by_script:
        return by_script
    # Distinct words, so a repeated sound ("la la la") is not a language.
    words = {w.lower().replace("’", "'") for w in _TOKEN.findall(text)}
    if not words:
        return None
    english = sum(w in ENGLISH_WORDS for w in words)
    scores: dict[str, int] = {}
    for language, vocabulary in _FUNCTION_WORDS.items():
        hits = sum(w in vocabulary and w not in ENGLISH_WORDS for w in words)
        scores[language] = hits + sum(_GREETINGS.get(w) == language for w in words)
    for ch, language in _MARKS.items():
        if ch in text.lower():
            scores[language] += 1
    language, best = max(scores.items(), key=lambda kv: kv[1])
    if best >= 2 and best > 2 * english:
        return language
    return None
