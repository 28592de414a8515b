"""The authority table of CONTRACT.md ("Approval") as version 1, effective 2000-04-01.

The data is written out here rather than imported, so that this migration keeps loading exactly
what version 1 was even after the defaults change.
"""

import datetime

from django.db import migrations

LEVELS = [
    # code, name, order, unit_level (3 係, 2 課, 1 部/局) or title
    ("kakaricho", "係長", 10, 3, ""),
    ("kacho", "課長", 20, 2, ""),
    ("bucho", "部長", 30, 1, ""),
    ("fukushicho", "副市長", 40, None, "副市長"),
    ("shicho", "市長", 50, None, "市長"),
]

CATEGORIES = [
    ("general", "一般"),
    ("expenditure", "支出"),
    ("contract", "契約"),
    ("bylaw", "例規"),
    ("personnel", "人事"),
    ("disposal", "文書廃棄"),
]

# category, amount_min (inclusive), amount_max (exclusive, None = no bound), final level
AUTHORITY_RULES = [
    ("general", 0, None, "kacho"),
    ("expenditure", 0, 1_000_000, "kacho"),
    ("expenditure", 1_000_000, 10_000_000, "bucho"),
    ("expenditure", 10_000_000, 50_000_000, "fukushicho"),
    ("expenditure", 50_000_000, None, "shicho"),
    ("contract", 0, 5_000_000, "bucho"),
    ("contract", 5_000_000, 50_000_000, "fukushicho"),
    ("contract", 50_000_000, None, "shicho"),
    ("bylaw", 0, None, "shicho"),
    ("personnel", 0, None, "fukushicho"),
    ("disposal", 0, None, "kacho"),
]

# category, amount_min, amount_max, consulted unit (by name)
CONSULTATION_RULES = [
    ("expenditure", 10_000_000, None, "財政課"),
    ("contract", 0, None, "契約検査課"),
    ("bylaw", 0, None, "総務課"),
    ("personnel", 0, None, "人事課"),
    ("disposal", 0, None, "総務課"),
]


def load_defaults(apps, schema_editor):
    ApprovalLevel = apps.get_model("workflow", "ApprovalLevel")
    Category = apps.get_model("workflow", "Category")
    AuthorityRuleSet = apps.get_model("workflow", "AuthorityRuleSet")
    AuthorityRule = apps.get_model("workflow", "AuthorityRule")
    ConsultationRule = apps.get_model("workflow", "ConsultationRule")

    levels = {}
    for code, name, order, unit_level, title in LEVELS:
        levels[code], _ = ApprovalLevel.objects.get_or_create(
            code=code,
            defaults={"name": name, "order": order, "unit_level": unit_level, "title": title},
        )
    categories = {}
    for sort_order, (code, name) in enumerate(CATEGORIES, start=1):
        categories[code], _ = Category.objects.get_or_create(
            code=code, defaults={"name": name, "sort_order": sort_order}
        )
    ruleset, created = AuthorityRuleSet.objects.get_or_create(
        version=1,
        defaults={
            "effective_on": datetime.date(2000, 4, 1),
            "note": "既定値（CONTRACT.md の専決規程）",
        },
    )
    if not created:
        return
    AuthorityRule.objects.bulk_create(
        AuthorityRule(
            ruleset=ruleset,
            category=categories[category],
            amount_min=amount_min,
            amount_max=amount_max,
            final_level=levels[level],
        )
        for category, amount_min, amount_max, level in AUTHORITY_RULES
    )
    ConsultationRule.objects.bulk_create(
        ConsultationRule(
            ruleset=ruleset,
            category=categories[category],
            amount_min=amount_min,
            amount_max=amount_max,
            unit_name=unit_name,
        )
        for category, amount_min, amount_max, unit_name in CONSULTATION_RULES
    )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_authority_rules")]
    operations = [migrations.RunPython(load_defaults, migrations.RunPython.noop)]
