"""The default curriculum in Spanish: titles, quizzes and lessons (`content/es/`).

Written for this project from the same facts as the English one, not machine
translated. Each quiz keeps the English question order, the number of choices
and the index of the right answer, so an attempt grades the same whichever
language it was taken in (`tests/test_training_spanish.py` holds them to that).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
                "La fuerza de un colega es entender desde dentro, no saber de libro; el diagnóstico, el tratamiento y el consejo legal son de los profesionales.",
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
                "El apoyo entre colegas abarca escuchar, animar, compartir experiencia, enseñar habilidades, planear juntos y conectar con recursos; las decisiones sobre medicinas o sobre el empleo de alguien nunca son parte de él.",
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
                "Los problemas de salud mental son comunes: una buena parte de los adultos pasa por uno cada año (la lección da la cifra), por eso importa un apoyo fácil de pedir y sin estigma.",
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
            _q(
                "Quien escribe vive con una enfermedad crónica, no con un problema de salud mental. ¿Le puede ayudar el apoyo entre colegas?",
                [
                    "No: el apoyo entre colegas es solo para enfermedades mentales",
                    "Sí: también ayuda con enfermedades crónicas, la recuperación de adicciones, el duelo y los cambios de vida",
                    "Solo si lo envía un médico",
                    "Solo cuando termine su tratamiento",
                ],
                1,
                "El apoyo entre colegas va mucho más allá de la salud mental: cualquiera que pase una etapa difícil puede ganar algo de quien recorrió un camino parecido.",
            ),
            _q(
                "¿Cuál es la base del papel de un compañero de apoyo?",
                [
                    "Una licencia profesional",
                    "Su propio camino a través de un momento difícil",
                    "Años de experiencia como jefe",
                    "Saberse de memoria las normas de la empresa",
                ],
                1,
                "Algunos colegas tienen formación o certificación, pero lo que ofrecen se apoya en haber vivido algo parecido.",
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
                "La escucha activa pone en sus propias palabras lo que oyó; los consejos, el lado bueno y las comparaciones desvían el foco.",
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
            _q(
                "La persona deja de escribir varios minutos. ¿Qué suele ser lo mejor?",
                [
                    "Mandar tres preguntas más para mantener la charla",
                    "Darle espacio y, si el silencio sigue, preguntarle con suavidad cómo está",
                    "Terminar la conversación",
                    "Llenar el hueco contando sus propias noticias",
                ],
                1,
                "A menudo la gente necesita tiempo para escribir o para recomponerse; dejar espacio para pensar también es escuchar.",
            ),
            _q(
                "¿Qué respuesta le quita importancia a lo que siente la persona?",
                [
                    "Suena agotador.",
                    "Por lo menos no es peor.",
                    "¿Qué ha sido lo más difícil?",
                    "Gracias por contármelo.",
                ],
                1,
                "Buscarle el lado bueno demasiado pronto le dice a la persona que su sentimiento es exagerado, y eso cierra la conversación.",
            ),
            _q(
                "¿Cuántas preguntas conviene hacer, por lo general, en un mensaje?",
                [
                    "Una",
                    "Todas las que se le ocurran",
                    "Por lo menos cinco",
                    "Ninguna: nunca hay que preguntar",
                ],
                0,
                "Un montón de preguntas se siente como un interrogatorio; deje que la persona conteste antes de preguntar lo siguiente.",
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
            _q(
                "Quien escribe le hace una pregunta personal sobre su pasado. ¿Qué ayuda más?",
                [
                    "Contarle cada detalle que pregunte",
                    "Contestar en pocas palabras si se siente cómodo, y volver a hablar de la persona",
                    "Negarse y cerrar la charla",
                    "Inventarse algo",
                ],
                1,
                "Usted decide qué compartir; una respuesta breve y honesta, y volver a la persona, mantiene el foco donde debe estar.",
            ),
            _q(
                "¿Por qué no debe dar detalles como su lugar de trabajo, su equipo o su ciudad?",
                [
                    "Porque son aburridos",
                    "Porque podrían identificarle, y la plataforma mantiene anónimas a las dos personas",
                    "Porque quien escribe no puede saber nada de usted",
                    "Porque la historia es inventada",
                ],
                1,
                "El anonimato protege por igual a colegas y a quienes escriben; una historia ayuda sin datos que identifiquen.",
            ),
            _q(
                "Su historia es distinta de lo que vive la otra persona. ¿Qué debe evitar?",
                [
                    "Escuchar más de lo que habla",
                    "Decir que su situación es igual a la suya",
                    "Preguntarle cómo lo vive",
                    "Mostrar curiosidad por su experiencia",
                ],
                1,
                "Cada camino es distinto: decir que es igual le quita la conversación a la otra persona.",
            ),
            _q(
                "¿Para qué sirve, sobre todo, compartir la experiencia vivida?",
                [
                    "Para dar esperanza y mostrar que la recuperación es posible",
                    "Para demostrar que es un experto",
                    "Para recibir apoyo para usted",
                    "Para comparar qué historia es más dura",
                ],
                0,
                "La experiencia vivida se comparte por el bien de la otra persona: para dar esperanza y la sensación de no estar sola.",
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
            _q(
                "¿Cuál es un ejemplo de una habilidad sencilla para proponer por texto?",
                [
                    "Un ejercicio de respiración que puede probar durante dos minutos",
                    "Un medicamento nuevo",
                    "Dejar su trabajo hoy mismo",
                    "Una larga lista de lecturas",
                ],
                0,
                "Los pasos pequeños y concretos que se pueden probar enseguida son los que mejor caben en una charla por texto.",
            ),
            _q(
                "La persona probó una habilidad que usted le propuso y dice que no le sirvió. ¿Y ahora?",
                [
                    "Insistir en que lo intente con más ganas",
                    "Agradecerle que lo probara y explorar qué otra cosa le podría ir bien",
                    "Decirle que nada va a funcionar",
                    "Terminar la conversación",
                ],
                1,
                "Las habilidades son pruebas, no exámenes que la persona pueda suspender; la curiosidad la deja a ella al mando.",
            ),
            _q(
                "¿Qué es un desencadenante?",
                [
                    "Una situación o un sentimiento que suele provocar malestar",
                    "Un botón de la aplicación",
                    "Un tipo de medicamento",
                    "Un diagnóstico formal",
                ],
                0,
                "Darse cuenta de lo que provoca el malestar ayuda a planear cómo responder, y eso da fortaleza.",
            ),
            _q(
                "¿Por qué compartir las fichas de habilidades del programa en vez de sus propios consejos?",
                [
                    "Están probadas, son breves y son iguales para todos",
                    "Porque sus consejos nunca sirven",
                    "Porque reemplazan la conversación",
                    "Para no tener que escuchar",
                ],
                0,
                "El programa revisa las fichas y se leen bien en un teléfono; acompañan a su escucha, no la reemplazan.",
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
            _q(
                "Quien escribe le pide que le recomiende un terapeuta. ¿Qué corresponde a su papel?",
                [
                    "Darle el nombre de su propio terapeuta",
                    "Indicarle el directorio del programa y los servicios públicos",
                    "Decirle que no necesita terapia",
                    "Diagnosticarle primero",
                ],
                1,
                "Los colegas conectan a las personas con servicios; no recomiendan profesionales por su cuenta ni diagnostican.",
            ),
            _q(
                "¿Qué es una forma amable de saber si una derivación le sirvió?",
                [
                    "Preguntarle más adelante, si acepta un seguimiento, si pudo contactar con el servicio",
                    "Llamar usted al servicio para preguntar por la persona",
                    "Preguntarle a su jefe",
                    "No volver a hacer nada",
                ],
                0,
                "El seguimiento con el permiso de la persona la respeta; nunca contacte con servicios ni con la empresa sobre alguien.",
            ),
            _q(
                "No hay grupos presenciales cerca de la persona. ¿Qué más puede probar?",
                [
                    "Comunidades de apoyo entre colegas en línea",
                    "Nada: solo cuenta la ayuda en persona",
                    "Esperar a que abra un grupo cerca",
                    "Pedir a sus compañeros de trabajo que le diagnostiquen",
                ],
                0,
                "Las comunidades y los grupos en línea conectan a la gente cuando lo presencial queda lejos.",
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
            _q(
                "¿Preguntar directamente a alguien por el suicidio le mete la idea en la cabeza?",
                [
                    "Sí, así que nunca hay que preguntar",
                    "No: preguntar de forma directa y amable es seguro y puede abrir el camino a la ayuda",
                    "Solo si es joven",
                    "Solo por texto",
                ],
                1,
                "La investigación y los servicios de crisis coinciden en que una pregunta directa y cariñosa no hace daño; muestra que usted puede oír la respuesta.",
            ),
            _q(
                "La persona deja de contestar después de decir que tiene un plan para quitarse la vida. ¿Qué hace?",
                [
                    "Esperar a mañana",
                    "Avisar enseguida a un supervisor desde la plataforma",
                    "Publicarlo en redes sociales",
                    "Cerrar la conversación sin decir nada",
                ],
                1,
                "Las señales de crisis nunca se dejan esperando: el protocolo pone a un supervisor a cargo de inmediato.",
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
            _q(
                "¿Qué es una hoja de ruta de recuperación?",
                [
                    "Un plan paso a paso de metas y apoyos que elige la persona",
                    "Un mapa de los hospitales de la zona",
                    "Una evaluación de desempeño",
                    "Una lista de reglas que pone el colega",
                ],
                0,
                "La hoja de ruta es el camino propio de la persona: metas pequeñas, personas y apoyos que ella elige.",
            ),
            _q(
                "¿Qué pregunta ayuda a alguien a encontrar sus señales de alerta?",
                [
                    "¿Qué suele pasar justo antes de que las cosas se pongan muy difíciles para usted?",
                    "¿Por qué siempre se siente así?",
                    "¿Ha probado a no preocuparse?",
                    "¿Quiere que decida yo por usted?",
                ],
                0,
                "Las preguntas abiertas y curiosas ayudan a la persona a notar sus propios patrones.",
            ),
            _q(
                "¿Dónde conviene que la persona guarde su plan?",
                [
                    "En un lugar donde lo pueda tener a mano rápido cuando lo necesite",
                    "Solo en las notas del colega",
                    "Con su jefe",
                    "En ningún sitio: los planes se aprenden de memoria",
                ],
                0,
                "Un plan solo ayuda si está a mano en un momento difícil; la persona decide dónde.",
            ),
            _q(
                "La persona quiere añadir contactos profesionales a su plan. ¿Qué le responde?",
                [
                    "Animarla: la atención profesional va junto al apoyo entre colegas",
                    "Desanimarla",
                    "Quitar el apoyo entre colegas del plan",
                    "Decirle que los profesionales no le van a ayudar",
                ],
                0,
                "El apoyo entre colegas complementa la atención profesional, y un buen plan incluye las dos cosas.",
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
            _q(
                "Una conversación le recuerda con dolor su propio pasado. ¿Qué hace?",
                [
                    "Aguantar sin decírselo a nadie",
                    "Pedir ayuda a su supervisor, o devolverla para que la tome otro colega",
                    "Contar toda su historia para sobrellevarlo",
                    "Dejar de contestar sin decir nada",
                ],
                1,
                "Cuidarse también protege a quien escribe; devolver una charla o pedir ayuda es parte del papel.",
            ),
            _q(
                "Quien escribe le pide dinero prestado. ¿Qué hace?",
                [
                    "Prestarle una cantidad pequeña",
                    "Decirle con amabilidad que eso no lo hacen los colegas e indicarle recursos",
                    "Pedir a su equipo que ponga algo",
                    "No hacer caso del mensaje",
                ],
                1,
                "Los límites claros y amables mantienen segura la relación; para las necesidades prácticas están los recursos.",
            ),
            _q(
                "¿Cuántas conversaciones conviene llevar a la vez?",
                [
                    "Todas las que le ofrezcan",
                    "No más de las que pueda atender de verdad, según la capacidad que usted fija",
                    "Siempre el máximo del programa",
                    "Nunca más de una",
                ],
                1,
                "La capacidad la fija usted; importa más la calidad de la atención que el número.",
            ),
            _q(
                "¿Qué le ayuda a recuperar la calma después de una conversación difícil?",
                [
                    "Algo que le reponga, y hablarlo con su supervisor si lo necesita",
                    "Aceptar enseguida la siguiente oferta",
                    "Leer la conversación una y otra vez",
                    "Contarles los detalles a sus amigos",
                ],
                0,
                "Descansar y hablarlo con alguien del programa le mantienen bien; los detalles siguen siendo confidenciales.",
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
            _q(
                "¿Puede escribir la historia de alguien para contársela a sus amigos si quita el nombre?",
                [
                    "Sí, sin el nombre no pasa nada",
                    "No: lo que cuentan quienes escriben se queda dentro del programa",
                    "Solo en redes sociales",
                    "Solo pasada una semana",
                ],
                1,
                "La confidencialidad cubre toda la historia, no solo el nombre; los detalles por sí solos pueden identificar a alguien.",
            ),
            _q(
                "¿Quién más puede ver una conversación, además de usted?",
                [
                    "Cualquiera en la empresa",
                    "El jefe de quien escribe",
                    "Los supervisores del programa, cuando hace falta por seguridad y apoyo",
                    "Nadie, ni siquiera en una crisis",
                ],
                2,
                "Los supervisores apoyan a los colegas e intervienen por seguridad; jefes y compañeros nunca ven las conversaciones.",
            ),
            _q(
                "Quien escribe manda su nombre completo y su departamento. ¿Qué hace?",
                [
                    "Guardarlo por si lo necesita",
                    "No usarlo ni anotarlo, y recordarle con amabilidad que puede seguir en el anonimato",
                    "Buscarle",
                    "Pasárselo al jefe de su supervisor",
                ],
                1,
                "El anonimato es de quien escribe; los colegas nunca actúan con datos que identifiquen.",
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


def shown_draw(module, draw, language: str):
    """A quiz draw (`grading.Draw`) with its prompts and options in `language` where
    `shown` gives the module in it; option ids and order stay as drawn."""
    seen = shown(module, language)
    if seen is module:
        return draw
    by_id = {q.id: seen.questions[i] for i, q in enumerate(module.questions)}
    questions = tuple(
        replace(
            q,
            prompt=by_id[q.question_id].prompt,
            options=tuple(
                replace(o, text=by_id[q.question_id].choices[o.index]) for o in q.options
            ),
        )
        for q in draw.questions
    )
    return replace(draw, questions=questions)
