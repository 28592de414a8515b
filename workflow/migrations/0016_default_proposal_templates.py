"""Default 起案 templates, shipped as data like the authority table: the 文書 section edits them
in the admin (and may add its own). Idempotent: a template of the same name is left alone."""

from django.db import migrations

TEMPLATES = [
    {
        "category": "expenditure",
        "name": "工事の実施（支出）",
        "title_pattern": "〇〇工事の実施について",
        "inquiry": "このことについて、次のとおり実施してよろしいか伺います。",
        "body_skeleton": "1 工事場所\n2 工事期間\n3 予定金額\n4 契約方法",
        "required_attachments": "見積書\n位置図",
        "letter_body": "このことについて、下記のとおり工事を実施しますのでお知らせします。"
        "\nご不便をおかけしますが、ご協力をお願いします。",
    },
    {
        "category": "general",
        "name": "お知らせの発送",
        "title_pattern": "〇〇のお知らせについて",
        "inquiry": "このことについて、別紙のとおり通知してよろしいか伺います。",
        "body_skeleton": "1 通知先\n2 通知内容\n3 発送予定日",
        "required_attachments": "",
        "letter_body": "このことについて、下記のとおりお知らせします。",
    },
    {
        "category": "contract",
        "name": "業務委託契約の締結",
        "title_pattern": "〇〇業務委託契約の締結について",
        "inquiry": "このことについて、次のとおり契約を締結してよろしいか伺います。",
        "body_skeleton": "1 業務名\n2 契約の相手方\n3 契約金額\n4 契約期間",
        "required_attachments": "見積書\n仕様書",
        "letter_body": "",
    },
]


def load(apps, schema_editor):
    Category = apps.get_model("workflow", "Category")
    ProposalTemplate = apps.get_model("workflow", "ProposalTemplate")
    for order, data in enumerate(TEMPLATES):
        category = Category.objects.filter(code=data["category"]).first()
        if category is None or ProposalTemplate.objects.filter(name=data["name"]).exists():
            continue
        fields = {k: v for k, v in data.items() if k != "category"}
        ProposalTemplate.objects.create(category=category, sort_order=order, **fields)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0015_drafting_templates")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
