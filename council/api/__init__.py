"""REST API of the council module under /api/v1/council/ (CONTRACT.md "Council"):
``views`` (meetings, materials, pages, annotations, presenter), ``sessions`` (sessions, meeting
edits and the agenda), ``shapes`` (the answers and their schema serializers)."""
