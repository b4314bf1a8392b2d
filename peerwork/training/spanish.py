"""The default curriculum in Spanish: titles, quizzes and lessons (`content/es/`).

Written for this project from the same facts as the English one, not machine
translated. Each quiz keeps the English question order, the number of choices
and the index of the right answer, so an attempt grades the same whichever
language it was taken in (`tests/test_training_spanish.py` holds them to that).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from peerwork.training.curriculum import DEFAULT_MODULES, ModuleSpec, Question


@dataclass(frozen=True)
class SpanishModule:
    title: str
    questions: tuple[Question, ...]


def _q(prompt: str, choices: list[str], correct_index: int, explanation: str) -> Question:
    return Question(prompt, tuple(choices), correct_index, explanation)


SPANISH_MODULES: dict[str, SpanishModule] = {
    "what-a-peer-supporter-is": SpanishModule(
        "Qué es un compañero de apoyo",
        (
            _q(
                "¿Qué es lo principal que aporta un compañero de apoyo a la conversación?",
                [
                    "Un diagnóstico clínico de lo que vive la persona",
                    "Su propia experiencia de haber salido de momentos difíciles",
                    "Autoridad para cambiar el tratamiento de la persona",
                    "Consejo legal sobre problemas en el trabajo",
                ],
                1,
                "Los colegas aportan experiencia vivida. El diagnóstico y el tratamiento son "
                "de los profesionales.",
            ),
            _q(
                "¿Cómo se relaciona el apoyo entre colegas con la atención profesional?",
                [
                    "Reemplaza la terapia cuando los problemas son leves",
                    "Es solo para quien no puede pagar terapia",
                    "Complementa la atención profesional y nunca la reemplaza",
                    "Deben evitarlo quienes ya están en tratamiento",
                ],
                2,
                "El apoyo entre colegas acompaña a la terapia, la medicación y otros cuidados; "
                "nunca ocupa su lugar.",
            ),
            _q(
                "¿Cuál de estas es una de las formas que toma el apoyo entre colegas?",
                [
                    "Recetar medicamentos",
                    "Ayudar a alguien a hacer un plan de crisis o de recuperación",
                    "Decidir si alguien debe conservar su empleo",
                    "Firmar una baja médica",
                ],
                1,
                "Los planes de crisis y de recuperación son parte del apoyo entre colegas, junto "
                "con enseñar habilidades, el apoyo emocional, el ánimo, compartir experiencia y "
                "conectar con recursos.",
            ),
            _q(
                "Más o menos, ¿cuántos adultos tienen un problema de salud mental en un año?",
                [
                    "Casi 1 de cada 4",
                    "Alrededor de 1 de cada 100",
                    "Alrededor de 1 de cada 1.000",
                    "Casi todos",
                ],
                0,
                "Casi 1 de cada 4 adultos, por eso importa un apoyo fácil de pedir y sin estigma.",
            ),
            _q(
                "Una colega dice que el apoyo entre colegas es solo para enfermedades graves. "
                "¿Qué es cierto?",
                [
                    "Tiene razón: es solo para condiciones diagnosticadas",
                    "Ayuda con el estrés diario, el duelo, los cambios de vida y más",
                    "Es solo para personas hospitalizadas",
                    "Es solo para quien no tiene ningún otro apoyo",
                ],
                1,
                "Es un mito: el apoyo entre colegas ayuda con muchos tipos de dificultades.",
            ),
        ),
    ),
    "active-listening": SpanishModule(
        "Escucha activa y validación",
        (
            _q(
                "¿Qué respuesta muestra mejor una escucha activa?",
                [
                    "Debería acostarse más temprano.",
                    "Parece que los plazos nuevos llegaron encima de un mes ya difícil.",
                    "Al menos todavía tiene trabajo.",
                    "Yo tuve una semana mucho peor, la verdad.",
                ],
                1,
                "Devolver lo que oyó muestra que entendió. Las otras aconsejan, minimizan o "
                "comparan.",
            ),
            _q(
                "¿Cuál es una pregunta abierta?",
                [
                    "¿Está estresado?",
                    "¿Durmió anoche?",
                    "¿Cómo ha sido esta semana para usted?",
                    "¿Es por su jefe?",
                ],
                2,
                "Una pregunta abierta no se contesta con sí o no, así la persona lleva el rumbo.",
            ),
            _q(
                "¿Qué significa validar?",
                [
                    "Estar de acuerdo con cada decisión de la persona",
                    "Aceptar que sus sentimientos tienen sentido por lo que está viviendo",
                    "Comprobar si su historia es cierta",
                    "Decirle cómo debería sentirse",
                ],
                1,
                "Validar acepta el sentimiento; no obliga a estar de acuerdo con cada conclusión.",
            ),
            _q(
                "No sabe qué decir. ¿Qué es una buena respuesta?",
                [
                    "No decir nada hasta tener un consejo",
                    "Cambiar a un tema más ligero",
                    "Decir con honestidad que no sabe qué decir, pero que está ahí",
                    "Terminar la conversación",
                ],
                2,
                "La honestidad y la presencia suelen ser justo lo que la persona necesita.",
            ),
        ),
    ),
    "sharing-your-story": SpanishModule(
        "Compartir su historia con un propósito",
        (
            _q(
                "¿Cuál es una buena razón para compartir parte de su historia?",
                [
                    "Llenar un silencio",
                    "Dar esperanza de que el cambio es posible",
                    "Mostrar que su experiencia fue más dura",
                    "Que hoy la tiene muy presente",
                ],
                1,
                "Comparta con un propósito: dar esperanza o mostrar que entiende, sin quitarle "
                "el centro a la otra persona.",
            ),
            _q(
                "¿Qué largo suele tener una historia compartida?",
                [
                    "Una o dos frases, y se devuelve la conversación",
                    "Lo que haga falta para contarla entera",
                    "Varios mensajes con todos los detalles",
                    "Da igual",
                ],
                0,
                "Breve, y la atención vuelve a la persona: la conversación es sobre ella.",
            ),
            _q(
                "¿Qué parte de su historia conviene compartir?",
                [
                    "Una herida con la que todavía lucha hoy",
                    "Los detalles crudos de su peor momento",
                    "Algo que ya trabajó, centrado en lo que le ayudó",
                    "Detalles que muestren dónde trabaja y vive",
                ],
                2,
                "Comparta lo que ya tiene resuelto y el camino hacia adelante; nunca datos que "
                "le identifiquen.",
            ),
        ),
    ),
    "coping-skills": SpanishModule(
        "Enseñar técnicas para sobrellevarlo",
        (
            _q(
                "¿Qué hace que una técnica encaje en una conversación por texto?",
                [
                    "Que necesite equipo especial",
                    "Que sea tan pequeña que se pueda probar hoy, y que la persona elija probarla",
                    "Que reemplace cualquier otra ayuda",
                    "Que haga falta practicarla semanas antes de notar algo",
                ],
                1,
                "Funcionan mejor las técnicas pequeñas y prácticas que la persona acepta probar.",
            ),
            _q(
                "¿Cómo conviene presentar una técnica?",
                [
                    "Decirle que tiene que hacerla ya",
                    "Preguntar antes si le gustaría oír algo que a algunas personas les sirve",
                    "Mandar una lista de diez técnicas a la vez",
                    "Solo después de que pida un diagnóstico",
                ],
                1,
                "Ofrecer, no recetar: preguntar antes deja a la persona al mando.",
            ),
            _q(
                "Alguien describe síntomas que le alteran la vida diaria desde hace meses. "
                "¿Qué encaja mejor?",
                [
                    "Las técnicas solas lo van a resolver",
                    "Decirle que no es nada",
                    "Acompañar y animarle a hablar también con un profesional",
                    "Sugerirle que deje su tratamiento actual",
                ],
                2,
                "Las técnicas ayudan en un mal momento; los síntomas que duran merecen también "
                "atención profesional.",
            ),
        ),
    ),
    "connecting-with-resources": SpanishModule(
        "Conectar a las personas con recursos",
        (
            _q(
                "¿A dónde conviene dirigir a alguien para servicios locales?",
                [
                    "A sus propios contactos personales",
                    "Al directorio de recursos del programa y a números públicos",
                    "A una página cualquiera que encontró",
                    "A ningún lado: los recursos no son parte del apoyo entre colegas",
                ],
                1,
                "Use el directorio del programa; nunca comparta contactos personales.",
            ),
            _q(
                "¿Cuál de estas es una organización local de apoyo entre pares que nombran los "
                "materiales del programa?",
                [
                    "Compeer",
                    "El servicio meteorológico",
                    "Una aplicación privada de mensajes",
                    "Una cadena de gimnasios",
                ],
                0,
                "Compeer, AspireHope, Venture Forthe y Finger Lakes Community Action son "
                "organizaciones locales de apoyo entre pares.",
            ),
            _q(
                "¿Qué hace más probable que una derivación ayude?",
                [
                    "Decir solo 'debería buscar ayuda'",
                    "Prometer exactamente lo que el servicio hará",
                    "Preguntar antes y luego dar un nombre concreto y cómo llegar",
                    "Mandar de una vez todos los recursos del directorio",
                ],
                2,
                "Una derivación concreta y aceptada baja la barrera; no prometa resultados.",
            ),
            _q(
                "Alguien vive lejos de su zona. ¿Dónde puede buscar programas de apoyo entre "
                "pares?",
                [
                    "En la lista de programas de apoyo entre pares de Mental Health America",
                    "Solo en su expediente de recursos humanos",
                    "No hay dónde buscar",
                    "En el teléfono personal de un desconocido",
                ],
                0,
                "Mental Health America mantiene una lista de programas; buscar 'programa de "
                "apoyo entre pares' con su ciudad o condado también ayuda.",
            ),
        ),
    ),
    "crisis-protocol": SpanishModule(
        "Reconocer una crisis y el protocolo de crisis",
        (
            _q(
                "Alguien escribe que todos estarían mejor sin él. ¿Qué hace primero?",
                [
                    "Cambiar a un tema positivo",
                    "Quedarse con la persona y preguntarle de forma directa y amable si piensa "
                    "en el suicidio",
                    "Terminar la conversación y esperar que vuelva a escribir",
                    "Esperar unas horas a ver si se le pasa",
                ],
                1,
                "Es una señal de alarma. Preguntar directamente es seguro y abre la puerta a "
                "la ayuda.",
            ),
            _q(
                "¿Qué líneas de crisis comparte el programa?",
                [
                    "Llamar o escribir al 988, o mandar HOME (AYUDA en español) al 741741",
                    "Su número de celular personal",
                    "La línea principal de recursos humanos",
                    "No hay líneas de crisis",
                ],
                0,
                "El 988 es la Línea de Prevención del Suicidio y Crisis (oprima 2 para "
                "español); el 741741 es la Crisis Text Line.",
            ),
            _q(
                "Alguien corre peligro inmediato ahora mismo. ¿Qué debe hacer?",
                [
                    "Esperar al próximo seguimiento",
                    "Llamar al 911",
                    "Escribirle un correo a su jefe",
                    "Volver a escribir al programa mañana",
                ],
                1,
                "Peligro inmediato significa 911.",
            ),
            _q(
                "En una conversación de crisis, ¿cuándo trae a un supervisor?",
                [
                    "Nunca; lo resuelve solo",
                    "Solo cuando la conversación ya terminó",
                    "En seguida, con el botón 'Avisar a un supervisor'",
                    "Solo si la persona lo acepta por escrito",
                ],
                2,
                "Avise a un supervisor de inmediato; se le alerta al momento.",
            ),
            _q(
                "Alguien en crisis le pide que prometa no contárselo a nadie. ¿Qué hace?",
                [
                    "Prometerlo, para que siga hablando",
                    "Explicarle con cariño que traerá a un supervisor cuando la seguridad esté "
                    "en riesgo",
                    "Terminar la conversación",
                    "Ignorar lo que pide",
                ],
                1,
                "Nunca prometa un secreto que pueda poner a alguien en peligro; sea honesto y "
                "amable.",
            ),
        ),
    ),
    "crisis-plans-and-roadmaps": SpanishModule(
        "Ayudar a escribir un plan de crisis o de recuperación",
        (
            _q(
                "¿De quién es un plan de crisis?",
                [
                    "Del colega",
                    "De la persona, en sus propias palabras",
                    "De la empresa",
                    "Del supervisor",
                ],
                1,
                "El plan es de la persona; usted pregunta, sugiere y deja que decida.",
            ),
            _q(
                "¿Qué suele ir en un plan de crisis?",
                [
                    "Las señales de alerta propias de la persona",
                    "La dirección de la casa del colega",
                    "Una lista de los errores de sus compañeros de trabajo",
                    "La promesa de no volver a sentirse mal",
                ],
                0,
                "Señales de alerta, pasos que ayudan, personas, servicios y razones para vivir "
                "son las partes habituales.",
            ),
            _q(
                "Alguien está en crisis ahora y quiere escribir un plan. ¿Qué va primero?",
                [
                    "Completar todas las partes del plan",
                    "Seguir el protocolo de crisis; volver al plan cuando esté a salvo",
                    "Decirle que los planes no sirven",
                    "Mandarle una plantilla y cerrar la conversación",
                ],
                1,
                "Primero la seguridad: el protocolo, y el plan otro día con más calma.",
            ),
        ),
    ),
    "boundaries-and-self-care": SpanishModule(
        "Límites y cuidado propio",
        (
            _q(
                "Alguien le pide seguir hablando por su teléfono personal. ¿Qué hace?",
                [
                    "Darle su número para ayudar",
                    "Mantener la conversación en la plataforma, con amabilidad",
                    "Proponer verse en persona",
                    "Darle su usuario de redes sociales",
                ],
                1,
                "Quédese en la plataforma: les protege a los dos y el supervisor sigue cerca.",
            ),
            _q(
                "Se siente agotado después de varias conversaciones pesadas. ¿Qué es sano?",
                [
                    "Seguir aceptando ofertas para que nadie espere",
                    "Apagar 'Disponible ahora' y hablarlo con su supervisor",
                    "Esconder cómo se siente",
                    "Escuchar con menos cuidado",
                ],
                1,
                "Descansar y hablarlo es parte del trabajo; otros colegas pueden atender.",
            ),
            _q(
                "¿De qué es responsable en una conversación?",
                [
                    "De arreglarle la vida a la persona",
                    "De ser amable y honesto y seguir el protocolo",
                    "De que nunca vuelva a necesitar ayuda",
                    "De decidir qué tratamiento necesita",
                ],
                1,
                "No es un rescatador; su parte es la presencia, la honestidad y el protocolo.",
            ),
        ),
    ),
    "anonymity-and-confidentiality": SpanishModule(
        "Anonimato y confidencialidad en esta plataforma",
        (
            _q(
                "¿Qué ve usted de quien escribe?",
                [
                    "Su número de teléfono",
                    "Su nombre y su departamento",
                    "Solo un seudónimo",
                    "Su correo electrónico",
                ],
                2,
                "Quien escribe aparece solo con un seudónimo; su número nunca se muestra.",
            ),
            _q(
                "¿Qué alias conviene elegir?",
                [
                    "Su nombre real completo",
                    "Su nombre y su equipo",
                    "Un nombre que no sea el suyo real",
                    "Su correo del trabajo",
                ],
                2,
                "Su alias le protege; no use su nombre real.",
            ),
            _q(
                "Cree reconocer a quien escribe. ¿Qué hace?",
                [
                    "Pedirle que confirme quién es",
                    "Decírselo a su supervisor para que la conversación pase a otra persona",
                    "Buscarle en el directorio de la empresa",
                    "Comentarlo con un compañero",
                ],
                1,
                "Nunca intente identificar a nadie; un supervisor puede reasignar la conversación.",
            ),
            _q(
                "¿Cuándo tiene un límite la confidencialidad?",
                [
                    "Nunca",
                    "Cuando la vida o la seguridad de alguien está en riesgo",
                    "Cuando un compañero pregunta",
                    "Cuando la conversación es aburrida",
                ],
                1,
                "La seguridad va antes que el secreto: siga el protocolo y traiga a un supervisor.",
            ),
        ),
    ),
}


def lesson_text(slug: str) -> str:
    """The shipped Spanish lesson for `slug`."""
    folder = resources.files("peerwork.training") / "content" / "es"
    for entry in folder.iterdir():
        if entry.name.endswith(f"-{slug}.md"):
            return entry.read_text(encoding="utf-8")
    raise KeyError(slug)


@dataclass(frozen=True)
class ShownModule:
    """A module as a lesson or quiz page shows it, in the reader's language."""

    id: int
    title: str
    lesson_md: str
    pass_mark: int
    questions: tuple


def shown(module, language: str):
    """`module` in `language` where it is a shipped default left unchanged; else as it is.

    An admin's own wording (any edit to the title, the lesson or a question)
    is theirs, in their language: it is shown as written.
    """
    if language != "es" or module.slug not in SPANISH_MODULES:
        return module
    spec = next(s for s in DEFAULT_MODULES if s.slug == module.slug)
    english = [(q.prompt, tuple(q.choices)) for q in module.questions]
    if (
        module.title != spec.title
        or module.lesson_md != spec.lesson_md
        or english != [(q.prompt, q.choices) for q in spec.questions]
    ):
        return module
    title, lesson_md, questions = spanish_version(spec)
    return ShownModule(module.id, title, lesson_md, module.pass_mark, questions)


def spanish_version(spec: ModuleSpec) -> tuple[str, str, tuple[Question, ...]]:
    """(title, lesson Markdown, questions) of a default module in Spanish."""
    module = SPANISH_MODULES[spec.slug]
    return module.title, lesson_text(spec.slug), module.questions
