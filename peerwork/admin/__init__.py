"""HR admin: program setup, topics, peers, training authoring, reports, audit."""
