"""Lumen & Co.'s catalogue: a few hundred home and apparel products, and taste clusters.

A taste cluster is a set of category preferences. People browse and buy mostly
inside their cluster, so co-views and co-purchases carry a signal a recommender can
learn, and popularity follows a Zipf curve so a few products are bestsellers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

# (code, name, base price range in EUR, nouns, zh name)
CATEGORIES: tuple[tuple[str, str, tuple[float, float], tuple[str, ...], str], ...] = (
    (
        "BED",
        "Bedding",
        (29, 189),
        ("Duvet Cover", "Pillowcase Set", "Throw", "Fitted Sheet", "Quilt"),
        "床品",
    ),
    (
        "KIT",
        "Kitchen",
        (9, 149),
        ("Chef's Knife", "Dutch Oven", "Mug Set", "Cutting Board", "Teapot", "Bowl Set"),
        "厨房",
    ),
    (
        "LGT",
        "Lighting",
        (25, 249),
        ("Table Lamp", "Pendant Light", "Floor Lamp", "Candle Holder"),
        "灯具",
    ),
    (
        "DEC",
        "Decor",
        (12, 129),
        ("Vase", "Cushion", "Wall Mirror", "Rug", "Picture Frame"),
        "家居装饰",
    ),
    ("BTH", "Bath", (8, 89), ("Towel Set", "Bath Mat", "Robe", "Soap Dish"), "卫浴"),
    (
        "FUR",
        "Furniture",
        (79, 899),
        ("Side Table", "Lounge Chair", "Bookshelf", "Stool", "Sideboard"),
        "家具",
    ),
    (
        "WMN",
        "Womenswear",
        (19, 179),
        ("Linen Dress", "Silk Blouse", "Wide Trousers", "Midi Skirt"),
        "女装",
    ),
    ("MEN", "Menswear", (19, 169), ("Oxford Shirt", "Chinos", "Polo Shirt", "Overshirt"), "男装"),
    (
        "KNT",
        "Knitwear",
        (39, 199),
        ("Merino Jumper", "Cashmere Scarf", "Cardigan", "Beanie"),
        "针织",
    ),
    ("SHO", "Shoes", (49, 229), ("Leather Sneaker", "Chelsea Boot", "Loafer", "Slipper"), "鞋履"),
    ("ACC", "Accessories", (9, 139), ("Tote Bag", "Leather Belt", "Wallet", "Sunglasses"), "配饰"),
    (
        "OUT",
        "Outerwear",
        (89, 399),
        ("Wool Coat", "Rain Jacket", "Down Parka", "Trench Coat"),
        "外套",
    ),
)
MATERIALS = (
    "Linen",
    "Oak",
    "Stoneware",
    "Organic Cotton",
    "Walnut",
    "Merino",
    "Recycled",
    "Rattan",
    "Brass",
    "Ceramic",
    "Velvet",
    "Wool",
    "Bamboo",
    "Leather",
)

# Taste clusters: category code -> preference weight (others get 0.15).
CLUSTERS: tuple[tuple[str, dict[str, float]], ...] = (
    ("cosy home", {"BED": 3, "DEC": 2.5, "LGT": 2, "KNT": 1.5}),
    ("kitchen & dining", {"KIT": 4, "BTH": 1.5, "DEC": 1.5}),
    ("minimalist fashion", {"WMN": 3, "ACC": 2.5, "SHO": 2}),
    ("outdoor & menswear", {"OUT": 3, "SHO": 2, "MEN": 3}),
    ("design furniture", {"FUR": 4, "LGT": 2.5, "DEC": 1.5}),
    ("family basics", {"BTH": 2.5, "BED": 2, "MEN": 1.5, "WMN": 1.5, "KIT": 1.5}),
)
# Price in the local currency = EUR price x rate, rounded the way each market prices.
CURRENCY_RATES = {"EUR": 1.0, "CNY": 7.8, "GBP": 0.86, "USD": 1.08}


@dataclass(frozen=True)
class Catalogue:
    product_id: list[str]
    name: list[str]
    name_zh: list[str]
    category: list[str]
    category_index: npt.NDArray[np.int64]
    price_eur: npt.NDArray[np.float64]
    popularity: npt.NDArray[np.float64]
    # cluster_cdf[c] is the cumulative product distribution for taste cluster c.
    cluster_cdf: npt.NDArray[np.float64]

    @property
    def size(self) -> int:
        return len(self.product_id)

    def price(self, product: npt.NDArray[np.int64], currency: str) -> npt.NDArray[np.float64]:
        local = self.price_eur[product] * CURRENCY_RATES[currency]
        if currency == "CNY":
            return np.asarray(np.ceil(local / 10.0) * 10.0 - 1.0)
        return np.asarray(np.ceil(local) - 0.01)

    def sample(
        self, rng: np.random.Generator, cluster: npt.NDArray[np.int64], explore: float = 0.2
    ) -> npt.NDArray[np.int64]:
        """One product per row: mostly from the row's taste cluster, sometimes anything."""
        u = rng.random(len(cluster))
        wander = rng.random(len(cluster)) < explore
        chosen_cluster = np.where(wander, len(CLUSTERS), cluster)
        out = np.empty(len(cluster), dtype=np.int64)
        for index in range(len(CLUSTERS) + 1):
            rows = chosen_cluster == index
            out[rows] = np.searchsorted(self.cluster_cdf[index], u[rows], side="right")
        return np.minimum(out, self.size - 1)


def make_catalogue(rng: np.random.Generator, products: int = 360) -> Catalogue:
    per_category = products // len(CATEGORIES)
    ids, names, names_zh, categories, cat_index, prices = [], [], [], [], [], []
    for c_index, (code, cat_name, (lo, hi), nouns, zh) in enumerate(CATEGORIES):
        for number in range(per_category):
            noun = nouns[number % len(nouns)]
            material = MATERIALS[int(rng.integers(len(MATERIALS)))]
            ids.append(f"LUM-{code}-{number + 1:03d}")
            names.append(f"{material} {noun}")
            names_zh.append(f"{zh} {material} {noun}")
            categories.append(cat_name)
            cat_index.append(c_index)
            prices.append(float(np.exp(rng.uniform(np.log(lo), np.log(hi)))))
    order = rng.permutation(len(ids))
    # Zipf-like popularity over a random ranking of the products.
    popularity = np.asarray(1.0 / (1.0 + order) ** 0.9, dtype=np.float64)
    category_index = np.array(cat_index, dtype=np.int64)
    codes = [c[0] for c in CATEGORIES]
    cdfs = []
    for _, preferences in CLUSTERS:
        weights = np.array([preferences.get(codes[i], 0.15) for i in category_index])
        cdfs.append(np.cumsum(popularity * weights) / np.sum(popularity * weights))
    cdfs.append(np.cumsum(popularity) / popularity.sum())  # the "anything" cluster
    return Catalogue(
        product_id=ids,
        name=names,
        name_zh=names_zh,
        category=categories,
        category_index=category_index,
        price_eur=np.round(np.array(prices), 2),
        popularity=popularity,
        cluster_cdf=np.array(cdfs),
    )
