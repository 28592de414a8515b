"""The default rank table of CONTRACT.md (editable afterwards in the admin)."""

DEFAULT_RANKS: dict[str, int] = {
    "市長": 100,
    "副市長": 90,
    "部長": 70,
    "局長": 70,
    "会計管理者": 70,
    "次長": 60,
    "課長": 50,
    "室長": 50,
    "課長補佐": 45,
    "課長代理": 45,
    "係長": 40,
    "主査": 30,
    "主任": 20,
    "主事": 10,
    "技師": 10,
}
