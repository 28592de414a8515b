"""The 施行文書 filled into the city's own Word template (様式) with docxtpl.

A template is an ordinary .docx in which the city writes these placeholders where they belong
(docxtpl joins the runs Word splits a ``{{ … }}`` into, which plain python-docx cannot):

| placeholder | value |
|---|---|
| ``{{ number }}`` | 文書番号, e.g. 交市第12号 |
| ``{{ date }}`` | 施行日 in 和暦, e.g. 令和8年12月6日 |
| ``{{ addressee }}`` | the addressee with the honorific (様 unless one was typed) |
| ``{{ sender }}`` | 交野市長　氏名 |
| ``{{ seal }}`` | （公印省略）, or empty when the seal is to be pressed |
| ``{{ subject }}`` | the subject (the proposal's title) |
| ``{{ body }}`` | the letter's body, line breaks kept (not the internal 伺い文) |
| ``{{ city }}`` | the city's name |

Pure: bytes in, bytes out. Without a template the built-in layout (``issue_letter``) is used.
"""

from __future__ import annotations

import io

from directory.calendar import wareki
from workflow.proposals.rendering.issue_letter import addressee_line
from workflow.proposals.rendering.types import IssueLetter

PLACEHOLDERS = ("number", "date", "addressee", "sender", "seal", "subject", "body", "city")


class LetterTemplateError(ValueError):
    """The uploaded file is not a usable .docx template."""


def letter_context(letter: IssueLetter) -> dict[str, object]:
    from docxtpl import Listing

    return {
        "number": letter.document_number,
        "date": wareki(letter.issued_on),
        "addressee": addressee_line(letter),
        "sender": f"{letter.sender_title}　{letter.mayor_name}",
        "seal": "（公印省略）" if letter.seal == "omitted" else "",
        "subject": letter.subject,
        "body": Listing(letter.body.replace("\r\n", "\n")),
        "city": letter.city_name,
    }


def render_letter_from_template(letter: IssueLetter, template: bytes) -> bytes:
    """Fill ``template`` (.docx bytes) with ``letter``; LetterTemplateError if it cannot be."""
    from docxtpl import DocxTemplate

    try:
        document = DocxTemplate(io.BytesIO(template))
        document.render(letter_context(letter), autoescape=True)
        out = io.BytesIO()
        document.save(out)
    except Exception as exc:  # a broken .docx or template syntax: one clear error
        raise LetterTemplateError(str(exc)) from exc
    return out.getvalue()


def check_letter_template(template: bytes) -> set[str]:
    """The placeholders a template uses (raises LetterTemplateError when unusable): the admin
    refuses a file that is not a .docx or names none of ``PLACEHOLDERS``."""
    from docxtpl import DocxTemplate

    try:
        found = DocxTemplate(io.BytesIO(template)).get_undeclared_template_variables()
    except Exception as exc:
        raise LetterTemplateError(str(exc)) from exc
    return set(found) & set(PLACEHOLDERS)
