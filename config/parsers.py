"""The API's JSON parser: JSON nested deeper than Python's stack is bad input (400), not a crash.

``json`` raises RecursionError for arrays or objects nested about a thousand deep (a 200 KB
body of ``[`` does it); DRF's parser only turns ValueError into a ParseError.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError


class JSONParser(parsers.JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("The JSON of the request is nested too deeply.")) from None
