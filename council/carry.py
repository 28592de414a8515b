"""差し替え: which pages changed, and where each councilor's annotations go in the new version.

A page is *unchanged* when the page of the same number has the same text and (for pages with
the same text) the same small rendering. An annotation goes to the new page with the same text;
else to the page whose text is most similar (bigram Dice ≥ 0.5, the nearest on ties); a page
without text (a scan) keeps its number only when the image is the same. Otherwise it is kept,
unplaced, on the new version — nothing a councilor wrote is ever dropped.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from council import annotations as annotation_rules
from council.models import Annotation, MaterialPage, MaterialVersion
from documents.rendering import render_pages

SIMILARITY_MIN = 0.5
_DIGEST_SIZE = (120, 170)  # small: enough to see a changed drawing, cheap to render


@dataclass
class CarryResult:
    changed_pages: list[int] = field(default_factory=list)
    carried: int = 0
    unplaced: int = 0


def _bigrams(text: str) -> set[str]:
    compact = "".join(text.split())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


def similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams (1.0 for equal texts)."""
    if a == b:
        return 1.0
    x, y = _bigrams(a), _bigrams(b)
    if not x or not y:
        return 0.0
    return 2 * len(x & y) / (len(x) + len(y))


def _image_digests(pdf: bytes, numbers: list[int]) -> dict[int, str]:
    if not numbers:
        return {}
    width, height = _DIGEST_SIZE
    return {
        number: hashlib.sha256(image).hexdigest()
        for number, image in render_pages(
            pdf, numbers, max_width_px=width, max_height_px=height, fmt="png"
        )
    }


def compare_and_carry(
    *, old: MaterialVersion, new: MaterialVersion, old_pdf: bytes, new_pdf: bytes
) -> CarryResult:
    old_pages = {p.number: p for p in MaterialPage.objects.filter(version=old)}
    new_pages = {p.number: p for p in MaterialPage.objects.filter(version=new)}
    same_text = [
        n
        for n, page in new_pages.items()
        if n in old_pages and old_pages[n].text_digest == page.text_digest
    ]
    old_images = _image_digests(old_pdf, same_text)
    new_images = _image_digests(new_pdf, same_text)
    unchanged = {n for n in same_text if old_images.get(n) == new_images.get(n)}
    result = CarryResult(changed_pages=sorted(set(new_pages) - unchanged))
    for number in unchanged:
        MaterialPage.objects.filter(pk=new_pages[number].pk).update(image_digest=new_images[number])

    def target(old_number: int) -> int | None:
        if old_number in unchanged:
            return old_number
        source = old_pages.get(old_number)
        if source is None or not source.text:
            return None
        best, best_score = None, SIMILARITY_MIN
        for number, page in sorted(new_pages.items(), key=lambda kv: abs(kv[0] - old_number)):
            score = similarity(source.text, page.text)
            if score > best_score or (score == 1.0 and best_score < 1.0):
                best, best_score = number, score
            if score == 1.0:
                break
        return best

    placed: dict[tuple[int, int], Annotation] = {}
    for annotation in Annotation.objects.filter(version=old).order_by("pk"):
        page = target(annotation.page) if annotation.page is not None else None
        if page is None:
            Annotation.objects.create(
                owner_id=annotation.owner_id,
                material_id=annotation.material_id,
                version=new,
                page=None,
                original_page=annotation.original_page or annotation.page,
                data=annotation.data,
                is_unplaced=True,
                carried_from=annotation,
                client_updated_at=annotation.client_updated_at,
            )
            result.unplaced += 1
            continue
        key = (annotation.owner_id, page)
        if key in placed:
            existing = placed[key]
            existing.data = annotation_rules.merge(existing.data, annotation.data)
            existing.save(update_fields=["data", "updated_at"])
        else:
            placed[key] = Annotation.objects.create(
                owner_id=annotation.owner_id,
                material_id=annotation.material_id,
                version=new,
                page=page,
                original_page=annotation.page,
                data=annotation.data,
                carried_from=annotation,
                client_updated_at=annotation.client_updated_at,
            )
        result.carried += 1
    return result
