"""HR insights: anonymous aggregates of a program over whole weeks, safe to show an employer.

Pure functions over (session, program id, period): `periods` resolves what the
admin asked for into whole local weeks; `cells` holds the one suppression rule;
`dashboard` counts; `charts` draws them as SVG; `export` writes them as CSV;
`own` is a peer's own figures, suppressed the same way.

May import: models, matching (the certification rule), hours, the standard library.
"""
