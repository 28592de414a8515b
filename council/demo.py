"""The demo city's council (交野市議会 as a fiction): 15 councilors — 議長, 副議長 and members of
three standing committees — with the demo password. Loaded by ``seed_demo``; idempotent.
All people are fictional.
"""

from __future__ import annotations

from council.models import Councilor

COMMITTEES = ("総務文教常任委員会", "福祉環境常任委員会", "都市建設常任委員会")
SOMU, FUKUSHI, TOSHI = COMMITTEES

# username, 氏名, role, committees
COUNCILORS: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("giin.ishikawa", "石川 正人", Councilor.Role.CHAIR, ()),
    ("giin.morita", "森田 恵美", Councilor.Role.VICE_CHAIR, (FUKUSHI,)),
    ("giin.aoki", "青木 誠一", Councilor.Role.MEMBER, (SOMU,)),
    ("giin.endo", "遠藤 美和", Councilor.Role.MEMBER, (SOMU,)),
    ("giin.hasegawa", "長谷川 修", Councilor.Role.MEMBER, (SOMU,)),
    ("giin.ikeda", "池田 陽子", Councilor.Role.MEMBER, (SOMU,)),
    ("giin.kondo", "近藤 隆", Councilor.Role.MEMBER, (SOMU,)),
    ("giin.murakami", "村上 直樹", Councilor.Role.MEMBER, (FUKUSHI,)),
    ("giin.nomura", "野村 智子", Councilor.Role.MEMBER, (FUKUSHI,)),
    ("giin.ogawa", "小川 浩", Councilor.Role.MEMBER, (FUKUSHI,)),
    ("giin.sakamoto", "坂本 由紀", Councilor.Role.MEMBER, (FUKUSHI,)),
    ("giin.takeuchi", "竹内 信也", Councilor.Role.MEMBER, (TOSHI,)),
    ("giin.ueda", "上田 明美", Councilor.Role.MEMBER, (TOSHI,)),
    ("giin.wada", "和田 健太郎", Councilor.Role.MEMBER, (TOSHI,)),
    ("giin.yano", "矢野 千尋", Councilor.Role.MEMBER, (TOSHI,)),
]


def seed_demo_councilors(*, password: str) -> int:
    """Create the demo councilors that do not exist yet; returns how many were created.

    Like the rest of the demo, a password is set only when the account is created.
    """
    from django.contrib.auth import get_user_model

    from council.services import councilor_upsert

    existing = set(
        get_user_model()
        .objects.filter(username__in=[c[0] for c in COUNCILORS])
        .values_list("username", flat=True)
    )
    created = 0
    for username, name, role, committees in COUNCILORS:
        _councilor, was_created = councilor_upsert(
            username=username,
            name=name,
            password=None if username in existing else password,
            committees=list(committees),
            role=role,
        )
        created += int(was_created)
    return created
