"""A synthetic city directory as LDIF: 10 部, 80 課, ~250 係 and N people (default 3000).

Deterministic for a seed. The flat OpenLDAP layout of CONTRACT.md: the org chart under
``ou=org`` and people under ``ou=people`` naming their unit by ``departmentNumber``; about 5% hold
a concurrent post (兼務). All names are made up from short lists.

    python bench/gen_directory.py --people 3000 --seed 1 > city.ldif
"""

from __future__ import annotations

import argparse
import base64
import random
from dataclasses import dataclass, field

SUFFIX = "dc=katano,dc=example"
ORG_BASE = f"ou=org,{SUFFIX}"
USER_BASE = f"ou=people,{SUFFIX}"
# Every synthetic person's password, stored plain (slapd compares it as given): test data only.
PASSWORD = "bench-pass-1"  # noqa: S105

# 部: its 課 (a 部 may take several lines; the order is the city's order).
ORG_CHART = """
総務部: 総務課 人事課 財政課 契約検査課
総務部: 秘書広報課 危機管理課 情報政策課 管財課
企画部: 企画調整課 政策推進課 地域振興課 市民協働課
企画部: 行政改革課 統計課 国際交流課 広域連携課
市民部: 市民課 税務課 収納課 保険年金課
市民部: 人権推進課 生活安全課 市民相談課 文化振興課
健康福祉部: 福祉総務課 障がい福祉課 高齢介護課 健康増進課
健康福祉部: 生活支援課 地域包括ケア課 医療保険課 保健予防課
こども未来部: こども政策課 子育て支援課 保育幼稚園課 家庭児童相談課
こども未来部: 青少年育成課 児童手当課 母子保健課 こども施設課
環境部: 環境政策課 環境衛生課 廃棄物対策課 公園緑地課
環境部: 温暖化対策課 清掃事業課 資源循環課 環境保全課
都市整備部: 都市計画課 建築指導課 道路河川課 住宅政策課
都市整備部: 開発指導課 交通政策課 用地課 土木管理課
上下水道部: 水道総務課 給水課 浄水課 下水道課
上下水道部: 料金課 工務課 施設管理課 経営企画課
教育部: 教育総務課 学校教育課 社会教育課 生涯学習課
教育部: 文化財課 学校施設課 学務課 図書館課
産業振興部: 商工観光課 農業振興課 雇用対策課 観光振興課
産業振興部: 企業誘致課 消費生活課 産業政策課 農林課
"""


def _departments() -> list[tuple[str, list[str]]]:
    departments: dict[str, list[str]] = {}
    for line in ORG_CHART.strip().splitlines():
        bu, _sep, kas = line.partition(":")
        departments.setdefault(bu.strip(), []).extend(kas.split())
    return list(departments.items())


SECTION_SUFFIXES = ["総務", "企画", "管理", "業務", "事業", "調整", "審査", "推進"]

FAMILY = [
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
]  # fmt: skip
GIVEN = [
    ("太郎", "taro"), ("健一", "kenichi"), ("誠", "makoto"), ("大輔", "daisuke"),
    ("翔太", "shota"), ("花子", "hanako"), ("陽子", "yoko"), ("美咲", "misaki"),
    ("直樹", "naoki"), ("恵子", "keiko"), ("裕子", "yuko"), ("拓也", "takuya"),
    ("愛", "ai"), ("亮", "ryo"), ("由美", "yumi"), ("和也", "kazuya"),
    ("智子", "tomoko"), ("隆", "takashi"), ("真由美", "mayumi"), ("健太", "kenta"),
    ("彩", "aya"), ("悠斗", "yuto"), ("明美", "akemi"), ("浩", "hiroshi"),
    ("舞", "mai"), ("翼", "tsubasa"), ("優子", "yuko"), ("学", "manabu"),
    ("沙織", "saori"), ("修", "osamu"),
]  # fmt: skip
# The rank-and-file of a 係 (after its 係長), with weights.
STAFF_TITLES = [("主査", 15), ("主任", 25), ("主事", 45), ("技師", 10), ("会計年度任用職員", 5)]


@dataclass
class Unit:
    dn: str
    name: str
    level: int
    children: list[Unit] = field(default_factory=list)


@dataclass
class Person:
    uid: str
    family: str
    given: str
    number: int
    posts: list[tuple[str, str]]  # (unit name, title); the first is primary

    @property
    def dn(self) -> str:
        return f"uid={self.uid},{USER_BASE}"

    @property
    def name(self) -> str:
        return f"{self.family} {self.given}"


@dataclass
class City:
    units: list[Unit]  # parents before children
    people: list[Person]


def build_city(*, people: int = 3000, seed: int = 1) -> City:
    """The org chart and ``people`` people; the same seed always gives the same city."""
    rng = random.Random(seed)
    units: list[Unit] = []
    sections: list[Unit] = []
    for bu_name, ka_names in _departments():
        bu = Unit(f"ou={bu_name},{ORG_BASE}", bu_name, 1)
        units.append(bu)
        for ka_name in ka_names:
            ka = Unit(f"ou={ka_name},{bu.dn}", ka_name, 2)
            bu.children.append(ka)
            units.append(ka)
            stem = ka_name.removesuffix("課")
            for suffix in rng.sample(SECTION_SUFFIXES, rng.choice([2, 3, 3, 3, 4, 4])):
                kakari = Unit(f"ou={stem}{suffix}係,{ka.dn}", f"{stem}{suffix}係", 3)
                ka.children.append(kakari)
                units.append(kakari)
                sections.append(kakari)
    # 市長 and two 副市長 sit in 秘書広報課; they are found by title wherever they sit.
    titled = [("秘書広報課", "市長"), ("秘書広報課", "副市長"), ("秘書広報課", "副市長")]
    for bu in (u for u in units if u.level == 1):
        titled += [(bu.name, "部長"), (bu.name, "次長")]
    for ka in (u for u in units if u.level == 2):
        titled.append((ka.name, "課長"))
        if rng.random() < 0.5:
            titled.append((ka.name, "課長補佐"))
    titled += [(kakari.name, "係長") for kakari in sections]
    names, weights = zip(*STAFF_TITLES, strict=True)
    while len(titled) < people:
        titled.append((rng.choice(sections).name, rng.choices(names, weights)[0]))
    result: list[Person] = []
    taken: set[str] = set()
    for number, (unit, title) in enumerate(titled[:people], start=1):
        family, family_r = rng.choice(FAMILY)
        given, given_r = rng.choice(GIVEN)
        uid, n = f"{given_r}.{family_r}", 1
        while uid in taken:
            n += 1
            uid = f"{given_r}.{family_r}{n}"
        taken.add(uid)
        posts = [(unit, title)]
        if rng.random() < 0.05:  # 兼務 in another 係, same title
            posts.append((rng.choice(sections).name, title))
        result.append(Person(uid, family, given, 100000 + number, posts))
    return City(units=units, people=result)


def _value(attr: str, value: str) -> str:
    return (
        f"{attr}: {value}"
        if value.isascii()
        else f"{attr}:: {base64.b64encode(value.encode()).decode()}"
    )


def person_ldif(person: Person) -> str:
    lines = [
        _value("dn", person.dn),
        "objectClass: inetOrgPerson",
        f"uid: {person.uid}",
        _value("cn", person.name),
        _value("sn", person.family),
        _value("givenName", person.given),
        _value("displayName", person.name),
        f"mail: {person.uid}@city.katano.example",
        f"employeeNumber: {person.number}",
        *(_value("departmentNumber", unit) for unit, _title in person.posts),
        # LDAP values are a set: a 兼務 with the primary title lists it once (and reuses it).
        *(_value("title", title) for title in dict.fromkeys(t for _u, t in person.posts)),
        f"userPassword: {PASSWORD}",
    ]
    return "\n".join(lines)


def to_ldif(city: City) -> str:
    blocks = [
        f"dn: {ORG_BASE}\nobjectClass: organizationalUnit\nou: org",
        f"dn: {USER_BASE}\nobjectClass: organizationalUnit\nou: people",
        *(
            f"{_value('dn', u.dn)}\nobjectClass: organizationalUnit\n{_value('ou', u.name)}"
            for u in city.units
        ),
        *(person_ldif(p) for p in city.people),
    ]
    return "\n\n".join(blocks) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    print(to_ldif(build_city(people=args.people, seed=args.seed)), end="")


if __name__ == "__main__":
    main()
