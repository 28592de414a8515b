"""A seeded generator of realistic Japanese administrative text (tests and bench/bench_search.py).

Sentences mix kanji, kana, full- and half-width forms, numbers and punctuation, with words of
very different frequencies, so that a benchmark finds terms in about 16% of documents and terms
in under 1% of them.
"""

from __future__ import annotations

import random
from itertools import accumulate

# Frequent words (drawn often) and a long tail (drawn rarely).
COMMON = [
    "予算",
    "市民",
    "事業",
    "計画",
    "実施",
    "令和",
    "年度",
    "補助金",
    "施設",
    "整備",
    "検討",
    "報告",
    "職員",
    "申請",
    "契約",
    "管理",
    "地域",
    "支援",
    "確認",
    "対象",
]
TAIL = [
    "棚田",
    "補正予算",
    "会計年度任用職員",
    "固定資産税",
    "下水道",
    "保育所",
    "図書館",
    "避難所",
    "防災訓練",
    "公民館",
    "道路改良",
    "河川",
    "農業委員会",
    "子育て支援",
    "介護保険",
    "国民健康保険",
    "住民票",
    "印鑑登録",
    "ふるさと納税",
    "空き家対策",
    "ごみ収集",
    "水道料金",
    "給食センター",
    "消防団",
    "指定管理者",
    "入札",
    "随意契約",
    "債務負担行為",
    "繰越明許費",
    "監査委員",
    "情報公開",
    "個人情報",
    "選挙管理委員会",
    "都市計画",
    "景観条例",
    "公園",
    "体育館",
    "観光",
    "商工会",
    "シルバー人材センター",
    "ＤＸ推進",
    "ＩＣＴ",
    "ｶﾀｶﾅ表記",
    "ｺﾝﾋﾞﾆ交付",
    "マイナンバー",
    "ＡＢＣ株式会社",
    "Wi-Fi",
    "ＬＥＤ照明",
    "パブリックコメント",
    "ワークショップ",
]
# Place names (地区): 28 × 24 two-kanji names, each in well under 1% of the documents.
PLACE_FIRST = "東西南北上下中大小新本高長田山川森林松竹梅桜石岩金銀"
PLACE_SECOND = "町村山川原田野沢谷島浜崎坂台丘岡里宮池橋井瀬戸尾"
PLACES = [a + b for a in PLACE_FIRST for b in PLACE_SECOND if a != b]
UNITS = ["総務課", "財政課", "市民課", "契約検査課", "農林課", "建設課", "福祉課", "教育総務課"]
VERBS = ["実施する", "検討した", "報告します", "確認された", "整備を進める", "見直す", "承認する"]
TEMPLATES = [
    "{a}の{b}について、{u}において{v}。",
    "令和{n}年度{a}（{b}）に係る{c}を{v}。",
    "{u}は、{a}及び{b}の{c}を{v}ものとする。",
    "第{m}号　{a}に関する{b}の件",
    "{a}、{b}、{c}等の{d}について{v}。",
    "{a}（{b}）の見直しに伴い、{c}を{v}。",
    "本件は{a}に関する{b}であり、{c}の観点から{v}。",
    "{a}に{n}千円を計上し、{b}を{v}。",
    "{p}地区の{a}について、{u}において{v}。",
]
ZENKAKU_DIGITS = str.maketrans("0123456789", "０１２３４５６７８９")
# Zipf-like: the first common words are much more frequent than the last.
COMMON_WEIGHTS = list(accumulate(1 / (i + 1) for i in range(len(COMMON))))


class JapaneseText:
    """Deterministic for a seed: the same seed gives the same titles and texts."""

    def __init__(self, seed: int = 1, tail_share: float = 0.12) -> None:
        self.rng = random.Random(seed)
        self.tail_share = tail_share

    def word(self) -> str:
        rng = self.rng
        if rng.random() < self.tail_share:
            return rng.choice(TAIL)
        return rng.choices(COMMON, cum_weights=COMMON_WEIGHTS)[0]

    def sentence(self) -> str:
        rng = self.rng
        number = str(rng.randint(1, 9999))
        if rng.random() < 0.3:
            number = number.translate(ZENKAKU_DIGITS)
        return rng.choice(TEMPLATES).format(
            a=self.word(),
            b=self.word(),
            c=self.word(),
            d=self.word(),
            u=rng.choice(UNITS),
            v=rng.choice(VERBS),
            n=rng.randint(1, 7),
            m=number,
            p=rng.choice(PLACES),
        )

    def title(self) -> str:
        return f"{self.word()}{self.rng.choice(['について', 'に関する起案', 'の報告', '（案）'])}"

    def text(self, min_chars: int = 200, max_chars: int = 400) -> str:
        """Sentences until at least ``min_chars``, cut at ``max_chars``; sometimes line breaks."""
        target = self.rng.randint(min_chars, max_chars)
        parts: list[str] = []
        size = 0
        for _ in range(1000):  # bounded: a sentence is at least 10 characters
            if size >= target:
                break
            sep = "\n" if self.rng.random() < 0.1 else ("　" if self.rng.random() < 0.1 else "")
            piece = self.sentence() + sep
            parts.append(piece)
            size += len(piece)
        return "".join(parts)[:max_chars]
