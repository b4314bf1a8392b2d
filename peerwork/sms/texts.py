"""Every SMS text a person receives, in one place.

Each text has a key, a default wording, a segment budget, and whether a
program admin may reword it. `render()` applies a program's own wording (if
any) and fills the placeholders. `tests/test_sms_texts.py` checks every text
for GSM-7 and its segment budget; keep wording plain ASCII (straight quotes,
no emoji) so it stays GSM-7 and cheap, and keep the crisis text to one segment.

Every text also has a version in each other language of `peerwork.languages`
(`TRANSLATIONS`, Spanish below the English), held to the same budget; a test
fails while one is missing. GSM-7 has é ñ ü ¿ ¡ but not á í ó ú, and one of
those turns a whole message into UCS-2 (70 characters a segment instead of
160). The Spanish is worded to stay GSM-7 (usted, "charla" not
"conversación", "escriba" not "envíe"); the few texts where that would
read badly would be listed in `UCS2` with a budget to match (none is
today), so a UCS-2 text is a choice, not an accident. An admin's rewording applies to the English
text; a text written in one language (`crisis_es`) is that language's
version of the crisis replies (`STAND_INS`), so its admin wording holds.

Never make a Twilio opt-out word (STOP, END, QUIT, CANCEL, UNSUBSCRIBE,
STOPALL, REVOKE, OPTOUT) a command of ours: Twilio acts on those itself.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

CRISIS_LINES = "Call or text 988, or text HOME to 741741. In danger now? Call 911."
# 988 answers in Spanish on option 2; Crisis Text Line answers AYUDA at 741741.
CRISIS_LINES_ES = (
    "Llame al 988 y oprima 2, o mande AYUDA por texto al 741741. ¿En peligro ahora? Llame al 911."
)


@dataclass(frozen=True)
class SmsText:
    key: str
    default: str
    max_segments: int = 1
    editable: bool = False
    description: str = ""
    language: str = "en"  # the language `default` is written in

    @property
    def placeholders(self) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(self.default) if name}


_ALL = [
    # -- first contact and the menu ------------------------------------
    SmsText(
        "welcome",
        # {program} is the program's own name ("Acme Peer Line"): never add "peer line" to it.
        "Hi, you've reached {program}: peer support by text. A trained colleague will listen. "
        "You stay anonymous and it's confidential. Peers are not counselors. " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="First reply to a new texter: who we are, confidentiality, crisis lines.",
    ),
    SmsText(
        "menu",
        "What would you like to talk about? Reply with a number:\n{menu}\nOr tell us in a few words."
        "{switch}",
        max_segments=3,
        description="The topic menu (the list is built from the program's topics; `switch` "
        "is a language_hint line for each other language the line offers).",
    ),
    SmsText(
        "language_hint",
        # Shown in its own language to texters of the others: this is the English one.
        "\nFor English, reply ENGLISH.",
        description="A line under the menu, in the language it offers.",
    ),
    SmsText(
        "language_set",
        "OK, we'll text you in English from now on.",
        description="Reply to ENGLISH (or another language's keyword) after the first text.",
    ),
    SmsText(
        "topic_unclear",
        "Sorry, we didn't catch that. Reply with a number from the list, or a few words about "
        "what's on your mind.",
        description="A reply to the menu we could not match.",
    ),
    SmsText(
        "waiting",
        "Thanks. We're finding a peer for you now; it usually takes a few minutes. "
        "Text DONE to cancel. " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="After a topic is chosen, while offers go out.",
    ),
    SmsText(
        "still_waiting",
        "We're still looking for a peer; everyone is busy right now. We have not forgotten you. "
        "If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="Honest update when a request waits past the program's threshold "
        "and no peer is available.",
    ),
    SmsText(
        "still_asking",
        "We're still reaching out to peers for you; it's taking longer than usual. "
        "We have not forgotten you. If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="Update when a request waits past the threshold while peers are "
        "switched on but have not answered yet.",
    ),
    SmsText(
        "supervisor_update",
        "A supervisor on our team has seen that you're waiting and is finding a peer for you "
        "now. We have not forgotten you. If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="Sent when a supervisor chooses to update a texter who is waiting: "
        "a person is on it.",
    ),
    SmsText(
        "waiting_reminder",
        "You're in the queue and a peer will text you here soon. Text DONE to cancel.",
        description="Reply to a texter who writes while their request is waiting.",
    ),
    SmsText(
        "connected",
        "You're now connected with {alias}, a trained peer. Whatever you text here goes to them. "
        "Text DONE when you're finished.",
        description="When a peer accepts.",
    ),
    # -- endings ---------------------------------------------------------
    SmsText(
        "ended_by_texter",
        "Thank you for reaching out. This conversation has ended. Text NEW anytime to talk again.",
        description="After the texter texts DONE.",
    ),
    SmsText(
        "ended_by_peer",
        "{alias} has ended the conversation. Thank you for talking. Text NEW anytime to talk again.",
        description="After the peer ends with a wrap-up.",
    ),
    SmsText(
        "request_cancelled",
        "OK, we've cancelled your request. Text NEW anytime to talk with a peer.",
        description="DONE while still waiting for a peer.",
    ),
    SmsText(
        "peer_stepped_away",
        "Your peer had to step away. We're connecting you with someone else now.",
        description="A peer was deactivated mid-conversation; the request goes back to matching.",
    ),
    SmsText(
        "not_connected",
        "You're not in a conversation right now. Text NEW to talk with a peer, or HELP for info.",
        description="A message from a texter with nothing open.",
    ),
    # -- keywords ----------------------------------------------------------
    SmsText(
        "help",
        # Keyword replies stay in one segment.
        "{program}: anonymous peer support by text. NEW starts, DONE ends, RESOURCES for "
        "local help. Crisis? Call/text 988 or call 911.",
        max_segments=1,
        editable=True,
        description="Reply to HELP or INFO.",
    ),
    SmsText(
        "help_connected",
        "{program}: you're talking with a peer; what you text goes to them. DONE ends, "
        "RESOURCES for local help. Crisis? Call/text 988 or call 911.",
        max_segments=1,
        editable=True,
        description="Reply to HELP or INFO during a conversation.",
    ),
    SmsText(
        "opted_in",
        "You're subscribed again to {program}. Text NEW to talk with a peer.",
        description="Reply to START or UNSTOP.",
    ),
    SmsText(
        "resources",
        "Local support:\n{resources}\n" + CRISIS_LINES,
        max_segments=6,
        description="Reply to RESOURCES: the program's directory.",
    ),
    SmsText(
        "resources_none",
        "We don't have a local list yet. For support now: " + CRISIS_LINES,
        description="RESOURCES when the directory is empty.",
    ),
    # -- hours and program state ----------------------------------------
    SmsText(
        "welcome_closed",
        "Hi, you've reached {program}: peer support by text. You stay anonymous and it's "
        "confidential. We're closed now: peers are available {hours}, and we open {opens}. "
        "{next_step} " + CRISIS_LINES,
        max_segments=3,
        editable=True,
        description="First reply to a new texter while the line is closed (before any topic).",
    ),
    SmsText(
        "closed_hours",
        "We're closed now. Our peers are available {hours}; we open {opens}. {next_step} "
        "If you need help now: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="A text outside hours of operation.",
    ),
    SmsText(
        "menu_no_topics",
        "Tell us in a few words what's on your mind.",
        description="Stands in for the topic list in the menu when the program has no topics.",
    ),
    SmsText(
        "closed_kept",
        "We'll connect you with a peer when we open.",
        description="Inserted into closed_hours when requests are kept for opening time.",
    ),
    SmsText(
        "closed_choose_topic",
        "Reply with a topic below and a peer will text you when we open.",
        description="Inserted into the closed texts when the menu follows and requests are kept.",
    ),
    SmsText(
        "waiting_after_hours",
        "We've closed for now, but you keep your place: a peer still on may answer, or we'll "
        "connect you when we open {opens}. Text DONE to cancel.",
        description="A texter writes after closing time while their request is still waiting.",
    ),
    SmsText(
        "closed_not_kept",
        "Please text us again then.",
        description="Inserted into closed_hours when requests are not kept.",
    ),
    SmsText(
        "paused",
        "{program} is paused right now and no peers are on duty. If you need help: " + CRISIS_LINES,
        max_segments=2,
        editable=True,
        description="A text while the program is paused or closed.",
    ),
    # -- safety ------------------------------------------------------------
    SmsText(
        "crisis",
        "You matter. If you're in danger now, call 911. Call or text 988, or text HOME to 741741. "
        "We're alerting a person on our team.",
        max_segments=1,
        editable=True,
        description="Sent at once, in the webhook reply, when a message shows risk.",
    ),
    SmsText(
        "crisis_first",
        "You matter. If you're in danger now, call 911. Call or text 988, or text HOME to 741741. "
        "We're finding a person for you now.",
        max_segments=1,
        editable=True,
        description="The crisis reply to someone not yet talking with a peer: one is sought at once.",
    ),
    SmsText(
        "crisis_closed",
        "You matter. No peer is on right now: call or text 988, or text HOME to 741741. "
        "In danger now? Call 911. We've told a person on our team.",
        max_segments=1,
        editable=True,
        description="The crisis reply while the line is closed: the on-call contacts are alerted.",
    ),
    SmsText(
        "crisis_es",
        # Spanish, one segment like the English one: no accents outside GSM-7
        # (a single "í" would make it UCS-2 and three segments). 988 answers in
        # Spanish on option 2; Crisis Text Line answers AYUDA at 741741.
        "Usted importa. Si corre peligro ahora, llame al 911. Llame al 988 y oprima 2, "
        "o mande AYUDA por texto al 741741. Estamos avisando a una persona del equipo.",
        max_segments=1,
        editable=True,
        description="The crisis reply when the risky message is in Spanish (or mostly so), "
        "or the texter's language is Spanish.",
        language="es",
    ),
    SmsText(
        "unanswered_followup",
        "Sorry we haven't replied yet. A person on our team has been told. If you need help now: "
        + CRISIS_LINES,
        max_segments=2,
        description="When no person has answered a texter within the program's threshold.",
    ),
    # -- check-ins, plans ------------------------------------------------------
    SmsText(
        "checkin",
        "Hi, it's {program} checking in. How are you doing, from 1 (rough) to "
        "5 (good)? Text TALK to reach a peer.",
        editable=True,
        description="A scheduled check-in after a conversation.",
    ),
    SmsText(
        "checkin_thanks",
        "Thank you for letting us know. Text TALK or NEW anytime to reach a peer.",
        description="Reply to a check-in score of 3 to 5.",
    ),
    SmsText(
        "checkin_reconnect",
        "Thank you for telling us. We're finding a peer for you now. " + CRISIS_LINES,
        max_segments=2,
        description="Reply to a check-in score of 1 or 2, or TALK.",
    ),
    SmsText(
        "checkin_weekly_on",
        "OK, we'll check in once a week. Text CHECKIN OFF anytime to turn that off.",
        description="Reply to CHECKIN WEEKLY.",
    ),
    SmsText(
        "checkin_weekly_off",
        "OK, no more weekly check-ins. Text CHECKIN WEEKLY to turn them back on.",
        description="Reply to CHECKIN OFF.",
    ),
    SmsText(
        "checkin_options",
        "Text CHECKIN WEEKLY for a short check-in once a week, or CHECKIN OFF to stop them. "
        "TALK reaches a peer.",
        description="Reply to CHECKIN on its own.",
    ),
    SmsText(
        "plan",
        "Your plan:\n{plan}",
        max_segments=10,
        description="Reply to PLAN: the texter's crisis plan.",
    ),
    # The plan's section labels as texted (peerwork.checkins.plans.SECTIONS).
    SmsText("plan_label_warning_signs", "Warning signs", description="A plan section label."),
    SmsText("plan_label_things_that_help", "Things that help", description="A plan section label."),
    SmsText(
        "plan_label_people_and_places", "People and places", description="A plan section label."
    ),
    SmsText(
        "plan_label_contacts",
        "Professional and crisis contacts",
        description="A plan section label.",
    ),
    SmsText(
        "plan_none",
        "You don't have a saved plan yet. A peer can help you make one: text NEW to talk.",
        description="PLAN when no plan is saved.",
    ),
    SmsText(
        "plan_none_connected",
        "You don't have a saved plan yet. Your peer can help you make one now, if you like.",
        description="PLAN during a conversation when no plan is saved.",
    ),
    # -- to peers and staff (never message content) ------------------------
    SmsText(
        "peer_offer_alert",
        "peerwork: someone is waiting to talk ({topic}). Open your workspace to accept.",
        description="To a peer's own phone when an offer arrives (opt-in).",
    ),
    SmsText("any_topic", "any topic", description="Fills peer_offer_alert when there is none."),
    SmsText(
        "peer_message_alert",
        "peerwork: you have a new message in a conversation. Open your workspace to reply.",
        description="To a peer's own phone when their texter writes (opt-in).",
    ),
    SmsText(
        "staff_crisis_alert",
        "peerwork: a crisis alert needs a supervisor in {program}. Please open the alerts page now.",
        description="To escalation contacts when a crisis is detected.",
    ),
    SmsText(
        "staff_backup_alert",
        "peerwork backup alert: no supervisor has answered {what} in {program}. "
        "Please open the alerts page now.",
        description="To backup contacts when no supervisor acknowledged an alert in time.",
    ),
    SmsText(
        "staff_alert",
        "peerwork: {what} in {program}. Please open the alerts page.",
        description="To escalation contacts for waits, unanswered texts and flags.",
    ),
    SmsText(
        "test_sms",
        "peerwork test message for {program}. If you can read this, outbound SMS works.",
        description="The admin's 'send test SMS' action.",
    ),
]

_ES = CRISIS_LINES_ES
SPANISH: dict[str, str] = {
    # {program} is the program's own name ("Acme Peer Line"), as in English.
    "welcome": "Hola, ha contactado a {program}: apoyo entre colegas por texto. Un colega "
    "capacitado le va a escuchar. No hace falta dar su nombre y es confidencial. Los colegas "
    "no son consejeros. " + _ES,
    "menu": "¿De qué quiere hablar? Elija un tema y responda con su cifra:\n{menu}\n"
    "O cuéntenos en pocas palabras.{switch}",
    "language_hint": "\nPara español, responda ESPAÑOL.",
    "language_set": "Listo, desde ahora le escribimos en español.",
    "topic_unclear": "Perdone, no le entendimos. Responda con la cifra de un tema de la lista, o con "
    "unas palabras sobre lo que le preocupa.",
    "waiting": "Gracias. Estamos buscando un colega para usted; suele tardar unos minutos. "
    "Escriba FIN para cancelar. " + _ES,
    "still_waiting": "Seguimos buscando un colega; todos siguen ocupados ahora. No nos olvidamos "
    "de usted. Si necesita ayuda ahora: " + _ES,
    "supervisor_update": "Un supervisor del equipo ya vio que usted espera y le busca un colega "
    "ahora mismo. No nos olvidamos de usted. Si necesita ayuda ahora: " + _ES,
    "still_asking": "Seguimos contactando a colegas para usted; hoy lleva un poco de tiempo. "
    "No nos olvidamos de usted. Si necesita ayuda ahora: " + _ES,
    "waiting_reminder": "Sigue en espera y pronto le va a escribir un colega por este medio. "
    "Escriba FIN para cancelar.",
    "connected": "Ya le conectamos con {alias}, un colega capacitado. Todo lo que escriba le "
    "llega a {alias}. Escriba FIN cuando termine.",
    "ended_by_texter": "Gracias por escribirnos. Esta charla ha terminado. Escriba NUEVO cuando "
    "quiera hablar otra vez.",
    "ended_by_peer": "{alias} ha cerrado la charla. Gracias por hablar con nosotros. Escriba "
    "NUEVO cuando quiera volver a hablar.",
    "request_cancelled": "Listo, cancelamos su pedido. Escriba NUEVO cuando quiera hablar con "
    "un colega.",
    "peer_stepped_away": "Su colega tuvo que irse. Ya le estamos buscando a otra persona.",
    "not_connected": "Ahora no tiene una charla abierta. Escriba NUEVO para hablar con un "
    "colega, o AYUDA para informarse.",
    "help": "{program}: apoyo por texto entre colegas. NUEVO empieza, FIN termina, RECURSOS "
    "da ayuda local. ¿Crisis? Llame al 988 o al 911.",
    "help_connected": "{program}: lo que escriba le llega a su colega. FIN termina, RECURSOS da ayuda "
    "local. ¿Crisis? Llame al 988 o al 911.",
    "opted_in": "Vuelve a estar suscrito a {program}. Escriba NUEVO para hablar con un colega.",
    "resources": "Apoyo local:\n{resources}\n" + _ES,
    "resources_none": "Por ahora no tenemos una lista local. Para apoyo ya: " + _ES,
    "welcome_closed": "Hola, ha contactado a {program}: apoyo entre colegas por texto. No hace "
    "falta dar su nombre y es confidencial. Ahora estamos cerrados: hay colegas {hours}, y abrimos {opens}. "
    "{next_step} " + _ES,
    "closed_hours": "Ahora estamos cerrados. Hay colegas {hours}; abrimos {opens}. {next_step} "
    "Si necesita ayuda ahora: " + _ES,
    "menu_no_topics": "Cuéntenos en pocas palabras qué le preocupa.",
    "closed_kept": "Le conectaremos con un colega cuando abramos.",
    "closed_choose_topic": "Responda con un tema de abajo y un colega le va a escribir cuando "
    "abramos.",
    "waiting_after_hours": "Ya cerramos, pero guarda su lugar: puede contestar un colega que siga "
    "conectado, o le conectamos al abrir {opens}. Escriba FIN para cancelar.",
    "closed_not_kept": "Por favor, vuelva a escribir entonces.",
    "paused": "{program} se ha pausado por ahora y no hay colegas de turno. Si necesita ayuda: "
    + _ES,
    "unanswered_followup": "Perdone la demora en contestarle. Ya avisamos a una persona del "
    "equipo. Si necesita ayuda ahora: " + _ES,
    "checkin": "Hola, le escribe {program}. ¿Qué tal le va, de 1 (mal) a 5 (bien)? Escriba "
    "HABLAR para contactar a un colega.",
    "checkin_thanks": "Gracias por contarnos. Escriba HABLAR o NUEVO cuando quiera hablar con "
    "un colega.",
    "checkin_reconnect": "Gracias por decirnos. Estamos buscando un colega para usted ahora. "
    + _ES,
    "checkin_weekly_on": "Listo, le escribiremos una vez por semana. Escriba CHECKIN NO cuando "
    "quiera dejarlo.",
    "checkin_weekly_off": "Listo, ya no le escribiremos cada semana. Escriba CHECKIN SI para "
    "volver a recibirlo.",
    "checkin_options": "Escriba CHECKIN SI para un mensaje corto cada semana, o CHECKIN NO para "
    "dejarlo. HABLAR le pone en contacto con un colega.",
    "plan": "Su plan:\n{plan}",
    "plan_label_warning_signs": "Señales de alerta",
    "plan_label_things_that_help": "Lo que me ayuda",
    "plan_label_people_and_places": "Personas y lugares",
    "plan_label_contacts": "Contactos de ayuda y de crisis",
    "plan_none": "Por ahora no tiene un plan guardado. Un colega le puede ayudar a hacerlo: "
    "escriba NUEVO para hablar.",
    "plan_none_connected": "Por ahora no tiene un plan guardado. Si quiere, su colega le puede "
    "ayudar a hacerlo ahora.",
    "peer_offer_alert": "peerwork: alguien espera para hablar ({topic}). Abra su espacio de "
    "trabajo para aceptar.",
    "any_topic": "cualquier tema",
    "peer_message_alert": "peerwork: tiene un mensaje nuevo en una charla. Abra su espacio de "
    "trabajo para contestar.",
    "staff_crisis_alert": "peerwork: una alerta de crisis en {program} necesita a un supervisor. "
    "Abra ya la lista de alertas.",
    "staff_backup_alert": "peerwork, respaldo: nadie ha atendido {what} en {program}. Abra ya la "
    "lista de alertas.",
    "staff_alert": "peerwork: {what} en {program}. Abra la lista de alertas.",
    "test_sms": "Mensaje de prueba de peerwork para {program}. Si puede leer esto, los SMS "
    "salientes funcionan.",
}

# Each language's version of every text (English is the `default` of each SmsText).
TRANSLATIONS: dict[str, dict[str, str]] = {"es": SPANISH}
# A text written in a language (its `language`) is that language's version of these.
STAND_INS: dict[str, dict[str, str]] = {
    "es": {"crisis": "crisis_es", "crisis_first": "crisis_es", "crisis_closed": "crisis_es"}
}
# (key, language) pairs allowed to be UCS-2: none today, every Spanish text is GSM-7 by wording.
UCS2: frozenset[tuple[str, str]] = frozenset()

TEXTS: dict[str, SmsText] = {t.key: t for t in _ALL}
EDITABLE = {k: t for k, t in TEXTS.items() if t.editable}


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def template_for(key: str, overrides: dict[str, str] | None = None, language: str = "en") -> str:
    """The wording in force in `language`: a program's override, or the default.

    An override is the admin's wording of the text in the language it is
    written in, so it holds for that language only.
    """
    key = STAND_INS.get(language, {}).get(key, key)
    text = TEXTS[key]
    if text.language != language:
        return TRANSLATIONS.get(language, {}).get(key) or text.default
    custom = (overrides or {}).get(key) if text.editable else None
    return custom or text.default


def render(
    key: str, overrides: dict[str, str] | None = None, *, language: str = "en", **values: object
) -> str:
    """Fill `key`'s wording; unknown placeholders in admin text become blank."""
    return string.Formatter().vformat(template_for(key, overrides, language), (), _Blank(values))


def for_program(key: str, program, *, language: str = "en", **values: object) -> str:
    """Render `key` in `language` with a program's overrides and its name."""
    values.setdefault("program", program.name)
    return render(key, program.texts or {}, language=language, **values)


def for_texter(key: str, program, texter, **values: object) -> str:
    """Render `key` for one texter: in their language, with the program's wording."""
    return for_program(key, program, language=texter.language, **values)
