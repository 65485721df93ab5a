"""Cities, streets, postcodes, phone prefixes and Lumen & Co. stores per country."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    country: str
    name: str
    region: str
    # Postcodes are drawn from [postcode_lo, postcode_hi] (numeric countries) or built
    # from the outward-code prefix (GB).
    postcode_lo: int
    postcode_hi: int
    area_code: str  # national landline prefix without the trunk 0 (or "" for CN/US mobile)
    tz_hours: float
    weight: float
    name_latin: str = ""


CITIES: tuple[City, ...] = (
    City("CN", "上海", "上海市", 200000, 201999, "21", 8, 0.26, "Shanghai"),
    City("CN", "北京", "北京市", 100000, 102999, "10", 8, 0.22, "Beijing"),
    City("CN", "广州", "广东省", 510000, 511499, "20", 8, 0.13, "Guangzhou"),
    City("CN", "深圳", "广东省", 518000, 518199, "755", 8, 0.13, "Shenzhen"),
    City("CN", "杭州", "浙江省", 310000, 311199, "571", 8, 0.1, "Hangzhou"),
    City("CN", "成都", "四川省", 610000, 611199, "28", 8, 0.09, "Chengdu"),
    City("CN", "南京", "江苏省", 210000, 211199, "25", 8, 0.07, "Nanjing"),
    City("DE", "Berlin", "Berlin", 10115, 14199, "30", 1, 0.24),
    City("DE", "Hamburg", "Hamburg", 20095, 22769, "40", 1, 0.15),
    City("DE", "München", "Bayern", 80331, 81929, "89", 1, 0.16, "Muenchen"),
    City("DE", "Köln", "Nordrhein-Westfalen", 50667, 51149, "221", 1, 0.12, "Koeln"),
    City("DE", "Frankfurt am Main", "Hessen", 60306, 60599, "69", 1, 0.1),
    City("DE", "Stuttgart", "Baden-Württemberg", 70173, 70629, "711", 1, 0.09),
    City("DE", "Leipzig", "Sachsen", 4103, 4357, "341", 1, 0.07),
    City("DE", "Dresden", "Sachsen", 1067, 1328, "351", 1, 0.07),
    City("GB", "London", "Greater London", 0, 0, "20", 0, 0.42),
    City("GB", "Manchester", "Greater Manchester", 0, 0, "161", 0, 0.14),
    City("GB", "Birmingham", "West Midlands", 0, 0, "121", 0, 0.13),
    City("GB", "Leeds", "West Yorkshire", 0, 0, "113", 0, 0.1),
    City("GB", "Bristol", "Bristol", 0, 0, "117", 0, 0.08),
    City("GB", "Edinburgh", "Scotland", 0, 0, "131", 0, 0.07),
    City("GB", "Glasgow", "Scotland", 0, 0, "141", 0, 0.06),
    City("US", "New York", "NY", 10001, 10282, "212", -5, 0.3),
    City("US", "Los Angeles", "CA", 90001, 90089, "213", -8, 0.2),
    City("US", "Chicago", "IL", 60601, 60661, "312", -6, 0.14),
    City("US", "Boston", "MA", 2108, 2137, "617", -5, 0.1),
    City("US", "Seattle", "WA", 98101, 98199, "206", -8, 0.1),
    City("US", "San Francisco", "CA", 94102, 94134, "415", -8, 0.1),
    City("US", "Houston", "TX", 77002, 77099, "713", -6, 0.06),
)

GB_OUTWARD: dict[str, tuple[str, ...]] = {
    "London": ("SW1A", "SE1", "N1", "E2", "W11", "NW3", "EC1V", "WC2H", "SW9", "E14"),
    "Manchester": ("M1", "M4", "M14", "M20"),
    "Birmingham": ("B1", "B5", "B15", "B29"),
    "Leeds": ("LS1", "LS6", "LS11"),
    "Bristol": ("BS1", "BS6", "BS8"),
    "Edinburgh": ("EH1", "EH3", "EH10"),
    "Glasgow": ("G1", "G12", "G41"),
}
GB_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

STREETS: dict[str, tuple[str, ...]] = {
    "CN": (
        "世纪大道",
        "南京东路",
        "淮海中路",
        "建国路",
        "长安街",
        "中山路",
        "人民路",
        "解放路",
        "天河路",
        "深南大道",
        "西湖大道",
        "春熙路",
        "文化路",
        "和平路",
    ),
    "DE": (
        "Hauptstraße",
        "Bahnhofstraße",
        "Schillerstraße",
        "Goethestraße",
        "Gartenweg",
        "Lindenallee",
        "Berliner Straße",
        "Kirchgasse",
        "Friedrichstraße",
        "Mozartstraße",
        "Am Markt",
        "Schulstraße",
        "Ringstraße",
        "Waldweg",
    ),
    "GB": (
        "High Street",
        "Station Road",
        "Church Lane",
        "Victoria Road",
        "Park Avenue",
        "Mill Lane",
        "Queens Road",
        "Kings Road",
        "Manor Road",
        "London Road",
        "Green Lane",
        "The Crescent",
    ),
    "US": (
        "Main Street",
        "Oak Street",
        "Maple Avenue",
        "Park Avenue",
        "2nd Street",
        "Elm Street",
        "Washington Avenue",
        "Lake Street",
        "Hill Street",
        "Pine Street",
        "Broadway",
        "Cedar Lane",
    ),
}
CN_DISTRICTS = (
    "浦东新区",
    "朝阳区",
    "天河区",
    "南山区",
    "西湖区",
    "锦江区",
    "鼓楼区",
    "徐汇区",
    "海淀区",
    "福田区",
)
# Abbreviations people type instead of the full street word.
STREET_ABBREVIATIONS = (
    ("straße", "str."),
    ("Straße", "Str."),
    ("Street", "St"),
    ("Road", "Rd"),
    ("Avenue", "Ave"),
    ("Lane", "Ln"),
)


@dataclass(frozen=True)
class Store:
    store_id: str
    name: str
    city: str
    country: str


STORES: tuple[Store, ...] = (
    Store("CN-SH-01", "Lumen 上海 新天地", "上海", "CN"),
    Store("CN-SH-02", "Lumen 上海 静安", "上海", "CN"),
    Store("CN-BJ-01", "Lumen 北京 三里屯", "北京", "CN"),
    Store("CN-GZ-01", "Lumen 广州 天河", "广州", "CN"),
    Store("CN-SZ-01", "Lumen 深圳 万象城", "深圳", "CN"),
    Store("CN-HZ-01", "Lumen 杭州 湖滨", "杭州", "CN"),
    Store("DE-BER-01", "Lumen Berlin Mitte", "Berlin", "DE"),
    Store("DE-HAM-01", "Lumen Hamburg Jungfernstieg", "Hamburg", "DE"),
    Store("DE-MUC-01", "Lumen München Marienplatz", "München", "DE"),
    Store("DE-CGN-01", "Lumen Köln Schildergasse", "Köln", "DE"),
    Store("GB-LON-01", "Lumen London Covent Garden", "London", "GB"),
    Store("GB-LON-02", "Lumen London Shoreditch", "London", "GB"),
    Store("GB-MAN-01", "Lumen Manchester", "Manchester", "GB"),
    Store("US-NYC-01", "Lumen New York SoHo", "New York", "US"),
    Store("US-LA-01", "Lumen Los Angeles Abbot Kinney", "Los Angeles", "US"),
    Store("US-SF-01", "Lumen San Francisco", "San Francisco", "US"),
)
