"""The demo city: a fictional city hall modelled on Katano (交野市), about 40 people.

One source of truth for ``seed_demo`` (local accounts) and for ``tests/ldif/demo_city.ldif``
(the same people in a directory, for the LDAP tests): ``demo_snapshot()`` and ``demo_ldif()``.
All people are fictional.
"""

from __future__ import annotations

import base64
import hashlib
import os

from directory.snapshot import DirectorySnapshot, PersonEntry, PostEntry, UnitEntry

DEMO_PASSWORD = "kairan-demo-2026"  # noqa: S105  (documented in the README; demo only)
SUFFIX = "dc=katano,dc=example"
ORG_BASE = f"ou=org,{SUFFIX}"
USER_BASE = f"ou=people,{SUFFIX}"

# (部, [(課, [係, ...]), ...]) in display order. 特別職 holds the mayor and deputy mayor, so that
# neither becomes the "head" of an ordinary 課 by rank.
ORG_CHART: list[tuple[str, list[tuple[str, list[str]]]]] = [
    ("特別職", []),
    (
        "総務部",
        [
            ("総務課", ["総務係", "文書法制係"]),
            ("人事課", ["人事係"]),
            ("財政課", ["財政係"]),
            ("契約検査課", ["契約係"]),
            ("デジタル推進課", ["DX推進係"]),
        ],
    ),
    ("市民部", [("市民課", ["窓口係"]), ("税務課", ["市民税係"])]),
    ("都市まちづくり部", [("都市計画課", ["計画係"]), ("道路河川課", ["道路係"])]),
    ("福祉部", [("高齢介護課", ["介護保険係"])]),
    ("議会事務局", [("議事課", ["議事係"])]),
]

# username, 氏名, unit (ou), title, extra posts (兼務) as (unit, title)
PEOPLE: list[tuple[str, str, str, str, tuple[tuple[str, str], ...]]] = [
    ("yamamoto.hiroyuki", "山本 博之", "特別職", "市長", ()),
    ("nakamura.kazuko", "中村 和子", "特別職", "副市長", ()),
    ("sato.kenichi", "佐藤 健一", "総務部", "部長", ()),
    ("takahashi.makoto", "高橋 誠", "総務課", "課長", ()),
    ("ito.yumi", "伊藤 由美", "総務係", "係長", ()),
    ("watanabe.sho", "渡辺 翔", "総務係", "主事", ()),
    ("kobayashi.akiko", "小林 明子", "文書法制係", "係長", ()),
    ("kato.daiki", "加藤 大樹", "文書法制係", "主任", ()),
    ("yoshida.takeshi", "吉田 武", "人事課", "課長", ()),
    ("yamada.naomi", "山田 直美", "人事係", "係長", ()),
    ("sasaki.ryo", "佐々木 亮", "人事係", "主事", ()),
    ("yamaguchi.satoshi", "山口 聡", "財政課", "課長", ()),
    ("matsumoto.keiko", "松本 恵子", "財政係", "係長", ()),
    ("inoue.takuya", "井上 拓也", "財政係", "主査", ()),
    ("kimura.misaki", "木村 美咲", "財政係", "主事", ()),
    ("hayashi.masaru", "林 勝", "契約検査課", "課長", ()),
    # 契約係 has no 係長: a vacancy the route skips.
    ("shimizu.kana", "清水 佳奈", "契約係", "主任", ()),
    ("yamazaki.yuto", "山崎 悠斗", "契約係", "主事", ()),
    ("mori.hiroshi", "森 浩", "デジタル推進課", "課長", ()),
    ("abe.tomoko", "阿部 智子", "DX推進係", "係長", ()),
    ("ikeda.shun", "池田 駿", "DX推進係", "技師", ()),
    ("hashimoto.osamu", "橋本 修", "市民部", "部長", ()),
    ("ishikawa.junko", "石川 順子", "市民課", "課長", ()),
    # 課長補佐 and, concurrently (兼務), 窓口係長.
    ("maeda.kenta", "前田 健太", "市民課", "課長補佐", (("窓口係", "係長"),)),
    ("fujita.ayaka", "藤田 彩花", "窓口係", "主事", ()),
    ("ogawa.yuki", "小川 由紀", "窓口係", "主事", ()),
    ("okada.minoru", "岡田 稔", "税務課", "課長", ()),
    ("goto.emi", "後藤 恵美", "市民税係", "係長", ()),
    ("hasegawa.kohei", "長谷川 浩平", "市民税係", "主事", ()),
    ("murakami.tetsuya", "村上 哲也", "都市まちづくり部", "部長", ()),
    ("kondo.shinji", "近藤 真司", "都市計画課", "課長", ()),
    ("ishii.mayumi", "石井 真由美", "計画係", "係長", ()),
    ("sakamoto.yuta", "坂本 雄太", "計画係", "技師", ()),
    ("endo.kazuya", "遠藤 和也", "道路河川課", "課長", ()),
    ("aoki.haruka", "青木 遥", "道路係", "係長", ()),
    ("fujii.taro", "藤井 太郎", "道路係", "技師", ()),
    ("nishimura.yoko", "西村 洋子", "福祉部", "部長", ()),
    ("fukuda.akira", "福田 晃", "高齢介護課", "課長", ()),
    ("ota.sachiko", "太田 幸子", "介護保険係", "係長", ()),
    ("miura.kenji", "三浦 健二", "介護保険係", "主事", ()),
    ("fujiwara.isamu", "藤原 勇", "議会事務局", "局長", ()),
    ("okamoto.rie", "岡本 理恵", "議事課", "課長", ()),
    ("matsuda.kazuki", "松田 和樹", "議事係", "係長", ()),
    ("nakagawa.mai", "中川 舞", "議事係", "主事", ()),
]

ADMIN_USERNAME = "admin"  # break-glass administrator, a local account
AUDITOR_USERNAME = "kobayashi.akiko"  # 文書法制係長 doubles as the demo auditor


def _units() -> list[UnitEntry]:
    units: list[UnitEntry] = []
    for i, (bu, kas) in enumerate(ORG_CHART):
        bu_dn = f"ou={bu},{ORG_BASE}"
        units.append(UnitEntry(dn=bu_dn, name=bu, parent_dn=None, sort_order=i))
        for j, (ka, kakaris) in enumerate(kas):
            ka_dn = f"ou={ka},{bu_dn}"
            units.append(UnitEntry(dn=ka_dn, name=ka, parent_dn=bu_dn, sort_order=j))
            for k, kakari in enumerate(kakaris):
                units.append(
                    UnitEntry(dn=f"ou={kakari},{ka_dn}", name=kakari, parent_dn=ka_dn, sort_order=k)
                )
    return units


def demo_snapshot() -> DirectorySnapshot:
    people = [
        PersonEntry(
            dn=f"uid={username},{USER_BASE}",
            username=username,
            display_name=name,
            email=f"{username}@city.katano.example",
            employee_number=f"{10001 + i}",
            posts=(PostEntry(unit, title), *(PostEntry(u, t) for u, t in extra)),
        )
        for i, (username, name, unit, title, extra) in enumerate(PEOPLE)
    ]
    return DirectorySnapshot(units=_units(), people=people)


def _ssha(password: str, salt: bytes) -> str:
    # OpenLDAP's {SSHA}: SHA-1 over password+salt, then the salt appended. SHA-1 only because
    # it is the scheme slapd understands without extra modules; this is test/demo data.
    digest = hashlib.sha1(password.encode() + salt).digest()  # noqa: S324
    return "{SSHA}" + base64.b64encode(digest + salt).decode()


def _ldif_value(attr: str, value: str) -> str:
    if value.isascii():
        return f"{attr}: {value}"
    return f"{attr}:: {base64.b64encode(value.encode()).decode()}"


def demo_ldif(*, salt: bytes | None = None) -> str:
    """The demo city as LDIF: nested org OUs and a flat people subtree (departmentNumber)."""
    salt = salt if salt is not None else os.urandom(4)
    blocks = [
        "\n".join(
            [
                f"dn: {SUFFIX}",
                "objectClass: dcObject",
                "objectClass: organization",
                "dc: katano",
                "o: Katano City (demo)",
            ]
        ),
        "\n".join([f"dn: {ORG_BASE}", "objectClass: organizationalUnit", "ou: org"]),
        "\n".join([f"dn: {USER_BASE}", "objectClass: organizationalUnit", "ou: people"]),
    ]
    for unit in _units():
        blocks.append(
            "\n".join(
                [
                    f"# {unit.name}",
                    _ldif_value("dn", unit.dn),
                    "objectClass: organizationalUnit",
                    _ldif_value("ou", unit.name),
                ]
            )
        )
    for person in demo_snapshot().people:
        family, given = person.display_name.split(" ", 1)
        lines = [
            f"# {person.display_name}",
            f"dn: {person.dn}",
            "objectClass: inetOrgPerson",
            f"uid: {person.username}",
            _ldif_value("cn", person.display_name),
            _ldif_value("sn", family),
            _ldif_value("givenName", given),
            _ldif_value("displayName", person.display_name),
            f"mail: {person.email}",
            f"employeeNumber: {person.employee_number}",
            *(_ldif_value("departmentNumber", post.unit) for post in person.posts),
            *(_ldif_value("title", post.title) for post in person.posts),
            f"userPassword: {_ssha(DEMO_PASSWORD, salt)}",
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


if __name__ == "__main__":  # python -m directory.demo > tests/ldif/demo_city.ldif
    print(demo_ldif(salt=b"demo"), end="")


AUDITORS_GROUP = "監査担当"
# The DX推進委員会 (workflow.dx.models.DEFAULT_COMMITTEE_GROUP_NAME): chaired by the 副市長, with
# the 部長 of 総務部, 市民部 and 福祉部, so a demo action plan can be approved end to end.
DX_COMMITTEE_GROUP = "DX推進委員会"
DX_COMMITTEE_USERNAMES = ("nakamura.kazuko", "sato.kenichi", "hashimoto.osamu", "nishimura.yoko")


def seed_demo_city(*, progress=None):
    """Load the demo city as local accounts (idempotent); returns the sync summary.

    Uses the same service as a directory sync, then adds the break-glass administrator and the
    auditors group. Passwords are set only when an account is created.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction

    from audit.services import record
    from directory.models import Person, Source
    from directory.services import directory_apply_snapshot

    snapshot = demo_snapshot()
    with transaction.atomic():
        summary = directory_apply_snapshot(
            snapshot=snapshot,
            source=Source.LOCAL,
            progress=progress,
            passwords={p.username: DEMO_PASSWORD for p in snapshot.people},
        )
        user_model = get_user_model()
        admin, created = user_model.objects.get_or_create(
            username=ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_PASSWORD)
            admin.save(update_fields=["password"])
            Person.objects.create(
                user=admin,
                display_name="システム管理者",
                kind=Person.Kind.ADMIN,
                source=Source.LOCAL,
            )
            record(action="directory.admin_created", target=admin, details={"demo": True})
        group, group_created = Group.objects.get_or_create(name=AUDITORS_GROUP)
        if group_created:
            group.permissions.add(
                Permission.objects.get(codename="view_auditevent", content_type__app_label="audit")
            )
            record(action="directory.group_created", target=group, details={"demo": True})
        auditor = user_model.objects.get(username=AUDITOR_USERNAME)
        if not auditor.groups.filter(pk=group.pk).exists():
            auditor.groups.add(group)
            record(
                action="directory.group_member_added",
                target=group,
                details={"username": AUDITOR_USERNAME},
            )
        _seed_group_members(user_model, DX_COMMITTEE_GROUP, DX_COMMITTEE_USERNAMES)
    return summary


def _seed_group_members(user_model, name: str, usernames: tuple[str, ...]) -> None:
    """The group and its members (idempotent: only what is missing is added and audited)."""
    from django.contrib.auth.models import Group

    from audit.services import record

    group, created = Group.objects.get_or_create(name=name)
    if created:
        record(action="directory.group_created", target=group, details={"demo": True})
    for user in user_model.objects.filter(username__in=usernames).exclude(groups=group):
        user.groups.add(group)
        record(
            action="directory.group_member_added",
            target=group,
            details={"username": user.get_username()},
        )
